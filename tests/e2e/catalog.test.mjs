// The catalogue at the edge (issue 10), against the real runtime: orders are priced and
// classed from what the core pushed, never from the client; a batch applies once and all or
// nothing; a late version never overwrites a newer one; a stop-sale acknowledged while 200
// orders are in flight is refused in every order that started after the acknowledgement; and
// a seeded randomized run (catalog_model.mjs) checks every answer against the authority's
// history. Nothing the catalogue would not allow reaches the core.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, catalogItem, memberToken, staffToken, coreSignature, countBy, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";
import { coreGotExactly, runRandomized } from "./catalog_model.mjs";

const CATALOG = [
  catalogItem("glucometer", "device", 59_900, { name: "血糖仪" }),
  catalogItem("ephedrine", "special", 3_500, { name: "复方麻黄碱片" }),
  catalogItem("vitc", "otc_b", 1_500),
  catalogItem("mask", "health", 800, { max_qty_per_order: 5 }),
  catalogItem("recalled", "otc_a", 2_000, { status: "stopped" }),
];
const world = useWorld({ catalog: CATALOG, ratelimits: NO_MEMBER_WRITE_LIMIT });

const admin = staffToken("ops-admin", "admin");
const marketing = staffToken("ops-mkt", "marketing");
const LATER = "2026-06-03T13:00:00Z";
const line = (sku, qty = 1, extra = {}) => ({ sku, qty, ...extra });
let keySeq = 0;
const order = (member, lines) =>
  world.api("POST", "/v1/orders", {
    token: memberToken(member), body: { store_id: "store-1", fulfilment: "delivery", lines }, headers: { "idempotency-key": `catk-${++keySeq}` }, now: LATER,
  });
const refusal = (reply) => [reply.status, reply.json?.code];
const item = (sku) => world.api("GET", `/v1/catalog/${sku}`);
const adminView = (sku, token = marketing) => world.api("GET", `/v1/admin/catalog/${sku}`, { token });
const setStatus = (sku, status, reason, token = admin) => world.api("PATCH", `/v1/admin/catalog/${sku}`, { token, body: { status, reason } });
/** A push that may be refused (the harness's pushCatalog asserts 200). */
function pushRaw(batch_id, items) {
  const raw = JSON.stringify({ batch_id, items });
  return world.api("POST", "/v1/core/catalog", { raw, headers: { "content-type": "application/json", "core-signature": coreSignature(raw) } });
}

test("finding 2: a 599-yuan glucometer at unit_price_fen 1 is 409 price_changed with today's lines; without it, priced from the catalogue", async () => {
  const cheat = await order("catf2-m", [line("glucometer", 1, { unit_price_fen: 1 })]);
  assert.deepEqual(refusal(cheat), [409, "price_changed"]);
  assert.deepEqual(cheat.json.lines.map((l) => [l.sku, l.unit_price_fen, l.drug_class, l.qty]), [["glucometer", 59_900, "device", 1]]);
  const priced = await order("catf2-m", [line("glucometer")]);
  assert.equal(priced.status, 202, priced.text);
  assert.deepEqual(
    [priced.json.lines[0].unit_price_fen, priced.json.lines[0].name, priced.json.lines[0].catalog_version, priced.json.subtotal_fen, priced.json.payable_fen],
    [59_900, "血糖仪", 1, 59_900, 59_900],
  );
  const seen = await order("catf2-m", [line("glucometer", 2, { unit_price_fen: 59_900 }), line("vitc")]);
  assert.deepEqual([seen.status, seen.json.payable_fen], [202, 2 * 59_900 + 1_500], "the price the member saw, when it is today's");
  const withPrice = await order("catf2-m", [{ sku: "glucometer", qty: 1, price_fen: 1 }]);
  assert.deepEqual(refusal(withPrice), [400, "invalid_request"]);
  assert.match(withPrice.json.detail, /price_fen/);
  await coreGotExactly(world, "catf2-", [priced, seen]);
});

