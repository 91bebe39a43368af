// In-store pickup against the real runtime: rotating codes, a real scannable QR, exactly one
// verification under a crowd of clerks, every refusal with its code, and brute force throttled.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Resvg } from "@resvg/resvg-js";
import jsQR from "jsqr";
import * as OTPAuth from "otpauth";
import { useWorld, catalogItem, memberToken, staffToken, concurrently, countBy, validateSchema, SECRETS, assertEachKeyOnce } from "./harness.mjs";

const CATALOG = [
  catalogItem("otc-1", "otc_b", 15000), catalogItem("dev-1", "device", 3000),
  catalogItem("rx-1", "rx", 5000), catalogItem("otc-small", "otc_b", 1000),
];
const world = useWorld({ catalog: CATALOG });

const line = (sku, qty = 1) => ({ sku, qty });
const otcCart = [line("otc-1"), line("dev-1")];
// Lines as the core reports them (it is trusted): what the catalogue priced.
const coreLines = (lines) => lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
let eventSeq = 0;
const coreEvent = (type, data, now) => world.coreEvent({ id: `evt-pku-${++eventSeq}`, type, created_at: new Date().toISOString(), data }, { now });

/** An order placed by `member` and reported ready at `store` by the core. */
async function readyOrder(member, store, { lines = otcCart, readyAt = new Date().toISOString(), deadline } = {}) {
  const rxLines = lines.filter((l) => CATALOG.find((item) => item.sku === l.sku).drug_class === "rx");
  const prescription_id = `rx-77-${member}`;
  if (rxLines.length) {
    const approved = await coreEvent("prescription.approved", {
      prescription_id, member_id: member, items: rxLines, approved_by: "pharm-1", expires_at: new Date(Date.now() + 86400_000).toISOString(),
    });
    assert.equal(approved.status, 200);
  }
  const placed = await world.api("POST", "/v1/orders", {
    token: memberToken(member),
    body: { store_id: store, fulfilment: "pickup", lines, ...(rxLines.length ? { prescription_id } : {}) },
  });
  assert.equal(placed.status, 202, placed.text);
  const orderId = placed.json.order_id;
  const ready = await coreEvent("order.ready_for_pickup", { order_id: orderId, member_id: member, store_id: store, lines: coreLines(placed.json.lines), ready_at: readyAt, ...(deadline ? { pickup_deadline: deadline } : {}) });
  assert.equal(ready.status, 200);
  return orderId;
}
const code = (member, orderId, now) => world.api("GET", `/v1/pickups/${orderId}/code`, { token: memberToken(member), now });
const verify = (token, body, now) => world.api("POST", "/v1/store/pickups/verify", { token, body, now });
const clerk = (store, id = `clerk-${store}`) => staffToken(id, "clerk", store);
const pharmacist = (store, id = `pharm-${store}`) => staffToken(id, "pharmacist", store);
const pickupEvents = (orderId) => world.stub.deliveries("pickup.verified").filter((d) => d.body.data.order_id === orderId);
/** Each pickup.verified of the order attempted once (the core never fails in this file). */
const pickupAttempts = (orderId) =>
  assertEachKeyOnce(world.stub, (a) => a.type === "pickup.verified" && a.body.data.order_id === orderId, `pickup.verified of ${orderId}`);

