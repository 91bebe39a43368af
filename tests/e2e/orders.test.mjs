// Orders at the edge against the real runtime: compliance first, coupons locked with the
// order and given back when the core rejects or cancels it, stored before the 202 and
// forwarded to the core exactly once through outages, restarts and dead letters.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken, concurrently, countBy, validateSchema, assertEachKeyOnce, assertSettledOnce } from "./harness.mjs";

// What the core sells, as it pushes it; orders name SKUs and quantities only.
const CATALOG = [
  catalogItem("otc-1", "otc_b", 15000), catalogItem("hlth-1", "health", 8000), catalogItem("otc", "otc_b", 100),
  catalogItem("sp", "special", 100), catalogItem("rx", "rx", 5000), catalogItem("x", "otc_b", 100),
  catalogItem("rx-1", "rx", 50000), catalogItem("otc-small", "otc_b", 1000),
];
const world = useWorld({ catalog: CATALOG });

const marketing = staffToken("mkt-orders", "marketing");
const NOW = "2026-06-03T12:30:00Z";
const LATER = "2026-06-03T13:00:00Z";

const line = (sku, qty = 1) => ({ sku, qty });
// The core's paid event carries the lines it sold, as the edge priced them.
const paidLines = (lines) => lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
const otcCart = [line("otc-1"), line("hlth-1", 2)]; // 310.00 yuan
const place = (member, body, { key, now = LATER } = {}) =>
  world.api("POST", "/v1/orders", { token: memberToken(member), body, headers: key ? { "idempotency-key": key } : {}, now });
const order = (member, id) => world.api("GET", `/v1/orders/${id}`, { token: memberToken(member) });
const orderDeliveries = (prefix) => world.stub.deliveries().filter((d) => d.path === "/orders" && d.body.member_id.startsWith(prefix));
const orderAttempts = (prefix) => (a) => a.path === "/orders" && a.body?.member_id?.startsWith(prefix);
let eventSeq = 0;
const coreEvent = (type, data) => world.coreEvent({ id: `evt-ord-${++eventSeq}`, type, created_at: new Date().toISOString(), data }, { now: LATER });
/** A pharmacist in the core approves `items` for `member` (the edge never decides that). */
async function approve(member, prescription_id, items) {
  const approved = await coreEvent("prescription.approved", {
    prescription_id, member_id: member, items, approved_by: "pharm-1", expires_at: "2026-07-01T00:00:00Z",
  });
  assert.equal(approved.status, 200, approved.text);
}

async function couponFor(member, campaignId, coupon = { type: "threshold", value_fen: 3000, min_spend_fen: 19900, valid_days: 30 }) {
  const created = await world.api("POST", "/v1/admin/campaigns", {
    token: marketing,
    now: NOW,
    body: {
      id: campaignId, name: `活动 ${campaignId}`, kind: "coupon",
      starts_at: "2026-06-03T12:00:00Z", ends_at: "2026-06-04T12:00:00Z",
      stock: 100, coupon, limits: { per_member: 5 }, rules_text: "满199减30",
    },
  });
  assert.equal(created.status, 201);
  const claimed = await world.api("POST", `/v1/campaigns/${campaignId}/claims`, { token: memberToken(member), now: NOW });
  assert.equal(claimed.status, 201);
  return claimed.json.coupon.coupon_id;
}
const wallet = async (member) => (await world.api("GET", "/v1/coupons", { token: memberToken(member), now: LATER })).json.coupons;

