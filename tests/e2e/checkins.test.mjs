// Check-in, streaks, make-ups and points expiry against the real runtime.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, concurrently, countBy, assertEachKeyOnce, attemptsOf, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";

const world = useWorld({ ratelimits: NO_MEMBER_WRITE_LIMIT });

const checkin = (token, now) => world.api("POST", "/v1/checkins", { token, now });
const ledger = async (token, now) => (await world.api("GET", "/v1/points/ledger?limit=200", { token, now })).json.entries;
// Business day D at noon in UTC+08:00 is D at 04:00Z.
const noon = (date) => `${date}T04:00:00Z`;

test("a repeated check-in the same day answers 200 with the same day's result", async () => {
  const token = memberToken("chk-repeat");
  const first = await checkin(token, noon("2026-04-01"));
  assert.equal(first.status, 201);
  assert.deepEqual(
    { date: first.json.date, streak: first.json.streak, points: first.json.points_awarded, already: first.json.already_checked_in },
    { date: "2026-04-01", streak: 1, points: 5, already: false },
  );
  const again = await checkin(token, "2026-04-01T15:59:59Z");
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { ...first.json, already_checked_in: true });
});

test("200 concurrent check-ins of one member on one day: one 201, one award", async () => {
  const token = memberToken("chk-concurrent");
  const now = noon("2026-04-02");
  const responses = await concurrently(200, () => checkin(token, now));
  assert.deepEqual(countBy(responses, (r) => r.status), { 200: 199, 201: 1 });
  assert.ok(responses.filter((r) => r.status === 200).every((r) => r.json.already_checked_in === true));
  const entries = await ledger(token, now);
  assert.equal(entries.filter((e) => e.source === "checkin").length, 1);
  assert.equal(entries[0].amount, 5);
  const me = await world.api("GET", "/v1/me", { token, now });
  assert.equal(me.json.points.balance, 5);
  // The core hears one check-in and one award, each attempted once (the core never failed).
  const ofMember = (a) => a.body?.data?.member_id === "chk-concurrent";
  await world.waitFor(() => world.stub.deliveries().filter((d) => d.body?.data?.member_id === "chk-concurrent").length === 2, { what: "the check-in events" });
  await new Promise((r) => setTimeout(r, 500));
  const attempts = assertEachKeyOnce(world.stub, ofMember, "chk-concurrent events");
  assert.deepEqual(attempts.map((a) => a.type).sort(), ["checkin.recorded", "points.awarded"]);
});

test("the business day turns at 16:00:00Z", async () => {
  const token = memberToken("chk-boundary");
  const late = await checkin(token, "2026-04-03T15:59:59Z");
  const next = await checkin(token, "2026-04-03T16:00:00Z");
  assert.deepEqual([late.status, late.json.date], [201, "2026-04-03"]);
  assert.deepEqual([next.status, next.json.date, next.json.streak], [201, "2026-04-04", 2]);
});

test("streak bonuses on day 3 and 7, the cycle restarting on day 8", async () => {
  const token = memberToken("chk-streak");
  const results = [];
  for (let day = 1; day <= 8; day++) {
    const r = await checkin(token, noon(`2026-05-0${day}`));
    assert.equal(r.status, 201);
    results.push([r.json.streak, r.json.cycle_day, r.json.bonus_points]);
  }
  assert.deepEqual(results, [
    [1, 1, 0], [2, 2, 0], [3, 3, 10], [4, 4, 0], [5, 5, 0], [6, 6, 0], [7, 7, 30], [8, 1, 0],
  ]);
  const me = await world.api("GET", "/v1/me", { token, now: noon("2026-05-08") });
  assert.equal(me.json.points.balance, 8 * 5 + 10 + 30);
  assert.deepEqual(me.json.checkin, { streak: 8, checked_in_today: true });
  const month = await world.api("GET", "/v1/checkins?month=2026-05", { token, now: noon("2026-05-08") });
  assert.equal(month.json.days.length, 8);
  assert.equal(month.json.streak, 8);
});

async function registered(memberId, registeredAt) {
  const r = await world.coreEvent({
    id: `reg-${memberId}`,
    type: "member.registered",
    created_at: registeredAt,
    data: { member_id: memberId, registered_at: registeredAt, real_name_verified: false },
  });
  assert.equal(r.status, 200);
}

test("make-up check-in: rules, cost, repaired streak", async () => {
  const id = "chk-makeup";
  const token = memberToken(id);
  await registered(id, "2026-06-02T02:00:00Z");
  // Earn points on 2..8 June except the 5th: 6 check-ins.
  for (const day of ["02", "03", "04", "06", "07", "08"]) {
    assert.equal((await checkin(token, noon(`2026-06-${day}`))).status, 201);
  }
  const now = noon("2026-06-08");
  const makeup = (date, at = now) => world.api("POST", "/v1/checkins/makeup", { token, now: at, body: { date } });

  const refusals = [
    ["2026-06-08", 422, "makeup_not_allowed", "not_in_past"],
    ["2026-06-09", 422, "makeup_not_allowed", "not_in_past"],
    ["2026-05-31", 422, "makeup_not_allowed", "other_month"],
    ["2026-06-01", 422, "makeup_not_allowed", "before_registration"],
    ["2026-06-04", 409, "already_checked_in", undefined],
  ];
  for (const [date, status, code, reason] of refusals) {
    const r = await makeup(date);
    assert.deepEqual([r.status, r.json.code, r.json.reason], [status, code, reason], date);
  }

  const balanceBefore = (await world.api("GET", "/v1/me", { token, now })).json.points.balance;
  assert.equal((await world.api("GET", "/v1/checkins", { token, now })).json.streak, 3);
  const made = await makeup("2026-06-05");
  assert.equal(made.status, 201);
  assert.deepEqual(made.json, { date: "2026-06-05", cost_points: 20, streak: 7, balance: balanceBefore - 20 });
  const spend = (await ledger(token, now)).filter((e) => e.kind === "spend");
  assert.deepEqual(spend.map((e) => [e.amount, e.source, e.source_id]), [[-20, "makeup", "2026-06-05"]]);
  const month = (await world.api("GET", "/v1/checkins?month=2026-06", { token, now })).json;
  assert.deepEqual([month.makeups_used, month.makeups_left, month.makeup_days], [1, 1, ["2026-06-05"]]);
});

