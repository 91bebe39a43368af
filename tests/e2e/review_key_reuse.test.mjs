// Review of issue 12 (finding F1) against the runtime: one member reuses each Idempotency-Key
// for a coupon claim and, at the same moment, a points exchange of another campaign. One of the
// two is refused as a reuse (422); neither may answer 500, and no coupon is issued without its
// unit or twice for a key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently, countBy, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";

const world = useWorld({ ratelimits: NO_MEMBER_WRITE_LIMIT });
const NOW = "2026-07-01T04:00:00Z";
const marketing = staffToken("mkt-reuse", "marketing");
const window = { starts_at: "2026-07-01T00:00:00Z", ends_at: "2026-07-31T00:00:00Z", coupon: { type: "fixed", value_fen: 500, valid_days: 30 }, limits: { per_member: 100 } };

test("a key reused at once by a coupon claim and a points exchange: one is 422, no 500", async () => {
  for (const config of [
    { id: "reuse-coupon", name: "券", kind: "coupon", stock: 100, rules_text: "领券", ...window },
    { id: "reuse-points", name: "兑换", kind: "points_exchange", cost_points: 50, stock: 100, rules_text: "兑换", ...window },
  ]) {
    const created = await world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, now: NOW });
    assert.equal(created.status, 201, created.text);
  }
  const token = memberToken("reuse-1");
  const pairs = 20;
  const replies = await concurrently(pairs * 2, (i) =>
    world.api("POST", `/v1/campaigns/${i % 2 ? "reuse-points" : "reuse-coupon"}/claims`, { token, headers: { "idempotency-key": `reuse-k${i >> 1}` }, now: NOW }));
  const seen = countBy(replies, (r) => `${r.status} ${r.json?.code ?? "coupon"}`);
  console.log(`# answers: ${JSON.stringify(seen)}`);
  assert.deepEqual(replies.filter((r) => r.status >= 500).map((r) => r.text), [], "no 500");
  const coupons = (await world.api("GET", "/v1/coupons", { token, now: NOW })).json.coupons;
  const stats = (await world.api("GET", "/v1/admin/campaigns/reuse-coupon", { token: marketing, now: NOW })).json.stats;
  assert.equal(stats.issued, coupons.length, "every unit taken and kept is a coupon in the wallet");
  assert.ok(coupons.length <= pairs);
});
