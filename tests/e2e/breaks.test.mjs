// The breaks found from outside (issue 9), each against the real runtime: stock top-ups
// that over-issued, a top-up that overflowed, PATCHes and replays applied twice, new-member
// coupons for members of unknown age, and no limit on how fast one member or client writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently, countBy, inWaves, EVICTION_PAUSE_MS } from "./harness.mjs";

const world = useWorld();

const marketing = staffToken("mkt-1", "marketing");
const NOW = "2026-06-03T12:30:00Z";

function campaign(id, overrides = {}) {
  return {
    id,
    name: `活动 ${id}`,
    kind: "flash_sale",
    starts_at: "2026-06-03T12:00:00Z",
    ends_at: "2026-06-03T14:00:00Z",
    stock: 100,
    coupon: { type: "fixed", value_fen: 990, valid_days: 30 },
    limits: { per_member: 1 },
    rules_text: "每人限领1张",
    ...overrides,
  };
}
const create = (config) => world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, now: NOW });
const admin = (id) => world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now: NOW });
const patch = (id, body, headers = {}) =>
  world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body, headers, now: NOW });
const claim = (id, member, key = `${id}-${member}`) =>
  world.api("POST", `/v1/campaigns/${id}/claims`, { token: memberToken(member), headers: { "idempotency-key": key }, now: NOW });

/** Every `coupon.claimed` the core got for a campaign, one per coupon id. */
async function claimedAtCore(id, expected) {
  const distinct = () => new Set(world.stub.deliveries("coupon.claimed").filter((d) => d.body.data.campaign_id === id).map((d) => d.body.data.coupon_id));
  await world.waitFor(() => distinct().size >= expected, { what: `${expected} coupon.claimed for ${id}`, timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 500)); // room for an extra one to show up
  return distinct().size;
}

test("a top-up of an unsharded campaign issues exactly stock + top-up to 3,100 claimants", async () => {
  assert.equal((await create(campaign("topup-2000", { stock: 2000 }))).status, 201);
  const topped = await patch("topup-2000", { add_stock: 1 }, { "idempotency-key": "topup-2000-a" });
  assert.equal(topped.status, 200);
  assert.deepEqual([topped.json.stock, topped.json.shard_count, topped.json.stats.remaining], [2001, 1, 2001]);
  // In waves (see harness `inWaves`), each let settle at the core before the next.
  const replies = await inWaves(3100, 620, (i) => claim("topup-2000", `tu-${i}`), {
    afterWave: (sofar) => claimedAtCore("topup-2000", sofar.filter((r) => r.status === 201).length),
  });
  const statuses = countBy(replies, (r) => r.json.code ?? r.status);
  assert.deepEqual(statuses, { 201: 2001, sold_out: 1099 });
  const view = (await admin("topup-2000")).json;
  assert.deepEqual([view.stock, view.stats.issued, view.stats.remaining], [2001, 2001, 0]);
  assert.equal(await claimedAtCore("topup-2000", 2001), 2001, "the core hears of exactly 2,001 coupons");
});

test("top-ups, pauses and resumes while a sharded flash sale is in flight never over-issue", async () => {
  assert.equal((await create(campaign("topup-live", { stock: 300, shards: 4 }))).status, 201);
  let stock = 300;
  const operator = (async () => {
    for (let step = 0; step < 6; step++) {
      await new Promise((r) => setTimeout(r, 40));
      const body = step % 3 === 2 ? { status: step % 2 ? "active" : "paused" } : { add_stock: 50 };
      const reply = await patch("topup-live", body, { "idempotency-key": `live-${step}` });
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      if (body.add_stock) stock += body.add_stock;
    }
    const resumed = await patch("topup-live", { status: "active" }, { "idempotency-key": "live-final" });
    assert.equal(resumed.status, 200);
  })();
  const first = await concurrently(700, (i) => claim("topup-live", `live-${i}`));
  await operator;
  // Whatever the first wave met, a second wave drains what is left (after the first wave's
  // objects are evicted: harness `inWaves`).
  await new Promise((r) => setTimeout(r, EVICTION_PAUSE_MS));
  const second = await concurrently(600, (i) => claim("topup-live", `live-late-${i}`));
  const issued = [...first, ...second].filter((r) => r.status === 201).length;
  const view = (await admin("topup-live")).json;
  assert.equal(view.stock, stock);
  assert.deepEqual([view.stats.issued, view.stats.remaining], [stock, 0], "issued = stock, remaining = stock - issued");
  assert.equal(issued, stock, "exactly as many 201s as the stock");
  assert.equal(await claimedAtCore("topup-live", stock), stock);
});

