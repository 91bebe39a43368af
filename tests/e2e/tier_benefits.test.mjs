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

/** A points_multiplier campaign open for the business day `date` (Shanghai, UTC+8). */
async function memberDay(id, date, extra = {}) {
  const start = new Date(`${date}T00:00:00+08:00`);
  const end = new Date(start.getTime() + 24 * 3600 * 1000);
  const created = await world.api("POST", "/v1/admin/campaigns", { token: marketing, now: "2026-06-01T00:00:00Z", body: {
    id, name: "会员日积分翻倍", kind: "points_multiplier", multiplier: 2,
    starts_at: start.toISOString().replace(".000", ""), ends_at: end.toISOString().replace(".000", ""),
    stock: 1, coupon: { type: "fixed", value_fen: 1, valid_days: 1 }, limits: { per_member: 1 }, rules_text: "每月15日会员日,订单积分翻倍",
    ...extra,
  } });
  assert.equal(created.status, 201, created.text);
  return created.json;
}

test("member day: an order.paid on the 15th earns double points, on the 16th single, a gold member on the 15th the higher", async () => {
  await memberDay("tb-md-june", "2026-06-15");
  // 100 yuan of regular goods: 5 points.
  await pay("tb-md", "tb-md-15", 10_000, "2026-06-15T04:00:00Z");
  await pay("tb-md", "tb-md-16", 10_000, "2026-06-16T04:00:00Z");
  // 23:59 on the 15th in Shanghai is still member day; 00:00 on the 16th is not.
  await pay("tb-md", "tb-md-late", 10_000, "2026-06-15T15:59:00Z");
  await pay("tb-md", "tb-md-after", 10_000, "2026-06-15T16:00:00Z");
  const now = "2026-06-20T00:00:00Z";
  assert.deepEqual(await orderPoints("tb-md", "tb-md-15", now), [10]);
  assert.deepEqual(await orderPoints("tb-md", "tb-md-16", now), [5]);
  assert.deepEqual(await orderPoints("tb-md", "tb-md-late", now), [10]);
  assert.deepEqual(await orderPoints("tb-md", "tb-md-after", now), [5]);

  // Gold (x2) on member day (x2, combine "higher" by default): x2, not x4.
  await pay("tb-md-gold", "tb-md-gold-spend", 299_900, "2026-06-01T04:00:00Z");
  await pay("tb-md-gold", "tb-md-gold-15", 10_000, "2026-06-15T05:00:00Z");
  assert.deepEqual(await orderPoints("tb-md-gold", "tb-md-gold-15", now), [10]);
  // A campaign configured with combine "product" multiplies: x4 for gold.
  await memberDay("tb-md-july", "2026-07-15", { combine: "product" });
  await pay("tb-md-gold", "tb-md-gold-july", 10_000, "2026-07-15T05:00:00Z");
  assert.deepEqual(await orderPoints("tb-md-gold", "tb-md-gold-july", "2026-07-20T00:00:00Z"), [20]);

  // The campaign is public with its multiplier, and it has no coupon to claim.
  const view = await world.api("GET", "/v1/campaigns/tb-md-july", { token: memberToken("tb-md"), now: "2026-07-01T00:00:00Z" });
  assert.deepEqual([view.status, view.json.kind, view.json.multiplier, view.json.combine], [200, "points_multiplier", 2, "product"]);
  const claim = await world.api("POST", "/v1/campaigns/tb-md-july/claims", { token: memberToken("tb-md"), now: "2026-07-15T05:00:00Z" });
  assert.deepEqual([claim.status, claim.json.code, claim.json.reason], [403, "not_eligible", "not_claimable"]);
  // A multiplier is bounded.
  const tooBig = await world.api("POST", "/v1/admin/campaigns", { token: marketing, now: "2026-06-01T00:00:00Z", body: {
    id: "tb-md-x10", name: "x10", kind: "points_multiplier", multiplier: 10, starts_at: "2026-08-14T16:00:00Z", ends_at: "2026-08-15T16:00:00Z",
    stock: 1, coupon: { type: "fixed", value_fen: 1, valid_days: 1 }, limits: { per_member: 1 }, rules_text: "x10" } });
  assert.deepEqual([tooBig.status, tooBig.json.code], [422, "invalid_campaign"]);
});

test("member day: an order earns by the campaign's status when it was paid, not when the core reports it", async () => {
  // Found from outside: the status at the report used to decide.
  await memberDay("tb-md-aug", "2026-08-15");
  const setStatus = async (status, now) => {
    const r = await world.api("PATCH", "/v1/admin/campaigns/tb-md-aug", { token: marketing, body: { status }, now });
    assert.equal(r.status, 200, r.text);
  };
  const paidLate = async (order_id, paid_at, now) => {
    const r = await coreEvent("order.paid", { order_id, member_id: "tb-md-aug", paid_at, amount_fen: 10_000, insurance_fen: 0, lines: regular(10_000), first_order: false }, now);
    assert.equal(r.status, 200, r.text);
  };
  await setStatus("paused", "2026-08-15T03:00:00Z"); // 11:00 in Shanghai
  await paidLate("tb-md-aug-active", "2026-08-15T02:00:00Z", "2026-08-15T04:00:00Z"); // paid while active, reported while paused
  await setStatus("active", "2026-08-15T05:00:00Z");
  await paidLate("tb-md-aug-paused", "2026-08-15T03:30:00Z", "2026-08-15T06:00:00Z"); // paid while paused, reported after the resume
  const now = "2026-08-20T00:00:00Z";
  assert.deepEqual(await orderPoints("tb-md-aug", "tb-md-aug-active", now), [10]);
  assert.deepEqual(await orderPoints("tb-md-aug", "tb-md-aug-paused", now), [5]);
});

