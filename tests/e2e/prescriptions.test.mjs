// Prescriptions at the edge (issue 10), against the real runtime: an Rx line is priced and
// classed from the catalogue, needs an approved, unexpired, unrevoked prescription of the
// member covering it, consumes it with the placement (once, under 50 concurrent orders), and
// gets it back when the core rejects the order. Nothing the catalogue or the prescription
// would not allow reaches the core.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken, concurrently, countBy, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";
import { coreGotExactly } from "./catalog_model.mjs";

const CATALOG = [
  catalogItem("rx-amox", "rx", 25_000, { name: "阿莫西林胶囊" }), // the antibiotic of finding 1
  catalogItem("rx-metf", "rx", 3_000, { name: "二甲双胍片", max_qty_per_order: 10 }),
  catalogItem("otc-200", "otc_b", 20_000),
  catalogItem("otc-50", "otc_a", 5_000),
];
const world = useWorld({ catalog: CATALOG, ratelimits: NO_MEMBER_WRITE_LIMIT });

const marketing = staffToken("mkt-rx", "marketing");
const NOW = "2026-06-03T12:30:00Z";
const LATER = "2026-06-03T13:00:00Z";
const FUTURE = "2026-07-01T00:00:00Z";
const line = (sku, qty = 1) => ({ sku, qty });
let keySeq = 0;
const place = (member, body, { now = LATER } = {}) =>
  world.api("POST", "/v1/orders", { token: memberToken(member), body, headers: { "idempotency-key": `rxk-${++keySeq}` }, now });
const order = (member, lines, extra = {}) => place(member, { store_id: "store-1", fulfilment: "pickup", lines, ...extra });
let eventSeq = 0;
const coreEvent = (type, data) => world.coreEvent({ id: `evt-rx-${++eventSeq}`, type, created_at: new Date().toISOString(), data }, { now: LATER });
async function approve(member, prescription_id, items, expires_at = FUTURE) {
  const approved = await coreEvent("prescription.approved", { prescription_id, member_id: member, items, approved_by: "pharm-1", expires_at });
  assert.equal(approved.status, 200, approved.text);
}
async function revoke(member, prescription_id) {
  const revoked = await coreEvent("prescription.revoked", { prescription_id, member_id: member });
  assert.equal(revoked.status, 200, revoked.text);
}
async function couponFor(member, campaignId) {
  const created = await world.api("POST", "/v1/admin/campaigns", {
    token: marketing, now: NOW,
    body: {
      id: campaignId, name: `活动 ${campaignId}`, kind: "coupon", starts_at: "2026-06-03T12:00:00Z", ends_at: "2026-06-04T12:00:00Z",
      stock: 100, coupon: { type: "threshold", value_fen: 2000, min_spend_fen: 19900, valid_days: 30 }, limits: { per_member: 5 }, rules_text: "满199减20",
    },
  });
  assert.equal(created.status, 201, created.text);
  const claimed = await world.api("POST", `/v1/campaigns/${campaignId}/claims`, { token: memberToken(member), now: NOW });
  assert.equal(claimed.status, 201, claimed.text);
  return claimed.json.coupon.coupon_id;
}
const couponStatus = async (member, couponId) =>
  (await world.api("GET", "/v1/coupons", { token: memberToken(member), now: LATER })).json.coupons.find((c) => c.coupon_id === couponId).status;
const refusal = (reply) => [reply.status, reply.json?.code, reply.json?.reason].filter((x) => x !== undefined);

