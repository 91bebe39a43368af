// Recurring campaigns (issue 13): a weekly Wednesday 20:00 flash sale of 500 units, closed a
// second before, open at 20:00:00, exactly 500 coupons among 1,000 claimants, and a fresh 500
// (and fresh per-member limits) next Wednesday; next_occurrence in the public view and in the
// 409; operator changes under a schedule; the Cron Trigger warming the next occurrence.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, countBy, inWaves, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";

const world = useWorld({ ratelimits: NO_MEMBER_WRITE_LIMIT });
const marketing = staffToken("mkt-sched", "marketing");
// Business time is UTC+8: Wednesday 20:00 is 12:00Z. 2026-12-02 and 2026-12-09 are Wednesdays.
const CREATED = "2026-11-30T00:00:00Z";
const WED1 = "2026-12-02T12:00:00Z";
const WED1_END = "2026-12-02T13:00:00Z";
const WED2 = "2026-12-09T12:00:00Z";

function weekly(id, overrides = {}) {
  return {
    id,
    name: `周三秒杀 ${id}`,
    kind: "flash_sale",
    starts_at: "2026-12-01T00:00:00Z",
    ends_at: "2026-12-31T00:00:00Z",
    stock: 500,
    coupon: { type: "fixed", value_fen: 1000, min_spend_fen: 0, valid_days: 7 },
    limits: { per_member: 1 },
    rules_text: "每周三20:00开抢，每场500张，每人每场限1张",
    schedule: { every: "week", weekday: 3, start_time: "20:00", duration_minutes: 60, stock_per_occurrence: 500 },
    ...overrides,
  };
}
const create = (config) => world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, now: CREATED });
const claim = (id, member, now, key = `${id}-${member}-${now}`) =>
  world.api("POST", `/v1/campaigns/${id}/claims`, { token: memberToken(member), headers: { "idempotency-key": key }, now });
const publicView = async (id, now) => (await world.api("GET", `/v1/campaigns/${id}`, { token: memberToken("viewer"), now })).json;
const admin = async (id, now) => world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now });
const at = (list, key) => list.find((occurrence) => occurrence.key === key);

