// The claim page (/m/campaigns/{id}) and the marketing console (/admin) in Chromium: a double
// tap claims one coupon, a retried tap reuses its Idempotency-Key, a store poster lands on the
// claim page and attributes the store, marketing creates, rejects a bad window next to the field,
// pauses, survives an If-Match conflict, prints a poster QR and replays a dead letter; and the
// API agrees with what each page shows.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken } from "./harness.mjs";
import { launch, open, assertClean, assertAccessible, assertNoTokenInUrls, screenshot, pageUrl, PHONE, DESKTOP } from "./browser.mjs";

const world = useWorld();
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const marketing = staffToken("mkt-console", "marketing");
const HOUR = 3600e3;
const iso = (ms) => new Date(ms).toISOString();
// A datetime-local value in Beijing time.
const beijing = (ms) => new Date(ms + 8 * HOUR).toISOString().slice(0, 16);

// Pages run on wall time, so windows are relative to now.
function campaign(id, overrides = {}) {
  return {
    id,
    name: `测试活动 ${id}`,
    kind: "coupon",
    starts_at: iso(Date.now() - HOUR),
    ends_at: iso(Date.now() + 24 * HOUR),
    stock: 10,
    coupon: { type: "threshold", value_fen: 1000, min_spend_fen: 9900, valid_days: 7 },
    limits: { per_member: 1 },
    rules_text: "每人限领一张，处方药不参与。",
    ...overrides,
  };
}
async function create(config) {
  const res = await world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, headers: { "idempotency-key": `create-${config.id}` } });
  assert.equal(res.status, 201, res.text);
  return res.json;
}
const adminView = async (id) => world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing });
const coupons = async (member) => (await world.api("GET", "/v1/coupons", { token: memberToken(member) })).json.coupons;

async function openPage(path, token, viewport = PHONE) {
  const page = await open(browser, pageUrl(world.url, path, token), { viewport });
  await page.waitForSelector("html[data-ready]");
  return page;
}
const claimRequests = (page) => page.requests.filter((r) => r.method() === "POST" && r.url().includes("/claims"));
const statusText = (page) => page.locator("#status").textContent();

async function checkPage(page, token, name) {
  await assertAccessible(page, `${name} at ${page.viewportSize().width} px`);
  assertClean(page);
  assertNoTokenInUrls(page, token);
  await screenshot(page, name);
}

test("a double tap on claim sends one request and gets one coupon; the next member reads sold out", async () => {
  await create(campaign("pc-one", { stock: 1 }));
  const first = memberToken("pc-member-a");
  const page = await openPage("/m/campaigns/pc-one", first);
  assert.match(await page.locator("#terms").textContent(), /满 ¥99\.00 减 ¥10\.00/);
  assert.match(await page.locator("#limits").textContent(), /每人限领 1 张/);
  assert.match(await page.locator("#remaining").textContent(), /1 \/ 1/);
  await page.getByRole("button", { name: "立即领取" }).dblclick();
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("领取成功"));
  assert.equal(claimRequests(page).length, 1, "a double tap sends one claim");
  assert.ok(claimRequests(page)[0].headers()["idempotency-key"], "the claim carries an Idempotency-Key");
  assert.equal(await page.getByRole("link", { name: "去券包查看" }).getAttribute("href"), "/m/wallet");
  assert.ok(await page.locator("#claim").isDisabled());
  // The API agrees: one coupon, no stock left; another key from the same member gets no second.
  const held = await coupons("pc-member-a");
  assert.deepEqual(held.map((c) => c.campaign_id), ["pc-one"]);
  const publicView = await world.api("GET", "/v1/campaigns/pc-one", { token: first });
  assert.equal(publicView.json.stock.remaining, 0);
  const again = await world.api("POST", "/v1/campaigns/pc-one/claims", { token: first, body: {}, headers: { "idempotency-key": "another-tap" } });
  assert.equal(again.status, 409);
  assert.equal((await coupons("pc-member-a")).length, 1);
  await page.waitForFunction(() => document.querySelector("#remaining").textContent.startsWith("0 /"));
  await checkPage(page, first, "claim");

  const second = memberToken("pc-member-b");
  const late = await openPage("/m/campaigns/pc-one", second, DESKTOP);
  assert.match(await statusText(late), /已抢光/);
  assert.ok(await late.locator("#claim").isDisabled());
  assert.deepEqual(await coupons("pc-member-b"), []);
  await checkPage(late, second, "claim");
});

