// Attribution and erasure (issue 13): every link the edge issues carries its UTM, the
// experiment bucket in /v1/me, and `member.erased` (PIPL) checked from the objects' own views.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently } from "./harness.mjs";

const world = useWorld();

const NOW = "2026-07-01T03:00:00Z"; // 11:00 on 2026-07-01 in Shanghai
const LANDING = "https://m.pharmedge.dev/welcome";
const admin = staffToken("admin-attr", "admin");
const marketing = staffToken("mkt-attr", "marketing");

let seq = 0;
const event = (type, data, id = `evt-attr-${++seq}`) => ({ id, type, created_at: NOW, data });
const send = (e, now = NOW) => world.coreEvent(e, { now });
const footprint = async (member) => {
  const r = await world.api("GET", `/v1/admin/members/${member}/footprint`, { token: admin });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const utm = (url) => {
  const q = new URL(url).searchParams;
  return [q.get("utm_source"), q.get("utm_medium"), q.get("utm_campaign")];
};
const settle = () => new Promise((r) => setTimeout(r, 600));

test("every link the edge issues carries utm_source, utm_medium and utm_campaign", async () => {
  const link = await world.api("POST", "/v1/referrals/link", { token: memberToken("attr-sharer"), now: NOW });
  assert.equal(link.status, 200, link.text);
  assert.deepEqual(utm(link.json.url), ["referral", "share", "invite"]);
  const mine = await world.api("GET", "/v1/referrals/me", { token: memberToken("attr-sharer"), now: NOW });
  assert.equal(mine.json.url, link.json.url);
  // The share link's tap: the redirect as ever, plus the campaign the link carried.
  const tapped = await world.api("GET", new URL(link.json.url).pathname + new URL(link.json.url).search, { headers: { "user-agent": "attr-phone" }, now: NOW });
  assert.equal(tapped.status, 302);
  assert.equal(tapped.headers.get("location"), `${LANDING}?ref=${link.json.code}&utm_source=referral&utm_medium=share&utm_campaign=invite`);

  // The store poster link and where it lands.
  const created = await world.api("POST", "/v1/admin/campaigns", {
    token: marketing,
    headers: { "idempotency-key": "attr-poster-create" },
    body: {
      id: "attr-poster", name: "门店海报", kind: "store_poster", starts_at: "2026-06-30T00:00:00Z", ends_at: "2026-07-30T00:00:00Z",
      stock: 100, coupon: { type: "fixed", value_fen: 500, valid_days: 30 }, limits: { per_member: 1 }, rules_text: "每人限领1张",
    },
    now: NOW,
  });
  assert.equal(created.status, 201, created.text);
  const poster = await world.api("GET", "/v1/admin/campaigns/attr-poster/posters/st-attr", { token: marketing, now: NOW });
  assert.equal(poster.status, 200, poster.text);
  assert.deepEqual(utm(poster.json.url), ["poster", "qr", "attr-poster"]);
  const scanned = await world.api("GET", new URL(poster.json.url).pathname + new URL(poster.json.url).search, { now: NOW });
  assert.equal(scanned.status, 302);
  const landing = scanned.headers.get("location");
  assert.deepEqual(utm(landing), ["poster", "qr", "attr-poster"]);
  assert.equal(new URL(landing).searchParams.get("store"), "st-attr");
});

test("ab: the same member always in the same bucket, both buckets over many members", async () => {
  const members = Array.from({ length: 40 }, (_, i) => `attr-ab-${i}`);
  const first = await concurrently(members.length, (i) => world.api("GET", "/v1/me", { token: memberToken(members[i]), now: NOW }));
  const again = await concurrently(members.length, (i) => world.api("GET", "/v1/me", { token: memberToken(members[i]), now: NOW }));
  const buckets = first.map((r) => {
    assert.equal(r.status, 200, r.text);
    return r.json.ab.experiment;
  });
  assert.deepEqual(again.map((r) => r.json.ab.experiment), buckets, "deterministic");
  assert.ok(buckets.includes("A") && buckets.includes("B"), `both buckets: ${buckets}`);
  const split = buckets.filter((b) => b === "A").length;
  assert.ok(split >= 8 && split <= 32, `roughly 50/50: ${split} of 40 in A`);
});

test("member.erased: no row, KV entry or hash of the member remains, late events change nothing, the owed outbox still delivers", async () => {
  const gone = "attr-gone";
  const token = memberToken(gone);
  // A member with a share code (KV + registry), a registration with a device (registry), bound
  // to an inviter's code, a check-in, a tapped link (visitor hash) and a prescription.
  const inviterLink = await world.api("POST", "/v1/referrals/link", { token: memberToken("attr-inviter"), now: NOW });
  const registered = await send(event("member.registered", {
    member_id: gone, registered_at: "2026-07-01T02:30:00Z", ref_code: inviterLink.json.code, device_id: "attr-gone-phone", real_name_verified: false,
  }));
  assert.equal(registered.status, 200, registered.text);
  const link = await world.api("POST", "/v1/referrals/link", { token, now: NOW });
  assert.equal(link.status, 200);
  await world.api("GET", `/r/${link.json.code}`, { headers: { "user-agent": "attr-visitor" }, now: NOW });
  await send(event("prescription.approved", {
    prescription_id: "rx-attr-1", member_id: gone, items: [{ sku: "abx-attr", qty: 1 }], approved_by: "pharm-1", expires_at: "2026-07-05T00:00:00Z",
  }));
  await settle();
  await world.waitFor(async () => (await footprint(gone)).tables.binding > 0, { what: "the binding" });
  const before = await footprint(gone);
  assert.equal(before.erased, false);
  for (const table of ["profile", "ledger", "binding", "link_visitors", "prescriptions", "seen_events"]) {
    assert.ok(before.tables[table] > 0, `${table} before: ${JSON.stringify(before)}`);
  }
  assert.deepEqual(before.kv_codes, [link.json.code]);
  assert.deepEqual(before.registry_codes, [link.json.code]);
  assert.equal(before.device_hashes.length, 1);

  // The core is down when the member checks in and is erased: the check-in's events are owed.
  world.stub.setMode("fail", 503);
  const checkin = await world.api("POST", "/v1/checkins", { token, now: NOW });
  assert.equal(checkin.status, 201, checkin.text);
  const erasure = event("member.erased", { member_id: gone });
  const erased = await send(erasure);
  assert.equal(erased.status, 200, erased.text);
  assert.deepEqual(erased.json, { accepted: true, duplicate: false });

  const after = await footprint(gone);
  assert.equal(after.erased, true);
  for (const [table, rows] of Object.entries(after.tables)) {
    if (table === "erasure") assert.equal(rows, 1, "the tombstone");
    else if (table !== "outbox") assert.equal(rows, 0, `${table} after: ${JSON.stringify(after)}`);
  }
  assert.ok(after.tables.outbox > 0, "what was owed before the erasure is still queued");
  assert.deepEqual([after.kv_codes, after.registry_codes, after.device_hashes], [[], [], []]);
  const tap = await world.api("GET", `/r/${link.json.code}`, { headers: { "user-agent": "attr-visitor-2" }, now: NOW });
  assert.equal(tap.status, 404, "the share code resolves to nobody");

  // The outbox still delivers what was owed, then holds nothing.
  world.stub.setMode("ok");
  await world.waitFor(
    () => world.stub.deliveries("checkin.recorded").some((d) => d.body.data.member_id === gone),
    { what: "the owed checkin.recorded", timeoutMs: 20000 },
  );
  await world.waitFor(async () => (await footprint(gone)).tables.outbox === 0, { what: "the outbox drained", timeoutMs: 20000 });

  // Later events for the member: acknowledged, no effect.
  const late = await send(event("order.paid", {
    order_id: "ord-attr-late", member_id: gone, paid_at: NOW, amount_fen: 50000, insurance_fen: 0, first_order: true,
    lines: [{ sku: "vc-attr", name: "维生素C", qty: 1, unit_price_fen: 50000, drug_class: "health" }],
  }));
  assert.deepEqual([late.status, late.json], [200, { accepted: true, duplicate: false }]);
  const again = await send(erasure);
  assert.deepEqual(again.json, { accepted: true, duplicate: true });
  await settle();
  const final = await footprint(gone);
  assert.deepEqual(Object.entries(final.tables).filter(([t, n]) => t !== "erasure" && n > 0), [], JSON.stringify(final));
  assert.equal(world.stub.deliveries("points.awarded").filter((d) => d.body.data.source_id === "ord-attr-late").length, 0, "no points for the late order");
  // The member's own requests: gone, and nothing is created again.
  const me = await world.api("GET", "/v1/me", { token, now: NOW });
  assert.deepEqual([me.status, me.json.code], [410, "member_erased"]);
  assert.deepEqual((await footprint(gone)).tables, final.tables);
});