test("an order is stored, answered 202, forwarded once, and replayed by its Idempotency-Key", async () => {
  const body = { store_id: "store-1", fulfilment: "pickup", lines: otcCart };
  const placed = await place("ord-basic", body, { key: "order-key-1" });
  assert.equal(placed.status, 202);
  assert.deepEqual(
    [placed.json.status, placed.json.subtotal_fen, placed.json.discount_fen, placed.json.payable_fen],
    ["accepted", 31000, 0, 31000],
  );
  const replay = await place("ord-basic", body, { key: "order-key-1" });
  assert.deepEqual([replay.status, replay.json], [202, placed.json], "same key, same body: the first answer");
  const reused = await place("ord-basic", { ...body, store_id: "store-2" }, { key: "order-key-1" });
  assert.deepEqual([reused.status, reused.json.code], [422, "idempotency_key_reused"]);
  // The same key from another member is another order.
  const otherMember = await place("ord-basic-2", body, { key: "order-key-1" });
  assert.equal(otherMember.status, 202);
  assert.notEqual(otherMember.json.order_id, placed.json.order_id);

  await world.waitFor(() => orderDeliveries("ord-basic").length === 2, { what: "orders at the core" });
  const [delivery] = orderDeliveries("ord-basic").filter((d) => d.key === placed.json.order_id);
  validateSchema("OrderDelivery", delivery.body);
  assert.deepEqual([delivery.body.store_id, delivery.body.payable_fen, delivery.body.lines.length], ["store-1", 31000, 2]);
  await world.waitFor(async () => (await order("ord-basic", placed.json.order_id)).json.status === "forwarded", { what: "forwarded" });
  // Forwarded once: the replayed request sent nothing more, and no key was attempted twice.
  const attempts = assertEachKeyOnce(world.stub, orderAttempts("ord-basic"), "ord-basic orders");
  assert.deepEqual(attempts.map((a) => a.key).sort(), [placed.json.order_id, otherMember.json.order_id].sort());

  assert.equal((await coreEvent("order.confirmed", { order_id: placed.json.order_id })).status, 200);
  const confirmed = await order("ord-basic", placed.json.order_id);
  assert.deepEqual([confirmed.status, confirmed.json.status, confirmed.json.payable_fen], [200, "confirmed", 31000]);
  const foreign = await order("ord-intruder", placed.json.order_id);
  assert.deepEqual([foreign.status, foreign.json.code], [404, "order_not_found"], "another member's order is not found");
  const unknown = await order("ord-basic", "ord_nope");
  assert.deepEqual([unknown.status, unknown.json.code], [404, "order_not_found"]);
});

test("compliance first: special drugs are refused, Rx needs a prescription, bad bodies are 400", async () => {
  const special = await place("ord-comp", { store_id: "s1", fulfilment: "delivery", lines: [line("otc"), line("sp")] });
  assert.deepEqual([special.status, special.json.code], [422, "restricted_drug"]);
  assert.match(special.json.detail, /lines\[1\]/);
  await approve("ord-comp", "rx-123", [{ sku: "rx", qty: 1 }]);
  const rx = await place("ord-comp", { store_id: "s1", fulfilment: "pickup", lines: [line("rx")] });
  assert.deepEqual([rx.status, rx.json.code], [422, "prescription_required"]);
  const withRx = await place("ord-comp", { store_id: "s1", fulfilment: "pickup", lines: [line("rx")], prescription_id: "rx-123" });
  assert.equal(withRx.status, 202);
  for (const [body, field] of [
    [{ store_id: "s1", fulfilment: "drone", lines: otcCart }, /fulfilment/],
    [{ store_id: "s1", fulfilment: "pickup", lines: [] }, /lines/],
    [{ store_id: "s 1", fulfilment: "pickup", lines: otcCart }, /store_id/],
    [{ store_id: "s1", fulfilment: "pickup", lines: [{ ...line("x"), qty: "2" }] }, /qty/],
    [{ store_id: "s1", fulfilment: "pickup", lines: [{ ...line("x"), qty: 0 }] }, /qty/],
    [{ store_id: "s1", fulfilment: "pickup", lines: otcCart, coupon_id: "'; DROP TABLE coupons;--" }, /coupon_id/],
    [{ store_id: "s1", fulfilment: "pickup", lines: otcCart, extra: 1 }, /extra/],
  ]) {
    const refused = await place("ord-comp", body);
    assert.deepEqual([refused.status, refused.json.code], [400, "invalid_request"], JSON.stringify(body));
    assert.match(refused.json.detail, field);
  }
  const malformed = await world.api("POST", "/v1/orders", { token: memberToken("ord-comp"), raw: "{\"store_id\":", headers: { "content-type": "application/json" } });
  assert.deepEqual([malformed.status, malformed.json.code], [400, "invalid_request"]);
  const noAuth = await world.api("POST", "/v1/orders", { body: { store_id: "s1", fulfilment: "pickup", lines: otcCart } });
  assert.equal(noAuth.status, 401);
});

