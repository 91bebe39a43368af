// Tier benefits against the real runtime (issue 13): member prices by tier on order lines
// (never Rx), forwarded to the core as shown; points multipliers (member day), the birthday
// month, the published tiers, and tier.changed once per change. The test clock (x-test-now)
// sets business time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken, validateSchema } from "./harness.mjs";

const CATALOG = [catalogItem("tb-otc", "otc_b", 3990), catalogItem("tb-health", "health", 10000), catalogItem("tb-rx", "rx", 12800)];
const world = useWorld({ catalog: CATALOG });
const marketing = staffToken("mkt-tiers", "marketing");

let eventSeq = 0;
const coreEvent = (type, data, now) =>
  world.coreEvent({ id: `evt-tb-${++eventSeq}`, type, created_at: "2026-05-01T00:00:00Z", data }, { now });
const regular = (amount_fen) => [{ sku: "tb-reg", name: "测试商品", qty: 1, unit_price_fen: amount_fen, drug_class: "other" }];
/** An order.paid of `amount_fen` of regular goods (1 point per 20 yuan) at `paid_at`. */
async function pay(member, order_id, amount_fen, paid_at, extra = {}) {
  const r = await coreEvent("order.paid", { order_id, member_id: member, paid_at, amount_fen, insurance_fen: 0, lines: regular(amount_fen), first_order: false, ...extra }, paid_at);
  assert.equal(r.status, 200, r.text);
  return r;
}
const me = async (member, now) => (await world.api("GET", "/v1/me", { token: memberToken(member), now })).json;
const ledger = async (member, now) =>
  (await world.api("GET", "/v1/points/ledger?limit=200", { token: memberToken(member), now })).json.entries;
const orderPoints = async (member, order_id, now) =>
  (await ledger(member, now)).filter((e) => e.source === "order" && e.source_id === order_id).map((e) => e.amount);

test("a silver member's order prices OTC lines at 90 % and Rx lines at 100 %, and the core receives the same lines", async () => {
  const member = "tb-silver";
  const now = "2026-05-20T04:00:00Z";
  await pay(member, "tb-silver-spend", 99_900, "2026-05-01T04:00:00Z");
  assert.equal((await me(member, now)).tier.name, "silver");
  const approved = await coreEvent("prescription.approved", {
    prescription_id: "tb-rx-1", member_id: member, items: [{ sku: "tb-rx", qty: 1 }], approved_by: "pharm-1", expires_at: "2026-07-01T00:00:00Z",
  }, now);
  assert.equal(approved.status, 200, approved.text);
  // The client may say what it saw (the list price); the tier is the pharmacy's, not the client's.
  const body = { store_id: "store-1", fulfilment: "pickup", prescription_id: "tb-rx-1",
    lines: [{ sku: "tb-otc", qty: 2, unit_price_fen: 3990 }, { sku: "tb-rx", qty: 1 }] };
  const placed = await world.api("POST", "/v1/orders", { token: memberToken(member, { tier: "gold" }), body, now });
  assert.equal(placed.status, 202, placed.text);
  const lines = placed.json.lines.map((l) => [l.sku, l.unit_price_fen, l.member_unit_price_fen, l.member_discount_fen, l.discount_fen]);
  assert.deepEqual(lines, [["tb-otc", 3990, 3591, 798, 0], ["tb-rx", 12800, 12800, 0, 0]]);
  assert.deepEqual(
    [placed.json.tier, placed.json.member_discount_fen, placed.json.subtotal_fen, placed.json.payable_fen],
    ["silver", 798, 2 * 3591 + 12800, 2 * 3591 + 12800],
  );
  // A stale list price is still refused as before (the member price is not what the client compares).
  const stale = await world.api("POST", "/v1/orders", { token: memberToken(member), now,
    body: { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "tb-otc", qty: 1, unit_price_fen: 3591 }] } });
  assert.deepEqual([stale.status, stale.json.code], [409, "price_changed"]);

  await world.waitFor(() => world.stub.deliveries().some((d) => d.path === "/orders" && d.key === placed.json.order_id), { what: "the order at the core" });
  const delivery = world.stub.deliveries().find((d) => d.path === "/orders" && d.key === placed.json.order_id);
  validateSchema("OrderDelivery", delivery.body);
  assert.deepEqual(delivery.body.lines, placed.json.lines, "the core receives the same lines");
  assert.deepEqual(
    [delivery.body.tier, delivery.body.member_discount_fen, delivery.body.subtotal_fen, delivery.body.discount_fen, delivery.body.payable_fen],
    ["silver", 798, placed.json.subtotal_fen, 0, placed.json.payable_fen],
  );
});

test("a member below bronze pays list prices; the coupon applies to the member-priced subtotal", async () => {
  const plain = await world.api("POST", "/v1/orders", { token: memberToken("tb-new"), now: "2026-05-20T04:00:00Z",
    body: { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "tb-otc", qty: 1 }] } });
  assert.equal(plain.status, 202, plain.text);
  assert.deepEqual([plain.json.tier, plain.json.lines[0].member_unit_price_fen, plain.json.subtotal_fen], ["member", 3990, 3990]);

  const member = "tb-gold-coupon";
  const now = "2026-05-20T04:00:00Z";
  await pay(member, "tb-gold-spend", 299_900, "2026-05-01T04:00:00Z");
  const created = await world.api("POST", "/v1/admin/campaigns", { token: marketing, now, body: {
    id: "tb-cpn", name: "满100减10", kind: "coupon", starts_at: "2026-05-19T00:00:00Z", ends_at: "2026-05-30T00:00:00Z",
    stock: 10, coupon: { type: "threshold", value_fen: 1000, min_spend_fen: 10000, valid_days: 30 }, limits: { per_member: 1 }, rules_text: "满100减10",
  } });
  assert.equal(created.status, 201, created.text);
  const claimed = await world.api("POST", "/v1/campaigns/tb-cpn/claims", { token: memberToken(member), now });
  assert.equal(claimed.status, 201, claimed.text);
  // 3 x 39.90 = 119.70 list; gold 88 %: 3 x 35.11 = 105.33, still above the 100-yuan threshold.
  const placed = await world.api("POST", "/v1/orders", { token: memberToken(member), now,
    body: { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "tb-otc", qty: 3 }], coupon_id: claimed.json.coupon.coupon_id } });
  assert.equal(placed.status, 202, placed.text);
  assert.deepEqual(
    [placed.json.tier, placed.json.subtotal_fen, placed.json.discount_fen, placed.json.payable_fen, placed.json.lines[0].member_unit_price_fen],
    ["gold", 10533, 1000, 9533, 3511],
  );
});