test("make-up limit is 2 a month (429), and insufficient points is 409", async () => {
  const id = "chk-makeup-limit";
  const token = memberToken(id);
  await registered(id, "2026-07-01T00:00:00Z");
  for (let day = 10; day <= 20; day++) await checkin(token, noon(`2026-07-${day}`));
  const now = noon("2026-07-20");
  // Balance: 11 days * 5 + bonuses (day 3: 10, day 7: 30, day 10: 10) = 105.
  const makeup = (date) => world.api("POST", "/v1/checkins/makeup", { token, now, body: { date } });
  assert.equal((await makeup("2026-07-02")).status, 201);
  assert.equal((await makeup("2026-07-03")).status, 201);
  const third = await makeup("2026-07-04");
  assert.deepEqual([third.status, third.json.code], [429, "makeup_limit"]);
  assert.ok(third.headers.get("retry-after"));

  const poor = memberToken("chk-makeup-poor");
  await registered("chk-makeup-poor", "2026-07-01T00:00:00Z");
  await checkin(poor, noon("2026-07-20"));
  const refused = await world.api("POST", "/v1/checkins/makeup", { token: poor, now, body: { date: "2026-07-05" } });
  assert.deepEqual([refused.status, refused.json.code, refused.json.balance, refused.json.required], [409, "insufficient_points", 5, 20]);
});

test("50 concurrent make-ups of one day: one succeeds, one charge", async () => {
  const id = "chk-makeup-race";
  const token = memberToken(id);
  await registered(id, "2026-08-01T00:00:00Z");
  for (let day = 10; day <= 17; day++) await checkin(token, noon(`2026-08-${day}`));
  const now = noon("2026-08-17");
  const responses = await concurrently(50, () =>
    world.api("POST", "/v1/checkins/makeup", { token, now, body: { date: "2026-08-05" } }),
  );
  assert.deepEqual(countBy(responses, (r) => r.status), { 201: 1, 409: 49 });
  assert.ok(responses.filter((r) => r.status === 409).every((r) => r.json.code === "already_checked_in"));
  const spends = (await ledger(token, now)).filter((e) => e.kind === "spend");
  assert.equal(spends.length, 1);
  // One make-up reaches the core, once.
  const madeUp = () => attemptsOf(world.stub, "checkin.recorded", (d) => d.member_id === id && d.date === "2026-08-05");
  await world.waitFor(() => madeUp().length > 0, { what: "the make-up at the core" });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(madeUp().length, 1, "one make-up event, attempted once");
  assert.equal(madeUp()[0].body.data.makeup, true);
  assertEachKeyOnce(world.stub, (a) => a.body?.data?.member_id === id, "chk-makeup-race events");
});

test("points expire 90 days after their award, oldest first", async () => {
  const token = memberToken("chk-expiry");
  await checkin(token, "2026-01-10T04:00:00Z"); // 5 points, expire 2026-04-10T04:00:00Z
  await checkin(token, "2026-02-10T04:00:00Z"); // 5 points, expire 2026-05-11T04:00:00Z
  const me = await world.api("GET", "/v1/me", { token, now: "2026-04-01T00:00:00Z" });
  assert.deepEqual(me.json.points.expiring, [{ amount: 5, expires_at: "2026-04-10T04:00:00Z" }]);
  const justBefore = await world.api("GET", "/v1/me", { token, now: "2026-04-10T03:59:59Z" });
  assert.equal(justBefore.json.points.balance, 10);
  const after = await world.api("GET", "/v1/me", { token, now: "2026-04-10T04:00:00Z" });
  assert.equal(after.json.points.balance, 5);
  const expired = (await ledger(token, "2026-04-10T04:00:00Z")).filter((e) => e.kind === "expire");
  assert.deepEqual(expired.map((e) => [e.amount, e.source]), [[-5, "expiry"]]);
});

test("the ledger pages newest first with a cursor", async () => {
  const token = memberToken("chk-pages");
  for (let day = 1; day <= 5; day++) await checkin(token, noon(`2026-09-0${day}`));
  const now = noon("2026-09-05");
  const first = await world.api("GET", "/v1/points/ledger?limit=2", { token, now });
  assert.equal(first.json.entries.length, 2);
  assert.ok(first.json.next_cursor);
  const second = await world.api("GET", `/v1/points/ledger?limit=2&cursor=${first.json.next_cursor}`, { token, now });
  const third = await world.api("GET", `/v1/points/ledger?limit=2&cursor=${second.json.next_cursor}`, { token, now });
  const ids = [...first.json.entries, ...second.json.entries, ...third.json.entries].map((e) => e.id);
  assert.equal(new Set(ids).size, 5);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  assert.equal(third.json.next_cursor, null);
});