test("add_stock out of range is refused and changes nothing", async () => {
  assert.equal((await create(campaign("topup-bounds", { stock: 10 }))).status, 201);
  // i64::MAX exactly (a JS number would round it up past the i64 range).
  for (const [add, status] of [["9223372036854775807", 422], ["10000001", 422], ["0", 422], ["-5", 422]]) {
    const reply = await world.api("PATCH", "/v1/admin/campaigns/topup-bounds", {
      token: marketing, raw: `{"add_stock": ${add}}`, headers: { "content-type": "application/json", "idempotency-key": `bounds-${add}` }, now: NOW,
    });
    assert.equal(reply.status, status, `add_stock ${add}`);
    assert.equal(reply.json.code, "invalid_campaign");
  }
  const huge = await world.api("PATCH", "/v1/admin/campaigns/topup-bounds", {
    token: marketing, raw: '{"add_stock": 9223372036854775808}', headers: { "content-type": "application/json", "idempotency-key": "bounds-huge" }, now: NOW,
  });
  assert.deepEqual([huge.status, huge.json.code], [400, "invalid_request"]);
  const view = (await admin("topup-bounds")).json;
  assert.deepEqual([view.stock, view.stats.remaining], [10, 10]);
  const replies = await concurrently(12, (i) => claim("topup-bounds", `bounds-${i}`));
  assert.equal(replies.filter((r) => r.status === 201).length, 10);
});

test("a retried PATCH applies once: same key same answer, If-Match guards concurrent operators", async () => {
  assert.equal((await create(campaign("patch-idem", { stock: 10 }))).status, 201);
  const blind = await patch("patch-idem", { add_stock: 5 });
  assert.deepEqual([blind.status, blind.json.code], [428, "precondition_required"]);
  const star = await patch("patch-idem", { add_stock: 5 }, { "if-match": "*" });
  assert.deepEqual([star.status, star.json.code], [428, "precondition_required"], "* matches anything: no guard");
  const retries = await concurrently(10, () => patch("patch-idem", { add_stock: 5 }, { "idempotency-key": "add-5" }));
  assert.deepEqual(countBy(retries, (r) => r.status), { 200: 10 });
  assert.equal(new Set(retries.map((r) => r.text)).size, 1, "every repeat gets the first answer");
  assert.equal(new Set(retries.map((r) => r.headers.get("etag"))).size, 1);
  assert.equal((await admin("patch-idem")).json.stock, 15, "added once");
  const reused = await patch("patch-idem", { add_stock: 6 }, { "idempotency-key": "add-5" });
  assert.deepEqual([reused.status, reused.json.code], [422, "idempotency_key_reused"]);

  const read = await admin("patch-idem");
  const etag = read.headers.get("etag");
  assert.match(etag, /^"r\d+"$/);
  // Two operators read the same revision and both top up: one wins, the other hears 412.
  const both = await concurrently(2, (i) => patch("patch-idem", { add_stock: 10 }, { "if-match": etag }));
  assert.deepEqual(countBy(both, (r) => r.status), { 200: 1, 412: 1 });
  const lost = both.find((r) => r.status === 412);
  assert.equal(lost.json.code, "precondition_failed");
  assert.equal(lost.json.current_etag, both.find((r) => r.status === 200).headers.get("etag"));
  assert.equal((await admin("patch-idem")).json.stock, 25);
  // A keyed retry of a change that applied answers 200 even though its If-Match is now stale.
  const keyed = await patch("patch-idem", { status: "paused" }, { "if-match": lost.json.current_etag, "idempotency-key": "pause-1" });
  assert.equal(keyed.status, 200);
  const again = await patch("patch-idem", { status: "paused" }, { "if-match": lost.json.current_etag, "idempotency-key": "pause-1" });
  assert.deepEqual([again.status, again.text], [200, keyed.text]);
  const audit = (await admin("patch-idem")).json.audit.filter((a) => a.action === "update");
  assert.equal(audit.length, 3, "add 5, add 10, pause: each audited once");
  // A keyed change refused (412) keeps that answer: a repeat is the same 412, byte for byte, even
  // after the campaign changed again; it never applies later under the same key.
  const stale = await patch("patch-idem", { add_stock: 1 }, { "if-match": etag, "idempotency-key": "stale-1" });
  assert.equal(stale.status, 412);
  assert.equal((await patch("patch-idem", { status: "active" }, { "idempotency-key": "resume-1" })).status, 200);
  const staleAgain = await patch("patch-idem", { add_stock: 1 }, { "if-match": etag, "idempotency-key": "stale-1" });
  assert.deepEqual([staleAgain.status, staleAgain.text], [412, stale.text]);
  assert.equal((await admin("patch-idem")).json.stock, 25, "the refused top-up never applied");
});

