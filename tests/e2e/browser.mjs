// Headless Chromium (Debian's `chromium`, installed by scripts/test) driven by playwright-core,
// for the page tests: every page opened through `open()` fails its test on a console error, an
// uncaught exception or a CSP violation, and `assertAccessible()` runs axe-core in the page.
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/lib/local-edge.mjs";

export const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");

/** `fakeCamera`: a .y4m or .mjpeg file the browser sees as its camera. */
export async function launch({ fakeCamera } = {}) {
  const args = ["--no-sandbox", "--disable-dev-shm-usage", "--use-fake-ui-for-media-stream"];
  if (fakeCamera) args.push("--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${fakeCamera}`);
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 860 };

/**
 * Opens `url` in a new context of `viewport`. The returned page carries `problems`: console
 * errors, page errors and failed requests, which `assertClean()` checks.
 */
export async function open(browser, url, { viewport = PHONE, permissions = [] } = {}) {
  const context = await browser.newContext({ viewport, locale: "zh-CN", timezoneId: "Asia/Shanghai", permissions });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Chromium logs every 4xx as "Failed to load resource"; an API refusal (problem+json the
    // page explains in words, e.g. 409 sold_out) is an answer, not an error of the page. A 4xx
    // of anything else (an asset, an icon) still fails.
    const source = message.location()?.url ?? "";
    const apiAnswer = /Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()) &&
      new URL(source, url).pathname.startsWith("/v1/");
    if (!apiAnswer) problems.push(`console: ${message.text()} (${source})`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "";
    // A request aborted because the page moved on is not a failure of the page.
    if (!failure.includes("ERR_ABORTED")) problems.push(`requestfailed: ${request.url()} ${failure}`);
  });
  page.problems = problems;
  page.requests = [];
  page.on("request", (request) => page.requests.push(request));
  await page.goto(url, { waitUntil: "load" });
  return page;
}

/** No console error, uncaught exception or failed request happened on the page. */
export function assertClean(page) {
  assert.deepEqual(page.problems, [], `the page had problems:\n${page.problems.join("\n")}`);
}

/** No request the page made carried a token in its URL. */
export function assertNoTokenInUrls(page, token) {
  for (const request of page.requests) {
    assert.ok(!request.url().includes(token), `token sent in a URL: ${request.url().slice(0, 80)}`);
    assert.ok(!/[?&#]token=/.test(request.url()) || request.isNavigationRequest(), `token parameter in ${request.url()}`);
  }
}

/** axe-core over the page as it is now: no serious or critical violation. */
export async function assertAccessible(page, what = page.url()) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  const serious = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `accessibility violations on ${what}`,
  );
}

/**
 * Saves a screenshot for the README when PAGES_SCREENSHOT_DIR is set (scripts/screenshots);
 * otherwise does nothing, so the suite never rewrites tracked files.
 */
export async function screenshot(page, name) {
  const dir = process.env.PAGES_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const width = page.viewportSize().width;
  await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
}

/** A page URL carrying the token in its fragment, as scripts/token --page prints it. */
export const pageUrl = (base, path, token) => `${base}${path}#token=${token}`;
