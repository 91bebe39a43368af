// Referrals: share links and clicks, binding on registration with its anti-fraud rules, staged
// rewards (each once) and the clawback of the first-order reward, all in workerd.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently, countBy, validateSchema, assertEachKeyOnce } from "./harness.mjs";

const world = useWorld();

const NOW = "2026-07-01T03:00:00Z"; // 11:00 on 2026-07-01 in Shanghai
const REGISTERED = "2026-07-01T02:30:00Z";
const LANDING = "https://m.pharmedge.dev/welcome";
const marketing = staffToken("mkt-referrals", "marketing");

let seq = 0;
const event = (type, data, id = `evt-ref-${++seq}`) => ({ id, type, created_at: NOW, data });
const registered = (member, ref_code, extra = {}) =>
  event("member.registered", {
    member_id: member, registered_at: REGISTERED, device_id: `device-of-${member}`, real_name_verified: false,
    ...(ref_code === undefined ? {} : { ref_code }), ...extra,
  });
const send = (e, now = NOW) => world.coreEvent(e, { now });
const linkOf = async (member) => {
  const r = await world.api("POST", "/v1/referrals/link", { token: memberToken(member), now: NOW });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const mine = async (member, now = NOW) => {
  const r = await world.api("GET", "/v1/referrals/me", { token: memberToken(member), now });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const ledger = async (member) =>
  (await world.api("GET", "/v1/points/ledger?limit=200", { token: memberToken(member), now: NOW })).json.entries;
const referralEntries = async (member) =>
  (await ledger(member)).filter((e) => e.source === "referral").map((e) => [e.amount, e.kind, e.source_id]).sort();
const wallet = async (member) =>
  (await world.api("GET", "/v1/coupons", { token: memberToken(member), now: NOW })).json.coupons.filter((c) => c.campaign_id === "referral");
const stats = async () => {
  const r = await world.api("GET", "/v1/admin/referrals/stats", { token: marketing });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const events = (type, filter) =>
  world.stub.deliveries(type).filter((d) => filter(d.body.data)).map((d) => {
    validateSchema("OutboundEvent", d.body);
    return d.body.data;
  });
/** Referral events about `invitees`, each key attempted once (the core never fails in this file). */
const referralAttempts = (invitees) =>
  assertEachKeyOnce(world.stub, (a) => a.type?.startsWith("referral.") && invitees.includes(a.body.data.invitee_id), `referral events of ${invitees}`);
const tap = (path, headers = {}) => world.api("GET", path, { headers: { "user-agent": "test-phone", ...headers }, now: NOW });
const settle = () => new Promise((r) => setTimeout(r, 600));

test("a member's link: one stable code that hides the member id, and a redirect with attribution", async () => {
  const first = await linkOf("ref-alice");
  assert.match(first.code, /^[0-9A-HJKMNP-TV-Z]{8}$/);
  assert.equal(first.url, `http://127.0.0.1:8787/r/${first.code}?utm_source=referral&utm_medium=share&utm_campaign=invite`);
  // Nothing of the member id shows: an id one letter apart gets an unrelated code.
  const near = await linkOf("ref-alicf");
  const samePositions = [...first.code].filter((c, i) => near.code[i] === c).length;
  assert.ok(samePositions <= 3, `${first.code} / ${near.code}`);
  const again = await concurrently(10, () => linkOf("ref-alice"));
  assert.ok(again.every((link) => link.code === first.code), "the same code every time");
  const other = await linkOf("ref-bob");
  assert.notEqual(other.code, first.code);
  const summary = await mine("ref-alice");
  assert.equal(summary.code, first.code);
  assert.deepEqual([summary.clicks, summary.bound, summary.rewarded, summary.pending, summary.points_earned], [0, 0, 0, 0, 0]);

  const r = await tap(`/r/${first.code}`);
  assert.equal(r.status, 302);
  assert.equal(r.headers.get("location"), `${LANDING}?ref=${first.code}&utm_source=referral&utm_medium=share`);
  const cookie = r.headers.get("set-cookie");
  assert.match(cookie, new RegExp(`^ref=${first.code};`));
  for (const attribute of ["Max-Age=604800", "Path=/", "HttpOnly", "SameSite=Lax"]) assert.ok(cookie.includes(attribute), cookie);
  assert.equal(r.headers.get("cache-control"), "no-store");

  // Read as documented: any case, hyphens, I/L for 1 and O for 0, junk after the 8 characters.
  const lenient = first.code.replaceAll("1", "l").replaceAll("0", "O").toLowerCase();
  for (const variant of [
    first.code.toLowerCase(), lenient, `${first.code.slice(0, 4)}-${first.code.slice(4)}`, `${first.code}/`,
    `${first.code}%E3%80%82`, `${first.code})`, `${first.code}/from/wechat`, `${first.code}?from=timeline`,
  ]) {
    const followed = await tap(`/r/${variant}`);
    assert.equal(followed.status, 302, variant);
    assert.equal(followed.headers.get("location"), `${LANDING}?ref=${first.code}&utm_source=referral&utm_medium=share`, variant);
  }
  // Unknown or unreadable codes get a page for people, not JSON.
  for (const unknown of ["ZZZZZZZZ", "abc", "%27%20OR%201%3D1%20--", "%E4%BC%9A%E5%91%98", "UUUUUUUU"]) {
    const page = await tap(`/r/${unknown}`);
    assert.equal(page.status, 404, unknown);
    assert.match(page.headers.get("content-type"), /^text\/html/);
    assert.ok(page.text.includes("邀请链接无效") && page.text.includes(LANDING), unknown);
    assert.equal(page.headers.get("set-cookie"), null);
  }
  assert.equal((await world.api("POST", `/r/${first.code}`)).status, 405);
  // The first tap and its eight variants.
  await world.waitFor(async () => (await mine("ref-alice")).clicks === 9, { what: "9 clicks counted" });

  // Bad input on the member endpoints.
  assert.equal((await world.api("POST", "/v1/referrals/link")).json.code, "unauthenticated");
  const extra = await world.api("POST", "/v1/referrals/link", { token: memberToken("ref-alice"), body: { code: "VANITY01" } });
  assert.deepEqual([extra.status, extra.json.code], [400, "invalid_request"]);
  const text = await world.api("POST", "/v1/referrals/link", { token: memberToken("ref-alice"), raw: "{}", headers: { "content-type": "text/plain" } });
  assert.equal(text.status, 415);
});

test("1,000 concurrent taps on one link are counted exactly, visitors once per day", async () => {
  const { code } = await linkOf("ref-viral");
  const forms = [code, code.toLowerCase(), `${code}/`, `${code}%E3%80%82`];
  const responses = await concurrently(1000, (i) =>
    tap(`/r/${forms[i % forms.length]}`, { "user-agent": `phone-${i % 25}`, "cf-connecting-ip": "198.51.100.7" }));
  assert.deepEqual(countBy(responses, (r) => r.status), { 302: 1000 });
  assert.ok(responses.every((r) => r.headers.get("location") === `${LANDING}?ref=${code}&utm_source=referral&utm_medium=share`));
  await world.waitFor(async () => (await mine("ref-viral")).clicks >= 1000, { what: "1,000 clicks", timeoutMs: 30_000 });
  await settle();
  const summary = await mine("ref-viral");
  assert.deepEqual([summary.clicks, summary.clicks_today, summary.unique_visitors], [1000, 1000, 25]);
  // The same phone again that day: a click, not a new visitor. The next business day it is one.
  await tap(`/r/${code}`, { "user-agent": "phone-0", "cf-connecting-ip": "198.51.100.7" });
  const nextDay = await world.api("GET", `/r/${code}`, { headers: { "user-agent": "phone-0", "cf-connecting-ip": "198.51.100.7" }, now: "2026-07-02T03:00:00Z" });
  assert.equal(nextDay.status, 302);
  await world.waitFor(async () => (await mine("ref-viral", "2026-07-02T04:00:00Z")).clicks === 1002, { what: "two more clicks" });
  const later = await mine("ref-viral", "2026-07-02T04:00:00Z");
  assert.deepEqual([later.clicks_today, later.unique_visitors], [1, 26]);
});

test("staged rewards: invitee on binding, inviter on verification and first order, clawed back on refund", async () => {
  const { code } = await linkOf("ref-inviter");
  const bound = await send(registered("ref-invitee", code));
  assert.deepEqual([bound.status, bound.json], [200, { accepted: true, duplicate: false }]);
  // The invitee's reward is there when the event is acknowledged.
  assert.deepEqual(await referralEntries("ref-invitee"), [[50, "earn", "ref-invitee.bound"]]);
  const [inviteeCoupon] = await wallet("ref-invitee");
  assert.deepEqual(
    [inviteeCoupon.type, inviteeCoupon.value_fen, inviteeCoupon.min_spend_fen, inviteeCoupon.status],
    ["fixed", 2000, 0, "available"],
  );
  assert.equal(inviteeCoupon.expires_at, "2026-07-30T16:00:00Z"); // 30 business days, to the end of the last
  let summary = await mine("ref-inviter");
  assert.deepEqual([summary.bound, summary.pending, summary.rewarded, summary.points_earned], [1, 1, 0, 0]);
  assert.deepEqual(await referralEntries("ref-inviter"), []);

  // Real-name verification releases the inviter's reward: once, however often it is reported.
  await concurrently(10, () => send(event("member.verified", { member_id: "ref-invitee" })));
  await world.waitFor(async () => (await referralEntries("ref-inviter")).length === 1, { what: "inviter's verified reward" });
  const [inviterCoupon] = await wallet("ref-inviter");
  assert.deepEqual([inviterCoupon.type, inviterCoupon.value_fen], ["fixed", 3000]);

  // The first paid order: the inviter's extra, once (reported ten times under different ids).
  const paid = (i) => event("order.paid", {
    order_id: "ref-first-order", member_id: "ref-invitee", paid_at: NOW, amount_fen: 12_000, insurance_fen: 0,
    lines: [{ sku: "vit-c", name: "维生素C", qty: 1, unit_price_fen: 12_000, drug_class: "health" }], first_order: true,
  }, `evt-ref-paid-${i}`);
  await concurrently(10, (i) => send(paid(i)));
  await world.waitFor(async () => (await referralEntries("ref-inviter")).length === 2, { what: "first-order reward" });
  // A partial refund keeps it; the full refund within 7 days takes it back, once.
  await send(event("order.refunded", { order_id: "ref-first-order", member_id: "ref-invitee", amount_fen: 2_000 }));
  await settle();
  assert.equal((await referralEntries("ref-inviter")).length, 2);
  await concurrently(5, (i) => send(event("order.refunded", { order_id: "ref-first-order", member_id: "ref-invitee", amount_fen: 10_000 }, `evt-ref-refund-${i}`)));
  await world.waitFor(async () => (await referralEntries("ref-inviter")).length === 3, { what: "the clawback" });
  await settle();
  assert.deepEqual(await referralEntries("ref-inviter"), [
    [-50, "clawback", "ref-invitee.first_order"],
    [100, "earn", "ref-invitee.verified"],
    [50, "earn", "ref-invitee.first_order"],
  ].sort());
  summary = await mine("ref-inviter");
  assert.deepEqual([summary.bound, summary.pending, summary.rewarded, summary.points_earned], [1, 0, 1, 100]);

  // The core hears of each step once, in the documented shapes.
  await world.waitFor(() => events("referral.rewarded", (d) => d.invitee_id === "ref-invitee").length === 4, { what: "reward events" });
  assert.deepEqual(events("referral.bound", (d) => d.invitee_id === "ref-invitee").map((d) => [d.inviter_id, d.code]), [["ref-inviter", code]]);
  const rewarded = events("referral.rewarded", (d) => d.invitee_id === "ref-invitee");
  assert.deepEqual(rewarded.map((d) => [d.member_id, d.stage, d.points, d.clawback]).sort(), [
    ["ref-invitee", "bound", 50, false],
    ["ref-inviter", "first_order", -50, true],
    ["ref-inviter", "first_order", 50, false],
    ["ref-inviter", "verified", 100, false],
  ].sort());
  await settle();
  assert.equal(referralAttempts(["ref-invitee"]).length, 5, "one bound and four rewarded, each in one attempt");
});

test("the same registration 20 times, and 20 registrations with 20 codes: one binding, one reward", async () => {
  const inviters = Array.from({ length: 20 }, (_, i) => `ref-many-${i}`);
  const codes = await Promise.all(inviters.map(async (member) => (await linkOf(member)).code));
  const before = await stats();

  const same = registered("ref-twin", codes[0]);
  const replies = await concurrently(20, () => send(same));
  assert.deepEqual(countBy(replies, (r) => `${r.status}:${r.json.duplicate}`), { "200:false": 1, "200:true": 19 });
  assert.deepEqual(await referralEntries("ref-twin"), [[50, "earn", "ref-twin.bound"]]);

  const different = await concurrently(20, (i) => send(registered("ref-contested", codes[i])));
  assert.ok(different.every((r) => r.status === 200 && r.json.duplicate === false));
  assert.deepEqual(await referralEntries("ref-contested"), [[50, "earn", "ref-contested.bound"]]);
  assert.equal((await wallet("ref-contested")).length, 1);
  const boundCounts = await Promise.all(inviters.slice(0, 20).map(async (member) => (await mine(member)).bound));
  assert.equal(boundCounts.reduce((a, b) => a + b, 0), 2, "ref-twin and ref-contested, one inviter each");

  await world.waitFor(async () => {
    const after = await stats();
    return after.bound - before.bound === 2 && (after.refused.already_bound ?? 0) - (before.refused.already_bound ?? 0) === 19;
  }, { what: "tallies: 2 bound, 19 already_bound" });
  await world.waitFor(() => events("referral.bound", (d) => ["ref-twin", "ref-contested"].includes(d.invitee_id)).length === 2, { what: "bound events" });
  await settle();
  assert.equal(events("referral.bound", (d) => ["ref-twin", "ref-contested"].includes(d.invitee_id)).length, 2);
  assert.equal(referralAttempts(["ref-twin", "ref-contested"]).filter((a) => a.type === "referral.bound").length, 2);
});

test("refusals: self-referral, second binding, reused device, unknown code, not new; each counted, none rewarded", async () => {
  const { code } = await linkOf("ref-honest");
  const { code: otherCode } = await linkOf("ref-other");
  const before = await stats();

  await send(registered("ref-honest", code)); // self-referral
  await send(registered("ref-friend", code, { device_id: "phone-of-friend" })); // bound
  await send(registered("ref-friend", otherCode)); // a second binding for the same invitee
  await send(registered("ref-farmer-1", undefined, { device_id: "farm-phone" })); // registers the device
  await send(registered("ref-farmer-2", code, { device_id: "farm-phone" })); // same device, new account
  await send(registered("ref-typo", "NOTACODE"));
  await send(registered("ref-junk", "' OR 1=1 --"));
  await send(registered("ref-old-timer", code, { registered_at: "2026-06-20T00:00:00Z" }));

  for (const member of ["ref-honest", "ref-farmer-2", "ref-typo", "ref-junk", "ref-old-timer"]) {
    assert.deepEqual(await referralEntries(member), [], member);
    assert.deepEqual(await wallet(member), [], member);
  }
  assert.deepEqual(await referralEntries("ref-friend"), [[50, "earn", "ref-friend.bound"]]);
  assert.equal((await mine("ref-honest")).bound, 1);
  assert.equal((await mine("ref-other")).bound, 0);

  const expected = { self_referral: 1, already_bound: 1, device_seen: 1, unknown_code: 2, not_new_member: 1 };
  const delta = (after) => Object.fromEntries(Object.keys(expected).map((reason) => [reason, (after.refused[reason] ?? 0) - (before.refused[reason] ?? 0)]));
  await world.waitFor(async () => JSON.stringify(delta(await stats())) === JSON.stringify(expected), { what: "refusal tallies" });
  await settle();
  assert.deepEqual(delta(await stats()), expected);

  // The tallies are for marketing only.
  assert.equal((await world.api("GET", "/v1/admin/referrals/stats")).status, 401);
  const clerk = await world.api("GET", "/v1/admin/referrals/stats", { token: staffToken("clerk-ref", "clerk", "store-1") });
  assert.deepEqual([clerk.status, clerk.json.code], [403, "forbidden"]);
});

test("50 invitees at once under one inviter with a daily cap of 20: exactly 20 bound and rewarded", async () => {
  const { code } = await linkOf("ref-popular");
  const before = await stats();
  const invitees = Array.from({ length: 50 }, (_, i) => `ref-crowd-${i}`);
  const replies = await concurrently(50, (i) => send(registered(invitees[i], code)));
  assert.ok(replies.every((r) => r.status === 200));
  const rewarded = await Promise.all(invitees.map(async (member) => (await referralEntries(member)).length));
  assert.deepEqual(countBy(rewarded, (n) => n), { 0: 30, 1: 20 });
  const summary = await mine("ref-popular");
  assert.deepEqual([summary.bound, summary.refused], [20, 30]);
  await world.waitFor(async () => {
    const after = await stats();
    return (after.refused.inviter_daily_cap ?? 0) - (before.refused.inviter_daily_cap ?? 0) === 30 && after.bound - before.bound === 20;
  }, { what: "tallies: 20 bound, 30 over the daily cap" });
  await world.waitFor(() => events("referral.bound", (d) => d.inviter_id === "ref-popular").length === 20, { what: "20 bound events" });

  // The cap is per business day: the next day (from 16:00Z) binds again.
  const tomorrow = "2026-07-01T16:00:00Z";
  const next = await send({ ...registered("ref-crowd-next", code, { registered_at: tomorrow }), created_at: tomorrow }, tomorrow);
  assert.equal(next.status, 200);
  assert.deepEqual(await referralEntries("ref-crowd-next"), [[50, "earn", "ref-crowd-next.bound"]]);
});
