// Bad input on issue 10's endpoints against the real runtime, in the style of
// input_strict.test.mjs: the signed catalogue push, an admin's stop-sale, order lines and the
// prescription events. Each is a 4xx problem with a stable code naming what is wrong, never a
// 5xx, and none changes anything (the catalogue, the audit trail, the member's prescriptions).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, coreSignature, catalogItem } from "./harness.mjs";

const world = useWorld({
  catalog: [
    catalogItem("in-otc-1", "otc_b", 1990, { max_qty_per_order: 5 }),
    catalogItem("in-rx-1", "rx", 4500),
  ],
});

const admin = staffToken("admin-input", "admin");
const marketing = staffToken("mkt-input", "marketing");
const JSON_TYPE = { "content-type": "application/json" };
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** POSTs a catalogue body as the core would, signed over exactly these bytes. */
function push(raw, { contentType = "application/json", signature } = {}) {
  return world.api("POST", "/v1/core/catalog", {
    raw,
    headers: { "content-type": contentType, "core-signature": signature ?? coreSignature(raw) },
  });
}
const batch = (id, items) => JSON.stringify({ batch_id: id, items });
const page = (sku) => world.api("GET", `/v1/catalog/${sku}`);

function assertProblem(r, status, code, detail, what) {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  assert.equal(r.headers.get("content-type"), "application/problem+json", what);
  assert.equal(r.json.code, code, `${what}: ${r.text}`);
  if (detail instanceof RegExp) assert.match(r.json.detail, detail, what);
  else if (detail !== undefined) assert.equal(r.json.detail, detail, what);
}

test("a bad catalogue push is a 4xx naming the item and field, and applies nothing", async () => {
  const fresh = (n) => catalogItem(`in-new-${n}`, "otc_a", 1200);
  const many = (count) => Array.from({ length: count }, (_, n) => catalogItem(`in-bulk-${n}`, "other", 100 + n));
  const cases = [
    ["an array", JSON.stringify([{ batch_id: "in-b-array", items: [fresh(0)] }]), 400, "body: a JSON object is required"],
    ["1,001 items", batch("in-b-1001", many(1001)), 400, "items: from 1 to 1000 items"],
    ["no items", batch("in-b-empty", []), 400, "items: from 1 to 1000 items"],
    ["price_fen past i64", batch("in-b-price", [fresh(1), { ...fresh(2), price_fen: 1201 }]).replace('"price_fen":1201', '"price_fen":9223372036854775808'), 400, /^items\[1\]\.price_fen: /],
    ["price_fen past the bound", batch("in-b-price2", [{ ...fresh(3), price_fen: 10_000_001 }]), 400, "items[0].price_fen: out of range"],
    ["version past i64", batch("in-b-version", [fresh(4)]).replace('"version":1', '"version":99999999999999999999'), 400, /^items\[0\]\.version: /],
    ["negative version", batch("in-b-version2", [{ ...fresh(5), version: -1 }]), 400, "items[0].version: out of range"],
    ["a float price", batch("in-b-float", [fresh(6)]).replace('"price_fen":1200', '"price_fen":1200.0'), 400, /^items\[0\]\.price_fen: /],
    ["an unknown field", batch("in-b-unknown", [fresh(7), { ...fresh(8), stock: 3 }]), 400, /^items\[1\](\.stock)?: unknown field `stock`/],
    ["a SKU twice", batch("in-b-twice", [fresh(9), fresh(10), fresh(9)]), 400, "items[2].sku: in-new-9 twice in one batch"],
    ["a control character in a name", batch("in-b-control", [{ ...fresh(11), name: "阿莫西林\u0000胶囊" }]), 400, "items[0].name: out of range"],
    ["a newline in a name", batch("in-b-newline", [{ ...fresh(12), name: "维生素C\n片" }]), 400, "items[0].name: out of range"],
    ["an unknown class", batch("in-b-class", [{ ...fresh(13), drug_class: "otc" }]), 400, /^items\[0\]\.drug_class: /],
    ["status paused", batch("in-b-status", [{ ...fresh(14), status: "paused" }]), 400, /^items\[0\]\.status: /],
    ["a bad batch id", batch("in b", [fresh(15)]), 400, /^batch_id: /],
  ];
  for (const [what, raw, status, detail] of cases) {
    assertProblem(await push(raw), status, "invalid_request", detail, what);
  }
  const item = batch("in-b-media", [fresh(16)]);
  assertProblem(await push(item, { contentType: "application/jsonx" }), 415, "unsupported_media_type", undefined, "application/jsonx");
  assertProblem(await push(item, { contentType: "text/plain" }), 415, "unsupported_media_type", undefined, "text/plain");
  assertProblem(await push(item, { signature: coreSignature(item, "not-the-core-secret") }), 401, "invalid_signature", undefined, "a bad signature");
  assertProblem(await push(item, { signature: coreSignature(`${item} `) }), 401, "invalid_signature", undefined, "a signature of other bytes");
  assertProblem(await push(item, { signature: "" }), 401, "invalid_signature", undefined, "no signature");
  const huge = batch("in-b-huge", [{ ...fresh(17), name: "x".repeat(200) }]).padEnd(4 * 1024 * 1024 + 1, " ");
  assertProblem(await push(huge), 413, "payload_too_large", undefined, "over 4 MiB");
  // All or nothing: not one item of a refused batch is in the catalogue.
  for (const sku of ["in-new-1", "in-new-2", "in-new-7", "in-new-9", "in-new-16", "in-new-17", "in-bulk-0", "in-bulk-1000"]) {
    assertProblem(await page(sku), 404, "unknown_sku", undefined, sku);
  }
  // A refused batch id is not spent: the same id with a good body applies.
  const good = await push(batch("in-b-twice", [fresh(9), fresh(10)]));
  assert.deepEqual(good.json, { accepted: true, duplicate: false, items: 2, applied: 2 });
});

