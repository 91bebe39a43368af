// Points exchange (积分兑换, issue 13) against the real runtime: a points_exchange campaign's
// claim spends cost_points for a coupon, both or neither. 100 concurrent exchanges of one member
// whose points cover 3 give exactly 3 coupons and 3 ledger spends; sold out leaves the points
// untouched; replays answer the same; the tier's monthly cap; expired points are not spendable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently, countBy, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";

const world = useWorld({ ratelimits: NO_MEMBER_WRITE_LIMIT });

const marketing = staffToken("mkt-ex", "marketing");
const NOW = "2026-07-01T04:00:00Z"; // 12:00 in Shanghai, inside every window below

function exchange(id, overrides = {}) {
  return {
    id,
    name: `积分兑换 ${id}`,
    kind: "points_exchange",
    cost_points: 5,
    starts_at: "2026-07-01T00:00:00Z",
    ends_at: "2026-07-31T00:00:00Z",
    stock: 50,
    coupon: { type: "fixed", value_fen: 500, valid_days: 30 },
    limits: { per_member: 100 },
    rules_text: "5积分兑换5元无门槛券",
    ...overrides,
  };
}
const create = (config) => world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, now: NOW });
const claim = (id, member, key, now = NOW) =>
  world.api("POST", `/v1/campaigns/${id}/claims`, { token: memberToken(member), headers: { "idempotency-key": key }, now });
const me = async (member, now = NOW) => (await world.api("GET", "/v1/me", { token: memberToken(member), now })).json;
const ledger = async (member, now = NOW) =>
  (await world.api("GET", "/v1/points/ledger?limit=200", { token: memberToken(member), now })).json.entries;
const admin = async (id) => (await world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now: NOW })).json;

let orderSeq = 0;
/** Points from the core, as a paid order of regular goods (1 point per 20 yuan). */
async function paid(member, amount_fen, now = NOW) {
  const order_id = `o-ex-${++orderSeq}`;
  const r = await world.coreEvent(
    {
      id: `evt-ex-${orderSeq}`,
      type: "order.paid",
      created_at: now,
      data: {
        order_id, member_id: member, paid_at: now, amount_fen, insurance_fen: 0, first_order: false,
        lines: [{ sku: "sku-vc", name: "维生素C", qty: 1, unit_price_fen: amount_fen, drug_class: "other" }],
      },
    },
    { now },
  );
  assert.equal(r.status, 200);
}

test("a points_exchange campaign needs cost_points, other kinds refuse it, and members see the price", async () => {
  const missing = await create(exchange("ex-missing", { cost_points: undefined }));
  assert.deepEqual([missing.status, missing.json.code], [422, "invalid_campaign"]);
  assert.match(missing.json.detail, /cost_points/);
  const zero = await create(exchange("ex-zero", { cost_points: 0 }));
  assert.deepEqual([zero.status, zero.json.code], [422, "invalid_campaign"]);
  assert.match(zero.json.detail, /cost_points: from 1/);
  const elsewhere = await create(exchange("ex-else", { kind: "coupon" }));
  assert.deepEqual([elsewhere.status, elsewhere.json.code], [422, "invalid_campaign"]);
  const created = await create(exchange("ex-view"));
  assert.equal(created.status, 201);
  assert.equal(created.json.cost_points, 5);
  const view = await world.api("GET", "/v1/campaigns/ex-view", { token: memberToken("ex-viewer"), now: NOW });
  assert.deepEqual([view.json.kind, view.json.cost_points], ["points_exchange", 5]);
});

test("100 concurrent exchanges by one member whose points cover 3: exactly 3 coupons and 3 spends", async () => {
  assert.equal((await create(exchange("ex-100"))).status, 201);
  const member = "ex-rush";
  await paid(member, 30_000); // 15 points: three exchanges of 5
  const start = (await me(member)).points.balance;
  assert.equal(start, 15);
  const responses = await concurrently(100, (n) => claim("ex-100", member, `ex-rush-${n}`).then((r) => ({ ...r, key: `ex-rush-${n}` })));
  assert.deepEqual(countBy(responses, (r) => r.status), { 201: 3, 409: 97 });
  for (const refused of responses.filter((r) => r.status === 409)) {
    assert.deepEqual([refused.json.code, refused.json.balance, refused.json.required], ["insufficient_points", 0, 5]);
  }
  const spends = (await ledger(member)).filter((e) => e.kind === "spend");
  assert.equal(spends.length, 3);
  for (const spend of spends) {
    assert.deepEqual([spend.amount, spend.source], [-5, "campaign"]);
    assert.ok(spend.source_id.startsWith("ex-100."), spend.source_id);
  }
  assert.equal((await me(member)).points.balance, start - 3 * 5);
  const coupons = (await world.api("GET", "/v1/coupons?status=available", { token: memberToken(member), now: NOW })).json.coupons;
  assert.equal(coupons.filter((c) => c.campaign_id === "ex-100").length, 3);
  const issued = responses.filter((r) => r.status === 201).map((r) => r.json.coupon.coupon_id).sort();
  assert.deepEqual(coupons.map((c) => c.coupon_id).sort(), issued);
  await world.waitFor(async () => (await admin("ex-100")).stats.claims_rejected.insufficient_points === 97, {
    what: "97 insufficient_points counted",
  });
  assert.deepEqual([(await admin("ex-100")).stats.issued, (await admin("ex-100")).stats.remaining], [3, 47]);

  // Replays answer what they first answered, and spend nothing more.
  const won = responses.find((r) => r.status === 201);
  const lost = responses.find((r) => r.status === 409);
  await paid(member, 10_000); // 5 more points: a refused key still answers its refusal
  const wonAgain = await claim("ex-100", member, won.key);
  assert.deepEqual([wonAgain.status, wonAgain.json], [201, won.json]);
  const lostAgain = await claim("ex-100", member, lost.key);
  assert.deepEqual([lostAgain.status, lostAgain.json], [409, lost.json]);
  assert.equal((await ledger(member)).filter((e) => e.kind === "spend").length, 3);
  assert.equal((await me(member)).points.balance, 5);
});

