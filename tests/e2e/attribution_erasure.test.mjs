// Attribution and erasure (issue 13): every link the edge issues carries its UTM, the
// experiment bucket in /v1/me, and `member.erased` (PIPL) checked from the objects' own views.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently, catalogItem } from "./harness.mjs";

const world = useWorld({ catalog: [catalogItem("attr-otc", "otc_b", 2590)] });

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
  // A late order ready for pickup creates nothing for the erased member (found from outside).
  const lateReady = await send(event("order.ready_for_pickup", {
    order_id: "ord-attr-late-ready", member_id: gone, store_id: "st-attr", ready_at: NOW,
    lines: [{ sku: "attr-otc", name: "商品 attr-otc", qty: 1, unit_price_fen: 2590, drug_class: "otc_b" }],
  }));
  assert.deepEqual([lateReady.status, lateReady.json], [200, { accepted: true, duplicate: false }]);
  const lateOrder = await world.api("GET", "/v1/orders/ord-attr-late-ready", { token, now: NOW });
  assert.equal(lateOrder.status, 404, `no order object was created: ${lateOrder.text}`);
  const again = await send(erasure);
  assert.deepEqual(again.json, { accepted: true, duplicate: true });
  await settle();
  const final = await footprint(gone);
  assert.deepEqual(Object.entries(final.tables).filter(([t, n]) => t !== "erasure" && n > 0), [], JSON.stringify(final));
  assert.equal(world.stub.deliveries("points.awarded").filter((d) => d.body.data.source_id === "ord-attr-late").length, 0, "no points for the late order");
  // A member the edge never saw: the footprint is empty, the erasure still leaves a tombstone.
  const stranger = await footprint("attr-never-seen");
  assert.deepEqual([stranger.erased, stranger.tables, stranger.kv_codes, stranger.device_hashes], [false, {}, [], []]);
  const strangerErased = await send(event("member.erased", { member_id: "attr-never-seen" }));
  assert.deepEqual([strangerErased.status, strangerErased.json], [200, { accepted: true, duplicate: false }]);
  assert.deepEqual((await footprint("attr-never-seen")).tables, { erasure: 1 });
  // The member's own requests: gone, and nothing is created again.
  const me = await world.api("GET", "/v1/me", { token, now: NOW });
  assert.deepEqual([me.status, me.json.code], [410, "member_erased"]);
  for (const [method, path] of [["POST", "/v1/checkins"], ["GET", "/v1/coupons"], ["POST", "/v1/referrals/link"]]) {
    const refused = await world.api(method, path, { token, now: NOW }); // validated against the OpenAPI file
    assert.deepEqual([refused.status, refused.json.code], [410, "member_erased"], `${method} ${path}`);
  }
  assert.deepEqual((await footprint(gone)).tables, final.tables);
});

test("an order keeps the attribution it arrived with and forwards it to the core; a bad one is 400", async () => {
  const attribution = { utm_source: "poster", utm_medium: "qr", utm_campaign: "attr-poster", store_id: "st-attr" };
  const token = memberToken("attr-buyer");
  const order = { store_id: "st-attr", fulfilment: "pickup", lines: [{ sku: "attr-otc", qty: 1 }] };
  const placed = await world.api("POST", "/v1/orders", { token, body: { ...order, attribution }, headers: { "idempotency-key": "attr-order-1" }, now: NOW });
  assert.equal(placed.status, 202, placed.text);
  await world.waitFor(() => world.stub.deliveries("order").some((d) => d.body.order_id === placed.json.order_id), { what: "the order at the core" });
  const delivered = world.stub.deliveries("order").find((d) => d.body.order_id === placed.json.order_id);
  assert.deepEqual(delivered.body.attribution, attribution);
  // Without attribution, none is forwarded.
  const plain = await world.api("POST", "/v1/orders", { token, body: order, headers: { "idempotency-key": "attr-order-2" }, now: NOW });
  assert.equal(plain.status, 202, plain.text);
  await world.waitFor(() => world.stub.deliveries("order").some((d) => d.body.order_id === plain.json.order_id), { what: "the plain order" });
  assert.equal(world.stub.deliveries("order").find((d) => d.body.order_id === plain.json.order_id).body.attribution, undefined);
  for (const [bad, field] of [
    [{ ...attribution, gclid: "x" }, "gclid"],
    [{ utm_source: "双十一" }, "attribution.utm_source"],
    [{ store_id: "st 1" }, "attribution.store_id"],
  ]) {
    const refused = await world.api("POST", "/v1/orders", { token, body: { ...order, attribution: bad }, now: NOW });
    assert.deepEqual([refused.status, refused.json.code], [400, "invalid_request"], JSON.stringify(bad));
    assert.match(refused.json.detail, new RegExp(field), refused.json.detail);
  }
});