test("finding 3: an ephedrine compound declared `other`, ten boxes, is 400; as sku and qty it is 422 restricted_drug", async () => {
  const declared = await order("catf3-m", [line("ephedrine", 10, { drug_class: "other" })]);
  assert.deepEqual(refusal(declared), [400, "invalid_request"]);
  assert.match(declared.json.detail, /lines\[0\]\.drug_class/);
  const honest = await order("catf3-m", [line("ephedrine", 10)]);
  assert.deepEqual(refusal(honest), [422, "restricted_drug"]);
  const hidden = await order("catf3-m", [line("vitc"), line("ephedrine", 1)]);
  assert.deepEqual(refusal(hidden), [422, "restricted_drug"], "one box hidden behind a vitamin");
  assert.match(hidden.json.detail, /lines\[1\]/);
  await coreGotExactly(world, "catf3-", []);
});

test("unknown_sku names its line, quantity_limit sums the lines of a SKU, a stopped SKU is sku_stopped", async () => {
  const unknown = await order("catr-m", [line("vitc"), line("no-such-sku")]);
  assert.deepEqual([...refusal(unknown), unknown.json.line], [422, "unknown_sku", 1]);
  const split = await order("catr-m", [line("mask", 3), line("vitc"), line("mask", 3)]);
  assert.deepEqual([...refusal(split), split.json.max], [422, "quantity_limit", 5], "six masks in two lines");
  const six = await order("catr-m", [line("mask", 6)]);
  assert.deepEqual([...refusal(six), six.json.max], [422, "quantity_limit", 5]);
  const stopped = await order("catr-m", [line("vitc"), line("recalled")]);
  assert.deepEqual(refusal(stopped), [422, "sku_stopped"]);
  const five = await order("catr-m", [line("mask", 2), line("mask", 3)]);
  assert.equal(five.status, 202, five.text);
  // Pages read the same catalogue.
  const page = await item("glucometer");
  assert.deepEqual([page.status, page.json.price_fen, page.json.drug_class, page.json.status, page.json.version], [200, 59_900, "device", "on_sale", 1]);
  assert.match(page.headers.get("cache-control"), /max-age=30/);
  assert.equal((await item("recalled")).json.status, "stopped");
  assert.deepEqual(refusal(await item("no-such-sku")), [404, "unknown_sku"]);
  assert.deepEqual(refusal(await item("bad%20sku")), [400, "invalid_request"]);
  await coreGotExactly(world, "catr-", [five]);
});