test("a batch of exactly 1,000 items fits the body limit and applies", async () => {
  const items = Array.from({ length: 1000 }, (_, n) => catalogItem(`in-full-${n}`, "health", 500 + n, { name: `保健品 ${"样".repeat(40)} ${n}`, category: "保健食品" }));
  const raw = batch("in-b-full", items);
  assert.ok(Buffer.byteLength(raw) > 64 * 1024, "a realistic 1,000-item batch is over the 64 KiB of member writes");
  const r = await push(raw);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { accepted: true, duplicate: false, items: 1000, applied: 1000 });
  const last = await page("in-full-999");
  assert.equal(last.status, 200, last.text);
  assert.equal(last.json.price_fen, 1499);
});

test("an admin stop with a bad status, reason or field is 400 and leaves no audit entry", async () => {
  const patch = (body, token = admin, sku = "in-otc-1") =>
    world.api("PATCH", `/v1/admin/catalog/${sku}`, { token, raw: JSON.stringify(body), headers: JSON_TYPE });
  const cases = [
    ["status paused", { status: "paused", reason: "recall" }, /^status: /],
    ["status missing", { reason: "recall" }, /status/],
    ["empty reason", { status: "stopped", reason: "" }, /^reason: /],
    ["white-space reason", { status: "stopped", reason: " \t\u3000 " }, /^reason: /],
    ["a control character in the reason", { status: "stopped", reason: "recall\u0007" }, /^reason: /],
    ["a reason of 201 characters", { status: "stopped", reason: "召".repeat(201) }, /^reason: /],
    ["reason missing", { status: "stopped" }, /reason/],
    ["an unknown field", { status: "stopped", reason: "recall", by: "someone-else" }, /unknown field `by`/],
    ["a number for the reason", { status: "stopped", reason: 7 }, /^reason: /],
  ];
  for (const [what, body, detail] of cases) {
    assertProblem(await patch(body), 400, "invalid_request", detail, what);
  }
  const array = await world.api("PATCH", "/v1/admin/catalog/in-otc-1", { token: admin, raw: "[]", headers: JSON_TYPE });
  assertProblem(array, 400, "invalid_request", "body: a JSON object is required", "an array");
  const media = await world.api("PATCH", "/v1/admin/catalog/in-otc-1", {
    token: admin, raw: JSON.stringify({ status: "stopped", reason: "recall" }), headers: { "content-type": "application/jsonx" },
  });
  assertProblem(media, 415, "unsupported_media_type", undefined, "application/jsonx");
  assertProblem(await patch({ status: "stopped", reason: "recall" }, marketing), 403, "forbidden", undefined, "marketing");
  assertProblem(await patch({ status: "stopped", reason: "recall" }, admin, "in-none"), 404, "unknown_sku", undefined, "unknown SKU");
  assertProblem(await patch({ status: "stopped", reason: "recall" }, admin, "in%20otc"), 400, "invalid_request", /^sku: /, "bad SKU");
  const view = await world.api("GET", "/v1/admin/catalog/in-otc-1", { token: marketing });
  assert.equal(view.status, 200, view.text);
  assert.deepEqual([view.json.status, view.json.stops, view.json.audit], ["on_sale", { core: false, admin: null }, []]);
  // The longest reason is taken, and stored trimmed.
  const ok = await patch({ status: "stopped", reason: ` ${"召".repeat(198)} ` });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.audit[0].reason, "召".repeat(198));
  const lifted = await patch({ status: "on_sale", reason: "back" });
  assert.equal(lifted.json.status, "on_sale");
});

