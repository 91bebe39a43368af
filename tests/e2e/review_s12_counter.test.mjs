// The outside attack of session 12 (P6 of session 11 again): a hand scanner types the next
// customer's QR and Enter while the previous one is still being verified. Each scan must be
// verified, in scan order, exactly once; none dropped, none cut by the page clearing the field.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken } from "./harness.mjs";
import { launch, open, pageUrl, assertClean } from "./browser.mjs";

const world = useWorld({ catalog: [catalogItem("otc-1", "otc_b", 1500)] });
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

let seq = 0;
const STORE = "store-s12";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A ready order of a new member at STORE, with the QR text the member's page would show. */
async function readyOrder() {
  const member = `s12-counter-${++seq}`;
  const placed = await world.api("POST", "/v1/orders", {
    token: memberToken(member),
    body: { store_id: STORE, fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 1 }] },
  });
  assert.equal(placed.status, 202, placed.text);
  const orderId = placed.json.order_id;
  const core = (type, data) => world.coreEvent({ id: `evt-s12c-${type}-${orderId}`, type, created_at: new Date().toISOString(), data });
  assert.equal((await core("order.confirmed", { order_id: orderId })).status, 200);
  const lines = placed.json.lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
  const ready = await core("order.ready_for_pickup", { order_id: orderId, member_id: member, store_id: STORE, lines, ready_at: new Date().toISOString() });
  assert.equal(ready.status, 200);
  const code = await world.api("GET", `/v1/pickups/${orderId}/code`, { token: memberToken(member) });
  assert.equal(code.status, 200, code.text);
  return { orderId, member, qr: code.json.qr };
}

for (const [name, answerMs, gapMs] of [
  ["a slow answer (the next scan lands while it is in flight)", 1500, 200],
  ["a quick answer (it lands while the next scan is being typed)", 600, 50],
]) {
  test(`scans typed during a verification are each verified once, in order: ${name}`, async () => {
    const orders = [await readyOrder(), await readyOrder(), await readyOrder()];
    const page = await open(browser, pageUrl(world.url, "/store", staffToken("clerk-s12", "clerk", STORE)));
    const sent = [];
    await page.route("**/v1/store/pickups/verify", async (route) => {
      sent.push(JSON.parse(route.request().postData()).code);
      await sleep(answerMs);
      await route.fulfill({ response: await route.fetch() });
    });
    const field = page.getByLabel("取货码");
    await field.focus();
    // A, B, then A again (the scanner firing twice) while B waits, then C.
    for (const order of [orders[0], orders[1], orders[0], orders[2]]) {
      await page.keyboard.type(order.qr, { delay: 2 });
      await page.keyboard.press("Enter");
      await sleep(gapMs);
    }
    const deadline = Date.now() + 20_000;
    const statusOf = async (o) => (await world.api("GET", `/v1/orders/${o.orderId}`, { token: memberToken(o.member) })).json.status;
    while (Date.now() < deadline && (await Promise.all(orders.map(statusOf))).some((s) => s !== "picked_up")) await sleep(250);
    assert.deepEqual(await Promise.all(orders.map(statusOf)), ["picked_up", "picked_up", "picked_up"], `sent: ${sent.length}`);
    // In scan order; the A typed again while it was queued behind B is sent once more at most
    // after B (answered as this clerk's own repeat), never before, and never cut short.
    const names = sent.map((code) => ["A", "B", "C"][orders.findIndex((o) => o.qr === code)] ?? `?${code.slice(0, 12)}`);
    assert.ok(["A,B,C", "A,B,A,C"].includes(names.join(",")), names.join(","));
    assert.equal(await field.inputValue(), "", "the field is left empty for the next customer");
    await page.getByRole("status").filter({ hasText: "核销" }).first().waitFor({ timeout: 5000 });
    assertClean(page);
    await page.context().close();
  });
}