test("the same batch 20 times at once applies once; older versions, reused batch ids and bad items change nothing", async () => {
  const items = Array.from({ length: 5 }, (_, i) => catalogItem(`bt-${i}`, "otc_b", 1_000 + i, { version: 3 }));
  const twenty = await Promise.all(Array.from({ length: 20 }, () => world.pushCatalog(items, { batchId: "bt-batch-1" })));
  assert.deepEqual(countBy(twenty, (r) => r.json.duplicate), { false: 1, true: 19 });
  assert.deepEqual(twenty.find((r) => !r.json.duplicate).json, { accepted: true, duplicate: false, items: 5, applied: 5 });
  for (const r of twenty) assert.deepEqual([r.json.items, r.json.applied], [5, 5], "a duplicate reports the first push's counts");
  assert.deepEqual([(await item("bt-0")).json.version, (await item("bt-0")).json.price_fen], [3, 1_000]);

  // Older (and equal) versions in later batches are ignored, item by item; a newer one applies.
  const late = await world.pushCatalog([
    catalogItem("bt-0", "otc_b", 1, { version: 2 }), catalogItem("bt-1", "rx", 1, { version: 3 }), catalogItem("bt-2", "otc_b", 1_202, { version: 4 }),
  ]);
  assert.deepEqual([late.json.duplicate, late.json.items, late.json.applied], [false, 3, 1]);
  for (const [sku, version, price, cls] of [["bt-0", 3, 1_000, "otc_b"], ["bt-1", 3, 1_001, "otc_b"], ["bt-2", 4, 1_202, "otc_b"]]) {
    const page = await item(sku);
    assert.deepEqual([page.json.version, page.json.price_fen, page.json.drug_class], [version, price, cls], sku);
  }
  const priced = await order("catb-m", [line("bt-0"), line("bt-1"), line("bt-2")]);
  assert.equal(priced.status, 202, priced.text);
  assert.deepEqual(priced.json.lines.map((l) => [l.unit_price_fen, l.drug_class, l.catalog_version]), [[1_000, "otc_b", 3], [1_001, "otc_b", 3], [1_202, "otc_b", 4]]);

  const reused = await pushRaw("bt-batch-1", [catalogItem("bt-0", "otc_b", 5, { version: 9 })]);
  assert.deepEqual(refusal(reused), [422, "idempotency_key_reused"]);
  assert.equal((await item("bt-0")).json.version, 3);

  // All or nothing: items[3] is bad, so neither the new version of bt-3 nor the new SKU applies.
  const bad = [
    catalogItem("bt-3", "otc_b", 7, { version: 8 }), catalogItem("bt-new", "otc_b", 100), catalogItem("bt-4", "otc_b", 7, { version: 8, status: "stopped" }),
    catalogItem("bt-x", "otc_b", -1), catalogItem("bt-y", "otc_b", 100),
  ];
  const refused = await pushRaw("bt-batch-bad", bad);
  assert.deepEqual(refusal(refused), [400, "invalid_request"]);
  assert.match(refused.json.detail, /items\[3\]\.price_fen/);
  assert.deepEqual(refusal(await item("bt-new")), [404, "unknown_sku"]);
  assert.deepEqual([(await item("bt-3")).json.version, (await item("bt-4")).json.status], [3, "on_sale"]);
  const stillOld = await order("catb-m", [line("bt-3"), line("bt-4"), line("bt-new")]);
  assert.deepEqual([...refusal(stillOld), stillOld.json.line], [422, "unknown_sku", 2]);
  for (const [items2, field] of [
    [[catalogItem("bt-a", "otc_b", 1), catalogItem("bt-a", "otc_b", 2)], /items\[1\]\.sku/],
    [[{ ...catalogItem("bt-a", "otc_b", 1), drug_class: "vitamin" }], /drug_class/],
    [[{ ...catalogItem("bt-a", "otc_b", 1), version: -1 }], /items\[0\]\.version/],
    [[{ ...catalogItem("bt-a", "otc_b", 1), status: "paused" }], /status/],
    [[{ ...catalogItem("bt-a", "otc_b", 1), max_qty_per_order: 0 }], /items\[0\]\.max_qty_per_order/],
  ]) {
    const r = await pushRaw("bt-batch-bad-2", items2);
    assert.deepEqual(refusal(r), [400, "invalid_request"], JSON.stringify(items2));
    assert.match(r.json.detail, field);
  }
  assert.deepEqual(refusal(await item("bt-a")), [404, "unknown_sku"]);
  // The refused batch id recorded nothing: the corrected batch applies under it.
  const fixed = await pushRaw("bt-batch-bad", bad.map((i) => (i.price_fen < 0 ? { ...i, price_fen: 300 } : i)));
  assert.deepEqual([fixed.status, fixed.json.duplicate, fixed.json.applied], [200, false, 5]);
  assert.deepEqual([(await item("bt-3")).json.price_fen, (await item("bt-4")).json.status, (await item("bt-new")).status], [7, "stopped", 200]);
  const unsigned = await world.api("POST", "/v1/core/catalog", { body: { batch_id: "bt-unsigned", items: [catalogItem("bt-z", "otc_b", 1)] } });
  assert.deepEqual(refusal(unsigned), [401, "invalid_signature"]);
  await coreGotExactly(world, "catb-", [priced]);
});