test("weekly Wednesday 20:00 with 500 units: closed at 19:59:59, 500 of 1,000 at 20:00, a fresh 500 next week", async () => {
  const created = await create(weekly("wed-flash"));
  assert.equal(created.status, 201, created.text);

  const before = "2026-12-02T11:59:59Z";
  const view = await publicView("wed-flash", before);
  assert.equal(view.status, "scheduled");
  assert.deepEqual(view.next_occurrence, { starts_at: WED1, ends_at: WED1_END, stock: { total: 500, remaining: 500 } });
  const early = await claim("wed-flash", "early-bird", before);
  assert.deepEqual([early.status, early.json.code], [409, "campaign_not_started"]);
  assert.deepEqual(early.json.next_occurrence, { starts_at: WED1, ends_at: WED1_END, stock: { total: 500, remaining: 500 } });

  const members = Array.from({ length: 1000 }, (_, i) => `wed-${i}`);
  const replies = await inWaves(1000, 500, (i) => claim("wed-flash", members[i], WED1));
  assert.deepEqual(countBy(replies, (r) => r.status), { 201: 500, 409: 500 });
  assert.ok(replies.filter((r) => r.status === 409).every((r) => r.json.code === "sold_out"));
  assert.equal(new Set(replies.filter((r) => r.status === 201).map((r) => r.json.coupon.coupon_id)).size, 500);
  // The early bird's key was not spent on the refusal: it claims now (and finds it sold out).
  const retried = await claim("wed-flash", "early-bird", WED1, `wed-flash-early-bird-${before}`);
  assert.deepEqual([retried.status, retried.json.code], [409, "sold_out"]);

  const during = "2026-12-02T12:30:00Z";
  await world.waitFor(async () => (await admin("wed-flash", during)).json.stats.claims_rejected.sold_out === 501, { what: "501 sold_out counted" });
  const stats = (await admin("wed-flash", during)).json;
  assert.deepEqual([stats.status, stats.stats.issued, stats.stats.remaining], ["active", 500, 0]);
  assert.equal(stats.stats.claims_rejected.campaign_not_started, 1);
  assert.deepEqual(
    (({ state, total, issued, remaining }) => ({ state, total, issued, remaining }))(at(stats.occurrences, "2026-12-02")),
    { state: "open", total: 500, issued: 500, remaining: 0 },
  );
  assert.deepEqual(
    (({ state, total, issued, remaining }) => ({ state, total, issued, remaining }))(at(stats.occurrences, "2026-12-09")),
    { state: "next", total: 500, issued: 0, remaining: 500 },
  );
  const sold = await publicView("wed-flash", during);
  assert.deepEqual(sold.next_occurrence.stock, { total: 500, remaining: 0 });
  assert.deepEqual(sold.stock, { total: 500, remaining: 0 });

  // After the occurrence: closed again, the next one announced.
  const after = await claim("wed-flash", "late-1", WED1_END);
  assert.deepEqual([after.status, after.json.code, after.json.next_occurrence.starts_at], [409, "campaign_not_started", WED2]);

  // A key's first answer outlives its occurrence; a key of another claim is not reused here.
  const winner = replies.findIndex((r) => r.status === 201);
  const replayed = await claim("wed-flash", members[winner], WED1_END, `wed-flash-${members[winner]}-${WED1}`);
  assert.deepEqual([replayed.status, replayed.json.coupon?.coupon_id], [201, replies[winner].json.coupon.coupon_id]);
  const reused = await claim("wed-flash", members[winner], WED1_END, `cron-warm-${members[winner]}`);
  assert.equal(reused.status, 409, "an unknown key between occurrences: closed");
  const otherBody = await world.api("POST", "/v1/campaigns/wed-flash/claims", {
    token: memberToken(members[winner]), body: {}, headers: { "idempotency-key": `wed-flash-${members[winner]}-${WED1}` }, now: WED1_END,
  });
  assert.deepEqual([otherBody.status, otherBody.json.code], [422, "idempotency_key_reused"], "the key with another body");

  // Next Wednesday: its own fresh 500, and its own per-member limit.
  const again = await claim("wed-flash", members[winner], WED2);
  assert.equal(again.status, 201, "a member who won last week claims again this week");
  const twice = await claim("wed-flash", members[winner], "2026-12-09T12:00:05Z");
  assert.deepEqual([twice.status, twice.json.code], [409, "claim_limit_reached"]);
  const fresh = await claim("wed-flash", "new-next-week", "2026-12-09T12:00:01Z");
  assert.equal(fresh.status, 201);
  const week2 = await publicView("wed-flash", "2026-12-09T12:10:00Z");
  assert.deepEqual(week2.next_occurrence, { starts_at: WED2, ends_at: "2026-12-09T13:00:00Z", stock: { total: 500, remaining: 498 } });
  const history = (await admin("wed-flash", "2026-12-09T12:10:00Z")).json.occurrences;
  assert.deepEqual([at(history, "2026-12-02").state, at(history, "2026-12-02").issued], ["past", 500]);
  assert.deepEqual([at(history, "2026-12-09").state, at(history, "2026-12-09").issued], ["open", 2]);

  // After the last occurrence of the window: the existing ended code.
  const over = await claim("wed-flash", "too-late", "2026-12-30T13:00:00Z");
  assert.deepEqual([over.status, over.json.code], [409, "campaign_ended"]);
  assert.equal((await publicView("wed-flash", "2026-12-30T13:00:00Z")).status, "ended");
});

test("a schedule is validated: stock is per occurrence, at least one occurrence, strict fields", async () => {
  const mismatch = await create(weekly("sched-bad-stock", { stock: 5000 }));
  assert.deepEqual([mismatch.status, mismatch.json.code], [422, "invalid_campaign"]);
  assert.match(mismatch.json.detail, /stock_per_occurrence/);
  // 2026-12-01 is a Tuesday: a window of that day alone has no Wednesday.
  const none = await create(weekly("sched-none", { starts_at: "2026-12-01T00:00:00Z", ends_at: "2026-12-01T20:00:00Z" }));
  assert.deepEqual([none.status, none.json.code], [422, "invalid_campaign"]);
  assert.match(none.json.detail, /no occurrence/);
  const badDay = await create(weekly("sched-bad-day", { schedule: { ...weekly("x").schedule, weekday: 8 } }));
  assert.deepEqual([badDay.status, badDay.json.code], [422, "invalid_campaign"]);
  assert.match(badDay.json.detail, /weekday/);
  const unknown = await create(weekly("sched-unknown", { schedule: { ...weekly("x").schedule, hour: 20 } }));
  assert.deepEqual([unknown.status, unknown.json.code], [400, "invalid_request"]);
});