test("ready, shown, verified once by the right store; the core hears it once", async () => {
  const orderId = await readyOrder("pku-member", "store-a");
  const waiting = await world.api("GET", "/v1/store/pickups?status=ready", { token: clerk("store-a") });
  await world.waitFor(async () => (await world.api("GET", "/v1/store/pickups?status=ready", { token: clerk("store-a") })).json.pickups.some((p) => p.order_id === orderId), { what: "the order in the store's list" });
  assert.equal(waiting.status, 200);
  const listed = (await world.api("GET", "/v1/store/pickups", { token: clerk("store-a") })).json.pickups.find((p) => p.order_id === orderId);
  assert.deepEqual([listed.line_count, listed.has_rx], [2, false]);
  assert.equal(Date.parse(listed.pickup_deadline) - Date.parse(listed.ready_at), 7 * 86400 * 1000, "deadline 7 days after ready");
  const otherStore = await world.api("GET", "/v1/store/pickups", { token: clerk("store-b") });
  assert.equal(otherStore.json.pickups.length, 0);

  const shown = await code("pku-member", orderId);
  assert.equal(shown.status, 200);
  assert.equal(shown.json.store_id, "store-a");
  const first = await verify(clerk("store-a"), { code: shown.json.qr });
  assert.equal(first.status, 200);
  assert.deepEqual([first.json.order_id, first.json.store_id, first.json.verified_by, first.json.lines.length], [orderId, "store-a", "clerk-store-a", 2]);
  const second = await verify(clerk("store-a", "clerk-2"), { code: shown.json.qr });
  assert.deepEqual([second.status, second.json.code, second.json.verified_by, second.json.verified_at], [409, "already_picked_up", "clerk-store-a", first.json.verified_at]);
  const order = await world.api("GET", `/v1/orders/${orderId}`, { token: memberToken("pku-member") });
  assert.deepEqual([order.json.status, order.json.pickup.verified_by], ["picked_up", "clerk-store-a"]);
  const again = await code("pku-member", orderId);
  assert.deepEqual([again.status, again.json.code], [409, "already_picked_up"]);
  await world.waitFor(() => pickupEvents(orderId).length === 1, { what: "pickup.verified at the core" });
  validateSchema("OutboundEvent", pickupEvents(orderId)[0].body);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(pickupAttempts(orderId).length, 1, "the core hears it once: one attempt");
  await world.waitFor(async () => !(await world.api("GET", "/v1/store/pickups", { token: clerk("store-a") })).json.pickups.some((p) => p.order_id === orderId), { what: "gone from the list" });
});

test("100 concurrent verifications of one valid code: exactly one 200, the rest already_picked_up", async () => {
  const orderId = await readyOrder("pku-crowd", "store-crowd");
  const { qr } = (await code("pku-crowd", orderId)).json;
  const answers = await concurrently(100, (i) => verify(clerk("store-crowd", `clerk-crowd-${i % 7}`), { code: qr }));
  assert.deepEqual(countBy(answers, (r) => r.status === 200 ? "ok" : r.json.code), { ok: 1, already_picked_up: 99 });
  const winner = answers.find((r) => r.status === 200).json;
  assert.ok(answers.filter((r) => r.status === 409).every((r) => r.json.verified_by === winner.verified_by && r.json.verified_at === winner.verified_at));
  await world.waitFor(() => pickupEvents(orderId).length === 1, { what: "pickup.verified" });
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(pickupEvents(orderId).length, 1, "the core receives exactly one pickup.verified");
  assert.equal(pickupAttempts(orderId).length, 1, "...in one attempt");
});

test("stale, tampered, wrong-store, foreign and premature codes are each refused with their code", async () => {
  const t0 = new Date(Math.floor(Date.now() / 30000) * 30000 + 5000);
  const at = (secs) => new Date(t0.getTime() + secs * 1000).toISOString();
  const orderId = await readyOrder("pku-refuse", "store-r", { readyAt: at(-3600) });
  const old = (await code("pku-refuse", orderId, at(0))).json;
  // The previous step is still accepted; two steps ago is expired.
  const expired = await verify(clerk("store-r"), { code: old.qr }, at(61));
  assert.deepEqual([expired.status, expired.json.code], [410, "code_expired"]);
  const [prefix, id, step, mac] = old.qr.split(".");
  const flipped = mac[0] === "A" ? "B" + mac.slice(1) : "A" + mac.slice(1);
  const tampered = await verify(clerk("store-r"), { code: [prefix, id, step, flipped].join(".") }, at(1));
  assert.deepEqual([tampered.status, tampered.json.code], [422, "invalid_code"]);
  const futureStep = await verify(clerk("store-r"), { code: [prefix, id, Number(step) + 5, mac].join(".") }, at(1));
  assert.deepEqual([futureStep.status, futureStep.json.code], [422, "invalid_code"]);
  for (const garbage of ["", "hello", "PE1.a.b.c", "PE1.<script>.1.AAAA", "PE1.x'; DROP TABLE--.1.AAAAAAAAAAAAAAAAAAAAAA", "二维码".repeat(100)]) {
    const refused = await verify(clerk("store-r", "clerk-garbage"), { code: garbage }, at(1));
    assert.deepEqual([refused.status, refused.json.code], [422, "invalid_code"], garbage);
  }
  const wrongStore = await verify(clerk("store-elsewhere"), { code: old.qr }, at(1));
  assert.deepEqual([wrongStore.status, wrongStore.json.code], [403, "wrong_store"]);
  const marketingStaff = await verify(staffToken("mkt", "marketing"), { code: old.qr }, at(1));
  assert.deepEqual([marketingStaff.status, marketingStaff.json.code], [403, "forbidden"]);
  const foreign = await code("pku-someone-else", orderId, at(0));
  assert.deepEqual([foreign.status, foreign.json.code], [404, "order_not_found"]);
  const badShape = await verify(clerk("store-r"), { code: old.qr, short_code: "123456" }, at(1));
  assert.deepEqual([badShape.status, badShape.json.code], [400, "invalid_request"]);

  // Not ready yet: no code to show.
  const placed = await world.api("POST", "/v1/orders", { token: memberToken("pku-refuse"), body: { store_id: "store-r", fulfilment: "pickup", lines: otcCart } });
  const notReady = await code("pku-refuse", placed.json.order_id);
  assert.deepEqual([notReady.status, notReady.json.code], [409, "not_ready"]);
  // Accepted, or already forwarded if the outbox delivered it to the core stub in between.
  assert.ok(["accepted", "forwarded"].includes(notReady.json.order_status), notReady.json.order_status);
  // Ready, then cancelled by the core: the code shown before no longer works.
  const cancelledId = await readyOrder("pku-refuse", "store-r");
  const beforeCancel = (await code("pku-refuse", cancelledId)).json;
  assert.equal((await coreEvent("order.cancelled", { order_id: cancelledId })).status, 200);
  const cancelled = await verify(clerk("store-r"), { code: beforeCancel.qr });
  assert.deepEqual([cancelled.status, cancelled.json.code, cancelled.json.order_status], [409, "not_ready", "cancelled"]);
  // Ready eight days ago: past the default deadline.
  const lateId = await readyOrder("pku-refuse", "store-r", { readyAt: new Date(Date.now() - 8 * 86400 * 1000).toISOString() });
  const late = await code("pku-refuse", lateId);
  assert.deepEqual([late.status, late.json.code], [410, "pickup_expired"]);
});