test("a sold-out exchange leaves the points untouched", async () => {
  assert.equal((await create(exchange("ex-one", { stock: 1 }))).status, 201);
  await paid("ex-first", 10_000);
  assert.equal((await claim("ex-one", "ex-first", "first-1")).status, 201);
  const member = "ex-late";
  await paid(member, 30_000);
  const before = { balance: (await me(member)).points.balance, ledger: await ledger(member) };
  const soldOut = await claim("ex-one", member, "late-1");
  assert.deepEqual([soldOut.status, soldOut.json.code], [409, "sold_out"]);
  assert.deepEqual({ balance: (await me(member)).points.balance, ledger: await ledger(member) }, before);
  const again = await claim("ex-one", member, "late-1");
  assert.deepEqual([again.status, again.json], [409, soldOut.json]);
  // Nothing stays held: a top-up, and the same points exchange under a new key.
  const etag = (await world.api("GET", "/v1/admin/campaigns/ex-one", { token: marketing, now: NOW })).headers.get("etag");
  const topUp = await world.api("PATCH", "/v1/admin/campaigns/ex-one", {
    token: marketing, body: { add_stock: 3 }, headers: { "if-match": etag }, now: NOW,
  });
  assert.equal(topUp.status, 200);
  for (const key of ["late-2", "late-3", "late-4"]) assert.equal((await claim("ex-one", member, key)).status, 201, key);
  assert.equal((await me(member)).points.balance, before.balance - 15);
});

test("the tier's monthly cap on the value exchanged: 50 yuan for a regular member, 200 for gold", async () => {
  assert.equal((await create(exchange("ex-cap", { cost_points: 1, coupon: { type: "fixed", value_fen: 3_000, valid_days: 30 } }))).status, 201);
  const regular = "ex-regular";
  await paid(regular, 10_000); // 5 points, 100 yuan spent: a regular member
  assert.equal((await me(regular)).tier.name, "member");
  assert.equal((await claim("ex-cap", regular, "cap-1")).status, 201);
  const capped = await claim("ex-cap", regular, "cap-2");
  assert.deepEqual(
    [capped.status, capped.json.code, capped.json.cap_fen, capped.json.used_fen],
    [409, "exchange_cap_reached", 5_000, 3_000],
  );
  assert.equal((await me(regular)).points.balance, 4, "a refusal spends nothing");
  assert.deepEqual((await claim("ex-cap", regular, "cap-2")).json, capped.json, "the key keeps its answer");
  // The next business month starts again (1 August, Shanghai).
  const august = "2026-07-31T16:00:00Z";
  assert.equal((await create(exchange("ex-cap-aug", {
    cost_points: 1, starts_at: "2026-07-31T00:00:00Z", ends_at: "2026-08-10T00:00:00Z",
    coupon: { type: "fixed", value_fen: 3_000, valid_days: 30 },
  }))).status, 201);
  assert.equal((await claim("ex-cap-aug", regular, "cap-aug-1", august)).status, 201);

  const gold = "ex-gold";
  await paid(gold, 300_000);
  assert.equal((await me(gold)).tier.name, "gold");
  for (const n of [1, 2, 3, 4, 5, 6]) assert.equal((await claim("ex-cap", gold, `gold-${n}`)).status, 201, `gold ${n}`);
  const goldCapped = await claim("ex-cap", gold, "gold-7");
  assert.deepEqual([goldCapped.json.code, goldCapped.json.cap_fen, goldCapped.json.used_fen], ["exchange_cap_reached", 20_000, 18_000]);
});

test("expired points are not spendable", async () => {
  assert.equal((await create(exchange("ex-expired"))).status, 201);
  const member = "ex-old-points";
  await paid(member, 30_000, "2026-03-01T04:00:00Z"); // 15 points, expired after 90 days
  const refused = await claim("ex-expired", member, "old-1");
  assert.deepEqual([refused.status, refused.json.code, refused.json.balance, refused.json.required], [409, "insufficient_points", 0, 5]);
  assert.equal((await me(member)).points.balance, 0);
});