test("a coupon is locked with the order, applies to eligible lines only, and is released once on rejection", async () => {
  const member = "ord-coupon";
  const couponId = await couponFor(member, "cmp-ord-lock");
  await approve(member, "rx-9", [{ sku: "rx-1", qty: 1 }]);
  const cart = [...otcCart, line("rx-1")];
  const placed = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: cart, coupon_id: couponId, prescription_id: "rx-9" });
  assert.equal(placed.status, 202);
  assert.deepEqual([placed.json.subtotal_fen, placed.json.discount_fen, placed.json.payable_fen, placed.json.coupon_id], [81000, 3000, 78000, couponId]);
  assert.equal((await wallet(member)).find((c) => c.coupon_id === couponId).status, "locked");
  const again = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: otcCart, coupon_id: couponId });
  assert.deepEqual([again.status, again.json.code], [409, "coupon_unavailable"], "a locked coupon cannot be used twice");
  const notMine = await place("ord-coupon-thief", { store_id: "store-1", fulfilment: "pickup", lines: otcCart, coupon_id: couponId });
  assert.deepEqual([notMine.status, notMine.json.code], [409, "coupon_unavailable"]);

  // Rejected 20 times over (and cancelled too): the coupon comes back exactly once.
  await concurrently(20, (i) => coreEvent(i % 2 ? "order.rejected" : "order.cancelled", { order_id: placed.json.order_id, reason: "out of stock" }));
  await world.waitFor(async () => (await wallet(member)).find((c) => c.coupon_id === couponId).status === "available", { what: "coupon released" });
  const rejected = await order(member, placed.json.order_id);
  assert.ok(["rejected", "cancelled"].includes(rejected.json.status));
  assert.equal(rejected.json.reason, "out of stock");
  const coupons = await wallet(member);
  assert.equal(coupons.filter((c) => c.coupon_id === couponId).length, 1);

  // Usable again, but not on a cart it cannot discount.
  const rxOnly = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: [line("rx-1")], coupon_id: couponId, prescription_id: "rx-9" });
  assert.deepEqual([rxOnly.status, rxOnly.json.code], [422, "coupon_not_applicable"]);
  const small = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: [line("otc-small")], coupon_id: couponId });
  assert.deepEqual([small.status, small.json.code], [422, "coupon_not_applicable"]);
  assert.equal((await wallet(member)).find((c) => c.coupon_id === couponId).status, "available", "a refused order locks nothing");
  const reused = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: otcCart, coupon_id: couponId });
  assert.deepEqual([reused.status, reused.json.discount_fen], [202, 3000]);
});

test("concurrent paid and cancelled events: the coupon is redeemed once and never released after", async () => {
  const member = "ord-race";
  const couponId = await couponFor(member, "cmp-ord-race");
  const placed = await place(member, { store_id: "store-1", fulfilment: "delivery", lines: otcCart, coupon_id: couponId });
  assert.equal(placed.status, 202);
  const orderId = placed.json.order_id;
  const paid = { order_id: orderId, member_id: member, paid_at: LATER, amount_fen: placed.json.payable_fen, insurance_fen: 0, lines: paidLines(placed.json.lines), coupon_id: couponId, first_order: true };
  const responses = await concurrently(40, (i) => (i % 2 ? coreEvent("order.paid", paid) : coreEvent("order.cancelled", { order_id: orderId })));
  assert.ok(responses.every((r) => r.status === 200));
  // Let the cancellation's release (through the order's outbox) arrive.
  await new Promise((r) => setTimeout(r, 1500));
  const coupons = (await wallet(member)).filter((c) => c.coupon_id === couponId);
  assert.deepEqual(coupons.map((c) => c.status), ["redeemed"], "one coupon, redeemed, whatever the interleaving");
  const ledger = (await world.api("GET", "/v1/points/ledger", { token: memberToken(member) })).json.entries;
  assert.equal(ledger.filter((e) => e.source === "order").length, 1, "points awarded once");
  // ...and the core heard of the order once and of its award once.
  await world.waitFor(() => world.stub.deliveries("points.awarded").some((d) => d.body.data.member_id === member), { what: "points.awarded" });
  await new Promise((r) => setTimeout(r, 500));
  const awards = assertEachKeyOnce(world.stub, (a) => a.type === "points.awarded" && a.body.data.member_id === member, "ord-race awards");
  assert.deepEqual(awards.map((a) => a.body.data.source_id), [orderId]);
  assert.equal(assertEachKeyOnce(world.stub, orderAttempts(member), "ord-race order").length, 1);
});