test("a refused claim's key keeps its first answer after a top-up; a new key claims", async () => {
  assert.equal((await create(campaign("refused-key", { stock: 1 }))).status, 201);
  assert.equal((await claim("refused-key", "rk-1")).status, 201);
  const refused = await claim("refused-key", "rk-2", "rk-2-tap-1");
  assert.deepEqual([refused.status, refused.json.code], [409, "sold_out"]);
  const topped = await patch("refused-key", { add_stock: 1 }, { "idempotency-key": "rk-topup" });
  assert.equal(topped.status, 200);
  await new Promise((r) => setTimeout(r, 1100)); // past the isolate's one-second dry-shard hint
  const repeat = await claim("refused-key", "rk-2", "rk-2-tap-1");
  assert.deepEqual([repeat.status, repeat.text], [409, refused.text], "a repeat gets the first answer");
  const limited = await claim("refused-key", "rk-1", "rk-1-tap-2");
  assert.equal(limited.json.code, "claim_limit_reached");
  for (let i = 0; i < 3; i++) assert.equal((await claim("refused-key", "rk-1", "rk-1-tap-2")).text, limited.text);
  const fresh = await claim("refused-key", "rk-2", "rk-2-tap-2");
  assert.equal(fresh.status, 201, "a new tap is a new claim");
  const view = (await admin("refused-key")).json;
  assert.deepEqual([view.stats.issued, view.stats.remaining], [2, 0]);
  await new Promise((r) => setTimeout(r, 300)); // the counts are written after the answers
  const rejected = (await admin("refused-key")).json.stats.claims_rejected;
  assert.deepEqual([rejected.sold_out, rejected.claim_limit_reached], [1, 1], "each refusal counted once, not per repeat");
});

