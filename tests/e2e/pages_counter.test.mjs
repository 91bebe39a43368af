// The member's pickup page and the store counter in Chromium: the counter's camera sees the QR
// the member's page draws (rendered into a fake camera video), decodes it with the bundled jsQR
// and verifies it exactly once; the hand scanner and the typed 6-digit paths; every refusal in
// words; the waiting list and the member's page follow without a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import { useWorld, catalogItem, memberToken, staffToken } from "./harness.mjs";
import { launch, open, assertClean, assertAccessible, assertNoTokenInUrls, screenshot, pageUrl, PHONE, DESKTOP } from "./browser.mjs";
import { writeY4m } from "./fake_camera.mjs";

const CATALOG = [catalogItem("otc-1", "otc_b", 15000), catalogItem("dev-1", "device", 3000), catalogItem("rx-1", "rx", 5000)];
const world = useWorld({ catalog: CATALOG });
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

let eventSeq = 0;
const coreEvent = (type, data) => world.coreEvent({ id: `evt-pgc-${++eventSeq}`, type, created_at: new Date().toISOString(), data });
const coreLines = (lines) => lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
const clerk = (store, id = `clerk-${store}`) => staffToken(id, "clerk", store);
const pharmacist = (store, id = `pharm-${store}`) => staffToken(id, "pharmacist", store);
const shanghai = (iso) =>
  new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });

/** An order placed by `member` at `store`, confirmed and (unless `ready` is false) ready for pickup. */
async function placeOrder(member, store, { lines = [{ sku: "otc-1", qty: 2 }, { sku: "dev-1", qty: 1 }], ready = true, readyAt, deadline } = {}) {
  const rx = lines.filter((l) => l.sku.startsWith("rx-"));
  const prescription_id = `rx-pgc-${member}`;
  if (rx.length) {
    const approved = await coreEvent("prescription.approved", {
      prescription_id, member_id: member, items: rx, approved_by: "pharm-1", expires_at: new Date(Date.now() + 86400_000).toISOString(),
    });
    assert.equal(approved.status, 200);
  }
  const placed = await world.api("POST", "/v1/orders", {
    token: memberToken(member),
    body: { store_id: store, fulfilment: "pickup", lines, ...(rx.length ? { prescription_id } : {}) },
  });
  assert.equal(placed.status, 202, placed.text);
  const orderId = placed.json.order_id;
  assert.equal((await coreEvent("order.confirmed", { order_id: orderId })).status, 200);
  if (ready) {
    const readied = await coreEvent("order.ready_for_pickup", {
      order_id: orderId, member_id: member, store_id: store, lines: coreLines(placed.json.lines),
      ready_at: readyAt ?? new Date().toISOString(), ...(deadline ? { pickup_deadline: deadline } : {}),
    });
    assert.equal(readied.status, 200);
  }
  return orderId;
}

const orderOf = async (member, orderId) => (await world.api("GET", `/v1/orders/${orderId}`, { token: memberToken(member) })).json;
const pickupEvents = (orderId) => world.stub.deliveries("pickup.verified").filter((d) => d.body.data.order_id === orderId);
/** Opens a page with its token in the fragment; the page keeps the token for assertNoTokenInUrls. */
async function openWith(b, path, token, viewport) {
  const page = await open(b, pageUrl(world.url, path, token), { viewport });
  page.token = token;
  return page;
}
const openPickup = (b, member, orderId, viewport = PHONE) => openWith(b, `/m/pickup/${orderId}`, memberToken(member), viewport);
const openStore = (b, token, viewport = PHONE) => openWith(b, "/store", token, viewport);
const status = (page) => page.getByRole("status");
const waitStatus = (page, text, timeout = 15000) => status(page).filter({ hasText: text }).waitFor({ timeout });
const focused = (page) => page.evaluate(() => document.activeElement?.id);
const row = (page, orderId) => page.locator(`#waiting tr[data-order="${orderId}"]`);

/**
 * The first view: bytes transferred so far (headers and bodies, cold cache) and the time from
 * navigation to when `ready` first held in the page (ms).
 */
