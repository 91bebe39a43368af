// Review of issue 12's CPU changes against the real runtime: an order written once after the
// catalogue and the member answered, claims whose reservation lives in the member object's
// memory, check-in repeats answered from the day's row. Concurrency and retries, then the
// invariants: one order per key reaching the core once, coupons within the limits and one
// per key, one check-in per day with one balance.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken, concurrently, assertEachKeyOnce } from "./harness.mjs";

const world = useWorld({ catalog: [catalogItem("otc-r", "otc_b", 1500), catalogItem("hlth-r", "health", 800)] });
const NOW = "2026-06-03T12:30:00Z";
const marketing = staffToken("mkt-review", "marketing");

test("one key, many concurrent identical orders on a new object: one order, one answer, delivered once", async () => {
  const body = { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "otc-r", qty: 2 }] };
  const replies = await concurrently(8, () =>
    world.api("POST", "/v1/orders", { token: memberToken("rev-ord-1"), body, headers: { "idempotency-key": "rev-k1" }, now: NOW }));
  const statuses = replies.map((r) => r.status);
  assert.ok(statuses.every((s) => s === 202 || s === 409), JSON.stringify(statuses));
  const accepted = replies.filter((r) => r.status === 202);
  assert.ok(accepted.length >= 1);
  for (const r of accepted) assert.deepEqual(r.json, accepted[0].json, "every 202 is the first answer");
  const again = await world.api("POST", "/v1/orders", { token: memberToken("rev-ord-1"), body, headers: { "idempotency-key": "rev-k1" }, now: NOW });
  assert.deepEqual([again.status, again.json], [202, accepted[0].json]);
  const id = accepted[0].json.order_id;
  await world.waitFor(() => world.stub.deliveries().some((d) => d.path === "/orders" && d.body.order_id === id), { what: "the order at the core" });
  await new Promise((r) => setTimeout(r, 1500));
  const attempts = assertEachKeyOnce(world.stub, (a) => a.path === "/orders" && a.body?.order_id === id, "orders");
  assert.equal(attempts.length, 1, "one delivery of the order");
});

test("one key, concurrent orders with different bodies: one accepted body, the rest refused as a reuse", async () => {
  const bodies = [1, 2, 3, 4, 5, 6].map((qty) => ({ store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "hlth-r", qty }] }));
  const replies = await concurrently(bodies.length, (i) =>
    world.api("POST", "/v1/orders", { token: memberToken("rev-ord-2"), body: bodies[i], headers: { "idempotency-key": "rev-k2" }, now: NOW }));
  const accepted = replies.filter((r) => r.status === 202);
  const ids = new Set(accepted.map((r) => JSON.stringify(r.json)));
  assert.equal(ids.size, 1, `one accepted answer: ${replies.map((r) => r.status)}`);
  for (const r of replies.filter((r) => r.status !== 202)) assert.ok([409, 422].includes(r.status), r.text);
  assert.ok(replies.some((r) => r.status === 422 && r.json.code === "idempotency_key_reused"));
  const id = accepted[0].json.order_id;
  await world.waitFor(() => world.stub.deliveries().some((d) => d.path === "/orders" && d.body.order_id === id), { what: "the order at the core" });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(assertEachKeyOnce(world.stub, (a) => a.path === "/orders" && a.body?.order_id === id, "orders").length, 1);
});

test("concurrent claims of one member, keys new and repeated: within the limit, one coupon per key, stock exact", async () => {
  const id = "rev-flash";
  const created = await world.api("POST", "/v1/admin/campaigns", {
    token: marketing, now: NOW,
    body: {
      id, name: "评审秒杀", kind: "flash_sale", starts_at: "2026-06-03T12:00:00Z", ends_at: "2026-06-04T12:00:00Z",
      stock: 50, coupon: { type: "fixed", value_fen: 990, valid_days: 7 }, limits: { per_member: 3 }, rules_text: "限3张",
    },
  });
  assert.equal(created.status, 201, created.text);
  const keys = ["a", "b", "c", "d", "e", "a", "b", "c", "d", "e", "f", "g"];
  const claim = (key) => world.api("POST", `/v1/campaigns/${id}/claims`, { token: memberToken("rev-claim-1"), headers: { "idempotency-key": `rev-${key}` }, now: NOW });
  const replies = await concurrently(keys.length, (i) => claim(keys[i]));
  const byKey = {};
  replies.forEach((r, i) => (byKey[keys[i]] ??= []).push(r));
  const codes = replies.map((r) => r.json?.code ?? r.status);
  for (const r of replies) assert.ok([201, 409].includes(r.status), `${r.status} ${r.text}`);
  // Settle: every key asked again gets its one answer.
  const finals = {};
  for (const key of new Set(keys)) {
    const again = await claim(key);
    const twice = await claim(key);
    assert.deepEqual([twice.status, twice.json], [again.status, again.json], `key ${key} answers the same`);
    finals[key] = again;
    for (const first of byKey[key].filter((r) => r.status === 201)) assert.deepEqual(first.json, again.json, `key ${key}`);
  }
  const issued = Object.values(finals).filter((r) => r.status === 201).map((r) => r.json.coupon.coupon_id);
  assert.equal(new Set(issued).size, issued.length, "a coupon per key");
  assert.equal(issued.length, 3, `per_member 3 reached exactly: ${codes}`);
  const wallet = (await world.api("GET", "/v1/coupons", { token: memberToken("rev-claim-1"), now: NOW })).json.coupons;
  assert.deepEqual(wallet.map((c) => c.coupon_id).sort(), [...issued].sort(), "the wallet holds those coupons only");
  const stats = (await world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now: NOW })).json.stats;
  assert.deepEqual([stats.issued, stats.remaining], [3, 47], "the stock gave exactly the coupons issued");
});

test("concurrent check-ins of one member: one new check-in, every answer the same day and balance", async () => {
  const replies = await concurrently(10, () => world.api("POST", "/v1/checkins", { token: memberToken("rev-chk-1"), now: NOW }));
  assert.equal(replies.filter((r) => r.status === 201).length, 1, replies.map((r) => r.status).join());
  assert.ok(replies.every((r) => [200, 201].includes(r.status)));
  const shapes = new Set(replies.map((r) => JSON.stringify({ ...r.json, already_checked_in: undefined })));
  assert.equal(shapes.size, 1, [...shapes].join(" | "));
  const me = await world.api("GET", "/v1/me", { token: memberToken("rev-chk-1"), now: NOW });
  assert.equal(me.json.points.balance, replies[0].json.balance);
  assert.deepEqual(me.json.checkin, { streak: 1, checked_in_today: true });
});