test("a retried tap reuses its Idempotency-Key; a new tap gets a new one; refusals are words", async () => {
  await create(campaign("pc-retry", { limits: { per_member: 2 } }));
  const token = memberToken("pc-member-r");
  const page = await openPage("/m/campaigns/pc-retry", token);
  // The first attempt is lost at a gateway: the page retries it with the same key.
  let failed = false;
  await page.route("**/v1/campaigns/pc-retry/claims", (route) => {
    if (failed) return route.continue();
    failed = true;
    return route.fulfill({ status: 503, contentType: "application/problem+json", body: JSON.stringify({ code: "unavailable" }) });
  });
  await page.getByRole("button", { name: "立即领取" }).click();
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("领取成功"));
  const [lost, retried] = claimRequests(page).map((r) => r.headers()["idempotency-key"]);
  assert.equal(lost, retried, "the retry of a tap reuses its key");
  assert.equal((await coupons("pc-member-r")).length, 1);
  await page.getByRole("button", { name: "再领一张" }).click();
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("领取成功") && document.querySelector("#claim").textContent === "已领取");
  const keys = claimRequests(page).map((r) => r.headers()["idempotency-key"]);
  assert.equal(keys.length, 3);
  assert.notEqual(keys[2], keys[0], "a new tap is a new key");
  assert.equal((await coupons("pc-member-r")).length, 2);
  // Another visit knows what the member holds: at the limit, 已领取, no invitation to tap.
  const revisit = await openPage("/m/campaigns/pc-retry", token);
  await revisit.waitForFunction(() => document.querySelector("#claim").textContent === "已领取");
  assert.ok(await revisit.locator("#claim").isDisabled());
  assertClean(revisit);
  // The 503 the test injected is the only console error.
  page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !p.includes("status of 503")));
  assertClean(page);
});

test("a tap whose every answer is lost is settled with its own key, never a second coupon", async () => {
  await create(campaign("pc-lost", { limits: { per_member: 2 } }));
  const token = memberToken("pc-member-l");
  const page = await openPage("/m/campaigns/pc-lost", token);
  // Every attempt reaches the server (it issues the coupon) but the answer never reaches the page.
  let lose = true;
  await page.route("**/v1/campaigns/pc-lost/claims", async (route) => {
    if (!lose) return route.continue();
    await route.fetch();
    return route.abort("connectionreset");
  });
  await page.getByRole("button", { name: "立即领取" }).click();
  await page.getByRole("button", { name: "确认领取结果" }).waitFor({ timeout: 20000 });
  assert.match(await statusText(page), /还不知道是否领到/);
  assert.equal((await coupons("pc-member-l")).length, 1, "the server issued one");
  lose = false;
  await page.getByRole("button", { name: "确认领取结果" }).click();
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("领取成功"));
  const keys = new Set(claimRequests(page).map((r) => r.headers()["idempotency-key"]));
  assert.equal(keys.size, 1, "every attempt of the one tap carried the same key");
  assert.equal((await coupons("pc-member-l")).length, 1, "one tap, one coupon, although the limit is 2");
  page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !p.includes("ERR_CONNECTION_RESET")));
  assertClean(page);
});