async function firstView(page, ready) {
  const readyMs = await (await page.waitForFunction(ready, undefined, { polling: "raf" })).jsonValue();
  let bytes = 0;
  for (const request of page.requests) {
    const sizes = await request.sizes();
    bytes += sizes.responseBodySize + sizes.responseHeadersSize;
  }
  return { bytes, readyMs: Math.round(readyMs) };
}
const FIRST_VIEW_BUDGET = 40_000;

async function typeAndEnter(page, text) {
  assert.equal(await focused(page), "code", "取货码 has the focus, ready for the scanner");
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

/** The QR the page shows, as grey levels of a `size`x`size` picture (white around it). */
async function shownQr(page, size = 320) {
  await page.waitForFunction(() => {
    const img = document.querySelector("#qr");
    return img.src.startsWith("blob:") && img.complete && img.naturalWidth > 0;
  });
  return page.evaluate((size) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, size, size);
    const margin = size / 10;
    context.drawImage(document.querySelector("#qr"), margin, margin, size - 2 * margin, size - 2 * margin);
    const { data } = context.getImageData(0, 0, size, size);
    const luma = new Array(size * size);
    for (let i = 0; i < luma.length; i++) luma[i] = Math.round(0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]);
    return { luma, size };
  }, size);
}

test("the counter scans the member's QR from a camera picture, verifies once, and a second scan says already picked up", async (t) => {
  const member = "pgc-cam";
  const store = "store-cam";
  const orderId = await placeOrder(member, store);
  const pickupPage = await openPickup(browser, member, orderId);
  const pickupView = await firstView(pickupPage, () => document.querySelector("#qr").complete && document.querySelector("#qr").naturalWidth > 0 && performance.now());
  t.diagnostic(`pickup page first view (360): ${pickupView.bytes} bytes, code shown after ${pickupView.readyMs} ms`);
  assert.ok(pickupView.bytes < FIRST_VIEW_BUDGET, `pickup page weighs ${pickupView.bytes} bytes`);
  await waitStatus(pickupPage, "订单已备好");
  const picture = await shownQr(pickupPage);
  const shortCode = await pickupPage.locator("#short-code").textContent();
  assert.match(shortCode, /^\d{6}$/);
  assert.match(await pickupPage.locator("#countdown").textContent(), /\d+ 秒后自动更新（当前码还可用 \d+ 秒）/);
  const facts = await pickupPage.locator("#facts").textContent();
  assert.ok(facts.includes(store) && facts.includes("取货期限"), facts);
  assert.match(await pickupPage.locator("#lines").textContent(), /商品 otc-1 × 2/);
  // The picture is what the API issues for this order, with time left to scan it.
  const rgba = new Uint8ClampedArray(picture.size * picture.size * 4);
  picture.luma.forEach((v, i) => rgba.set([v, v, v, 255], 4 * i));
  const decoded = jsQR(rgba, picture.size, picture.size)?.data ?? "";
  assert.ok(decoded.startsWith(`PE1.${orderId}.`), `the page's QR reads ${decoded}`);
  const validMs = Number(await pickupPage.locator("#code-card").getAttribute("data-valid-until")) - Date.now();
  assert.ok(validMs > 20_000, `the shown code is valid for ${validMs} ms more`);
  await assertAccessible(pickupPage, "pickup, code shown (360)");
  await screenshot(pickupPage, "pickup");

  const video = join(mkdtempSync(join(tmpdir(), "pharmedge-camera-")), "qr.y4m");
  writeY4m(video, picture);
  const camera = await launch({ fakeCamera: video });
  let verifiedAt;
  try {
    const counter = await openStore(camera, clerk(store));
    await row(counter, orderId).waitFor();
    assert.deepEqual(await row(counter, orderId).locator("td").allTextContents().then((cells) => cells.slice(3)), ["2", "—"], "two lines, no Rx");
    assert.equal(await focused(counter), "code", "取货码 is focused on arrival");
    await counter.getByRole("button", { name: "扫码", exact: true }).click();
    await waitStatus(counter, "核销成功", 20000);
    const shown = await status(counter).textContent();
    assert.ok(shown.includes("2 × 商品 otc-1") && shown.includes("1 × 商品 dev-1") && shown.includes(`clerk-${store}`), shown);
    assert.equal(await counter.locator("#camera").isHidden(), true, "the camera stops after a read");
    // Linux Chromium has no BarcodeDetector: the bundled jsQR was loaded (once, by its versioned URL).
    const decoder = await counter.evaluate(() => ("BarcodeDetector" in window ? "BarcodeDetector" : typeof window.jsQR));
    assert.ok(["BarcodeDetector", "function"].includes(decoder), decoder);
    if (decoder === "function") {
      const loads = counter.requests.filter((r) => new URL(r.url()).pathname === "/assets/jsqr.js");
      assert.equal(loads.length, 1, "jsQR fetched once");
      assert.match(loads[0].url(), /\?v=[0-9a-f]{12}$/);
    }
    assert.equal(await focused(counter), "code", "ready for the next customer");

    // The API agrees, and the core hears it once.
    const order = await orderOf(member, orderId);
    assert.deepEqual([order.status, order.pickup.verified_by], ["picked_up", `clerk-${store}`]);
    verifiedAt = order.pickup.verified_at;
    await world.waitFor(() => pickupEvents(orderId).length === 1, { what: "pickup.verified at the core" });
    // The waiting list drops it without a reload.
    await row(counter, orderId).waitFor({ state: "detached", timeout: 5000 });

    await counter.getByRole("button", { name: "扫码", exact: true }).click();
    await waitStatus(counter, "已取过货", 20000);
    const again = await status(counter).textContent();
    assert.ok(again.includes(`clerk-${store}`) && again.includes(shanghai(order.pickup.verified_at)), again);
    // The same clerk scanning the same code again (a scanner firing twice): amber, said to be a
    // repeat of their own verification, with the lines, never a second verification.
    assert.equal(await status(counter).getAttribute("class"), "status outcome warn");
    assert.match(again, /重复扫码/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pickupEvents(orderId).length, 1, "still one pickup.verified");
    await assertAccessible(counter, "store, already picked up (360)");
    await screenshot(counter, "store");
    assertClean(counter);
    assertNoTokenInUrls(counter, counter.token);
  } finally {
    await camera.close();
  }

  // The member's page notices by itself.
  await waitStatus(pickupPage, "已取货", 10000);
  assert.ok((await status(pickupPage).textContent()).includes(shanghai(verifiedAt)));
  assert.equal(await pickupPage.locator("#code-card").isHidden(), true);
  assertClean(pickupPage);
  assertNoTokenInUrls(pickupPage, pickupPage.token);
});