test("core down while 200 orders are placed, runtime restarted mid-way: every order arrives exactly once", async () => {
  world.stub.setMode("fail", 503);
  const members = Array.from({ length: 200 }, (_, i) => `ord-outage-${i}`);
  const first = await concurrently(100, (i) => place(members[i], { store_id: "store-9", fulfilment: "delivery", lines: otcCart }, { key: `outage-${i}` }));
  assert.ok(first.every((r) => r.status === 202), JSON.stringify(countBy(first, (r) => r.status)));
  await world.restart();
  const second = await concurrently(100, (i) => place(members[100 + i], { store_id: "store-9", fulfilment: "delivery", lines: otcCart }, { key: `outage-${100 + i}` }));
  assert.ok(second.every((r) => r.status === 202), JSON.stringify(countBy(second, (r) => r.status)));
  await world.waitFor(() => world.stub.stats().attempts >= 300, { what: "retries against the failing core" });
  assert.equal(orderDeliveries("ord-outage-").length, 0);
  world.stub.setMode("ok");
  await world.waitFor(() => orderDeliveries("ord-outage-").length === 200, { timeoutMs: 60000, what: "all 200 orders delivered" });
  await new Promise((r) => setTimeout(r, 1500));
  const delivered = orderDeliveries("ord-outage-");
  assert.equal(delivered.length, 200);
  const expected = new Set([...first, ...second].map((r) => r.json.order_id));
  assert.deepEqual(new Set(delivered.map((d) => d.key)), expected, "each accepted order, keyed by its id");
  delivered.forEach((d) => validateSchema("OrderDelivery", d.body));
  // Retried while the core failed, then accepted once each and never sent again after that
  // (none was in flight at the restart: the core refused everything until after it).
  assert.equal(assertSettledOnce(world.stub, orderAttempts("ord-outage-"), "outage orders").size, 200);
});

test("a permanent 400 from the core lands in dead letters and replays once the core is fixed", async () => {
  const admin = staffToken("ops-1", "admin");
  world.stub.setMode("fail", 400);
  const placed = await place("ord-dead", { store_id: "store-1", fulfilment: "delivery", lines: otcCart });
  assert.equal(placed.status, 202);
  let letter;
  await world.waitFor(async () => {
    const dead = await world.api("GET", "/v1/admin/outbox/dead", { token: admin });
    letter = dead.json.deliveries.find((d) => d.key === placed.json.order_id);
    return Boolean(letter);
  }, { what: "the dead letter" });
  assert.deepEqual([letter.kind, letter.attempts], ["order", 1], "a permanent refusal is not retried");
  assert.match(letter.last_error, /400/);
  const clerk = await world.api("GET", "/v1/admin/outbox/dead", { token: staffToken("c1", "clerk", "store-1") });
  assert.deepEqual([clerk.status, clerk.json.code], [403, "forbidden"]);
  world.stub.setMode("ok");
  assert.equal(orderDeliveries("ord-dead").length, 0);
  const replayed = await world.api("POST", `/v1/admin/outbox/dead/${letter.id}/replay`, { token: admin });
  assert.equal(replayed.status, 202);
  await world.waitFor(() => orderDeliveries("ord-dead").length === 1, { what: "the replayed order" });
  await new Promise((r) => setTimeout(r, 500));
  // Refused once (not retried), then accepted once after the replay.
  const tries = world.stub.attempts({ key: placed.json.order_id });
  assert.deepEqual(tries.map((a) => a.status), [400, 200]);
  const after = await world.api("GET", "/v1/admin/outbox/dead", { token: admin });
  assert.equal(after.json.deliveries.filter((d) => d.key === placed.json.order_id).length, 0);
  const unknown = await world.api("POST", "/v1/admin/outbox/dead/dl_nope/replay", { token: admin });
  assert.deepEqual([unknown.status, unknown.json.code], [404, "not_found"]);
});

