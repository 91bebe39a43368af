// The outside attack of session 12, through the runtime: an operator's campaign whose coupons
// would be dead on issue, a campaign ended by its clock taking status changes, and another
// store's clerks spending an order's typed-code budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken } from "./harness.mjs";

const world = useWorld({ catalog: [catalogItem("otc-1", "otc_b", 1500)] });
const marketing = staffToken("mkt-s12", "marketing");
const NOW = "2026-06-03T12:30:00Z";

const campaign = (id, overrides = {}) => ({
  id, name: `活动 ${id}`, kind: "flash_sale", starts_at: "2026-06-03T12:00:00Z", ends_at: "2026-06-03T14:00:00Z", stock: 10,
  coupon: { type: "fixed", value_fen: 500, valid_days: 30 }, limits: { per_member: 1 }, rules_text: "每人限领1张", ...overrides,
});
const create = (config) => world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, now: NOW });
let patches = 0;
const patch = (id, body, now) =>
  world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body, now, headers: { "idempotency-key": `s12-patch-${++patches}` } });

test("a coupon whose fixed end falls before the campaign's end is refused, and so is an extension past it", async () => {
  const dead = await create(campaign("s12-dead", { coupon: { type: "fixed", value_fen: 500, valid_until: "2026-06-03T12:29:59Z" } }));
  assert.deepEqual([dead.status, dead.json.code], [422, "invalid_campaign"], dead.text);
  assert.match(dead.json.detail, /valid_until/);
  const fixed = await create(campaign("s12-fixed", { coupon: { type: "fixed", value_fen: 500, valid_until: "2026-06-03T15:00:00Z" } }));
  assert.equal(fixed.status, 201, fixed.text);
  const past = await patch("s12-fixed", { ends_at: "2026-06-03T15:00:01Z" }, NOW);
  assert.deepEqual([past.status, past.json.code], [422, "invalid_campaign"], past.text);
  assert.equal((await patch("s12-fixed", { ends_at: "2026-06-03T15:00:00Z" }, NOW)).status, 200);
});

test("a campaign past its ends_at changes only by an extension", async () => {
  assert.equal((await create(campaign("s12-clock"))).status, 201);
  const after = "2026-06-03T14:00:01Z";
  for (const body of [{ status: "active" }, { status: "paused" }, { add_stock: 5 }]) {
    const refused = await patch("s12-clock", body, after);
    assert.deepEqual([refused.status, refused.json.code], [409, "invalid_transition"], `${JSON.stringify(body)}: ${refused.text}`);
  }
  const extended = await patch("s12-clock", { ends_at: "2026-06-03T16:00:00Z", status: "paused" }, after);
  assert.equal(extended.status, 200, extended.text);
  assert.equal(extended.json.status, "paused");
  assert.deepEqual([extended.json.stock, extended.json.revision], [10, 2], `the refused changes changed nothing: ${extended.text}`);
});

test("another store's wrong typed codes leave the order's own store its typed code", async () => {
  const member = "s12-cross-store";
  const placed = await world.api("POST", "/v1/orders", {
    token: memberToken(member), body: { store_id: "store-s12a", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 1 }] },
  });
  assert.equal(placed.status, 202, placed.text);
  const orderId = placed.json.order_id;
  const event = (type, data) => world.coreEvent({ id: `evt-s12x-${type}`, type, created_at: new Date().toISOString(), data });
  assert.equal((await event("order.confirmed", { order_id: orderId })).status, 200);
  const lines = placed.json.lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
  const ready = await event("order.ready_for_pickup", { order_id: orderId, member_id: member, store_id: "store-s12a", lines, ready_at: new Date().toISOString() });
  assert.equal(ready.status, 200);
  const verify = (store, staff, short_code) =>
    world.api("POST", "/v1/store/pickups/verify", { token: staffToken(staff, "clerk", store), body: { order_id: orderId, short_code } });
  // Five clerks of another store, two wrong codes each: refused, and throttled by their own store only.
  const elsewhere = [];
  for (let clerk = 0; clerk < 5; clerk++) for (const guess of ["000000", "000001"]) elsewhere.push((await verify("store-s12b", `b-${clerk}`, guess)).status);
  assert.ok(elsewhere.every((status) => status === 422 || status === 429), elsewhere.join(","));
  const shown = await world.api("GET", `/v1/pickups/${orderId}/code`, { token: memberToken(member) });
  const verified = await verify("store-s12a", "a-1", shown.json.short_code);
  assert.equal(verified.status, 200, verified.text);
});