test("an Rx order needs a pharmacist", async () => {
  const orderId = await readyOrder("pku-rx", "store-rx", { lines: [line("rx-1"), line("otc-small")] });
  const listed = await world.api("GET", "/v1/store/pickups", { token: pharmacist("store-rx") });
  await world.waitFor(async () => (await world.api("GET", "/v1/store/pickups", { token: pharmacist("store-rx") })).json.pickups.length === 1, { what: "listed" });
  assert.equal(listed.status, 200);
  assert.equal((await world.api("GET", "/v1/store/pickups", { token: pharmacist("store-rx") })).json.pickups[0].has_rx, true);
  const { qr } = (await code("pku-rx", orderId)).json;
  const byClerk = await verify(clerk("store-rx"), { code: qr });
  assert.deepEqual([byClerk.status, byClerk.json.code], [403, "pharmacist_required"]);
  const byPharmacist = await verify(pharmacist("store-rx"), { code: qr });
  assert.deepEqual([byPharmacist.status, byPharmacist.json.verified_by], [200, "pharm-store-rx"]);
});

test("the short code is RFC 6238 (checked with otpauth) and works typed with the order id", async () => {
  const orderId = await readyOrder("pku-totp", "store-t");
  const shown = (await code("pku-totp", orderId)).json;
  validateSchema("PickupCode", shown);
  // The per-order secret is HMAC-SHA256(PICKUP_SIGNING_SECRET, "pickup.totp.v1\n" + order id).
  const secret = crypto.createHmac("sha256", SECRETS.PICKUP_SIGNING_SECRET).update(`pickup.totp.v1\n${orderId}`).digest();
  const totp = new OTPAuth.TOTP({ algorithm: "SHA256", digits: 6, period: 30, secret: new OTPAuth.Secret({ buffer: secret.buffer.slice(secret.byteOffset, secret.byteOffset + secret.length) }) });
  const expected = [0, -30_000].map((offset) => totp.generate({ timestamp: Date.now() + offset }));
  assert.ok(expected.includes(shown.short_code), `${shown.short_code} is one of ${expected}`);
  const typedWrong = await verify(clerk("store-t"), { order_id: orderId, short_code: shown.short_code === "000000" ? "000001" : "000000" });
  assert.deepEqual([typedWrong.status, typedWrong.json.code], [422, "invalid_code"]);
  const typed = await verify(clerk("store-t"), { order_id: orderId, short_code: totp.generate() });
  assert.equal(typed.status, 200);
});