test("a full batch of 1,000 items (about 190 KB) applies; 1,001 items are 400; a body over the route's limit is 413", async () => {
  const full = Array.from({ length: 1_000 }, (_, i) => ({
    ...catalogItem(`full-${String(i).padStart(4, "0")}`, i % 10 === 0 ? "rx" : "otc_b", 1_000 + i, { category: "感冒用药", max_qty_per_order: 10 }),
    name: `复方氨酚烷胺片 ${i} 12片/盒`,
  }));
  const started = Date.now();
  const pushed = await pushRaw("full-batch-1", full);
  const tookMs = Date.now() - started;
  assert.deepEqual([pushed.status, pushed.json?.applied, pushed.json?.items], [200, 1_000, 1_000], pushed.text.slice(0, 300));
  console.log(`# a 1,000-item batch (${Buffer.byteLength(JSON.stringify({ batch_id: "full-batch-1", items: full }))} bytes) answered in ${tookMs} ms, KV written before the answer`);
  const last = await item("full-0999");
  assert.deepEqual([last.status, last.json.price_fen, last.json.name], [200, 1_999, "复方氨酚烷胺片 999 12片/盒"]);
  const sold = await order("catfull-m", [line("full-0001", 2), line("full-0999")]);
  assert.deepEqual([sold.status, sold.json.payable_fen], [202, 2 * 1_001 + 1_999]);
  const over = await pushRaw("full-batch-2", [...full, catalogItem("full-1000", "otc_b", 1)]);
  assert.deepEqual(refusal(over), [400, "invalid_request"]);
  assert.match(over.json.detail, /items/);
  assert.deepEqual(refusal(await item("full-1000")), [404, "unknown_sku"]);
  const huge = await pushRaw("full-batch-3", [{ ...catalogItem("full-huge", "otc_b", 1), name: "x", pad: "x".repeat(4 * 1024 * 1024) }]);
  assert.deepEqual(refusal(huge), [413, "payload_too_large"]);
  await coreGotExactly(world, "catfull-", [sold]);
});

/**
 * 200 orders of `sku`, from distinct members, launched a few milliseconds apart so they
 * overlap (at most 80 at once, so the client never queues one and its start time is when it
 * was sent), with `stop` fired after the 60th once 10 have been answered; the last 60 wait
 * for its ack if it has not come by then. Answers each order's start, end and answer, and
 * the stop's ack time.
 */
