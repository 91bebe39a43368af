// Core events: signature, dedupe by event id, order points by class, tier spend, gold x2,
// refunds clawing points back (into debt when already spent).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, coreSignature, concurrently, countBy, nowSecs, SECRETS, assertEachKeyOnce } from "./harness.mjs";

const world = useWorld();

const line = (drug_class, qty, unit_price_fen) => ({ sku: `sku-${drug_class}`, name: "测试药品", qty, unit_price_fen, drug_class });
const paid = (id, member_id, order_id, amount_fen, lines, extra = {}) => ({
  id,
  type: "order.paid",
  created_at: "2026-03-01T02:00:00Z",
  data: { order_id, member_id, paid_at: "2026-03-01T02:00:00Z", amount_fen, insurance_fen: 0, lines, first_order: false, ...extra },
});
const me = (member) => world.api("GET", "/v1/me", { token: memberToken(member), now: "2026-03-02T00:00:00Z" });
const ledger = async (member) =>
  (await world.api("GET", "/v1/points/ledger?limit=200", { token: memberToken(member), now: "2026-03-02T00:00:00Z" })).json.entries;

test("order points by product class; Rx and insurance earn none", async () => {
  // OTC 60 yuan -> 4, health 90 yuan -> 6, regular 40 yuan -> 2, Rx 500 yuan -> 0; insurance covers the Rx.
  const lines = [line("otc_a", 2, 3_000), line("health", 1, 9_000), line("other", 1, 4_000), line("rx", 1, 50_000)];
  const r = await world.coreEvent(paid("evt-classes", "pts-classes", "o-classes", 69_000, lines, { insurance_fen: 50_000 }));
  assert.deepEqual([r.status, r.json], [200, { accepted: true, duplicate: false }]);
  const entries = await ledger("pts-classes");
  assert.deepEqual(entries.map((e) => [e.amount, e.kind, e.source, e.source_id]), [[12, "earn", "order", "o-classes"]]);
  const summary = (await me("pts-classes")).json;
  assert.equal(summary.points.balance, 12);
  // Tier spend is the member's own payment: 690 - 500 = 190 yuan, just below bronze.
  assert.deepEqual(summary.tier, { name: "member", spend_fen: 19_000, next: "bronze", to_next_fen: 900 });
});

test("the same order.paid delivered 20 times concurrently awards once", async () => {
  const event = paid("evt-dup", "pts-dup", "o-dup", 30_000, [line("other", 1, 30_000)]);
  const responses = await concurrently(20, () => world.coreEvent(event));
  assert.ok(responses.every((r) => r.status === 200));
  assert.deepEqual(countBy(responses, (r) => r.json.duplicate), { false: 1, true: 19 });
  // And the same order under another event id changes nothing either.
  await world.coreEvent({ ...event, id: "evt-dup-2" });
  const entries = await ledger("pts-dup");
  assert.deepEqual(entries.map((e) => e.amount), [15]);
  // The core hears of the award once: one key, one attempt.
  await world.waitFor(() => world.stub.deliveries("points.awarded").some((d) => d.body.data.member_id === "pts-dup"), { what: "points.awarded" });
  await new Promise((r) => setTimeout(r, 500));
  const awards = assertEachKeyOnce(world.stub, (a) => a.type === "points.awarded" && a.body.data.member_id === "pts-dup", "pts-dup awards");
  assert.deepEqual(awards.map((a) => [a.body.data.source, a.body.data.source_id, a.body.data.amount]), [["order", "o-dup", 15]]);
});

test("tiers from spend, and gold earns double", async () => {
  await world.coreEvent(paid("evt-gold-1", "pts-gold", "o-gold-1", 300_000, [line("other", 1, 300_000)]));
  let summary = (await me("pts-gold")).json;
  assert.equal(summary.tier.name, "gold");
  assert.equal(summary.points.balance, 150, "the order that makes gold earns at the old tier");
  await world.coreEvent(paid("evt-gold-2", "pts-gold", "o-gold-2", 4_000, [line("other", 1, 4_000)]));
  summary = (await me("pts-gold")).json;
  assert.equal(summary.points.balance, 150 + 4);
});