test("finding 1: an antibiotic declared otc_b with a 满199减20 coupon is refused; it needs a prescription and is never discounted", async () => {
  const member = "rxf1-m";
  const couponId = await couponFor(member, "rx-f1-coupon");
  // As the dishonest client sent it: a class of its choosing (and a name) in the line.
  for (const [extra, field] of [[{ drug_class: "otc_b" }, /drug_class/], [{ name: "维生素C" }, /name/]]) {
    const declared = await order(member, [{ ...line("rx-amox"), ...extra }], { coupon_id: couponId });
    assert.deepEqual(refusal(declared), [400, "invalid_request"], JSON.stringify(extra));
    assert.match(declared.json.detail, /lines\[0\]/);
    assert.match(declared.json.detail, field);
  }
  const bare = await order(member, [line("rx-amox")], { coupon_id: couponId });
  assert.deepEqual(refusal(bare), [422, "prescription_required"], "the catalogue says rx: a prescription is needed");
  assert.equal(await couponStatus(member, couponId), "available", "a refused order locks nothing");

  await approve(member, "rx-f1", [{ sku: "rx-amox", qty: 1 }]);
  const rxOnly = await order(member, [line("rx-amox")], { coupon_id: couponId, prescription_id: "rx-f1" });
  assert.deepEqual(refusal(rxOnly), [422, "coupon_not_applicable"], "the coupon never discounts Rx, so it cannot apply to Rx alone");
  // Rx lines do not count towards the threshold either: 250 yuan of Rx and 50 of OTC is not 满199.
  const underThreshold = await order(member, [line("rx-amox"), line("otc-50")], { coupon_id: couponId, prescription_id: "rx-f1" });
  assert.deepEqual(refusal(underThreshold), [422, "coupon_not_applicable"]);
  assert.equal(await couponStatus(member, couponId), "available");

  // The refusals rolled the prescription back with the coupon: it is still usable.
  const placed = await order(member, [line("rx-amox"), line("otc-200")], { coupon_id: couponId, prescription_id: "rx-f1" });
  assert.equal(placed.status, 202, placed.text);
  const [rx, otc] = placed.json.lines;
  assert.deepEqual([rx.sku, rx.drug_class, rx.unit_price_fen, rx.discount_fen, rx.name], ["rx-amox", "rx", 25_000, 0, "阿莫西林胶囊"]);
  assert.deepEqual([otc.drug_class, otc.unit_price_fen, otc.discount_fen], ["otc_b", 20_000, 2_000]);
  assert.deepEqual([placed.json.subtotal_fen, placed.json.discount_fen, placed.json.payable_fen, placed.json.prescription_id], [45_000, 2_000, 43_000, "rx-f1"]);
  assert.equal(await couponStatus(member, couponId), "locked");
  await coreGotExactly(world, "rxf1-", [placed]);
});

test("finding 4 and every prescription_invalid reason: unknown, another member's, expired, used, not_covered, revoked (even before approval)", async () => {
  const m = "rxr-m";
  const invented = await order(m, [line("rx-metf")], { prescription_id: "rx-made-up-123" });
  assert.deepEqual(refusal(invented), [422, "prescription_invalid", "unknown"]);
  await approve("rxr-other", "rx-theirs", [{ sku: "rx-metf", qty: 5 }]);
  const theirs = await order(m, [line("rx-metf")], { prescription_id: "rx-theirs" });
  assert.deepEqual(refusal(theirs), [422, "prescription_invalid", "unknown"], "another member's prescription is not this member's");

  await approve(m, "rx-old", [{ sku: "rx-metf", qty: 5 }], "2026-06-01T00:00:00Z");
  assert.deepEqual(refusal(await order(m, [line("rx-metf")], { prescription_id: "rx-old" })), [422, "prescription_invalid", "expired"]);

  await approve(m, "rx-3", [{ sku: "rx-metf", qty: 3 }]);
  assert.deepEqual(refusal(await order(m, [line("rx-metf", 4)], { prescription_id: "rx-3" })), [422, "prescription_invalid", "not_covered"], "more than prescribed");
  assert.deepEqual(refusal(await order(m, [line("rx-metf", 2), line("rx-metf", 2)], { prescription_id: "rx-3" })), [422, "prescription_invalid", "not_covered"], "split over two lines");
  assert.deepEqual(refusal(await order(m, [line("rx-amox")], { prescription_id: "rx-3" })), [422, "prescription_invalid", "not_covered"], "another drug");
  // OTC lines ride along; only Rx needs covering.
  const first = await order(m, [line("rx-metf", 3), line("otc-50")], { prescription_id: "rx-3" });
  assert.equal(first.status, 202, first.text);
  assert.equal(first.json.prescription_id, "rx-3");
  assert.deepEqual(refusal(await order(m, [line("rx-metf", 1)], { prescription_id: "rx-3" })), [422, "prescription_invalid", "used"]);

  await approve(m, "rx-rev", [{ sku: "rx-metf", qty: 2 }]);
  await revoke(m, "rx-rev");
  assert.deepEqual(refusal(await order(m, [line("rx-metf")], { prescription_id: "rx-rev" })), [422, "prescription_invalid", "revoked"]);
  // The revocation overtakes the approval: the late approval does not make it usable.
  await revoke(m, "rx-early");
  await approve(m, "rx-early", [{ sku: "rx-metf", qty: 2 }]);
  assert.deepEqual(refusal(await order(m, [line("rx-metf")], { prescription_id: "rx-early" })), [422, "prescription_invalid", "revoked"]);
  // A second approval of an id does not widen it.
  await approve(m, "rx-once", [{ sku: "rx-metf", qty: 1 }]);
  await approve(m, "rx-once", [{ sku: "rx-metf", qty: 9 }]);
  assert.deepEqual(refusal(await order(m, [line("rx-metf", 2)], { prescription_id: "rx-once" })), [422, "prescription_invalid", "not_covered"]);
  // A prescription named on an order without Rx lines is not consumed.
  const otcOnly = await order(m, [line("otc-50")], { prescription_id: "rx-once" });
  assert.deepEqual([otcOnly.status, otcOnly.json.prescription_id], [202, null]);
  const usesIt = await order(m, [line("rx-metf")], { prescription_id: "rx-once" });
  assert.equal(usesIt.status, 202, usesIt.text);
  // A revoked prescription used by an accepted order does not come back when that order is rejected.
  await revoke(m, "rx-once");
  assert.equal((await coreEvent("order.rejected", { order_id: usesIt.json.order_id, reason: "revoked" })).status, 200);
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(refusal(await order(m, [line("rx-metf")], { prescription_id: "rx-once" })), [422, "prescription_invalid", "revoked"]);

  await coreGotExactly(world, "rxr-", [first, otcOnly, usesIt]);
});