async function raceStop(tag, sku, stop) {
  const records = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let stopStart;
  let tAck;
  let stopReply;
  const launches = [];
  for (let i = 0; i < 200; i++) {
    // Past 140 launches without the ack, the rest wait for it: at least 60 start after it.
    if (i === 140) for (let waits = 0; tAck === undefined && waits < 3_000; waits++) await new Promise((r) => setTimeout(r, 5));
    if (i === 60) {
      // Some orders are answered first, so the race is between sales and a stop (a busy
      // machine could otherwise hold every early order until after the stop).
      for (let waits = 0; records.filter((r) => r.status).length < 10 && waits < 5_000; waits++) await new Promise((r) => setTimeout(r, 2));
      stopStart = Date.now();
      launches.push(stop().then((reply) => {
        tAck = Date.now();
        stopReply = reply;
      }));
    }
    // Never more than 80 in flight (the harness's agent queues past 100, and a queued
    // request's start would not be when it was sent).
    for (let waits = 0; inFlight >= 80 && waits < 2_000; waits++) await new Promise((r) => setTimeout(r, 2));
    const record = { i, start: Date.now() };
    records.push(record);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    launches.push(order(`race-${tag}-${i}`, [line(sku)]).then((reply) => {
      inFlight -= 1;
      Object.assign(record, { end: Date.now(), reply, status: reply.status, code: reply.json?.code });
    }));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(launches);
  assert.equal(stopReply.status, 200, stopReply.text);
  assert.ok(maxInFlight < 95, `the client never queued an order (${maxInFlight} in flight at most)`);
  return { records, tAck, stopStart, maxInFlight };
}

function assertRace(what, { records, tAck, stopStart, maxInFlight }) {
  const before = records.filter((r) => r.start <= tAck);
  const after = records.filter((r) => r.start > tAck);
  const tally = (list) => countBy(list, (r) => (r.status === 202 ? "accepted" : r.code ?? r.status));
  const lateAccepted = before.filter((r) => r.status === 202 && r.end > tAck).length;
  console.log(`# stop-sale race (${what}): stop took ${tAck - stopStart} ms; ${maxInFlight} orders in flight at most; ` +
    `started before the ack ${JSON.stringify(tally(before))} (${lateAccepted} of those 202s answered after the ack); ` +
    `started after the ack ${JSON.stringify(tally(after))}`);
  assert.ok(after.length >= 50, `enough orders started after the ack (${after.length})`);
  // `<=`: the tenth answer may land in the very millisecond the stop is sent, after it was seen.
  assert.ok(records.filter((r) => r.end <= stopStart).length >= 10, "orders were answered before the stop was sent");
  assert.deepEqual(after.filter((r) => r.status === 202).map((r) => r.i), [], "no order that started after the ack is accepted");
  assert.deepEqual(records.filter((r) => r.status !== 202 && r.code !== "sku_stopped").map((r) => [r.i, r.status, r.code]), [], "every refusal is sku_stopped");
  assert.deepEqual(records.filter((r) => r.end < stopStart && r.status !== 202).map((r) => [r.i, r.code]), [], "an order answered before the stop was sent is accepted");
  return records.filter((r) => r.status === 202).map((r) => r.reply);
}

test("an admin stop-sale acknowledged while 200 orders are in flight: no order started after the ack is accepted", async () => {
  await world.pushCatalog([catalogItem("race-admin", "otc_b", 2_900)]);
  const race = await raceStop("a", "race-admin", () => setStatus("race-admin", "stopped", "药监局通知暂停销售 (CR-22)"));
  const accepted = assertRace("admin PATCH", race);
  await coreGotExactly(world, "race-a-", accepted, { waitMs: 60_000, tolerateMs: 10_000 });
  const view = (await adminView("race-admin")).json;
  assert.deepEqual([view.status, view.stops.core, view.stops.admin?.by, view.stops.admin?.reason], ["stopped", false, "ops-admin", "药监局通知暂停销售 (CR-22)"]);
});

test("a stop-sale pushed by the core while 200 orders are in flight: no order started after the ack is accepted", async () => {
  await world.pushCatalog([catalogItem("race-core", "otc_b", 3_900, { version: 5 })]);
  const race = await raceStop("c", "race-core", () => world.pushCatalog([catalogItem("race-core", "otc_b", 3_900, { version: 6, status: "stopped" })]));
  const accepted = assertRace("catalogue push", race);
  await coreGotExactly(world, "race-c-", accepted, { waitMs: 60_000, tolerateMs: 10_000 });
  const view = (await adminView("race-core")).json;
  assert.deepEqual([view.status, view.version, view.stops.core, view.stops.admin], ["stopped", 6, true, null]);
});

test("lifting stops: the admin's and the core's are separate facts, audited; marketing may read but not stop", async () => {
  await world.pushCatalog([catalogItem("lift-c", "otc_b", 1_000), catalogItem("lift-d", "otc_b", 1_000), catalogItem("lift-e", "otc_b", 1_000)]);
  // Core stop + admin stop; the admin lifts theirs: still stopped (the core's stop stands).
  await world.pushCatalog([catalogItem("lift-c", "otc_b", 1_000, { version: 2, status: "stopped" })]);
  assert.equal((await setStatus("lift-c", "stopped", "召回批次 A123")).status, 200);
  const lifted = await setStatus("lift-c", "on_sale", "复核完毕");
  assert.deepEqual([lifted.status, lifted.json.status, lifted.json.stops.core, lifted.json.stops.admin], [200, "stopped", true, null]);
  assert.deepEqual(refusal(await order("catl-m", [line("lift-c")])), [422, "sku_stopped"]);
  assert.equal((await item("lift-c")).json.status, "stopped");
  await world.pushCatalog([catalogItem("lift-c", "otc_b", 1_100, { version: 3 })]);
  const sold = await order("catl-m", [line("lift-c")]);
  assert.deepEqual([sold.status, sold.json.lines?.[0].unit_price_fen], [202, 1_100], "the core lifted its stop");

  // An admin stop survives a core push of on_sale (and a new price); lifting it sells at the new price.
  const stopped = await setStatus("lift-d", "stopped", "质量抽检不合格");
  assert.deepEqual([stopped.json.status, stopped.json.stops.admin.by, stopped.json.stops.admin.reason], ["stopped", "ops-admin", "质量抽检不合格"]);
  await world.pushCatalog([catalogItem("lift-d", "otc_b", 1_250, { version: 2 })]);
  const stillStopped = (await adminView("lift-d")).json;
  assert.deepEqual([stillStopped.status, stillStopped.price_fen, stillStopped.version, stillStopped.stops.core], ["stopped", 1_250, 2, false]);
  assert.deepEqual(refusal(await order("catl-m", [line("lift-d")])), [422, "sku_stopped"]);
  const again = await setStatus("lift-d", "stopped", "第二次停售");
  assert.equal(again.json.stops.admin.reason, "质量抽检不合格", "a repeated stop keeps who stopped it first");
  assert.equal((await setStatus("lift-d", "on_sale", "复检合格", staffToken("ops-admin-2", "admin"))).json.status, "on_sale");
  const soldD = await order("catl-m", [line("lift-d")]);
  assert.deepEqual([soldD.status, soldD.json.lines?.[0].unit_price_fen], [202, 1_250]);

  // The audit trail: who, why, before and after, newest first; marketing can read it.
  const trail = (await adminView("lift-d", marketing)).json.audit;
  assert.deepEqual(trail.map((a) => [a.by, a.reason, a.before, a.after]), [
    ["ops-admin-2", "复检合格", "stopped", "on_sale"], ["ops-admin", "第二次停售", "stopped", "stopped"], ["ops-admin", "质量抽检不合格", "on_sale", "stopped"],
  ]);
  assert.ok(trail.every((a) => Number.isFinite(Date.parse(a.at))));
  assert.deepEqual((await adminView("lift-c")).json.audit.map((a) => [a.reason, a.before, a.after]), [["复核完毕", "stopped", "stopped"], ["召回批次 A123", "stopped", "stopped"]]);

  // Who may stop: admin only; bad bodies are 400; unknown SKUs 404.
  for (const [token, status] of [[marketing, 403], [staffToken("clerk-1", "clerk", "store-1"), 403], [staffToken("ph-1", "pharmacist", "store-1"), 403], [memberToken("catl-m"), 401]]) {
    assert.equal((await setStatus("lift-e", "stopped", "无权限", token)).status, status);
  }
  assert.equal((await world.api("PATCH", "/v1/admin/catalog/lift-e", { body: { status: "stopped", reason: "x" } })).status, 401);
  for (const body of [{ status: "stopped" }, { status: "stopped", reason: "" }, { status: "stopped", reason: "   " }, { status: "paused", reason: "x" }, { status: "stopped", reason: "x".repeat(201) }, { status: "stopped", reason: "x", by: "me" }]) {
    const r = await world.api("PATCH", "/v1/admin/catalog/lift-e", { token: admin, body });
    assert.deepEqual(refusal(r), [400, "invalid_request"], JSON.stringify(body));
  }
  assert.deepEqual(refusal(await setStatus("no-such-sku", "stopped", "x")), [404, "unknown_sku"]);
  assert.deepEqual(refusal(await adminView("no-such-sku")), [404, "unknown_sku"]);
  assert.deepEqual(refusal(await adminView("lift-e", memberToken("catl-m"))), [401, "invalid_token"]);
  const untouched = (await adminView("lift-e")).json;
  assert.deepEqual([untouched.status, untouched.audit], ["on_sale", []], "nothing refused was applied or audited");
  await coreGotExactly(world, "catl-", [sold, soldD]);
});

test("randomized: catalogue pushes (out of order too), stops, lifts, prescriptions and orders, checked against a model", async () => {
  const seed = Number(process.env.CATALOG_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const ops = Number(process.env.CATALOG_OPS ?? 1000);
  await runRandomized(world, { seed, ops, admin });
});