test("a claim keeps the attribution it arrived with and coupon.claimed forwards it", async () => {
  const created = await world.api("POST", "/v1/admin/campaigns", {
    token: marketing,
    headers: { "idempotency-key": "attr-coupon-create" },
    body: {
      id: "attr-coupon", name: "新人券", kind: "coupon", starts_at: "2026-06-30T00:00:00Z", ends_at: "2026-07-30T00:00:00Z",
      stock: 100, coupon: { type: "fixed", value_fen: 990, valid_days: 30 }, limits: { per_member: 1 }, rules_text: "每人限领1张",
    },
    now: NOW,
  });
  assert.equal(created.status, 201, created.text);
  const attribution = { utm_source: "entry", utm_medium: "qr", utm_campaign: "attr-coupon", store_id: "st-attr" };
  const bad = await world.api("POST", "/v1/campaigns/attr-coupon/claims", { token: memberToken("attr-claimer"), body: { attribution: { ...attribution, fbclid: "x" } }, now: NOW });
  assert.deepEqual([bad.status, bad.json.code], [400, "invalid_request"]);
  const claimed = await world.api("POST", "/v1/campaigns/attr-coupon/claims", {
    token: memberToken("attr-claimer"), body: { attribution }, headers: { "idempotency-key": "attr-claim-1" }, now: NOW,
  });
  assert.equal(claimed.status, 201, claimed.text);
  const couponId = claimed.json.coupon.coupon_id;
  await world.waitFor(() => world.stub.deliveries("coupon.claimed").some((d) => d.body.data.coupon_id === couponId), { what: "coupon.claimed" });
  const event = world.stub.deliveries("coupon.claimed").find((d) => d.body.data.coupon_id === couponId);
  assert.deepEqual(event.body.data.attribution, attribution);
  // Kept with the coupon: the member's object holds it (its own table).
  assert.equal((await footprint("attr-claimer")).tables.coupon_attribution, 1);
});

test("GET /e/{store}: the one-scan entry leads to registration, points and the store's campaigns, all tagged", async () => {
  const res = await world.api("GET", "/e/st-attr", { now: NOW });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/html/);
  const csp = res.headers.get("content-security-policy");
  assert.ok(csp.includes("script-src 'self'") && !csp.includes("unsafe-inline"), csp);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.ok(!/<script|style=|onclick/i.test(res.text), "no script, no inline style");
  const hrefs = [...res.text.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replaceAll("&amp;", "&")).filter((h) => !h.startsWith("data:") && !h.startsWith("/assets/"));
  const absolute = hrefs.map((h) => new URL(h, world.url));
  assert.ok(absolute.length >= 4, hrefs.join("\n"));
  for (const url of absolute) {
    assert.deepEqual([url.searchParams.get("utm_source"), url.searchParams.get("utm_medium")], ["entry", "qr"], url.href);
    assert.ok(url.searchParams.get("utm_campaign"), url.href);
    assert.equal(url.searchParams.get("store"), "st-attr", url.href);
  }
  assert.equal(absolute[0].origin + absolute[0].pathname, LANDING, "registration first");
  assert.equal(absolute[1].pathname, "/m/checkin");
  const poster = absolute.find((u) => u.pathname === "/m/campaigns/attr-poster");
  assert.ok(poster?.searchParams.get("sig"), "the store's poster campaign, signed for this store");
  // The signature is the store's: the claim page's claim with it succeeds.
  const claim = await world.api("POST", "/v1/campaigns/attr-poster/claims", {
    token: memberToken("attr-scanner"), now: NOW,
    body: { store_id: "st-attr", poster_sig: poster.searchParams.get("sig"), attribution: { utm_source: "entry", utm_medium: "qr", utm_campaign: "attr-poster", store_id: "st-attr" } },
  });
  assert.equal(claim.status, 201, claim.text);
  assert.equal(claim.json.coupon.store_id, "st-attr");

  const unknown = await world.api("GET", "/e/not%20a%20store", { now: NOW });
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /门店码无效/);
  const qr = await world.api("GET", "/v1/admin/stores/st-attr/entry.svg", { token: marketing });
  assert.equal(qr.status, 200);
  assert.match(qr.headers.get("content-type"), /^image\/svg\+xml/);
  assert.match(qr.text, /<svg/);
  assert.equal((await world.api("GET", "/v1/admin/stores/st-attr/entry.svg")).status, 401);
});