test("50 concurrent orders naming one prescription: one accepted; rejected by the core, the prescription comes back once", async () => {
  const member = "rx50-m";
  await approve(member, "rx-50", [{ sku: "rx-metf", qty: 10 }]);
  const body = { store_id: "store-1", fulfilment: "delivery", lines: [line("rx-metf", 10)], prescription_id: "rx-50" };
  const replies = await concurrently(50, () => place(member, body));
  const counts = countBy(replies, (r) => (r.status === 202 ? 202 : `${r.json.code}:${r.json.reason}`));
  assert.deepEqual(counts, { 202: 1, "prescription_invalid:used": 49 }, JSON.stringify(counts));
  const [accepted] = replies.filter((r) => r.status === 202);
  assert.deepEqual([accepted.json.prescription_id, accepted.json.payable_fen], ["rx-50", 30_000]);
  await coreGotExactly(world, "rx50-", [accepted]);

  // Rejected (twice over): given back, asynchronously; poll with new orders until one is accepted.
  await concurrently(2, () => coreEvent("order.rejected", { order_id: accepted.json.order_id, reason: "pharmacist declined" }));
  let again;
  await world.waitFor(async () => {
    again = await place(member, body);
    if (again.status !== 202) assert.deepEqual(refusal(again), [422, "prescription_invalid", "used"]);
    return again.status === 202;
  }, { what: "the prescription given back" });
  assert.notEqual(again.json.order_id, accepted.json.order_id);
  // Given back once: it is used again now, by the new order only.
  const third = await concurrently(10, () => place(member, body));
  assert.deepEqual(countBy(third, (r) => `${r.status}:${r.json.reason}`), { "422:used": 10 });
  assert.equal((await world.api("GET", `/v1/orders/${accepted.json.order_id}`, { token: memberToken(member) })).json.status, "rejected");
  await coreGotExactly(world, "rx50-", [accepted, again]);
});

test("a cancelled Rx order gives its prescription back; a refused coupon gives it back at once", async () => {
  const member = "rxc-m";
  await approve(member, "rx-c", [{ sku: "rx-amox", qty: 1 }]);
  const placed = await order(member, [line("rx-amox")], { prescription_id: "rx-c" });
  assert.equal(placed.status, 202, placed.text);
  assert.equal((await coreEvent("order.cancelled", { order_id: placed.json.order_id })).status, 200);
  let again;
  await world.waitFor(async () => {
    again = await order(member, [line("rx-amox")], { prescription_id: "rx-c" });
    return again.status === 202;
  }, { what: "the prescription given back after a cancellation" });
  // A coupon that is not the member's refuses the order, and the prescription stays with the placed one.
  await approve(member, "rx-c2", [{ sku: "rx-amox", qty: 1 }]);
  const badCoupon = await order(member, [line("rx-amox"), line("otc-200")], { prescription_id: "rx-c2", coupon_id: "cpn-not-mine" });
  assert.deepEqual(refusal(badCoupon), [409, "coupon_unavailable"]);
  const good = await order(member, [line("rx-amox")], { prescription_id: "rx-c2" });
  assert.equal(good.status, 202, "the refused order did not consume rx-c2");
  await coreGotExactly(world, "rxc-", [placed, again, good]);
});