test("a coupon discounts only its campaign's eligible classes, as the catalogue classes the lines", async () => {
  const member = "ord-classes";
  const couponId = await couponFor(member, "cmp-ord-health", { type: "fixed", value_fen: 1000, valid_days: 30, eligible_classes: ["health"] });
  const otcOnly = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: [line("otc-1")], coupon_id: couponId });
  assert.deepEqual([otcOnly.status, otcOnly.json.code], [422, "coupon_not_applicable"], "a health-only coupon on an OTC cart");
  const mixed = await place(member, { store_id: "store-1", fulfilment: "pickup", lines: [line("otc-1"), line("hlth-1")], coupon_id: couponId });
  assert.equal(mixed.status, 202, mixed.text);
  assert.deepEqual(mixed.json.lines.map((l) => [l.sku, l.discount_fen]), [["otc-1", 0], ["hlth-1", 1000]]);
});

test("order points follow the catalogue's class, not the class an order.paid event states", async () => {
  const member = "ord-points";
  // The core reports the Rx SKU as a health product: by the catalogue it earns nothing.
  const paid = await coreEvent("order.paid", {
    order_id: "o-points-1", member_id: member, paid_at: LATER, amount_fen: 30000, insurance_fen: 0, first_order: false,
    lines: [{ sku: "rx", name: "x", qty: 1, unit_price_fen: 30000, drug_class: "health" }],
  });
  assert.equal(paid.status, 200, paid.text);
  const me = await world.api("GET", "/v1/me", { token: memberToken(member), now: LATER });
  assert.equal(me.json.points.balance, 0, "an Rx line earns no points whatever the event says");
  // A SKU the catalogue does not know keeps the core's class: 300 yuan of health products earn 20.
  const unknown = await coreEvent("order.paid", {
    order_id: "o-points-2", member_id: member, paid_at: LATER, amount_fen: 30000, insurance_fen: 0, first_order: false,
    lines: [{ sku: "core-only-vc", name: "x", qty: 1, unit_price_fen: 30000, drug_class: "health" }],
  });
  assert.equal(unknown.status, 200, unknown.text);
  const after = await world.api("GET", "/v1/me", { token: memberToken(member), now: LATER });
  assert.equal(after.json.points.balance, 20);
});

test("a keyed order refused for good answers the same refusal to its key, even after the stop is lifted", async () => {
  const admin = staffToken("admin-ord", "admin");
  const setStatus = (status) => world.api("PATCH", "/v1/admin/catalog/x", { token: admin, body: { status, reason: "批号抽检" } });
  assert.equal((await setStatus("stopped")).status, 200);
  const body = { store_id: "store-1", fulfilment: "pickup", lines: [line("x")] };
  const first = await place("ord-refused", body, { key: "refused-key-1" });
  assert.deepEqual([first.status, first.json.code], [422, "sku_stopped"]);
  assert.equal((await setStatus("on_sale")).status, 200);
  const again = await place("ord-refused", body, { key: "refused-key-1" });
  assert.deepEqual([again.status, again.json], [422, first.json], "the key's first answer");
  const other = await place("ord-refused", { ...body, store_id: "store-2" }, { key: "refused-key-1" });
  assert.deepEqual([other.status, other.json.code], [422, "idempotency_key_reused"]);
  const fresh = await place("ord-refused", body, { key: "refused-key-2" });
  assert.equal(fresh.status, 202, "a new attempt takes a new key");
  // Without a key nothing is kept: the same body is simply placed.
  assert.equal((await place("ord-refused", body)).status, 202);
});