test("the typed 6-digit code with the order id, and a hand scanner typing the QR text + Enter, both verify", async (t) => {
  const store = "store-typed";
  const typedOrder = await placeOrder("pgc-typed", store);
  const scannedOrder = await placeOrder("pgc-scanner", store);
  const counter = await openStore(browser, clerk(store), DESKTOP);
  const storeView = await firstView(counter, () => document.querySelector("#waiting tr[data-order]") && document.activeElement?.id === "code" && performance.now());
  t.diagnostic(`store page first view (1280): ${storeView.bytes} bytes, waiting list shown after ${storeView.readyMs} ms`);
  assert.ok(storeView.bytes < FIRST_VIEW_BUDGET, `store page weighs ${storeView.bytes} bytes`);
  await row(counter, typedOrder).waitFor();
  await row(counter, scannedOrder).waitFor();
  await assertAccessible(counter, "store with waiting list (1280)");

  // Choosing the order in the list fills the order id; the 6 digits go into 取货码.
  const typedCode = (await world.api("GET", `/v1/pickups/${typedOrder}/code`, { token: memberToken("pgc-typed") })).json;
  await row(counter, typedOrder).getByRole("button").click();
  assert.equal(await counter.getByLabel("订单号（手输 6 位数字码时填写）").inputValue(), typedOrder);
  await counter.getByLabel("取货码", { exact: true }).fill(typedCode.short_code);
  await counter.getByRole("button", { name: "核销", exact: true }).click();
  await waitStatus(counter, "核销成功");
  assert.ok((await status(counter).textContent()).includes(typedOrder));
  assert.equal((await orderOf("pgc-typed", typedOrder)).status, "picked_up");
  assert.equal(await counter.getByLabel("取货码", { exact: true }).inputValue(), "", "cleared for the next customer");
  await row(counter, typedOrder).waitFor({ state: "detached", timeout: 5000 });
  await screenshot(counter, "store");

  const scannedCode = (await world.api("GET", `/v1/pickups/${scannedOrder}/code`, { token: memberToken("pgc-scanner") })).json;
  await typeAndEnter(counter, scannedCode.qr);
  await status(counter).filter({ hasText: scannedOrder }).waitFor();
  assert.match(await status(counter).textContent(), /核销成功/);
  assert.equal((await orderOf("pgc-scanner", scannedOrder)).status, "picked_up");
  await row(counter, scannedOrder).waitFor({ state: "detached", timeout: 5000 });
  assert.equal(await counter.locator("#waiting").textContent(), "暂无待取货订单");
  await world.waitFor(() => pickupEvents(typedOrder).length === 1 && pickupEvents(scannedOrder).length === 1, { what: "both at the core" });
  await assertAccessible(counter, "store, verified (1280)");
  assertClean(counter);
  assertNoTokenInUrls(counter, counter.token);
});