test("the QR SVG decodes (resvg + jsQR) back to the qr text", async () => {
  const orderId = await readyOrder("pku-svg", "store-s");
  for (let attempt = 0; attempt < 3; attempt++) {
    const shown = (await code("pku-svg", orderId)).json;
    const svg = await world.api("GET", `/v1/pickups/${orderId}/qr.svg`, { token: memberToken("pku-svg") });
    assert.equal(svg.status, 200);
    assert.match(svg.headers.get("content-type"), /^image\/svg\+xml/);
    const rendered = new Resvg(svg.text, { fitTo: { mode: "width", value: 400 }, background: "white" }).render();
    const decoded = jsQR(new Uint8ClampedArray(rendered.pixels), rendered.width, rendered.height);
    assert.ok(decoded, "the SVG is a readable QR code");
    // The code rotates at step boundaries; the two reads may straddle one.
    if (decoded.data === shown.qr) return;
    assert.equal(decoded.data.split(".").slice(0, 2).join("."), shown.qr.split(".").slice(0, 2).join("."));
  }
  assert.fail("the QR never matched the qr text");
});

test("brute force is throttled: per order on short codes, per staff member, with Retry-After", async () => {
  const orderId = await readyOrder("pku-brute", "store-bf");
  const guesses = [];
  for (let i = 0; i < 5; i++) guesses.push(await verify(clerk("store-bf", "clerk-bf-1"), { order_id: orderId, short_code: String(100000 + i) }));
  assert.ok(guesses.every((r) => r.json.code === "invalid_code"));
  const shown = (await code("pku-brute", orderId)).json;
  const locked = await verify(clerk("store-bf", "clerk-bf-2"), { order_id: orderId, short_code: shown.short_code });
  assert.deepEqual([locked.status, locked.json.code], [429, "rate_limited"], "the order's short code is locked after 5 wrong tries");
  assert.ok(Number(locked.headers.get("retry-after")) > 0);
  const byQr = await verify(clerk("store-bf", "clerk-bf-2"), { code: shown.qr });
  assert.equal(byQr.status, 200, "the QR still works");

  // One staff member guessing across orders: 10 wrong codes, then 429 for them only.
  const staff = clerk("store-bf2", "clerk-guesser");
  for (let i = 0; i < 10; i++) {
    const wrong = await verify(staff, { order_id: `ord_guess_${i}`, short_code: "123456" });
    assert.equal(wrong.json.code, "invalid_code");
  }
  const blocked = await verify(staff, { order_id: "ord_guess_x", short_code: "123456" });
  assert.deepEqual([blocked.status, blocked.json.code], [429, "rate_limited"]);
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  const colleague = await verify(clerk("store-bf2", "clerk-honest"), { order_id: "ord_guess_x", short_code: "123456" });
  assert.equal(colleague.json.code, "invalid_code", "a colleague is not blocked by someone else's guesses");
});

test("an order placed in the app, known only from the core's events, is picked up the same way", async () => {
  const orderId = "app-order-1";
  assert.equal((await coreEvent("order.confirmed", { order_id: orderId })).status, 200);
  const ready = await coreEvent("order.ready_for_pickup", { order_id: orderId, member_id: "pku-app", store_id: "store-app", lines: coreLines(CATALOG.slice(0, 2).map((item) => ({ ...item, qty: 1, unit_price_fen: item.price_fen }))), ready_at: new Date().toISOString() });
  assert.equal(ready.status, 200);
  const seen = await world.api("GET", `/v1/orders/${orderId}`, { token: memberToken("pku-app") });
  assert.deepEqual([seen.status, seen.json.status, seen.json.store_id, seen.json.subtotal_fen], [200, "ready_for_pickup", "store-app", null]);
  const stranger = await world.api("GET", `/v1/orders/${orderId}`, { token: memberToken("pku-not-app") });
  assert.deepEqual([stranger.status, stranger.json.code], [404, "order_not_found"]);
  const { qr } = (await code("pku-app", orderId)).json;
  const verified = await verify(clerk("store-app"), { code: qr });
  assert.deepEqual([verified.status, verified.json.order_id], [200, orderId]);
  // A late cancellation does not undo a handover.
  assert.equal((await coreEvent("order.cancelled", { order_id: orderId })).status, 200);
  const after = await world.api("GET", `/v1/orders/${orderId}`, { token: memberToken("pku-app") });
  assert.equal(after.json.status, "picked_up");
});