test("GET /v1/tiers publishes the thresholds, benefits and earn rules, without a token", async () => {
  const r = await world.api("GET", "/v1/tiers");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("cache-control"), "public, max-age=300");
  assert.deepEqual(
    r.json.tiers.map((t) => [t.name, t.threshold_fen, t.member_price_percent, t.points_multiplier, t.birthday_double_points]),
    [["member", 0, 100, 1, false], ["bronze", 19900, 95, 1, true], ["silver", 99900, 90, 1, true], ["gold", 299900, 88, 2, true]],
  );
  assert.deepEqual([r.json.birthday.spend_fen, r.json.birthday.bonus_points, r.json.birthday.multiplier], [19900, 200, 2]);
  assert.ok(!r.json.member_prices.eligible_classes.includes("rx"), "never on Rx");
  assert.equal(r.json.multipliers.default_combine, "higher");
  assert.equal((await world.api("POST", "/v1/tiers", { body: {} })).status, 405);
});

test("tier.changed reaches the core once per change, however the core replays its events", async () => {
  const member = "tb-change";
  const event = { id: "evt-tb-change-1", type: "order.paid", created_at: "2026-05-01T00:00:00Z",
    data: { order_id: "tb-change-1", member_id: member, paid_at: "2026-05-02T04:00:00Z", amount_fen: 20_000, insurance_fen: 0, lines: regular(20_000), first_order: false } };
  for (let i = 0; i < 3; i++) assert.equal((await world.coreEvent(event)).status, 200);
  // The same order under another event id.
  assert.equal((await world.coreEvent({ ...event, id: "evt-tb-change-2" })).status, 200);
  const ofMember = (d) => d.body?.type === "tier.changed" && d.body.data.member_id === member;
  await world.waitFor(() => world.stub.deliveries().some(ofMember), { what: "tier.changed" });
  await new Promise((r) => setTimeout(r, 500));
  const changes = world.stub.deliveries().filter(ofMember);
  assert.deepEqual(changes.map((d) => [d.body.data.from, d.body.data.to, d.body.data.upgrade]), [["member", "bronze", true]]);
  validateSchema("OutboundEvent", changes[0].body);
  // A refund below the threshold: one downgrade.
  const refund = { id: "evt-tb-change-r", type: "order.refunded", created_at: "2026-05-03T00:00:00Z", data: { order_id: "tb-change-1", member_id: member, amount_fen: 5_000 } };
  await world.coreEvent(refund);
  await world.coreEvent(refund);
  await world.waitFor(() => world.stub.deliveries().filter(ofMember).length === 2, { what: "the downgrade" });
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(world.stub.deliveries().filter(ofMember).map((d) => d.body.data.to), ["bronze", "member"]);
});

test("the birthday month: bronze and above earn double points, and 199 yuan spent gives 200 points once a year", async () => {
  const member = "tb-bday";
  const profile = await coreEvent("member.profile", { member_id: member, birth_month: 8 }, "2026-07-01T00:00:00Z");
  assert.deepEqual([profile.status, profile.json], [200, { accepted: true, duplicate: false }]);
  const bad = await coreEvent("member.profile", { member_id: member, birth_month: 13 }, "2026-07-01T00:00:00Z");
  assert.deepEqual([bad.status, bad.json.code], [400, "invalid_request"]);
  assert.match(bad.json.detail, /birth_month/);
  // 150 yuan in August, below bronze: single points (7), no bonus yet.
  await pay(member, "tb-bday-1", 15_000, "2026-08-03T04:00:00Z");
  // 60 more: 210 yuan in the birth month -> the 200-point bonus (the order itself at the tier before: single, 3).
  await pay(member, "tb-bday-2", 6_000, "2026-08-05T04:00:00Z");
  // Now bronze in the birth month: 40 yuan earns 2 x 2.
  await pay(member, "tb-bday-3", 4_000, "2026-08-06T04:00:00Z");
  await pay(member, "tb-bday-4", 20_000, "2026-08-07T04:00:00Z");
  // September: no longer the birth month.
  await pay(member, "tb-bday-5", 4_000, "2026-09-02T04:00:00Z");
  const now = "2026-09-03T00:00:00Z";
  const entries = await ledger(member, now);
  const points = (id) => entries.filter((e) => e.source === "order" && e.source_id === id).map((e) => e.amount);
  assert.deepEqual([points("tb-bday-1"), points("tb-bday-2"), points("tb-bday-3"), points("tb-bday-5")], [[7], [3], [4], [2]]);
  const bonuses = entries.filter((e) => e.source === "campaign" && e.kind === "earn");
  assert.deepEqual(bonuses.map((e) => [e.amount, e.source_id]), [[200, "birthday:2026"]], "once a year");
  // The next year's birth month gives it again.
  await pay(member, "tb-bday-2027", 20_000, "2027-08-04T04:00:00Z");
  const next = (await ledger(member, "2027-08-05T00:00:00Z")).filter((e) => e.source === "campaign" && e.kind === "earn");
  assert.deepEqual(next.map((e) => e.source_id).sort(), ["birthday:2026", "birthday:2027"]);
});
