// Review (session 10, newmember's squashed baselines and shim's JS RPC): objects created and
// persisted by main's build (60b29fa, .bench/base: git-ignored, so this file skips where it is
// absent, e.g. CI) are opened by this checkout's build on the same storage and keep working: kept
// replies (a claim's, an order's) answer again, check-ins continue their streak, the ledger
// pages in order with new ids above the old ones. Then the rollback: main's build opens the
// objects this build created (check-ins WITHOUT ROWID, the ledger without AUTOINCREMENT,
// schema_versions WITHOUT ROWID) and keeps working too. The core hears each fact once across
// the three runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memberToken, staffToken, assertNoFactTwice } from "./harness.mjs";
import { startOn, newPersistDir, removeDir, hasMainBuild, MAIN_BUILD } from "./review_s10_lib.mjs";
import { CATALOG } from "./review_s10_wire_cases.mjs";
import { startCoreStub } from "../../scripts/core-stub.mjs";
import { SECRETS } from "./harness.mjs";

const noon = (date) => `${date}T04:00:00Z`;
const marketing = staffToken("mkt-up", "marketing");
const campaign = (id, extra = {}) => ({
  id, name: `升级 ${id}`, kind: "coupon", starts_at: "2026-07-01T00:00:00Z", ends_at: "2026-07-31T00:00:00Z",
  stock: 10, coupon: { type: "threshold", value_fen: 500, min_spend_fen: 1000, valid_days: 30 }, limits: { per_member: 1 },
  rules_text: "每人限领一张", ...extra,
});
const PAID = (id, member, order, amount) => ({
  id, type: "order.paid", created_at: noon("2026-07-01"),
  data: { order_id: order, member_id: member, amount_fen: amount, paid_at: noon("2026-07-01"),
    lines: [{ sku: "otc-1", name: "维生素C", qty: 1, unit_price_fen: amount, drug_class: "otc_b" }] },
});