test("operator changes under a schedule: a top-up grows the open occurrence and later ones, pause, resume, end", async () => {
  const id = "daily-topup";
  const created = await create(weekly(id, { stock: 3, schedule: { every: "day", start_time: "10:00", duration_minutes: 120, stock_per_occurrence: 3 } }));
  assert.equal(created.status, 201, created.text);
  const day1 = "2026-12-03T02:00:00Z"; // 10:00 business time
  const during1 = "2026-12-03T02:30:00Z";
  for (const m of ["t-1", "t-2"]) assert.equal((await claim(id, m, day1)).status, 201);
  const current = await admin(id, during1);
  const etag = current.headers.get("etag");
  const blind = await world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body: { add_stock: 2 }, now: during1 });
  assert.deepEqual([blind.status, blind.json.code], [428, "precondition_required"]);
  const topped = await world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body: { add_stock: 2 }, now: during1, headers: { "if-match": etag } });
  assert.equal(topped.status, 200, topped.text);
  assert.deepEqual([topped.json.stock, topped.json.schedule.stock_per_occurrence], [5, 5]);
  assert.deepEqual([topped.json.stats.issued, topped.json.stats.remaining], [2, 3], "the open occurrence: 2 issued of 5");
  const stale = await world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body: { add_stock: 2 }, now: during1, headers: { "if-match": etag } });
  assert.deepEqual([stale.status, stale.json.code], [412, "precondition_failed"]);
  const more = await Promise.all(["t-3", "t-4", "t-5", "t-6", "t-7"].map((m) => claim(id, m, during1)));
  assert.deepEqual(countBy(more, (r) => r.status), { 201: 3, 409: 2 }, "never more than the topped-up 5");
  const open1 = at((await admin(id, during1)).json.occurrences, "2026-12-03");
  assert.deepEqual([open1.total, open1.issued, open1.remaining], [5, 5, 0]);

  // The next day holds the new stock; a pause closes it and a resume reopens it.
  const day2 = "2026-12-04T02:00:00Z";
  const paused = await world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body: { status: "paused" }, now: day2 });
  assert.equal(paused.status, 200);
  const refused = await claim(id, "t-8", day2);
  assert.deepEqual([refused.status, refused.json.code], [409, "campaign_paused"]);
  await world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body: { status: "active" }, now: day2 });
  const day2claims = await Promise.all(Array.from({ length: 7 }, (_, i) => claim(id, `d2-${i}`, day2)));
  assert.deepEqual(countBy(day2claims, (r) => r.status), { 201: 5, 409: 2 });
  // Ending is final, whether an occurrence is open or not.
  await world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body: { status: "ended" }, now: day2 });
  const ended = await claim(id, "t-9", "2026-12-04T02:10:00Z");
  assert.deepEqual([ended.status, ended.json.code], [409, "campaign_ended"]);
  const endedBetween = await claim(id, "t-9", "2026-12-05T00:00:00Z");
  assert.deepEqual([endedBetween.status, endedBetween.json.code], [409, "campaign_ended"]);
  const endedView = await publicView(id, "2026-12-05T00:00:00Z");
  assert.deepEqual([endedView.status, endedView.next_occurrence], ["ended", undefined], "an ended campaign announces no occurrence");
});

test("the Cron Trigger readies the next occurrence's stock shards a few minutes before it opens", async () => {
  const id = "cron-warm";
  assert.equal((await create(weekly(id))).status, 201);
  const next = async (now) => at((await admin(id, now)).json.occurrences, "2026-12-02");
  assert.equal((await next("2026-12-02T11:00:00Z")).ready, false, "nothing created before anything needs it");
  await world.scheduled("2026-12-02T11:30:00Z");
  assert.equal((await next("2026-12-02T11:30:00Z")).ready, false, "30 minutes early is too early");
  await world.scheduled("2026-12-02T11:55:00Z");
  const warmed = await next("2026-12-02T11:55:00Z");
  assert.deepEqual([warmed.ready, warmed.state, warmed.total, warmed.issued], [true, "next", 500, 0]);
  // Warm shards still refuse before 20:00 and serve at 20:00.
  assert.equal((await claim(id, "cron-1", "2026-12-02T11:59:59Z")).json.code, "campaign_not_started");
  assert.equal((await claim(id, "cron-1", WED1)).status, 201);
});
