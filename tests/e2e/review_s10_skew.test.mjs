// Review (session 10, shim's JS RPC to the member object): Cloudflare releases a Worker's new
// code eventually-consistently, and "a request [may arrive] to the latest version of your
// Worker, which then calls to a unique Durable Object running the previous version of your code
// for a short period of time (typically seconds to minutes)" (Durable Objects, Known issues);
// in a gradual deployment each object keeps the version it was assigned for the whole
// deployment. A member object on main's code has no `ask` (its class is worker-build's, not a
// `DurableObject` subclass): this build's worker must still reach it, as main's did by `fetch`,
// not answer 503 to every member request until the object is upgraded.
// Skipped where main's build (.bench/base, git-ignored) is absent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memberToken } from "./harness.mjs";
import { startSkewed, newPersistDir, removeDir, hasMainBuild, MAIN_BUILD } from "./review_s10_lib.mjs";
import { startCoreStub } from "../../scripts/core-stub.mjs";
import { SECRETS } from "./harness.mjs";

test("a member object still on the previous code answers this build's worker", { skip: !hasMainBuild() && "main's build (.bench/base) absent" }, async () => {
  const persistDir = newPersistDir();
  const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
  const edge = await startSkewed({ persistDir, stub });
  try {
    const token = memberToken("skew-1");
    const first = await edge.api("POST", "/v1/checkins", { token, now: "2026-07-01T04:00:00Z" });
    assert.equal(first.status, 201, first.text);
    const again = await edge.api("POST", "/v1/checkins", { token, now: "2026-07-01T05:00:00Z" });
    assert.deepEqual([again.status, again.json?.already_checked_in], [200, true], again.text);
    const me = await edge.api("GET", "/v1/me", { token, now: "2026-07-01T05:00:00Z" });
    assert.deepEqual([me.status, me.json?.points?.balance], [200, 5], me.text);
  } finally {
    await edge.stop();
    await stub.close();
    removeDir(persistDir);
  }
});

test("the other way: main's worker reaches a member object already on this build", { skip: !hasMainBuild() && "main's build (.bench/base) absent" }, async () => {
  const persistDir = newPersistDir();
  const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
  const edge = await startSkewed({ persistDir, stub, front: MAIN_BUILD, memberBuild: "build/index.js" });
  try {
    const token = memberToken("skew-2");
    const first = await edge.api("POST", "/v1/checkins", { token, now: "2026-07-01T04:00:00Z" });
    assert.equal(first.status, 201, first.text);
    const me = await edge.api("GET", "/v1/me", { token, now: "2026-07-01T05:00:00Z" });
    assert.deepEqual([me.status, me.json?.points?.balance], [200, 5], me.text);
  } finally {
    await edge.stop();
    await stub.close();
    removeDir(persistDir);
  }
});
