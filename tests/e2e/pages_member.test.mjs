// The member pages in headless Chromium against the real worker: check-in (签到, make-up),
// wallet (coupon terms, ledger paging), invite (link, figures, QR that decodes to the link),
// and what a page without a token says. The API must agree with what each page shows.
// Pages run on wall time, so everything here is created relative to Date.now().
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import jsQR from "jsqr";
import { useWorld, memberToken, staffToken, nowSecs } from "./harness.mjs";
import { launch, open, assertClean, assertAccessible, assertNoTokenInUrls, screenshot, pageUrl, PHONE, DESKTOP } from "./browser.mjs";

const world = useWorld();
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const beijingToday = () => new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
const dayWords = (day) => `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
const get = async (path, token) => {
  const r = await world.api("GET", path, { token });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
};
const ledger = async (token) => (await get("/v1/points/ledger?limit=200", token)).entries;
const status = (page) => page.getByRole("status");
let paidSeq = 0;
/** Points through the core's order.paid: 1 point per 20 yuan of a regular product. */
async function award(member, amountFen) {
  const id = `pg-paid-${member}-${++paidSeq}`;
  const at = new Date().toISOString();
  const line = { sku: "sku-other", name: "测试商品", qty: 1, unit_price_fen: amountFen, drug_class: "other" };
  const r = await world.coreEvent({
    id,
    type: "order.paid",
    created_at: at,
    data: { order_id: `o-${id}`, member_id: member, paid_at: at, amount_fen: amountFen, insurance_fen: 0, lines: [line], first_order: false },
  });
  assert.equal(r.status, 200, r.text);
}
/** A page's final checks at one width: no console error, accessible, no token in a URL. */
async function finish(page, token, name) {
  await assertAccessible(page, `${name} at ${page.viewportSize().width} px`);
  assertClean(page);
  assertNoTokenInUrls(page, token);
  await screenshot(page, name);
  await page.context().close();
}

test("check-in: the member taps 签到, sees the new streak and balance; the API agrees; a second visit awards nothing", async () => {
  const token = memberToken("pg-checkin");
  const page = await open(browser, pageUrl(world.url, "/m/checkin", token), { viewport: PHONE });
  const button = page.getByRole("button", { name: "签到", exact: true });
  await button.waitFor();
  // Before the tap: what it gives, from the API's own plan.
  const before = await get("/v1/checkins", token);
  assert.equal(before.checked_in_today, false);
  assert.deepEqual(
    [before.today, before.next_checkin.streak, before.next_checkin.points, before.rules.base_points],
    [beijingToday(), 1, 5, 5],
  );
  assert.ok(before.bonuses_ahead.some((b) => b.streak === 3 && b.bonus_points === 10));
  await page.getByText("今天签到可得 5 积分").waitFor();
  await page.getByText("签到后连续签到 1 天").waitFor();
  await page.getByText("再签 3 天，第 3 天额外 +10").waitFor();

  await button.click();
  await page.getByText("签到成功").waitFor();
  const announced = await status(page).textContent();
  assert.match(announced, /已连续签到 1 天/);
  assert.match(announced, /获得 5 积分/);
  assert.match(announced, /积分余额 5$/);
  assert.equal(await page.locator("#balance").textContent(), "5");
  // The calendar marks today as checked in.
  assert.match(await page.locator(".calendar .day.today").textContent(), /已签到/);
  // The API agrees with the page.
  const month = await get("/v1/checkins", token);
  assert.deepEqual([month.checked_in_today, month.streak, month.days, month.next_checkin], [true, 1, [beijingToday()], null]);
  assert.equal((await get("/v1/me", token)).points.balance, 5);
  await finish(page, token, "checkin");

  // A second visit: already done, no button to tap again, and one award in the ledger.
  const again = await open(browser, pageUrl(world.url, "/m/checkin", token), { viewport: DESKTOP });
  await again.getByText("今天已签到，已连续签到 1 天").waitFor();
  assert.equal(await again.getByRole("button", { name: "签到", exact: true }).count(), 0);
  assert.equal(await again.getByRole("button", { name: "今日已签到" }).isDisabled(), true);
  assert.equal(await again.locator("#balance").textContent(), "5");
  const entries = (await ledger(token)).filter((e) => e.source === "checkin");
  assert.deepEqual(entries.map((e) => [e.amount, e.kind, e.source_id]), [[5, "earn", beijingToday()]]);
  await finish(again, token, "checkin");
});

test("check-in: a missed day of this month is made up through the page, its cost deducted", async (t) => {
  const today = beijingToday();
  if (today.endsWith("-01")) return t.skip("today is the 1st of the month in Beijing: no past day of this month to make up");
  const member = "pg-makeup";
  const firstOfMonth = `${today.slice(0, 8)}01`;
  // Registered at the start of the month, so the 1st is a missed day the member may make up.
  const token = memberToken(member, { reg: Math.floor(Date.parse(`${firstOfMonth}T00:00:00+08:00`) / 1000) });
  const month = await get("/v1/checkins", token);
  await award(member, 60_000); // 30 points
  assert.ok(month.makeup_dates.includes(firstOfMonth), `the 1st is offered: ${month.makeup_dates}`);
  assert.deepEqual([month.rules.makeup_cost_points, month.makeups_left], [20, 2]);

  const page = await open(browser, pageUrl(world.url, "/m/checkin", token), { viewport: PHONE });
  await page.getByText("本月还可补签 2 次", { exact: false }).waitFor();
  await page.getByRole("button", { name: `补签 ${dayWords(firstOfMonth)}（20 积分）`, exact: true }).click();
  // Nothing is spent before the member confirms.
  await page.getByText(`补签 ${dayWords(firstOfMonth)}，花费 20 积分？`).waitFor();
  assert.equal((await get("/v1/me", token)).points.balance, 30);
  await page.getByRole("button", { name: "确认补签" }).click();
  await page.getByText("补签成功").waitFor();
  assert.match(await status(page).textContent(), /花费 20 积分.*积分余额 10$/);
  assert.equal(await page.locator("#balance").textContent(), "10");
  await page.getByText("本月还可补签 1 次", { exact: false }).waitFor();
  assert.match(await page.locator(".calendar .day.made-up").first().textContent(), /^1日/);

  const after = await get("/v1/checkins", token);
  assert.deepEqual([after.makeup_days, after.makeups_used, after.makeups_left], [[firstOfMonth], 1, 1]);
  assert.ok(!after.makeup_dates.includes(firstOfMonth));
  assert.equal((await get("/v1/me", token)).points.balance, 10);
  const spent = (await ledger(token)).filter((e) => e.kind === "spend");
  assert.deepEqual(spent.map((e) => [e.amount, e.source, e.source_id]), [[-20, "makeup", firstOfMonth]]);
  await finish(page, token, "checkin-makeup");
});

test("wallet: a claimed coupon with its terms in words, soon-to-expire marked, and the ledger page by page", async () => {
  const member = "pg-wallet";
  const token = memberToken(member);
  const marketing = staffToken("pg-marketing", "marketing");
  const starts = new Date(Date.now() - 60_000).toISOString();
  const ends = new Date(Date.now() + 3_600_000).toISOString();
  const campaigns = [
    { id: "pg-threshold", coupon: { type: "threshold", value_fen: 2000, min_spend_fen: 19900, valid_days: 30 }, rules_text: "满199减20" },
    { id: "pg-percent", coupon: { type: "percent", percent: 12, max_discount_fen: 3000, valid_days: 1 }, rules_text: "8.8折最多减30" },
  ];
  for (const c of campaigns) {
    const config = { ...c, name: `活动 ${c.id}`, kind: "coupon", starts_at: starts, ends_at: ends, stock: 10, limits: { per_member: 1 } };
    const created = await world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config });
    assert.equal(created.status, 201, created.text);
    const claimed = await world.api("POST", `/v1/campaigns/${c.id}/claims`, { token, headers: { "idempotency-key": `pg-${c.id}` } });
    assert.equal(claimed.status, 201, claimed.text);
  }
  for (let i = 0; i < 25; i++) await award(member, 2_000); // 25 ledger entries of 1 point
  const available = (await get("/v1/coupons?status=available", token)).coupons;
  assert.equal(available.length, 2);
  const allEntries = await ledger(token);
  assert.equal(allEntries.length, 25);

  for (const viewport of [PHONE, DESKTOP]) {
    const page = await open(browser, pageUrl(world.url, "/m/wallet", token), { viewport });
    const coupons = page.locator("#coupons li");
    await page.getByText("满 ¥199.00 减 ¥20.00").waitFor();
    await page.getByText("8.8 折，最多减 ¥30.00").waitFor();
    assert.equal(await coupons.count(), available.length);
    // Only the one-day coupon is about to expire.
    const soon = coupons.filter({ hasText: "即将过期" });
    assert.equal(await soon.count(), 1);
    assert.match(await soon.textContent(), /8\.8 折/);
    assert.match(await coupons.filter({ hasText: "满 ¥199.00" }).textContent(), /有效期 .* 至 .*全部门店可用/);

    // The ledger: a first page, then the rest with 加载更多, newest first like the API.
    const items = page.locator("#ledger li");
    await page.getByRole("button", { name: "加载更多" }).waitFor();
    assert.equal(await items.count(), 20);
    await page.getByRole("button", { name: "加载更多" }).click();
    await page.getByText("没有更多了").waitFor();
    assert.equal(await items.count(), allEntries.length);
    assert.match(await items.first().textContent(), /^购物 · 获得.*\+1$/);
    assert.equal(await page.locator("#balance").textContent(), String((await get("/v1/me", token)).points.balance));

    // Another status: the expired tab is empty, like the API says.
    assert.equal((await get("/v1/coupons?status=expired", token)).coupons.length, 0);
    await page.getByRole("button", { name: "已过期" }).click();
    await page.getByText("没有已过期的优惠券").waitFor();
    assert.equal(await page.getByRole("button", { name: "已过期" }).getAttribute("aria-pressed"), "true");
    await page.getByRole("button", { name: "可使用" }).click();
    await page.getByText("8.8 折，最多减 ¥30.00").waitFor();
    await finish(page, token, "wallet");
  }
});

/** Decodes a QR from RGBA pixels, or null. */
const decode = (rgba, width, height) => jsQR(new Uint8ClampedArray(rgba), width, height)?.data ?? null;

test("invite: the link with copy, the figures, and a QR that decodes to the link", async () => {
  const inviter = "pg-inviter";
  const token = memberToken(inviter);
  const link = (await world.api("POST", "/v1/referrals/link", { token })).json;
  // One tap on the link and one friend registered through it (bound, not verified yet).
  const tapped = await world.api("GET", `/r/${link.code}`, { headers: { "user-agent": "pg-phone" } });
  assert.equal(tapped.status, 302);
  await world.waitFor(async () => (await get("/v1/referrals/me", token)).clicks === 1, { what: "the click counted" });
  const at = new Date().toISOString();
  const bound = await world.coreEvent({
    id: "pg-reg-friend",
    type: "member.registered",
    created_at: at,
    data: { member_id: "pg-friend", registered_at: at, ref_code: link.code, device_id: "pg-friend-device", real_name_verified: false },
  });
  assert.equal(bound.status, 200, bound.text);
  const mine = await get("/v1/referrals/me", token);
  assert.deepEqual([mine.url, mine.clicks, mine.bound, mine.pending, mine.rewarded], [link.url, 1, 1, 1, 0]);

  // The SVG the page shows decodes to the share link.
  const svg = await world.api("GET", "/v1/referrals/me/qr.svg", { token });
  assert.equal(svg.status, 200);
  assert.match(svg.headers.get("content-type"), /^image\/svg\+xml/);
  const rendered = new Resvg(svg.text, { fitTo: { mode: "width", value: 400 }, background: "white" }).render();
  assert.equal(decode(rendered.pixels, rendered.width, rendered.height), link.url);
  assert.equal((await world.api("GET", "/v1/referrals/me/qr.svg")).status, 401);

  for (const viewport of [PHONE, DESKTOP]) {
    const page = await open(browser, pageUrl(world.url, "/m/invite", token), {
      viewport,
      permissions: ["clipboard-read", "clipboard-write"],
    });
    const input = page.getByRole("textbox", { name: "邀请链接" });
    await input.waitFor();
    assert.equal(await input.inputValue(), link.url);
    const figure = (term) => page.locator(".stats div", { hasText: term }).locator("dd").textContent();
    assert.deepEqual(
      [await figure("链接点击"), await figure("已绑定好友"), await figure("待实名认证"), await figure("已获奖励"), await figure("获得积分")],
      [String(mine.clicks), String(mine.bound), String(mine.pending), String(mine.rewarded), String(mine.points_earned)],
    );
    // The QR image on the page, read back from the page's own pixels.
    const image = page.getByRole("img", { name: "我的邀请链接二维码" });
    await image.waitFor();
    await page.waitForFunction(() => document.getElementById("qr-image")?.complete && document.getElementById("qr-image").naturalWidth > 0);
    const pixels = await page.evaluate(() => {
      const img = document.getElementById("qr-image");
      const canvas = document.createElement("canvas");
      canvas.width = 400;
      canvas.height = 400;
      const g = canvas.getContext("2d");
      g.fillStyle = "#fff";
      g.fillRect(0, 0, 400, 400);
      g.drawImage(img, 0, 0, 400, 400);
      return Array.from(g.getImageData(0, 0, 400, 400).data);
    });
    assert.equal(decode(pixels, 400, 400), link.url);
    // Copy puts the link on the clipboard.
    await page.getByRole("button", { name: "复制链接" }).click();
    await page.getByText("链接已复制").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link.url);
    await finish(page, token, "invite");
  }
});

test("a page opened without a token says how to get one, and calls no API", async () => {
  for (const [path, viewport] of [["/m/checkin", PHONE], ["/m/wallet", DESKTOP], ["/m/invite", PHONE]]) {
    const page = await open(browser, `${world.url}${path}`, { viewport });
    const alert = page.getByRole("alert");
    await alert.waitFor();
    const words = await alert.textContent();
    assert.match(words, /需要登录/);
    assert.match(words, new RegExp(`scripts/token member <会员编号> --page ${path}`));
    assert.deepEqual(page.requests.filter((r) => new URL(r.url()).pathname.startsWith("/v1/")).map((r) => r.url()), []);
    await assertAccessible(page, `${path} without a token`);
    assertClean(page);
    await page.context().close();
  }
  // And a stale token: the page says so instead of showing empty figures.
  const expired = memberToken("pg-expired", { exp: nowSecs() - 3600 });
  const page = await open(browser, pageUrl(world.url, "/m/wallet", expired), { viewport: PHONE });
  await page.getByRole("alert").getByText("登录已过期，请重新打开链接").waitFor();
  await assertAccessible(page, "wallet with an expired token");
  assertClean(page);
  assertNoTokenInUrls(page, expired);
  await page.context().close();
});