test("wrong store, pharmacist required, invalid code and a missing order id are shown in words", async () => {
  const store = "store-rx";
  const rxOrder = await placeOrder("pgc-rx", store, { lines: [{ sku: "rx-1", qty: 1 }, { sku: "otc-1", qty: 1 }] });
  const { qr } = (await world.api("GET", `/v1/pickups/${rxOrder}/code`, { token: memberToken("pgc-rx") })).json;

  const elsewhere = await openStore(browser, clerk("store-elsewhere"));
  await typeAndEnter(elsewhere, qr);
  await waitStatus(elsewhere, "不是本店的订单");
  assert.equal(await status(elsewhere).getAttribute("class"), "status outcome bad");
  await typeAndEnter(elsewhere, "hello");
  await waitStatus(elsewhere, "取货码无效");
  await typeAndEnter(elsewhere, "123456");
  await waitStatus(elsewhere, "请填写订单号");
  assert.equal(await focused(elsewhere), "order-id", "the missing field gets the focus");
  assertClean(elsewhere);

  const byClerk = await openStore(browser, clerk(store));
  await row(byClerk, rxOrder).locator(".tag.rx").waitFor();
  await typeAndEnter(byClerk, qr);
  await waitStatus(byClerk, "须由药师核销");
  assert.equal(await status(byClerk).getAttribute("class"), "status outcome warn");
  assert.equal((await orderOf("pgc-rx", rxOrder)).status, "ready_for_pickup", "nothing handed over");
  await assertAccessible(byClerk, "store, pharmacist required (360)");
  assertClean(byClerk);

  const byPharmacist = await openStore(browser, pharmacist(store), DESKTOP);
  await typeAndEnter(byPharmacist, qr);
  await waitStatus(byPharmacist, "核销成功");
  assert.match(await status(byPharmacist).textContent(), /1 × 商品 rx-1 处方药/);
  assert.equal((await orderOf("pgc-rx", rxOrder)).pickup.verified_by, `pharm-${store}`);
  assertClean(byPharmacist);

  // A lapsed staff token: the counter says to sign in again instead of failing quietly.
  const lapsed = await openStore(browser, staffToken("clerk-lapsed", "clerk", store, { exp: Math.floor(Date.now() / 1000) - 3600 }));
  await lapsed.getByRole("alert").filter({ hasText: "登录已过期" }).waitFor();
  assert.equal(await lapsed.getByLabel("取货码", { exact: true }).count(), 0);
  assertClean(lapsed);
});