test("a dead-letter replay is idempotent by key and audited", async () => {
  const admin = staffToken("ops-1", "admin");
  world.stub.setMode("fail", 400);
  const member = "dead-replay-m";
  const checkin = await world.api("POST", "/v1/checkins", { token: memberToken(member), now: NOW });
  assert.equal(checkin.status, 201);
  let letters;
  await world.waitFor(async () => {
    letters = (await world.api("GET", "/v1/admin/outbox/dead", { token: admin })).json.deliveries;
    return letters.length > 0;
  }, { what: "a dead letter" });
  world.stub.setMode("ok");
  const letter = letters[0];
  const replay = (key) => world.api("POST", `/v1/admin/outbox/dead/${letter.id}/replay`, { token: admin, headers: key ? { "idempotency-key": key } : {} });
  const first = await concurrently(5, () => replay("replay-1"));
  assert.deepEqual(countBy(first, (r) => r.status), { 202: 5 });
  const listed = (await world.api("GET", "/v1/admin/outbox/dead", { token: admin })).json;
  assert.equal(listed.deliveries.filter((d) => d.id === letter.id).length, 0);
  const audited = listed.replays.filter((r) => r.id === letter.id);
  assert.equal(audited.length, 1, "one replay audited for one key");
  assert.deepEqual([audited[0].actor, audited[0].kind], ["ops-1", letter.kind]);
  const otherKey = await replay("replay-2");
  assert.deepEqual([otherKey.status, otherKey.json.code], [404, "not_found"], "nothing left to replay");
  await world.waitFor(() => world.stub.deliveries().some((d) => d.key === letter.key), { what: "the replayed delivery" });
});

test("a member of unknown registration is not a new member", async () => {
  const id = "new-only";
  assert.equal((await create(campaign(id, { kind: "coupon", audience: { new_members_within_days: 30 } }))).status, 201);
  const unknown = await claim(id, "never-seen-member");
  assert.deepEqual([unknown.status, unknown.json.code, unknown.json.reason], [403, "not_eligible", "not_a_new_member"]);
  const registered = Math.floor(Date.parse("2026-06-01T00:00:00Z") / 1000);
  const fresh = await world.api("POST", `/v1/campaigns/${id}/claims`, {
    token: memberToken("fresh-member", { reg: registered }), headers: { "idempotency-key": "fresh-1" }, now: NOW,
  });
  assert.equal(fresh.status, 201);
});

/** The local limiter counts in fixed windows: start a burst well inside one. */
async function startOfWindow(periodS) {
  const into = Date.now() % (periodS * 1000);
  if (into > periodS * 1000 - 4000) await new Promise((r) => setTimeout(r, periodS * 1000 - into + 50));
}

test("one member's writes and one client's taps are throttled with Retry-After; others are not", async () => {
  const token = memberToken("hammer-1");
  await startOfWindow(10);
  const replies = await concurrently(40, () => world.api("POST", "/v1/checkins", { token, now: NOW }));
  const limited = replies.filter((r) => r.status === 429);
  assert.ok(limited.length >= 15, `most of 40 writes in a burst are refused (${limited.length})`);
  assert.equal(replies.filter((r) => r.status === 201).length, 1, "still one check-in");
  for (const r of limited) {
    assert.equal(r.json.code, "rate_limited");
    assert.ok(Number(r.headers.get("retry-after")) > 0);
  }
  const claimsToo = await world.api("POST", "/v1/checkins/makeup", { token, body: { date: "2026-06-01" }, now: NOW });
  assert.equal(claimsToo.status, 429, "make-ups share the member's budget");
  const other = await world.api("POST", "/v1/checkins", { token: memberToken("hammer-2"), now: NOW });
  assert.equal(other.status, 201, "another member is not affected");

  const link = await world.api("POST", "/v1/referrals/link", { token: memberToken("tapped-1"), now: NOW });
  const tap = (ua) => world.api("GET", `/r/${link.json.code}`, { headers: { "user-agent": ua, "cf-connecting-ip": "203.0.113.9" }, now: NOW });
  await startOfWindow(60);
  const taps = await concurrently(80, () => tap("scripted-tapper"));
  const tapCounts = countBy(taps, (r) => r.status);
  assert.equal(tapCounts[302], 60, "60 taps a minute per client and link");
  assert.equal(tapCounts[429], 20);
  assert.equal((await tap("a-real-phone")).status, 302, "another phone on the same network still gets through");
});