test("a refund claws the order's points back, and a debt when they were spent", async () => {
  const member = "pts-refund";
  await world.coreEvent(paid("evt-r-paid", member, "o-r", 20_000, [line("other", 1, 20_000)]));
  assert.equal((await me(member)).json.points.balance, 10);
  const refund = (id, amount_fen) =>
    world.coreEvent({ id, type: "order.refunded", created_at: "2026-03-01T03:00:00Z", data: { order_id: "o-r", member_id: member, amount_fen } });
  assert.equal((await refund("evt-r-1", 10_000)).status, 200);
  assert.equal((await me(member)).json.points.balance, 5);
  // the same refund event again: no second effect
  assert.equal((await refund("evt-r-1", 10_000)).json.duplicate, true);
  assert.equal((await me(member)).json.points.balance, 5);
  await refund("evt-r-2", 10_000);
  const summary = (await me(member)).json;
  assert.deepEqual([summary.points.balance, summary.points.debt, summary.tier.spend_fen], [0, 0, 0]);
  const claws = (await ledger(member)).filter((e) => e.kind === "clawback");
  assert.deepEqual(claws.map((e) => e.amount).sort(), [-5, -5]);

  // Spent points: the clawback beyond the balance becomes debt, settled from the next award.
  const spender = "pts-debt";
  await world.coreEvent(paid("evt-d-paid", spender, "o-d", 40_000, [line("other", 1, 40_000)])); // 20 points
  const token = memberToken(spender);
  await world.coreEvent({ id: "reg-debt", type: "member.registered", created_at: "2026-03-01T00:00:00Z",
    data: { member_id: spender, registered_at: "2026-03-01T00:00:00Z", real_name_verified: true } });
  for (const day of ["04", "05"]) await world.api("POST", "/v1/checkins", { token, now: `2026-03-${day}T04:00:00Z` });
  const makeup = await world.api("POST", "/v1/checkins/makeup", { token, now: "2026-03-05T04:00:00Z", body: { date: "2026-03-03" } });
  assert.equal(makeup.status, 201); // 20 + 10 - 20 = 10 left
  await world.coreEvent({ id: "evt-d-refund", type: "order.refunded", created_at: "2026-03-05T05:00:00Z",
    data: { order_id: "o-d", member_id: spender, amount_fen: 40_000 } });
  let summary2 = (await world.api("GET", "/v1/me", { token, now: "2026-03-05T06:00:00Z" })).json;
  assert.deepEqual([summary2.points.balance, summary2.points.debt], [0, 10]);
  await world.api("POST", "/v1/checkins", { token, now: "2026-03-06T04:00:00Z" }); // streak 4: 5 points
  summary2 = (await world.api("GET", "/v1/me", { token, now: "2026-03-06T06:00:00Z" })).json;
  assert.deepEqual([summary2.points.balance, summary2.points.debt], [0, 5]);
});

test("signatures: missing, forged, stale (replayed), tampered, wrong secret", async () => {
  const event = { id: "evt-sig", type: "member.verified", created_at: "2026-03-01T00:00:00Z", data: { member_id: "pts-sig" } };
  const raw = JSON.stringify(event);
  const cases = [
    ["missing", undefined],
    ["forged", `t=${nowSecs()},v1=${"ab".repeat(32)}`],
    // Margins of 30 s past the 300 s tolerance: the runtime's clock is read a moment after ours and
    // both truncate to seconds, so an exact boundary here would be flaky (the boundary itself is
    // tested natively in tests/http_security.rs).
    ["stale", coreSignature(raw, SECRETS.CORE_SIGNING_SECRET, nowSecs() - 330)],
    ["future", coreSignature(raw, SECRETS.CORE_SIGNING_SECRET, nowSecs() + 330)],
    ["wrong secret", coreSignature(raw, "not-the-core-secret-at-all-000000")],
    ["tampered", coreSignature(JSON.stringify({ ...event, id: "evt-other" }))],
    ["garbage", "hello"],
  ];
  for (const [what, signature] of cases) {
    const headers = { "content-type": "application/json" };
    if (signature) headers["core-signature"] = signature;
    const r = await world.api("POST", "/v1/core/events", { raw, headers });
    assert.deepEqual([r.status, r.json.code], [401, "invalid_signature"], what);
  }
  // Several v1 entries (rotation): one valid is enough.
  const valid = coreSignature(raw);
  const rotated = `${valid},v1=${"cd".repeat(32)}`;
  const ok = await world.api("POST", "/v1/core/events", { raw, headers: { "content-type": "application/json", "core-signature": rotated } });
  assert.equal(ok.status, 200);
});

test("unknown event types are 422; invalid data is 400 naming the field", async () => {
  const unknown = await world.coreEvent({ id: "evt-unknown", type: "member.exploded", created_at: "2026-03-01T00:00:00Z", data: {} });
  assert.deepEqual([unknown.status, unknown.json.code], [422, "unknown_event"]);
  const cases = [
    [{ id: "evt-bad-1", type: "order.paid", created_at: "2026-03-01T00:00:00Z", data: { order_id: "o" } }, "member_id"],
    [paid("evt-bad-2", "m", "o", "100", [line("other", 1, 100)]), "amount_fen"],
    [paid("evt-bad-3", "m", "o", 100, [{ ...line("other", 1, 100), qty: "one" }]), "lines[0].qty"],
    [paid("evt-bad-4", "m", "o", 100, [line("gummy", 1, 100)]), "lines[0].drug_class"],
    [paid("evt-bad-5", "m", "o", 100, [line("other", 0, 100)]), "lines[0].qty"],
    [paid("evt-bad-6", "m", "o", -1, [line("other", 1, 100)]), "amount_fen"],
    [paid("evt-bad-7", "会员", "o", 100, [line("other", 1, 100)]), "member_id"],
    [paid("evt-bad-8", "m' OR 1=1 --", "o", 100, [line("other", 1, 100)]), "member_id"],
    [{ id: "evt bad", type: "member.verified", created_at: "2026-03-01T00:00:00Z", data: { member_id: "m" } }, "id"],
    [{ id: "evt-bad-9", type: "member.verified", created_at: "yesterday", data: { member_id: "m" } }, "created_at"],
  ];
  for (const [event, field] of cases) {
    const r = await world.coreEvent(event);
    assert.equal(r.status, 400, `${event.id}: ${r.text}`);
    assert.equal(r.json.code, "invalid_request");
    assert.ok(r.json.detail.includes(field), `${event.id}: detail ${r.json.detail} names ${field}`);
  }
});

