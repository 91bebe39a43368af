// Page weight and time to interactive of every page, in headless Chromium against the built
// worker in workerd (the same world the tests use), with realistic data behind each page.
// Not a test: prints a table (README "Benchmarks"). Run through `scripts/bench pages [runs]`.
//
// Weight: bytes transferred (encoded, as on the wire) on a first view with an empty cache,
// split into the document, styles, scripts and API answers. Time to interactive: the page's
// "pe-ready" mark (app.js sets it when the first view is drawn and its controls work), from
// navigation start; median of N cold loads, unthrottled and as a weak phone (Lighthouse's mobile
// profile: 4x CPU slowdown, 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up), plus a warm revisit.
import { chromium } from "playwright-core";
import { startWorld, memberToken, staffToken, catalogItem } from "../tests/e2e/harness.mjs";

const RUNS = Number(process.argv[2] ?? 5);
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const WEAK = { cpu: 4, latency: 150, down: (1.6 * 1024 * 1024) / 8, up: (750 * 1024) / 8 };

const world = await startWorld({ catalog: [catalogItem("otc-1", "otc_b", 2590), catalogItem("dev-1", "device", 9900)] });
const member = "bench-pages-member";
const memberJwt = memberToken(member, { reg: Math.floor(Date.now() / 1000) - 40 * 86400 });
const marketing = staffToken("bench-mkt", "marketing");
const clerk = staffToken("bench-clerk", "clerk", "store-1");

// --- data behind the pages: a campaign with a claim, a check-in, a referral link, a ready order
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();
const must = (res, what) => {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res.json;
};
must(await world.api("POST", "/v1/admin/campaigns", {
  token: marketing,
  headers: { "idempotency-key": "bench-pages-camp" },
  body: {
    id: "bench-camp", name: "满100减20 健康节", kind: "coupon", starts_at: iso(now - 3600_000), ends_at: iso(now + 7 * 86400_000),
    stock: 500, coupon: { type: "threshold", value_fen: 2000, min_spend_fen: 10000, valid_days: 30 },
    limits: { per_member: 1 }, audience: {}, rules_text: "每人限领 1 张，全场非处方药可用",
  },
}), "campaign");
must(await world.api("POST", "/v1/campaigns/bench-camp/claims", { token: memberJwt, headers: { "idempotency-key": "bench-claim" }, body: {} }), "claim");
must(await world.api("POST", "/v1/checkins", { token: memberJwt }), "check-in");
must(await world.api("POST", "/v1/referrals/link", { token: memberJwt }), "referral link");
const placed = must(await world.api("POST", "/v1/orders", {
  token: memberJwt,
  headers: { "idempotency-key": "bench-order" },
  body: { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 2 }, { sku: "dev-1", qty: 1 }] },
}), "order");
const coreLines = placed.lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
must(await world.coreEvent({
  id: "bench-ready", type: "order.ready_for_pickup", created_at: iso(now),
  data: { order_id: placed.order_id, member_id: member, store_id: "store-1", lines: coreLines, ready_at: iso(now) },
}), "ready for pickup");

const PAGES = [
  ["/m/checkin", memberJwt], ["/m/wallet", memberJwt], ["/m/invite", memberJwt],
  [`/m/pickup/${placed.order_id}`, memberJwt], ["/m/campaigns/bench-camp", memberJwt],
  ["/store", clerk], ["/admin", marketing],
];

const kindOf = (type, url) =>
  type === "Document" ? "html" : type === "Stylesheet" ? "css" : type === "Script" ? "js" : new URL(url).pathname.startsWith("/v1/") ? "api" : "other";

async function load(browser, path, token, { weak, context }) {
  const ownContext = !context;
  context ??= await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN" });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (weak) {
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: WEAK.cpu });
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: WEAK.latency, downloadThroughput: WEAK.down, uploadThroughput: WEAK.up });
  }
  const kinds = new Map();
  const bytes = { html: 0, css: 0, js: 0, api: 0, other: 0 };
  cdp.on("Network.responseReceived", (e) => kinds.set(e.requestId, kindOf(e.type, e.response.url)));
  cdp.on("Network.loadingFinished", (e) => {
    bytes[kinds.get(e.requestId) ?? "other"] += e.encodedDataLength;
  });
  await page.goto(`${world.url}${path}#token=${token}`, { waitUntil: "load" });
  await page.waitForSelector("html[data-ready]", { timeout: 60_000 });
  await page.waitForLoadState("networkidle");
  const tti = await page.evaluate(() => performance.getEntriesByName("pe-ready")[0]?.startTime ?? NaN);
  await page.close();
  if (ownContext) await context.close();
  return { tti, bytes };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const kb = (n) => `${(n / 1024).toFixed(1)}`;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
const rows = [];
for (const [path, token] of PAGES) {
  const cold = [];
  const weak = [];
  const revisit = [];
  for (let i = 0; i < RUNS; i++) {
    cold.push(await load(browser, path, token, { weak: false }));
    weak.push(await load(browser, path, token, { weak: true }));
    // A revisit: the same context loads the page twice; the second load is timed.
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN" });
    await load(browser, path, token, { weak: true, context });
    revisit.push(await load(browser, path, token, { weak: true, context }));
    await context.close();
  }
  const b = cold[0].bytes;
  const total = b.html + b.css + b.js + b.api + b.other;
  rows.push(
    `| \`${path.replace(placed.order_id, "{order_id}")}\` | ${kb(total)} | ${kb(b.html)} / ${kb(b.css)} / ${kb(b.js)} / ${kb(b.api)} | ` +
      `${Math.round(median(cold.map((r) => r.tti)))} | ${Math.round(median(weak.map((r) => r.tti)))} | ${Math.round(median(revisit.map((r) => r.tti)))} |`,
  );
}
await browser.close();
await world.close();

console.log(`\nPages: first view with an empty cache, median of ${RUNS} loads each (Chromium ${browser.version?.() ?? ""})\n`);
console.log("| page | KB transferred | HTML / CSS / JS / API KB | TTI ms, unthrottled | TTI ms, weak phone | TTI ms, weak phone, revisit |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const row of rows) console.log(row);
