// Input strictness (issue 9, item 5) against the real runtime: a body must be a JSON object,
// the only JSON content type is application/json (optionally charset=utf-8) on every route,
// numbers out of a field's range are 400 naming the field, and a token with a `crit` header
// is refused. Each case was accepted before; none may change anything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, jwt, nowSecs, coreSignature, SECRETS, catalogItem } from "./harness.mjs";

const world = useWorld({ catalog: [catalogItem("otc-1", "otc_b", 1990)] });

const NOW = "2026-07-01T04:00:00Z";
const marketing = staffToken("mkt-strict", "marketing");
const clerk = staffToken("clerk-strict", "clerk", "store-1");
// A line as the core reports it (paid events), and as a member orders it (SKU and quantity).
const line = { sku: "otc-1", name: "维生素C", qty: 1, unit_price_fen: 1990, drug_class: "otc_b" };
const request = { sku: "otc-1", qty: 1 };
const campaign = (id) => ({
  id, name: `严格输入 ${id}`, kind: "coupon",
  starts_at: "2026-07-01T00:00:00Z", ends_at: "2026-07-02T00:00:00Z",
  stock: 10, coupon: { type: "fixed", value_fen: 500, valid_days: 7 }, limits: { per_member: 1 }, rules_text: "每人限领一张",
});
const REFUSED_TYPES = [
  "application/jsonx",
  "application/json-patch+json",
  "application/problem+json",
  "application/vnd.api+json",
  "application/json; charset=latin1",
  "application/json; charset=utf-8; boundary=x",
  "text/json",
  "text/plain",
];
const paid = (id, member) => ({
  id, type: "order.paid", created_at: NOW,
  data: { order_id: `o-${id}`, member_id: member, amount_fen: 1990, paid_at: NOW, lines: [line] },
});

async function createCampaign(id) {
  const created = await world.api("POST", "/v1/admin/campaigns", { token: marketing, now: NOW, body: campaign(id) });
  assert.equal(created.status, 201, created.text);
}
const adminView = async (id) => (await world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now: NOW })).json;

/** Every write route, with a token, a valid body and what answers success. */
function writes(member) {
  return [
    { what: "check-in", path: "/v1/checkins", token: memberToken(member), body: {}, ok: 201 },
    { what: "make-up", path: "/v1/checkins/makeup", token: memberToken(member), body: { date: "2026-06-30" }, ok: null },
    { what: "claim", path: "/v1/campaigns/strict-claims/claims", token: memberToken(member), body: {}, ok: 201 },
    { what: "referral link", path: "/v1/referrals/link", token: memberToken(member), body: {}, ok: 200 },
    { what: "order", path: "/v1/orders", token: memberToken(member), body: { store_id: "store-1", fulfilment: "pickup", lines: [request] }, ok: 202 },
    { what: "verify", path: "/v1/store/pickups/verify", token: clerk, body: { order_id: "ord_none", short_code: "123456" }, ok: null },
    { what: "create campaign", path: "/v1/admin/campaigns", token: marketing, body: campaign(`strict-new-${member}`), ok: 201 },
    { what: "patch campaign", path: "/v1/admin/campaigns/strict-claims", method: "PATCH", token: marketing, body: { status: "active" }, ok: 200 },
  ];
}

