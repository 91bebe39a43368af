// Review (session 10, shim's JS RPC to the member object): what the worker answers when the
// member object fails, by `ask` (this build) as by `fetch` (main's build): the object throws,
// rejects with a plain value, is overloaded, answers something that is not text, or text that
// is not a reply. A stand-in `MemberObject` (below) fails as the member id asks; each case must
// answer a problem+json, never hang, and no 500 where main's build answered a 503 (the 500 of
// an unreadable reply is main's answer too). Compared with main's build where it is at hand
// (.bench/base, git-ignored); the table is what main's build answered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memberToken, SECRETS } from "./harness.mjs";
import { startSkewed, newPersistDir, removeDir, hasMainBuild, MAIN_BUILD } from "./review_s10_lib.mjs";
import { startCoreStub } from "../../scripts/core-stub.mjs";

const STAND_IN = `
import { DurableObject } from "cloudflare:workers";
function fail(text) {
  if (text.includes("err-throw")) throw new Error("boom");
  if (text.includes("err-reject")) return Promise.reject("plain");
  if (text.includes("err-overloaded")) {
    throw Object.assign(new Error("Durable Object is overloaded. Too many requests queued."), { overloaded: true });
  }
  if (text.includes("err-number")) return 42;
  if (text.includes("err-garbage")) return "not json";
  return JSON.stringify({ err: "unavailable" });
}
export class MemberObject extends DurableObject {
  async ask(text) { return fail(text); }
  async fetch(request) {
    const answer = await fail(await request.text());
    return new Response(String(answer));
  }
}
export default { fetch: () => new Response("stand-in") };
`;

// What main's build (by fetch) answered for each stand-in failure.
const EXPECTED = {
  "err-throw": [503, "unavailable"],
  "err-reject": [503, "unavailable"],
  "err-overloaded": [503, "unavailable"],
  "err-number": null, // by fetch the text "42" (not an envelope): 500; by ask no text: 503
  "err-garbage": [500, "internal"],
};

async function answers(front) {
  const persistDir = newPersistDir();
  const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
  const edge = await startSkewed({ persistDir, stub, front, memberScript: STAND_IN });
  const out = {};
  try {
    for (const mode of Object.keys(EXPECTED)) {
      const res = await Promise.race([
        edge.api("POST", "/v1/checkins", { token: memberToken(`m-${mode}`), now: "2026-07-01T04:00:00Z" }),
        new Promise((resolve) => setTimeout(() => resolve({ status: "hang" }), 8000)),
      ]);
      out[mode] = [res.status, res.json?.code ?? null, res.type];
    }
  } finally {
    await edge.stop();
    await stub.close();
    removeDir(persistDir);
  }
  return out;
}

test("a failing member object answers as main's build answered: 503 or the same 500, problem+json, no hang", async () => {
  const got = await answers("build/index.js");
  console.log(`# this build: ${JSON.stringify(got)}`);
  const before = hasMainBuild() ? await answers(MAIN_BUILD) : null;
  if (before) console.log(`# main's build: ${JSON.stringify(before)}`);
  for (const [mode, expected] of Object.entries(EXPECTED)) {
    const [status, code, type] = got[mode];
    assert.notEqual(status, "hang", `${mode}: no answer`);
    assert.equal(type, "application/problem+json", mode);
    if (expected) assert.deepEqual([status, code], expected, mode);
    else assert.ok(status === 503 || status === 500, `${mode}: ${status}`);
    if (before && before[mode][0] !== 500) assert.notEqual(status, 500, `${mode}: 500 where main answered ${before[mode][0]}`);
  }
});

// A member object whose code has no `ask` (a class that derives from DurableObject but predates
// it, or a later rename): the worker must reach its `fetch`, not answer 503 (see review_s10_skew
// for main's real build, whose class is not a DurableObject subclass at all).
const STAND_IN_NO_ASK = `
import { DurableObject } from "cloudflare:workers";
export class MemberObject extends DurableObject {
  async fetch() { return new Response(JSON.stringify({ err: { code: "member_erased" } })); }
}
export default { fetch: () => new Response("stand-in") };
`;

test("a member object without ask is reached by fetch: its answer, not a 503", async () => {
  const persistDir = newPersistDir();
  const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
  const edge = await startSkewed({ persistDir, stub, memberScript: STAND_IN_NO_ASK });
  try {
    const res = await edge.api("POST", "/v1/checkins", { token: memberToken("m-no-ask"), now: "2026-07-01T04:00:00Z" });
    assert.deepEqual([res.status, res.json?.code], [410, "member_erased"], res.text);
  } finally {
    await edge.stop();
    await stub.close();
    removeDir(persistDir);
  }
});
