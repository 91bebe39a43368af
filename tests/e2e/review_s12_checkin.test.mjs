// The outside attack of session 12: the member's only tap on 签到 whose answer is lost on the
// way back. The page retries; the retry finds today done (by that same tap) and must say the
// check-in succeeded with what it gave, not "already checked in" as if the tap did nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken } from "./harness.mjs";
import { launch, open, pageUrl, PHONE } from "./browser.mjs";

const world = useWorld();
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("a check-in whose answer was lost is announced as this tap's success after the retry", async () => {
  const token = memberToken("s12-lost-answer");
  const page = await open(browser, pageUrl(world.url, "/m/checkin", token), { viewport: PHONE });
  const button = page.getByRole("button", { name: "签到", exact: true });
  await button.waitFor();
  let attempts = 0;
  await page.route("**/v1/checkins", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    attempts += 1;
    const answer = await route.fetch(); // the worker did the check-in
    if (attempts === 1) return route.abort("connectionreset"); // its answer never arrives
    await route.fulfill({ response: answer });
  });
  await button.click();
  await page.getByText("签到成功").waitFor({ timeout: 15_000 });
  assert.equal(attempts, 2);
  const announced = await page.getByRole("status").textContent();
  assert.match(announced, /获得 5 积分/);
  assert.match(announced, /积分余额 5$/);
  // One check-in, one award.
  const ledger = await world.api("GET", "/v1/points/ledger", { token });
  assert.deepEqual(ledger.json.entries.filter((e) => e.source === "checkin").map((e) => e.amount), [5]);
  await page.context().close();
});