test("points are spent oldest lot first, end to end, and expiry takes only what is left of each lot", async () => {
  // Lots: A 30 points (order, 5 Jan), D 30 (order, 15 Jan), B 5 and C 5 (check-ins, 20 and 21 Jan).
  // Two make-ups (20 each) on 21 Jan: oldest first takes A 20, then A 10 + D 10. Newest first would
  // have left A whole (C 5, B 5, D 10, then D 20).
  const member = "pts-oldest";
  const token = memberToken(member);
  const at = (date) => `${date}T04:00:00Z`; // noon in the business zone
  const reg = await world.coreEvent({ id: "reg-oldest", type: "member.registered", created_at: at("2026-01-01"),
    data: { member_id: member, registered_at: at("2026-01-01"), real_name_verified: true } }, { now: at("2026-01-01") });
  assert.equal(reg.status, 200);
  for (const [id, date] of [["o-oldest-a", "2026-01-05"], ["o-oldest-d", "2026-01-15"]]) {
    const event = { ...paid(`evt-${id}`, member, id, 60_000, [line("other", 1, 60_000)]), created_at: at(date) };
    event.data.paid_at = at(date);
    assert.equal((await world.coreEvent(event, { now: at(date) })).status, 200);
  }
  for (const date of ["2026-01-20", "2026-01-21"]) assert.equal((await world.api("POST", "/v1/checkins", { token, now: at(date) })).status, 201);
  const lots = (await ledger(member)).filter((e) => e.kind === "earn").map((e) => [e.source, e.amount, e.expires_at]).sort((x, y) => x[2].localeCompare(y[2]));
  assert.deepEqual(lots, [
    ["order", 30, "2026-04-05T04:00:00Z"],
    ["order", 30, "2026-04-15T04:00:00Z"],
    ["checkin", 5, "2026-04-20T04:00:00Z"],
    ["checkin", 5, "2026-04-21T04:00:00Z"],
  ]);
  const view = async (now) => (await world.api("GET", "/v1/me", { token, now })).json.points;

  const makeup = (date) => world.api("POST", "/v1/checkins/makeup", { token, now: at("2026-01-21"), body: { date } });
  assert.deepEqual([(await makeup("2026-01-10")).status, (await view(at("2026-01-21"))).balance], [201, 50]);
  // Thirty days before A expires, `expiring` shows what is left of A: 10 of its 30.
  assert.deepEqual((await view("2026-03-07T00:00:00Z")).expiring, [{ amount: 10, expires_at: "2026-04-05T04:00:00Z" }]);
  assert.deepEqual([(await makeup("2026-01-11")).status, (await view(at("2026-01-21"))).balance], [201, 30]);
  // A is used up; D keeps 20, B and C are whole.
  const points = await view("2026-04-01T00:00:00Z");
  assert.deepEqual([points.balance, points.expiring], [30, [
    { amount: 20, expires_at: "2026-04-15T04:00:00Z" },
    { amount: 5, expires_at: "2026-04-20T04:00:00Z" },
    { amount: 5, expires_at: "2026-04-21T04:00:00Z" },
  ]]);
  const spends = (await ledger(member)).filter((e) => e.kind === "spend").map((e) => [e.amount, e.source, e.source_id]).sort();
  assert.deepEqual(spends, [[-20, "makeup", "2026-01-10"], [-20, "makeup", "2026-01-11"]]);

  // A's expiry takes nothing (nothing left of it); D's takes exactly its 20; then B's 5 and C's 5.
  assert.equal((await view("2026-04-05T04:00:00Z")).balance, 30);
  assert.equal((await view("2026-04-15T03:59:59Z")).balance, 30);
  assert.equal((await view("2026-04-15T04:00:00Z")).balance, 10);
  const expiriesAfterD = (await world.api("GET", "/v1/points/ledger?limit=200", { token, now: "2026-04-15T04:00:00Z" })).json.entries.filter((e) => e.kind === "expire");
  assert.deepEqual(expiriesAfterD.map((e) => [e.amount, e.source]), [[-20, "expiry"]], "only what was left of D expired");
  assert.equal((await view("2026-04-21T04:00:00Z")).balance, 0);
  const all = (await world.api("GET", "/v1/points/ledger?limit=200", { token, now: "2026-04-21T04:00:00Z" })).json.entries;
  assert.deepEqual(all.filter((e) => e.kind === "expire").map((e) => e.amount).sort(), [-20, -5, -5]);
  assert.equal(all.reduce((sum, e) => sum + e.amount, 0), 0, "the balance is the ledger's sum");
});