test("order lines naming what the pharmacy decides are 400 naming the field; one SKU on two lines is one product", async () => {
  const member = "in-orders";
  const order = (lines, key) =>
    world.api("POST", "/v1/orders", {
      token: memberToken(member),
      headers: { "idempotency-key": key },
      body: { store_id: "store-1", fulfilment: "pickup", lines },
    });
  for (const [field, value] of [["drug_class", "otc_b"], ["name", "维生素C"], ["price_fen", 1], ["discount_fen", 0], ["catalog_version", 9]]) {
    const r = await order([{ sku: "in-otc-1", qty: 1 }, { sku: "in-rx-1", qty: 1, [field]: value }], `in-field-${field}`);
    assertProblem(r, 400, "invalid_request", new RegExp(`^lines\\[1\\](\\.${field})?: unknown field \`${field}\``), field);
  }
  const overflow = await world.api("POST", "/v1/orders", {
    token: memberToken(member),
    raw: '{"store_id":"store-1","fulfilment":"pickup","lines":[{"sku":"in-otc-1","qty":1,"unit_price_fen":9223372036854775808}]}',
    headers: JSON_TYPE,
  });
  assertProblem(overflow, 400, "invalid_request", /^lines\[0\]\.unit_price_fen: /, "unit_price_fen past i64");
  // The same SKU on two lines (this answered 500 once the isolate or KV held the item).
  const split = await order([{ sku: "in-otc-1", qty: 2 }, { sku: "in-otc-1", qty: 3, unit_price_fen: 1990 }], "in-split");
  assert.equal(split.status, 202, split.text);
  assert.deepEqual(split.json.lines.map((line) => [line.sku, line.qty, line.unit_price_fen]), [["in-otc-1", 2, 1990], ["in-otc-1", 3, 1990]]);
  assert.equal(split.json.subtotal_fen, 5 * 1990);
  const again = await order([{ sku: "in-otc-1", qty: 2 }, { sku: "in-otc-1", qty: 3 }], "in-split-2");
  assert.equal(again.status, 202, again.text);
  // ... and the per-order limit counts both lines.
  const over = await order([{ sku: "in-otc-1", qty: 3 }, { sku: "in-otc-1", qty: 3 }], "in-split-over");
  assertProblem(over, 422, "quantity_limit", undefined, "5 at most over two lines");
  assert.equal(over.json.max, 5);
});

test("a prescription event with empty items, qty 0 or a bad expiry is 400 and grants nothing", async () => {
  const member = "in-rx-member";
  const expires = iso(Date.now() + 30 * 86400 * 1000);
  const approved = (id, data) => ({
    id, type: "prescription.approved", created_at: iso(Date.now()),
    data: { prescription_id: "in-presc-1", member_id: member, items: [{ sku: "in-rx-1", qty: 1 }], approved_by: "pharm-1", expires_at: expires, ...data },
  });
  const cases = [
    ["empty items", approved("in-evt-1", { items: [] }), "data.items: from 1 to 100 items"],
    ["qty 0", approved("in-evt-2", { items: [{ sku: "in-rx-1", qty: 0 }] }), "data.items[0].qty: from 1 to 999"],
    ["qty past i64", approved("in-evt-3", {}), /^data\.items\[0\]\.qty: /, (raw) => raw.replace('"qty":1', '"qty":9223372036854775808')],
    ["a bad expires_at", approved("in-evt-4", { expires_at: "next week" }), /^data\.expires_at: /],
    ["a date for expires_at", approved("in-evt-5", { expires_at: "2026-12-31" }), /^data\.expires_at: /],
    ["an unknown field in an item", approved("in-evt-6", { items: [{ sku: "in-rx-1", qty: 1, drug_class: "rx" }] }), /^data\.items\[0\](\.drug_class)?: unknown field `drug_class`/],
    ["a bad SKU", approved("in-evt-7", { items: [{ sku: "in rx", qty: 1 }] }), /^data\.items\[0\]\.sku: /],
    ["no approver", approved("in-evt-8", { approved_by: "" }), /^data\.approved_by: /],
    ["items not an array", approved("in-evt-9", { items: { sku: "in-rx-1", qty: 1 } }), /^data\.items: /],
  ];
  for (const [what, event, detail, edit = (raw) => raw] of cases) {
    const raw = edit(JSON.stringify(event));
    const r = await world.api("POST", "/v1/core/events", { raw, headers: { ...JSON_TYPE, "core-signature": coreSignature(raw) } });
    assertProblem(r, 400, "invalid_request", detail, what);
  }
  const revoked = await world.coreEvent({ id: "in-evt-10", type: "prescription.revoked", created_at: iso(Date.now()), data: { prescription_id: "in presc", member_id: member } });
  assertProblem(revoked, 400, "invalid_request", /^data\.prescription_id: /, "a bad prescription id");
  // None of them granted the prescription: an Rx order naming it is refused as unknown.
  const r = await world.api("POST", "/v1/orders", {
    token: memberToken(member),
    body: { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "in-rx-1", qty: 1 }], prescription_id: "in-presc-1" },
  });
  assertProblem(r, 422, "prescription_invalid", undefined, "after refused approvals");
  assert.equal(r.json.reason, "unknown");
  // A refused event id is not spent: the good event with the same id is the fact.
  const good = await world.coreEvent(approved("in-evt-1", {}));
  assert.deepEqual([good.status, good.json.duplicate], [200, false], good.text);
  const placed = await world.api("POST", "/v1/orders", {
    token: memberToken(member),
    body: { store_id: "store-1", fulfilment: "pickup", lines: [{ sku: "in-rx-1", qty: 1 }], prescription_id: "in-presc-1" },
  });
  assert.equal(placed.status, 202, placed.text);
  assert.equal(placed.json.prescription_id, "in-presc-1");
});