const checkin = (w, member, date) => w.api("POST", "/v1/checkins", { token: memberToken(member), now: noon(date) });
const ledger = async (w, member, date) => {
  const pages = [];
  let cursor = "";
  for (let i = 0; i < 20; i++) {
    const page = await w.api("GET", `/v1/points/ledger?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: memberToken(member), now: noon(date) });
    assert.equal(page.status, 200, page.text);
    pages.push(...page.json.entries);
    if (!page.json.next_cursor) return pages;
    cursor = encodeURIComponent(page.json.next_cursor);
  }
  assert.fail("ledger paging did not end");
};
const balance = async (w, member, date) => (await w.api("GET", "/v1/me", { token: memberToken(member), now: noon(date) })).json.points.balance;
const claim = (w, member, id, key, date) =>
  w.api("POST", `/v1/campaigns/${id}/claims`, { token: memberToken(member), body: {}, now: noon(date), headers: { "idempotency-key": key } });
const order = (w, member, couponId, key, date) =>
  w.api("POST", "/v1/orders", {
    token: memberToken(member), now: noon(date), headers: { "idempotency-key": key },
    body: { store_id: "st-1", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 1 }], coupon_id: couponId },
  });

/** Ids strictly decreasing down the pages (newest first), none twice. */
function assertPagedOnce(entries, what) {
  const ids = entries.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `${what}: an id twice ${JSON.stringify(ids)}`);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] < ids[i - 1], `${what}: ids out of order ${JSON.stringify(ids)}`);
}

test("main's objects open on this build, and this build's on main's", { skip: !hasMainBuild() && "main's build (.bench/base) absent" }, async () => {
  const persistDir = newPersistDir();
  const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
  try {
    // 1. main's build creates the objects.
    let w = await startOn({ main: MAIN_BUILD, persistDir, stub });
    assert.equal((await w.catalogRaw(CATALOG, noon("2026-07-01"))).status, 200);
    assert.equal((await w.api("POST", "/v1/admin/campaigns", { token: marketing, body: campaign("up-1"), now: noon("2026-07-01") })).status, 201);
    assert.equal((await w.coreEvent({ id: "up-reg-1", type: "member.registered", created_at: noon("2026-06-01"),
      data: { member_id: "up-m1", registered_at: noon("2026-06-01"), real_name_verified: true } })).status, 200);
    const day1 = await checkin(w, "up-m1", "2026-07-01");
    assert.equal(day1.status, 201, day1.text);
    assert.equal((await checkin(w, "up-m1", "2026-07-02")).status, 201);
    assert.equal((await checkin(w, "up-m2", "2026-07-02")).status, 201);
    assert.equal((await w.coreEvent(PAID("up-paid-1", "up-m1", "core-o1", 5000))).status, 200);
    const claimed = await claim(w, "up-m1", "up-1", "up-claim-1", "2026-07-02");
    assert.equal(claimed.status, 201, claimed.text);
    const placed = await order(w, "up-m1", claimed.json.coupon.coupon_id, "up-order-1", "2026-07-02");
    assert.equal(placed.status, 202, placed.text);
    // Ready for pickup: the order object queues its command to the store object, and main's
    // build stops at once (the row, main's text, is delivered by whichever build runs next).
    const lines = placed.json.lines.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));
    assert.equal((await w.coreEvent({ id: "up-ready-1", type: "order.ready_for_pickup", created_at: noon("2026-07-02"),
      data: { order_id: placed.json.order_id, member_id: "up-m1", store_id: "st-1", lines, ready_at: noon("2026-07-02") } })).status, 200);
    const patchUp = () => w.api("PATCH", "/v1/admin/campaigns/up-1", { token: marketing, body: { add_stock: 5 }, now: noon("2026-07-02"), headers: { "idempotency-key": "up-patch-1" } });
    const patched = await patchUp();
    assert.equal(patched.status, 200, patched.text);
    const coupons = (w, member, date) => w.api("GET", "/v1/coupons", { token: memberToken(member), now: noon(date) }).then((r) => r.json);
    const walletBefore = await coupons(w, "up-m1", "2026-07-02");
    assert.equal(walletBefore.coupons.length, 1);
    const ledgerBefore = await ledger(w, "up-m1", "2026-07-02");
    const balanceBefore = await balance(w, "up-m1", "2026-07-02");
    await w.stop({ keepStub: true });

    // 2. This build on the same storage.
    w = await startOn({ persistDir, stub });
    assert.deepEqual((await claim(w, "up-m1", "up-1", "up-claim-1", "2026-07-02")).json, claimed.json, "the kept claim answers again");
    assert.deepEqual((await order(w, "up-m1", claimed.json.coupon.coupon_id, "up-order-1", "2026-07-02")).json, placed.json, "the kept order answers again");
    assert.deepEqual(await coupons(w, "up-m1", "2026-07-02"), walletBefore, "main's wallet rows read the same");
    // main's campaign and its kept PATCH answer, read by this build (AdminCampaign by hand).
    assert.deepEqual((await patchUp()).json, patched.json, "the kept PATCH answer again");
    const view = await w.api("GET", "/v1/admin/campaigns/up-1", { token: marketing, now: noon("2026-07-02") });
    assert.deepEqual([view.status, view.json.stock, view.json.revision], [200, patched.json.stock, patched.json.revision], view.text);
    const clerk = staffToken("clerk-up", "clerk", "st-1");
    const listed = async () => (await w.api("GET", "/v1/store/pickups?status=ready", { token: clerk, now: noon("2026-07-02") })).json?.pickups ?? [];
    for (let i = 0; i < 200 && !(await listed()).some((p) => p.order_id === placed.json.order_id); i++) await new Promise((r) => setTimeout(r, 50));
    const shown = await w.api("GET", `/v1/pickups/${placed.json.order_id}/code`, { token: memberToken("up-m1"), now: noon("2026-07-02") });
    assert.equal(shown.status, 200, shown.text);
    const verified = await w.api("POST", "/v1/store/pickups/verify", { token: clerk, body: { code: shown.json.qr }, now: noon("2026-07-02") });
    assert.deepEqual([verified.status, verified.json.order_id], [200, placed.json.order_id], verified.text);
    const twice = await w.api("POST", "/v1/store/pickups/verify", { token: clerk, body: { code: shown.json.qr }, now: noon("2026-07-02") });
    assert.deepEqual([twice.status, twice.json.code], [409, "already_picked_up"]);
    const again = await checkin(w, "up-m1", "2026-07-02");
    assert.deepEqual([again.status, again.json.streak, again.json.already_checked_in], [200, 2, true]);
    const day3 = await checkin(w, "up-m1", "2026-07-03");
    assert.deepEqual([day3.status, day3.json.streak, day3.json.bonus_points], [201, 3, 10], day3.text);
    assert.deepEqual([(await checkin(w, "up-m2", "2026-07-03")).json.streak], [2]);
    const ledgerAfter = await ledger(w, "up-m1", "2026-07-03");
    assertPagedOnce(ledgerAfter, "up-m1 after the upgrade");
    assert.deepEqual(ledgerAfter.slice(-ledgerBefore.length), ledgerBefore, "the old entries unchanged");
    assert.equal(await balance(w, "up-m1", "2026-07-03"), balanceBefore + 15);
    // A member this build creates (its baseline tables), with a claim and an order.
    assert.equal((await checkin(w, "up-new", "2026-07-03")).status, 201);
    const newClaim = await claim(w, "up-new", "up-1", "up-claim-new", "2026-07-03");
    assert.equal(newClaim.status, 201, newClaim.text);
    assert.equal((await checkin(w, "up-new", "2026-07-04")).json.streak, 2);
    const newLedger = await ledger(w, "up-new", "2026-07-04");
    const newWallet = await coupons(w, "up-new", "2026-07-04");
    await w.stop({ keepStub: true });

    // 3. Rolled back: main's build opens what this build created.
    w = await startOn({ main: MAIN_BUILD, persistDir, stub });
    assert.deepEqual((await claim(w, "up-new", "up-1", "up-claim-new", "2026-07-04")).json, newClaim.json);
    assert.deepEqual(await coupons(w, "up-new", "2026-07-04"), newWallet, "this build's wallet rows read the same by main's");
    const rolled = await checkin(w, "up-new", "2026-07-05");
    assert.deepEqual([rolled.status, rolled.json.streak], [201, 3], rolled.text);
    const newLedgerAfter = await ledger(w, "up-new", "2026-07-05");
    assertPagedOnce(newLedgerAfter, "up-new after the rollback");
    assert.deepEqual(newLedgerAfter.slice(-newLedger.length), newLedger);
    assert.equal((await checkin(w, "up-m1", "2026-07-04")).json.streak, 4);
    // Every check-in the three runs recorded reaches the core (rows queued before a stop are
    // delivered by the next run), each fact once.
    const expected = [
      ...["01", "02", "03", "04"].map((d) => `up-m1:2026-07-${d}`),
      "up-m2:2026-07-02", "up-m2:2026-07-03",
      ...["03", "04", "05"].map((d) => `up-new:2026-07-${d}`),
    ];
    const heard = () => new Set(stub.deliveries().filter((d) => d.body?.type === "checkin.recorded").map((d) => `${d.body.data.member_id}:${d.body.data.date}`));
    for (let i = 0; i < 300 && !expected.every((f) => heard().has(f)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(expected.filter((f) => !heard().has(f)), [], "check-ins the core never heard");
    await w.stop({ keepStub: true });
    assertNoFactTwice(stub);
  } finally {
    await stub.close();
    removeDir(persistDir);
  }
});