test("an old code asks the member to refresh; guessing is throttled with the wait shown", async () => {
  const store = "store-slow";
  const member = "pgc-slow";
  const orderId = await placeOrder(member, store, { readyAt: new Date(Date.now() - 3600_000).toISOString() });
  // An authentic code of five minutes ago (the API's test clock), shown to the counter now.
  const old = (await world.api("GET", `/v1/pickups/${orderId}/code`, { token: memberToken(member), now: new Date(Date.now() - 300_000).toISOString() })).json;
  const counter = await openStore(browser, clerk(store, "clerk-slow"));
  await typeAndEnter(counter, old.qr);
  await waitStatus(counter, "取货码已过期");
  assert.match(await status(counter).textContent(), /请顾客在手机上刷新取货码后再扫/);

  // Five wrong short codes lock the order's short code; the page says how long to wait.
  for (let i = 0; i < 5; i++) {
    const wrong = await world.api("POST", "/v1/store/pickups/verify", { token: clerk(store, "clerk-guess"), body: { order_id: orderId, short_code: String(200000 + i) } });
    assert.equal(wrong.json.code, "invalid_code");
  }
  const current = (await world.api("GET", `/v1/pickups/${orderId}/code`, { token: memberToken(member) })).json;
  await counter.getByLabel("订单号（手输 6 位数字码时填写）").fill(orderId);
  await counter.getByLabel("取货码", { exact: true }).fill(current.short_code);
  await counter.getByRole("button", { name: "核销", exact: true }).click();
  await waitStatus(counter, "操作太频繁");
  assert.match(await status(counter).textContent(), /请 \d+ (秒|分钟)后再试/);
  assert.equal((await orderOf(member, orderId)).status, "ready_for_pickup");
  // The QR is not locked: the next scan hands over.
  await typeAndEnter(counter, current.qr);
  await waitStatus(counter, "核销成功");
  assert.equal((await orderOf(member, orderId)).status, "picked_up");
  assertClean(counter);
});

test("the pickup page says not ready, expired and not found in words, and is accessible at both widths", async () => {
  const waiting = await placeOrder("pgc-wait", "store-w", { ready: false });
  const notReady = await openPickup(browser, "pgc-wait", waiting, DESKTOP);
  await waitStatus(notReady, "正在备货");
  assert.equal(await notReady.locator("#code-card").isHidden(), true);
  assertClean(notReady);

  const lapsed = await placeOrder("pgc-late", "store-w", {
    readyAt: new Date(Date.now() - 9 * 86400_000).toISOString(), deadline: new Date(Date.now() - 86400_000).toISOString(),
  });
  const expired = await openPickup(browser, "pgc-late", lapsed);
  await waitStatus(expired, "已超过取货期限");
  assertClean(expired);

  const missing = await openPickup(browser, "pgc-wait", "ord_nope");
  await waitStatus(missing, "没有找到这个订单");
  assertClean(missing);

  const lapsedToken = memberToken("pgc-wait", { exp: Math.floor(Date.now() / 1000) - 3600 });
  const signedOut = await openWith(browser, `/m/pickup/${waiting}`, lapsedToken, PHONE);
  await signedOut.getByRole("alert").filter({ hasText: "登录已过期" }).waitFor();
  await new Promise((r) => setTimeout(r, 500));
  assertClean(signedOut);

  const shown = await placeOrder("pgc-wide", "store-w");
  const wide = await openPickup(browser, "pgc-wide", shown, DESKTOP);
  await waitStatus(wide, "订单已备好");
  await shownQr(wide);
  await assertAccessible(wide, "pickup, code shown (1280)");
  await screenshot(wide, "pickup");

  // The code renews itself before it lapses (at the next 30 s step); the old picture's object
  // URL is released; the countdown starts again.
  const before = { src: await wide.locator("#qr").getAttribute("src"), until: Number(await wide.locator("#code-card").getAttribute("data-valid-until")) };
  await wide.evaluate(() => {
    window.revoked = [];
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.revokeObjectURL = (url) => (window.revoked.push(url), revoke(url));
  });
  await wide.waitForFunction((src) => document.querySelector("#qr").src !== src && document.querySelector("#qr").complete, before.src, { timeout: 35_000 });
  assert.ok(Date.now() < before.until, "renewed while the old code was still valid");
  const fresh = (await world.api("GET", `/v1/pickups/${shown}/code`, { token: memberToken("pgc-wide") })).json;
  await wide.locator("#short-code").filter({ hasText: fresh.short_code }).waitFor({ timeout: 3000 });
  assert.ok(Number(await wide.locator("#code-card").getAttribute("data-valid-until")) > before.until + 20_000, "the new code lasts longer");
  assert.equal(await wide.evaluate(() => window.revoked[0]), before.src, "the old object URL is revoked");
  assert.ok(!(await wide.evaluate(() => window.revoked)).includes(await wide.locator("#qr").getAttribute("src")), "the shown one is kept");
  assert.match(await wide.locator("#countdown").textContent(), /^(2\d|3[01]) 秒后自动更新/);
  assertClean(wide);
});
