// Review (session 10, size2's hand decoders): external input of every shape those decoders sit
// behind (admin campaign bodies and the coupon template, PATCH bodies, core events with keys in
// any order, duplicated keys, arrays, overflow, orders, catalogue pushes and edits) answers the
// status and problem `code` main's build (60b29fa, before the decoders) answered, taken from a
// run of tests/e2e/review_s10_wire_cases.mjs on both builds. With REVIEW_AB=1 and main's build at
// hand (.bench/base, git-ignored), every body is also compared with that build's, as JSON (opt-in:
// .bench/base is whatever build was copied there last, and later work may change a body on purpose).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startOn, newPersistDir, removeDir, hasMainBuild, MAIN_BUILD } from "./review_s10_lib.mjs";
import { runCases, CASES } from "./review_s10_wire_cases.mjs";

// [status, code] of main's build for each case, in order.
const EXPECTED = {
  "coupon ok": [201, null],
  "coupon type last": [201, null],
  "coupon percent ok": [201, null],
  "coupon threshold ok": [201, null],
  "coupon missing value_fen": [400, "invalid_request"],
  "coupon percent missing max": [400, "invalid_request"],
  "coupon percent min null": [201, null],
  "coupon value string": [400, "invalid_request"],
  "coupon value 1e20": [400, "invalid_request"],
  "coupon value 2^63": [400, "invalid_request"],
  "coupon value -1": [422, "invalid_campaign"],
  "coupon type bogus": [400, "invalid_request"],
  "coupon array": [400, "invalid_request"],
  "coupon dup value": [400, "invalid_request"],
  "coupon dup type": [400, "invalid_request"],
  "coupon unknown key": [400, "invalid_request"],
  "coupon type null": [400, "invalid_request"],
  "coupon bad class": [400, "invalid_request"],
  "coupon classes string": [400, "invalid_request"],
  "coupon null": [400, "invalid_request"],
  "coupon empty": [400, "invalid_request"],
  "coupon percent value only": [400, "invalid_request"],
  "coupon threshold no min": [400, "invalid_request"],
  "coupon value float": [400, "invalid_request"],
  "coupon no type": [400, "invalid_request"],
  "campaign unknown key": [400, "invalid_request"],
  "campaign dup stock": [400, "invalid_request"],
  "campaign schedule bad": [400, "invalid_request"],
  "campaign stock overflow": [400, "invalid_request"],
  "admin view": [200, null],
  "admin view last": [200, null],
  "public view": [200, null],
  "admin list": [200, null],
  "patch stock string": [400, "invalid_request"],
  "patch stock 1e30": [400, "invalid_request"],
  "patch status bogus": [400, "invalid_request"],
  "patch array": [400, "invalid_request"],
  "patch ends number": [400, "invalid_request"],
  "patch dup key": [400, "invalid_request"],
  "patch unknown": [400, "invalid_request"],
  "patch keyed": [200, null],
  "patch keyed again": [200, null],
  "patch keyed other body": [422, "idempotency_key_reused"],
  "event reg data first": [200, null],
  "event reg again": [200, null],
  "event data array": [400, "invalid_request"],
  "event member number": [400, "invalid_request"],
  "event paid amount string": [400, "invalid_request"],
  "event paid amount 2^63": [400, "invalid_request"],
  "event paid lines object": [400, "invalid_request"],
  "event unknown type": [422, "unknown_event"],
  "event dup type": [400, "invalid_request"],
  "event dup data": [400, "invalid_request"],
  "event bad id": [400, "invalid_request"],
  "event no data": [400, "invalid_request"],
  "event paid extra key": [200, null],
  "event paid ok": [200, null],
  "event paid data keys reversed": [200, null],
  "event profile month 13": [400, "invalid_request"],
  "event profile ok": [200, null],
  "event rx items bad": [400, "invalid_request"],
  "event ready lines bad": [400, "invalid_request"],
  "event confirmed unknown order": [200, null],
  "event erased no member": [400, "invalid_request"],
  "event refunded ok": [200, null],
  "member me": [200, null],
  "member ledger": [200, null],
  "claim store number": [400, "invalid_request"],
  "claim ok": [201, null],
  "claim replay": [201, null],
  "coupons": [200, null],
  "order qty string": [400, "invalid_request"],
  "order qty 2^63": [400, "invalid_request"],
  "order lines object": [400, "invalid_request"],
  "order line extra": [400, "invalid_request"],
  "order dup key": [400, "invalid_request"],
  "order with coupon": [202, null],
  "order replay": [202, null],
  "coupons after order": [200, null],
  "catalog class bogus": [400, "invalid_request"],
  "catalog price string": [400, "invalid_request"],
  "catalog dup key": [400, "invalid_request"],
  "catalog edit bogus": [400, "invalid_request"],
  "catalog edit array": [400, "invalid_request"],
  "catalog edit ok": [200, null],
  "catalog admin read": [200, null],
};

// Fields minted per run (ids, codes), left out of the body comparison.
const MINTED = new Set(["order_id", "coupon_id", "short_code", "qr", "request_id", "instance"]);
const comparable = (json) => JSON.stringify(json, (key, value) => (MINTED.has(key) ? "*" : value));

async function answersOf(main) {
  const persistDir = newPersistDir();
  const world = await startOn({ main, persistDir });
  try {
    return await runCases(world);
  } finally {
    await world.stop();
    removeDir(persistDir);
  }
}

test("external input answers what main's build answered: same status, same problem code", async () => {
  assert.equal(CASES.length, Object.keys(EXPECTED).length);
  const answers = await answersOf(undefined);
  for (const [name, [status, code]] of Object.entries(EXPECTED)) {
    const got = answers[name];
    assert.deepEqual([got.status, got.code], [status, code], `${name}: ${JSON.stringify(got.json)}`);
    if (status >= 400) assert.equal(got.type, "application/problem+json", name);
  }
  // The kept PATCH answer (read back from its text) is the first one.
  assert.deepEqual(answers["patch keyed again"].json, answers["patch keyed"].json);
  assert.deepEqual(answers["claim replay"].json, answers["claim ok"].json);
  assert.deepEqual(answers["order replay"].json, answers["order with coupon"].json);
  assert.ok(answers["order with coupon"].json.discount_fen > 0, "the coupon applied");

  if (process.env.REVIEW_AB !== "1" || !hasMainBuild()) return;
  const before = await answersOf(MAIN_BUILD);
  for (const name of Object.keys(EXPECTED)) {
    assert.equal(comparable(answers[name].json), comparable(before[name].json), `${name}: body differs from main's build`);
  }
});