test("a body that is not a JSON object is 400 on every write, and changes nothing", async () => {
  await createCampaign("strict-claims");
  // A member per variant, so no per-member rate limit is ever near.
  const variants = ["[]", "[1]", "1", "\"x\"", "null", "true", " [ ] "];
  for (const [index, raw] of variants.entries()) {
    for (const route of writes(`strict-array-${index}`)) {
      const r = await world.api(route.method ?? "POST", route.path, {
        token: route.token, raw, now: NOW, headers: { "content-type": "application/json" },
      });
      assert.deepEqual([r.status, r.json?.code], [400, "invalid_request"], `${route.what} ${raw}: ${r.text}`);
      assert.equal(r.json.detail, "body: a JSON object is required", `${route.what} ${raw}`);
    }
  }
  const member = "strict-positional";
  // The positional forms serde used to read as the struct.
  const positional = [
    ["/v1/orders", memberToken(member), JSON.stringify(["store-1", "pickup", [request]])],
    ["/v1/checkins/makeup", memberToken(member), JSON.stringify(["2026-06-30"])],
    ["/v1/campaigns/strict-claims/claims", memberToken(member), JSON.stringify([null, null])],
  ];
  for (const [path, token, raw] of positional) {
    const r = await world.api("POST", path, { token, raw, now: NOW, headers: { "content-type": "application/json" } });
    assert.deepEqual([r.status, r.json.detail], [400, "body: a JSON object is required"], path);
  }
  // Structs inside the body as well: an order line or the campaign limits given positionally.
  const nested = [
    ["/v1/orders", memberToken(member), JSON.stringify({ store_id: "store-1", fulfilment: "pickup", lines: [Object.values(request)] }), "lines[0]"],
    ["/v1/admin/campaigns", marketing, JSON.stringify({ ...campaign("strict-nested"), limits: [1] }), "limits"],
  ];
  for (const [path, token, raw, field] of nested) {
    const r = await world.api("POST", path, { token, raw, now: NOW, headers: { "content-type": "application/json" } });
    assert.deepEqual([r.status, r.json.detail], [400, `${field}: a JSON object is required`], path);
  }
  const patched = await world.api("PATCH", "/v1/admin/campaigns/strict-claims", {
    token: marketing, now: NOW, raw: JSON.stringify(["ended"]), headers: { "content-type": "application/json" },
  });
  assert.deepEqual([patched.status, patched.json.detail], [400, "body: a JSON object is required"]);
  // Nothing happened: no coupon issued, no check-in, the campaign still active.
  const view = await adminView("strict-claims");
  assert.deepEqual([view.status, view.stats.issued, view.stats.remaining], ["active", 0, 10]);
  for (const who of [member, "strict-array-0", "strict-array-6"]) {
    const me = await world.api("GET", "/v1/me", { token: memberToken(who), now: NOW });
    assert.deepEqual([me.json.checkin.checked_in_today, me.json.coupons.available], [false, 0], who);
  }
});

test("a core event that is not an object, or whose data is not, is 400 and not applied", async () => {
  for (const raw of ["[]", JSON.stringify(["evt-strict-1", "order.paid", NOW, paid("x", "m").data]), "null", "42"]) {
    const r = await world.api("POST", "/v1/core/events", {
      raw, headers: { "content-type": "application/json", "core-signature": coreSignature(raw) },
    });
    assert.deepEqual([r.status, r.json.code, r.json.detail], [400, "invalid_request", "body: a JSON object is required"], raw);
  }
  const arrayData = { ...paid("evt-strict-2", "strict-events"), data: Object.values(paid("evt-strict-2", "strict-events").data) };
  const r = await world.coreEvent(arrayData);
  assert.deepEqual([r.status, r.json.detail], [400, "data: a JSON object is required"]);
  const me = await world.api("GET", "/v1/me", { token: memberToken("strict-events"), now: NOW });
  assert.equal(me.json.tier.spend_fen, 0, "the refused events changed nothing");
});

test("only application/json, optionally with charset=utf-8, is JSON: everything else is 415", async () => {
  await createCampaign("strict-media");
  const member = "strict-media";
  for (const [index, contentType] of REFUSED_TYPES.entries()) {
    const routes = writes(`strict-media-${index}`).map((route) => ({ ...route, path: route.path.replace("strict-claims", "strict-media") }));
    for (const route of routes) {
      const r = await world.api(route.method ?? "POST", route.path, {
        token: route.token, now: NOW, raw: JSON.stringify(route.body), headers: { "content-type": contentType },
      });
      assert.deepEqual([r.status, r.json?.code], [415, "unsupported_media_type"], `${route.what} as ${contentType}: ${r.text}`);
    }
  }
  assert.equal((await adminView("strict-media")).stats.issued, 0);
  // The allowed spellings work, including on the claim (which checked a prefix before).
  const claim = await world.api("POST", "/v1/campaigns/strict-media/claims", {
    token: memberToken(member), now: NOW, raw: "{}", headers: { "content-type": "Application/JSON; Charset=\"UTF-8\"" },
  });
  assert.equal(claim.status, 201, claim.text);
  const checkin = await world.api("POST", "/v1/checkins", {
    token: memberToken(member), now: NOW, raw: "{}", headers: { "content-type": "application/json; charset=utf-8" },
  });
  assert.equal(checkin.status, 201);
});