test("a store poster link lands on the claim page with the store, and the coupon carries it", async () => {
  await create(campaign("pc-poster", { kind: "store_poster" }));
  const link = await world.api("GET", "/v1/admin/campaigns/pc-poster/posters/st-9", { token: marketing });
  assert.equal(link.status, 200);
  assert.match(link.json.svg, /^<\?xml|<svg/);
  const redirect = await world.api("GET", `/s/pc-poster/st-9?sig=${link.json.sig}`);
  assert.equal(redirect.status, 302);
  const landing = new URL(redirect.headers.get("location"));
  assert.equal(landing.origin + landing.pathname, `${world.url}/m/campaigns/pc-poster`, "lands on this worker's claim page");
  assert.deepEqual([landing.searchParams.get("store"), landing.searchParams.get("sig")], ["st-9", link.json.sig]);

  const token = memberToken("pc-member-p");
  const page = await openPage(`/s/pc-poster/st-9?sig=${link.json.sig}`, token);
  const url = new URL(page.url());
  assert.equal(url.pathname, "/m/campaigns/pc-poster");
  assert.equal(url.searchParams.get("store"), "st-9");
  assert.match(await page.locator("#store").textContent(), /门店专属：st-9/);
  await page.getByRole("button", { name: "立即领取" }).click();
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("领取成功"));
  assert.deepEqual(claimRequests(page)[0].postDataJSON(), {
    store_id: "st-9", poster_sig: link.json.sig,
    attribution: { utm_source: "poster", utm_medium: "qr", utm_campaign: "pc-poster", store_id: "st-9" },
  });
  const held = await coupons("pc-member-p");
  assert.deepEqual(held.map((c) => [c.campaign_id, c.store_id]), [["pc-poster", "st-9"]]);
  assertClean(page);

  // Without the poster's signature the page says how to claim instead of offering the button.
  const bare = await openPage("/m/campaigns/pc-poster", memberToken("pc-member-q"));
  assert.match(await statusText(bare), /扫描门店海报/);
  assert.ok(await bare.locator("#claim").isDisabled());
  assertClean(bare);
});

test("marketing creates from the form, sees a bad window next to the field, pauses, and an If-Match conflict in words", async () => {
  await create(campaign("pc-older"));
  const page = await openPage("/admin", marketing, DESKTOP);
  const now = Date.now();
  await page.fill("#f-id", "pc-form");
  await page.fill("#f-name", "表单新建");
  await page.fill("#f-starts", beijing(now - HOUR));
  await page.fill("#f-ends", beijing(now + 48 * HOUR));
  await page.fill("#f-stock", "50");
  await page.fill("#f-value", "10");
  await page.fill("#f-min", "99");
  await page.fill("#f-rules", "满 99 减 10，每人一张");
  await page.getByRole("button", { name: "创建活动" }).click();
  await page.locator('tr[data-campaign="pc-form"]').waitFor();
  assert.match(await statusText(page), /已创建/);
  const created = await adminView("pc-form");
  assert.equal(created.status, 200);
  assert.deepEqual([created.json.name, created.json.stock, created.json.coupon.min_spend_fen, created.json.coupon.value_fen], ["表单新建", 50, 9900, 1000]);
  assert.equal(Date.parse(created.json.starts_at), Math.floor((now - HOUR) / 60000) * 60000, "Beijing wall time became the right instant");
  // GET /v1/admin/campaigns: every campaign with stats, newest first.
  const list = await world.api("GET", "/v1/admin/campaigns", { token: marketing });
  const ids = list.json.campaigns.map((c) => c.id);
  assert.ok(ids.indexOf("pc-form") < ids.indexOf("pc-older") && ids.indexOf("pc-older") >= 0, `newest first: ${ids}`);
  assert.equal(list.json.campaigns.find((c) => c.id === "pc-one").stats.issued, 1);
  assert.equal((await world.api("GET", "/v1/admin/campaigns", { token: memberToken("x") })).status, 401);
  assert.equal((await world.api("GET", "/v1/admin/campaigns", { token: staffToken("c1", "clerk", "st-1") })).status, 403);

  // A window that ends before it starts: the API's detail lands next to the end field.
  await page.fill("#f-id", "pc-bad");
  await page.fill("#f-ends", beijing(now - 2 * HOUR));
  await page.getByRole("button", { name: "创建活动" }).click();
  const ends = page.locator("#f-ends");
  await page.waitForFunction(() => document.querySelector("#f-ends").getAttribute("aria-invalid") === "true");
  assert.equal(await ends.getAttribute("aria-describedby"), "f-ends-error");
  assert.match(await page.locator("#f-ends-error").textContent(), /结束时间.*须晚于开始时间.*ends_at/);
  assert.equal((await adminView("pc-bad")).status, 404);
  await assertAccessible(page, "admin with a field error");

  // Pause from the page; the API and a member's claim page agree.
  await page.getByRole("button", { name: "管理 表单新建" }).click();
  await page.getByRole("button", { name: "暂停" }).click();
  await page.getByRole("button", { name: "恢复" }).waitFor();
  assert.match(await statusText(page), /已暂停/);
  assert.equal((await adminView("pc-form")).json.status, "paused");
  const member = memberToken("pc-member-f");
  const claimPage = await openPage("/m/campaigns/pc-form", member);
  assert.match(await statusText(claimPage), /活动已暂停/);
  assert.ok(await claimPage.locator("#claim").isDisabled());
  assertClean(claimPage);

  // Someone else changes the campaign behind the page's back: the resume is refused in words.
  const behind = await world.api("PATCH", "/v1/admin/campaigns/pc-form", { token: marketing, body: { add_stock: 5 }, headers: { "idempotency-key": "behind-1" } });
  assert.equal(behind.status, 200);
  await page.getByRole("button", { name: "恢复" }).click();
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("刚被其他人修改过"));
  assert.equal((await adminView("pc-form")).json.status, "paused", "nothing applied on a stale ETag");
  assert.match(await page.locator("#detail").textContent(), /总量 55/, "the panel was reloaded");
  await page.getByRole("button", { name: "恢复" }).click();
  await page.getByRole("button", { name: "暂停" }).waitFor();
  assert.equal((await adminView("pc-form")).json.status, "active");
  const audit = (await adminView("pc-form")).json.audit;
  assert.equal(audit.length, 4, "create, pause, top-up, resume");
  assert.equal(await page.locator("#detail .audit li").count(), 4);

  // A store poster: a QR of the signed link, ready to print.
  await page.fill("#d-store", "st-7");
  await page.getByRole("button", { name: "生成海报" }).click();
  const qr = page.locator("#poster img.qr");
  await qr.waitFor();
  assert.match(await qr.getAttribute("src"), /^data:image\/svg\+xml/);
  assert.match(await page.locator("#poster").textContent(), /\/s\/pc-form\/st-7\?sig=/);
  await checkPage(page, marketing, "admin");

  const phone = await openPage("/admin", marketing, PHONE);
  await phone.locator('tr[data-campaign="pc-form"]').waitFor();
  await checkPage(phone, marketing, "admin");
});