test("retention: an order drops its line names RETENTION_DAYS (180) after its pickup deadline, not before", async () => {
  const token = memberToken("attr-keeper");
  const placed = await world.api("POST", "/v1/orders", {
    token, now: NOW, headers: { "idempotency-key": "attr-keep-1" },
    body: { store_id: "st-attr", fulfilment: "pickup", lines: [{ sku: "attr-otc", qty: 1 }] },
  });
  assert.equal(placed.status, 202, placed.text);
  const id = placed.json.order_id;
  const deadline = "2026-07-08T03:00:00Z";
  const ready = await send(event("order.ready_for_pickup", {
    order_id: id, member_id: "attr-keeper", store_id: "st-attr", ready_at: NOW, pickup_deadline: deadline,
    lines: [{ sku: "attr-otc", name: "商品 attr-otc", qty: 1, unit_price_fen: 2590, drug_class: "otc_b" }],
  }));
  assert.equal(ready.status, 200, ready.text);
  const at = (days) => new Date(Date.parse(deadline) + days * 86_400_000).toISOString().replace(".000Z", "Z");
  const view = async (now) => {
    const r = await world.api("GET", `/v1/orders/${id}`, { token, now });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  assert.equal((await view(NOW)).lines[0].name, "商品 attr-otc");
  assert.equal((await view(at(179))).lines[0].name, "商品 attr-otc", "kept within the retention");
  const after = await view(at(180));
  assert.equal(after.lines[0].name, "", "dropped once due");
  assert.deepEqual([after.lines[0].sku, after.lines[0].qty, after.payable_fen], ["attr-otc", 1, 2590], "the rest kept");
  assert.equal((await view(NOW)).lines[0].name, "", "gone for good");
});

test("a ready order whose retention falls beyond what alarms support (a ready_at centuries ahead) is accepted, not a 500", async () => {
  // Found by schemathesis: the runtime refuses alarms after 2189; such a retention is not armed.
  const ready = await send(event("order.ready_for_pickup", {
    order_id: "attr-far-ready", member_id: "attr-far", store_id: "st-attr", ready_at: "2896-06-26T01:45:16Z",
    lines: [{ sku: "attr-otc", name: "商品 attr-otc", qty: 1, unit_price_fen: 2590, drug_class: "otc_b" }],
  }));
  assert.equal(ready.status, 200, ready.text);
});

test("a registration's attribution is kept and forwarded in referral.bound; a malformed one is 400", async () => {
  const inviter = await world.api("POST", "/v1/referrals/link", { token: memberToken("attr-reg-inviter"), now: NOW });
  const attribution = { utm_source: "referral", utm_medium: "share", utm_campaign: "invite" };
  const data = { member_id: "attr-reg-invitee", registered_at: "2026-07-01T02:30:00Z", ref_code: inviter.json.code, device_id: "attr-reg-phone", real_name_verified: false };
  const bad = await send(event("member.registered", { ...data, attribution: { utm_source: "双十一" } }));
  assert.deepEqual([bad.status, bad.json.code], [400, "invalid_request"]);
  assert.match(bad.json.detail, /data\.attribution\.utm_source/);
  const ok = await send(event("member.registered", { ...data, attribution }));
  assert.equal(ok.status, 200, ok.text);
  await world.waitFor(() => world.stub.deliveries("referral.bound").some((d) => d.body.data.invitee_id === "attr-reg-invitee"), { what: "referral.bound" });
  const bound = world.stub.deliveries("referral.bound").find((d) => d.body.data.invitee_id === "attr-reg-invitee");
  assert.deepEqual(bound.body.data.attribution, attribution);
});
