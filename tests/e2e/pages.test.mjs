// The pages as served: every page path answers HTML with the security headers, assets are
// immutable only at their current version, revisits cost a 304, and in Chromium every page
// without a token says how to get one (accessibly, without console errors), while a page opened
// with one moves it from the fragment into sessionStorage and never sends it in a URL.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { useWorld, memberToken, staffToken } from "./harness.mjs";
import { launch, open, assertClean, assertAccessible, assertNoTokenInUrls, PHONE, DESKTOP } from "./browser.mjs";

const world = useWorld();
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const PAGES = [
  ["/m/checkin", "member"], ["/m/wallet", "member"], ["/m/invite", "member"],
  ["/m/pickup/ord-1", "member"], ["/m/campaigns/camp-1", "member"], ["/store", "staff"], ["/admin", "staff"],
];
const get = (path, headers = {}) => fetch(world.url + path, { headers, redirect: "manual" });

test("every page is HTML with a CSP without inline script, no referrer, nosniff and an ETag", async () => {
  for (const [path] of PAGES) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(res.headers.get("permissions-policy"), path === "/store" ? /camera=\(self\)/ : /camera=\(\)/);
    const html = await res.text();
    assert.match(html, /<html lang="zh-CN">/);
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/, `${path}: an inline script`);
    const etag = res.headers.get("etag");
    assert.ok(etag, `${path}: no ETag`);
    const again = await get(path, { "if-none-match": etag });
    assert.equal(again.status, 304, `${path}: a revisit with the ETag is a 304`);
    assert.equal(await again.text(), "");
  }
});

test("assets: immutable at the version the page links, revalidated otherwise, 404 for anything else", async () => {
  const html = await (await get("/m/checkin")).text();
  const links = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.equal(links.length, 3, "the stylesheet, the shared script, the page's script");
  for (const link of links) {
    assert.match(link, /\?v=[0-9a-f]{12}$/);
    const res = await get(link);
    assert.equal(res.status, 200, link);
    assert.match(res.headers.get("content-type"), link.includes(".css") ? /^text\/css/ : /^text\/javascript/);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    // The file itself (served from the static assets, not the wasm), and a 304 on revisit.
    const file = new URL(`../../src/pages/assets/${link.slice("/assets/".length).replace(/\?.*/, "")}`, import.meta.url);
    assert.equal(await res.text(), readFileSync(file, "utf8"), link);
    const again = await fetch(world.url + link, { headers: { "if-none-match": res.headers.get("etag") } });
    assert.equal(again.status, 304, link);
    const stale = await get(link.replace(/\?v=.*/, "?v=000000000000"));
    assert.equal(stale.headers.get("cache-control"), "no-cache", "an old version is never cached for a year");
  }
  for (const path of ["/assets/nope.js", "/assets/..%2FCargo.toml", "/assets/"]) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
  }
  const post = await fetch(world.url + "/m/checkin", { method: "POST" });
  assert.equal(post.status, 405);
});

test("without a token every page says how to get one, accessibly, without console errors", async () => {
  for (const viewport of [PHONE, DESKTOP]) {
    for (const [path, audience] of PAGES) {
      const page = await open(browser, world.url + path, { viewport });
      await page.waitForSelector("html[data-ready]");
      const text = await page.textContent("main");
      assert.match(text, /scripts\/token/, `${path}: explains how to get a link`);
      assert.match(text, audience === "member" ? /App|微信/ : /门店|营销/);
      await assertAccessible(page, `${path} at ${viewport.width} px without a token`);
      assertClean(page);
      await page.context().close();
    }
  }
});

test("a token in the fragment moves to sessionStorage, leaves the address bar and never reaches a URL", async () => {
  const cases = [["/m/checkin", memberToken("pages-m1")], ["/admin", staffToken("pages-s1", "marketing")]];
  for (const [path, token] of cases) {
    const page = await open(browser, `${world.url}${path}#token=${token}`);
    await page.waitForSelector("html[data-ready]");
    assert.equal(new URL(page.url()).hash, "", "the fragment is cleared");
    const stored = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
    assert.ok(Object.values(stored.session).includes(token), "kept for this tab");
    assert.deepEqual(stored.local, {}, "never in localStorage");
    assertNoTokenInUrls(page, token);
    assertClean(page);
    // Replaced, not pushed: Back leaves the page instead of bringing the token back.
    await page.goBack();
    assert.ok(!page.url().includes(token), `Back shows ${page.url().slice(0, 60)}`);
    await page.context().close();
  }
});