test("dead letters are listed and replayed from the console after a confirmation", async () => {
  world.stub.setMode("fail", 400);
  const checkin = await world.api("POST", "/v1/checkins", { token: memberToken("pc-dead") });
  assert.equal(checkin.status, 201);
  let letter;
  await world.waitFor(async () => {
    const dead = (await world.api("GET", "/v1/admin/outbox/dead", { token: marketing })).json.deliveries;
    letter = dead.find((d) => d.kind !== "order");
    return Boolean(letter);
  }, { what: "a dead letter" });
  world.stub.setMode("ok");
  const page = await openPage("/admin", marketing, DESKTOP);
  const row = page.locator(`tr[data-delivery="${letter.id}"]`);
  await row.getByRole("button", { name: "重放" }).click();
  assert.equal((await world.api("GET", "/v1/admin/outbox/dead", { token: marketing })).json.deliveries.some((d) => d.id === letter.id), true, "nothing replayed before the confirmation");
  await row.getByRole("button", { name: "确认重放" }).click();
  await page.waitForFunction((id) => document.querySelector("#status").textContent.includes(`${id} 已重新排队投递`), letter.id);
  await row.waitFor({ state: "detached" });
  const after = (await world.api("GET", "/v1/admin/outbox/dead", { token: marketing })).json;
  assert.ok(!after.deliveries.some((d) => d.id === letter.id));
  assert.deepEqual(after.replays.filter((r) => r.id === letter.id).map((r) => r.actor), ["mkt-console"]);
  await world.waitFor(() => world.stub.deliveries().some((d) => d.key === letter.key), { what: "the replayed delivery" });
  await assertAccessible(page, "admin dead letters");
  assertClean(page);
});