test("a correctly signed core event labelled anything but application/json is 415 and not applied", async () => {
  const event = paid("evt-strict-media", "strict-media-events");
  const raw = JSON.stringify(event);
  for (const contentType of REFUSED_TYPES) {
    const r = await world.api("POST", "/v1/core/events", { raw, headers: { "content-type": contentType, "core-signature": coreSignature(raw) } });
    assert.deepEqual([r.status, r.json.code], [415, "unsupported_media_type"], `core event as ${contentType}`);
  }
  const untouched = await world.api("GET", "/v1/me", { token: memberToken("strict-media-events"), now: NOW });
  assert.equal(untouched.json.tier.spend_fen, 0);
  const accepted = await world.api("POST", "/v1/core/events", {
    raw, headers: { "content-type": "application/json;charset=utf-8", "core-signature": coreSignature(raw) },
  });
  assert.deepEqual([accepted.status, accepted.json.duplicate], [200, false]);
});

test("numbers out of a field's range are 400 naming the field, never 500", async () => {
  await createCampaign("strict-numbers");
  const token = memberToken("strict-numbers");
  const order = (qty, price) =>
    `{"store_id":"store-1","fulfilment":"pickup","lines":[{"sku":"otc-1","qty":${qty},"unit_price_fen":${price}}]}`;
  const cases = [
    ["/v1/orders", token, "POST", order("99999999999999999999", "100"), "lines[0].qty"],
    ["/v1/orders", token, "POST", order("9223372036854775808", "100"), "lines[0].qty"],
    ["/v1/orders", token, "POST", order("1", "355.0"), "lines[0].unit_price_fen"],
    ["/v1/orders", token, "POST", order("1", "1e2"), "lines[0].unit_price_fen"],
    ["/v1/admin/campaigns/strict-numbers", marketing, "PATCH", `{"add_stock":9223372036854775808}`, "add_stock"],
    ["/v1/admin/campaigns/strict-numbers", marketing, "PATCH", `{"add_stock":1.0}`, "add_stock"],
    ["/v1/admin/campaigns", marketing, "POST", JSON.stringify(campaign("strict-n2")).replace('"stock":10', '"stock":99999999999999999999'), "stock"],
    ["/v1/admin/campaigns", marketing, "POST", JSON.stringify(campaign("strict-n3")).replace('"per_member":1', '"per_member":4294967296'), "limits.per_member"],
  ];
  for (const [path, auth, method, raw, field] of cases) {
    const r = await world.api(method, path, { token: auth, raw, now: NOW, headers: { "content-type": "application/json" } });
    assert.deepEqual([r.status, r.json.code], [400, "invalid_request"], `${path} ${raw}: ${r.text}`);
    assert.ok(r.json.detail.startsWith(field), `${path}: "${r.json.detail}" should name ${field}`);
  }
  const event = paid("evt-strict-big", "strict-numbers");
  const raw = JSON.stringify(event).replace('"amount_fen":1990', '"amount_fen":9223372036854775808');
  const r = await world.api("POST", "/v1/core/events", { raw, headers: { "content-type": "application/json", "core-signature": coreSignature(raw) } });
  assert.deepEqual([r.status, r.json.code], [400, "invalid_request"]);
  assert.ok(r.json.detail.startsWith("data.amount_fen"), r.json.detail);
  assert.equal((await adminView("strict-numbers")).stats.remaining, 10, "no stock was added");
});

test("a token whose header has crit, a foreign typ or a non-object header is 401 invalid_token", async () => {
  const claims = { sub: "strict-token", exp: nowSecs() + 600 };
  const good = await world.api("GET", "/v1/me", { token: jwt(claims, SECRETS.MEMBER_JWT_SECRET) });
  assert.equal(good.status, 200);
  const headers = [
    { alg: "HS256", typ: "JWT", crit: ["exp"] },
    { alg: "HS256", crit: ["b64"], b64: false },
    { alg: "HS256", crit: [] },
    { alg: "HS256", typ: "at+jwt" },
    ["HS256"],
  ];
  for (const header of headers) {
    const r = await world.api("GET", "/v1/me", { token: jwt(claims, SECRETS.MEMBER_JWT_SECRET, header) });
    assert.deepEqual([r.status, r.json.code], [401, "invalid_token"], JSON.stringify(header));
  }
  const crit = await world.api("GET", "/v1/me", { token: jwt(claims, SECRETS.MEMBER_JWT_SECRET, { alg: "HS256", crit: ["exp"] }) });
  assert.match(crit.json.detail, /crit/);
  // Staff tokens go through the same header check.
  const staff = jwt({ sub: "mkt-crit", role: "marketing", exp: nowSecs() + 600 }, SECRETS.STAFF_JWT_SECRET, { alg: "HS256", crit: ["exp"] });
  const admin = await world.api("GET", "/v1/admin/campaigns/strict-claims", { token: staff });
  assert.deepEqual([admin.status, admin.json.code], [401, "invalid_token"]);
});
