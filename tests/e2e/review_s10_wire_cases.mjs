// Review (session 10): bad and odd shapes of external input (admin campaign bodies, core
// events, orders, catalogue pushes and edits), sent in order to one world. Each case answers
// `[status, code]`; bodies of the successful reads are kept for a differential between builds.
import { staffToken, memberToken } from "./harness.mjs";

export const NOW = "2026-07-01T04:00:00Z";
const marketing = staffToken("mkt-s10", "marketing");
const admin = staffToken("adm-s10", "admin");
const base = (id, coupon) => ({
  id, name: `线上 ${id}`, kind: "coupon",
  starts_at: "2026-07-01T00:00:00Z", ends_at: "2026-07-20T00:00:00Z",
  stock: 10, coupon, limits: { per_member: 1 }, rules_text: "每人限领一张",
});
const fixed = { type: "fixed", value_fen: 500, valid_days: 7 };
const rawCampaign = (id, couponText, extra = "") =>
  `{"id":"${id}","name":"n","kind":"coupon","starts_at":"2026-07-01T00:00:00Z","ends_at":"2026-07-20T00:00:00Z",` +
  `"stock":10,"coupon":${couponText},"limits":{"per_member":1},"rules_text":"r"${extra}}`;
const line = { sku: "otc-1", name: "维生素C", qty: 1, unit_price_fen: 1990, drug_class: "otc_b" };
const event = (id, type, data) => ({ id, type, created_at: NOW, data });

/** [name, (world) => response] in order; later cases may rely on earlier ones. */
export const CASES = [];
const c = (name, run) => CASES.push([name, run]);
const create = (body) => (w) => w.api("POST", "/v1/admin/campaigns", { token: marketing, body, now: NOW });
const createRaw = (raw) => (w) =>
  w.api("POST", "/v1/admin/campaigns", { token: marketing, raw, headers: { "content-type": "application/json" }, now: NOW });

// Admin campaign bodies: the coupon template (coupon_wire's conversion) and the config.
c("coupon ok", create(base("s10-ok", fixed)));
c("coupon type last", create(base("s10-last", { value_fen: 500, valid_days: 7, type: "fixed" })));
c("coupon percent ok", create(base("s10-pct", { type: "percent", percent: 20, max_discount_fen: 1000, valid_days: 7 })));
c("coupon threshold ok", create(base("s10-thr", { type: "threshold", value_fen: 500, min_spend_fen: 3000, valid_days: 7, eligible_classes: ["otc_b"] })));
c("coupon missing value_fen", create(base("s10-a1", { type: "fixed", valid_days: 7 })));
c("coupon percent missing max", create(base("s10-a2", { type: "percent", percent: 10, valid_days: 7 })));
c("coupon percent min null", create(base("s10-a3", { type: "percent", percent: 10, max_discount_fen: 100, min_spend_fen: null, valid_days: 7 })));
c("coupon value string", create(base("s10-a4", { type: "fixed", value_fen: "500", valid_days: 7 })));
c("coupon value 1e20", createRaw(rawCampaign("s10-a5", `{"type":"fixed","value_fen":1e20,"valid_days":7}`)));
c("coupon value 2^63", createRaw(rawCampaign("s10-a6", `{"type":"fixed","value_fen":9223372036854775808,"valid_days":7}`)));
c("coupon value -1", create(base("s10-a7", { type: "fixed", value_fen: -1, valid_days: 7 })));
c("coupon type bogus", create(base("s10-a8", { type: "bogus", value_fen: 500, valid_days: 7 })));
c("coupon array", create(base("s10-a9", ["fixed", 500])));
c("coupon dup value", createRaw(rawCampaign("s10-a10", `{"type":"fixed","value_fen":500,"value_fen":600,"valid_days":7}`)));
c("coupon dup type", createRaw(rawCampaign("s10-a11", `{"type":"fixed","value_fen":500,"type":"percent","valid_days":7}`)));
c("coupon unknown key", create(base("s10-a12", { ...fixed, colour: "red" })));
c("coupon type null", create(base("s10-a13", { type: null, value_fen: 500, valid_days: 7 })));
c("coupon bad class", create(base("s10-a14", { ...fixed, eligible_classes: ["otc_b", "bogus"] })));
c("coupon classes string", create(base("s10-a15", { ...fixed, eligible_classes: "otc_b" })));
c("coupon null", create(base("s10-a16", null)));
c("coupon empty", create(base("s10-a17", {})));
c("coupon percent value only", create(base("s10-a18", { type: "percent", value_fen: 500, valid_days: 7 })));
c("coupon threshold no min", create(base("s10-a19", { type: "threshold", value_fen: 500, valid_days: 7 })));
c("coupon value float", create(base("s10-a20", { type: "fixed", value_fen: 500.5, valid_days: 7 })));
c("coupon no type", create(base("s10-a21", { value_fen: 500, valid_days: 7 })));
c("campaign unknown key", create({ ...base("s10-a22", fixed), colour: "red" }));
c("campaign dup stock", createRaw(rawCampaign("s10-a23", JSON.stringify(fixed), `,"stock":20`)));
c("campaign schedule bad", create({ ...base("s10-a24", fixed), schedule: { every: "day", start_time: 9, duration_minutes: 60, stock_per_occurrence: 5 } }));
c("campaign stock overflow", createRaw(rawCampaign("s10-a25", JSON.stringify(fixed)).replace(`"stock":10`, `"stock":18446744073709551616`)));

// Reads of what was created (the worker decodes the object's AdminCampaign and PublicCoupon).
c("admin view", (w) => w.api("GET", "/v1/admin/campaigns/s10-thr", { token: marketing, now: NOW }));
c("admin view last", (w) => w.api("GET", "/v1/admin/campaigns/s10-last", { token: marketing, now: NOW }));
c("public view", (w) => w.api("GET", "/v1/campaigns/s10-pct", { token: memberToken("s10-m2"), now: NOW }));
c("admin list", (w) => w.api("GET", "/v1/admin/campaigns", { token: marketing, now: NOW }));

// PATCH bodies, and a kept PATCH answer replayed (read back from its text).
const patch = (id, body, key) => (w) =>
  w.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body, now: NOW, headers: key ? { "idempotency-key": key } : {} });
const patchRaw = (id, raw) => (w) =>
  w.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, raw, now: NOW, headers: { "content-type": "application/json" } });
c("patch stock string", patch("s10-ok", { add_stock: "5" }));
c("patch stock 1e30", patchRaw("s10-ok", `{"add_stock":1e30}`));
c("patch status bogus", patch("s10-ok", { status: "bogus" }));
c("patch array", patchRaw("s10-ok", `[]`));
c("patch ends number", patch("s10-ok", { ends_at: 5 }));
c("patch dup key", patchRaw("s10-ok", `{"add_stock":1,"add_stock":2}`));
c("patch unknown", patch("s10-ok", { add_stock: 1, colour: "red" }));
c("patch keyed", patch("s10-thr", { add_stock: 5 }, "s10-patch-1"));
c("patch keyed again", patch("s10-thr", { add_stock: 5 }, "s10-patch-1"));
c("patch keyed other body", patch("s10-thr", { add_stock: 6 }, "s10-patch-1"));

// Core events (parsed by the worker; the member's and order's event enums carry them inward).
const reg = { member_id: "s10-m1", registered_at: NOW, real_name_verified: true };
c("event reg data first", (w) =>
  w.coreRaw(`{"data":${JSON.stringify(reg)},"created_at":"${NOW}","id":"s10-e1","type":"member.registered"}`, NOW));
c("event reg again", (w) => w.coreEvent(event("s10-e1", "member.registered", reg), NOW));
c("event data array", (w) => w.coreEvent(event("s10-e2", "member.registered", [reg]), NOW));
c("event member number", (w) => w.coreEvent(event("s10-e3", "member.verified", { member_id: 5 }), NOW));
const paid = { order_id: "s10-o1", member_id: "s10-m1", amount_fen: 1990, paid_at: NOW, lines: [line] };
c("event paid amount string", (w) => w.coreEvent(event("s10-e4", "order.paid", { ...paid, amount_fen: "1990" }), NOW));
c("event paid amount 2^63", (w) =>
  w.coreRaw(JSON.stringify(event("s10-e5", "order.paid", paid)).replace(`"amount_fen":1990`, `"amount_fen":9223372036854775808`), NOW));
c("event paid lines object", (w) => w.coreEvent(event("s10-e6", "order.paid", { ...paid, lines: line }), NOW));
c("event unknown type", (w) => w.coreEvent(event("s10-e7", "order.bogus", paid), NOW));
c("event dup type", (w) =>
  w.coreRaw(`{"id":"s10-e8","type":"order.paid","type":"member.verified","created_at":"${NOW}","data":${JSON.stringify(paid)}}`, NOW));
c("event dup data", (w) =>
  w.coreRaw(`{"id":"s10-e9","type":"member.verified","created_at":"${NOW}","data":{"member_id":"s10-m1"},"data":{"member_id":"x"}}`, NOW));
c("event bad id", (w) => w.coreEvent(event("s10 e10", "member.verified", { member_id: "s10-m1" }), NOW));
c("event no data", (w) => w.coreRaw(`{"id":"s10-e11","type":"member.verified","created_at":"${NOW}"}`, NOW));
c("event paid extra key", (w) => w.coreEvent(event("s10-e12", "order.paid", { ...paid, order_id: "s10-o2", colour: "red" }), NOW));
c("event paid ok", (w) => w.coreEvent(event("s10-e13", "order.paid", { ...paid, order_id: "s10-o3" }), NOW));
c("event paid data keys reversed", (w) =>
  w.coreRaw(`{"type":"order.paid","data":{"lines":${JSON.stringify([line])},"paid_at":"${NOW}","amount_fen":990,"member_id":"s10-m1","order_id":"s10-o4"},"id":"s10-e14","created_at":"${NOW}"}`, NOW));
c("event profile month 13", (w) => w.coreEvent(event("s10-e15", "member.profile", { member_id: "s10-m1", birth_month: 13 }), NOW));
c("event profile ok", (w) => w.coreEvent(event("s10-e16", "member.profile", { member_id: "s10-m1", birth_month: 7 }), NOW));
c("event rx items bad", (w) =>
  w.coreEvent(event("s10-e17", "prescription.approved", { prescription_id: "rx-1", member_id: "s10-m1", items: { sku: "x" }, approved_by: "ph", expires_at: "2026-08-01T00:00:00Z" }), NOW));
c("event ready lines bad", (w) =>
  w.coreEvent(event("s10-e18", "order.ready_for_pickup", { order_id: "s10-o9", member_id: "s10-m1", store_id: "st-1", lines: 5, ready_at: NOW }), NOW));
c("event confirmed unknown order", (w) => w.coreEvent(event("s10-e19", "order.confirmed", { order_id: "s10-nope" }), NOW));
c("event erased no member", (w) => w.coreEvent(event("s10-e20", "member.erased", {}), NOW));
c("event refunded ok", (w) => w.coreEvent(event("s10-e21", "order.refunded", { order_id: "s10-o3", member_id: "s10-m1", amount_fen: 1990 }), NOW));
c("member me", (w) => w.api("GET", "/v1/me", { token: memberToken("s10-m1"), now: NOW }));
c("member ledger", (w) => w.api("GET", "/v1/points/ledger", { token: memberToken("s10-m1"), now: NOW }));

// Member requests through changed reply types (claim: CouponView; order: Reserved, AcceptedLine).
const member = memberToken("s10-m1");
c("claim store number", (w) => w.api("POST", "/v1/campaigns/s10-thr/claims", { token: member, body: { store_id: 5 }, now: NOW }));
c("claim ok", (w) => w.api("POST", "/v1/campaigns/s10-thr/claims", { token: member, body: {}, now: NOW, headers: { "idempotency-key": "s10-claim-1" } }));
c("claim replay", (w) => w.api("POST", "/v1/campaigns/s10-thr/claims", { token: member, body: {}, now: NOW, headers: { "idempotency-key": "s10-claim-1" } }));
c("coupons", (w) => w.api("GET", "/v1/coupons", { token: member, now: NOW }));
const order = (body, key) => (w) =>
  w.api("POST", "/v1/orders", { token: member, body, now: NOW, headers: key ? { "idempotency-key": key } : {} });
c("order qty string", order({ store_id: "st-1", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: "1" }] }));
c("order qty 2^63", (w) =>
  w.api("POST", "/v1/orders", { token: member, now: NOW, raw: `{"store_id":"st-1","fulfilment":"pickup","lines":[{"sku":"otc-1","qty":9223372036854775808}]}`, headers: { "content-type": "application/json" } }));
c("order lines object", order({ store_id: "st-1", fulfilment: "pickup", lines: { sku: "otc-1", qty: 1 } }));
c("order line extra", order({ store_id: "st-1", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 1, name: "x" }] }));
c("order dup key", (w) =>
  w.api("POST", "/v1/orders", { token: member, now: NOW, raw: `{"store_id":"st-1","fulfilment":"pickup","fulfilment":"delivery","lines":[{"sku":"otc-1","qty":1}]}`, headers: { "content-type": "application/json" } }));
c("order with coupon", async (w) => {
  const coupons = (await w.api("GET", "/v1/coupons", { token: member, now: NOW })).json?.coupons ?? [];
  const coupon = coupons.find((x) => x.campaign_id === "s10-thr");
  return w.api("POST", "/v1/orders", {
    token: member, now: NOW, headers: { "idempotency-key": "s10-order-1" },
    body: { store_id: "st-1", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 2 }], coupon_id: coupon?.coupon_id },
  });
});
c("order replay", async (w) => {
  const coupons = (await w.api("GET", "/v1/coupons", { token: member, now: NOW })).json?.coupons ?? [];
  const coupon = coupons.find((x) => x.campaign_id === "s10-thr");
  return w.api("POST", "/v1/orders", {
    token: member, now: NOW, headers: { "idempotency-key": "s10-order-1" },
    body: { store_id: "st-1", fulfilment: "pickup", lines: [{ sku: "otc-1", qty: 2 }], coupon_id: coupon?.coupon_id },
  });
});
c("coupons after order", (w) => w.api("GET", "/v1/coupons", { token: member, now: NOW }));

// Catalogue: pushes (signed) and the admin edit (the worker decodes the object's AdminView).
c("catalog class bogus", (w) => w.catalogRaw(JSON.stringify({ batch_id: "s10-b1", items: [{ ...catalogLine(), drug_class: "bogus" }] }), NOW));
c("catalog price string", (w) => w.catalogRaw(JSON.stringify({ batch_id: "s10-b2", items: [{ ...catalogLine(), price_fen: "1" }] }), NOW));
c("catalog dup key", (w) =>
  w.catalogRaw(`{"batch_id":"s10-b3","items":[{"sku":"otc-9","name":"n","drug_class":"otc_b","drug_class":"rx","price_fen":10,"version":1,"status":"on_sale"}]}`, NOW));
c("catalog edit bogus", (w) => w.api("PATCH", "/v1/admin/catalog/otc-1", { token: admin, body: { status: "bogus", reason: "r" }, now: NOW }));
c("catalog edit array", (w) => w.api("PATCH", "/v1/admin/catalog/otc-1", { token: admin, raw: "[]", headers: { "content-type": "application/json" }, now: NOW }));
c("catalog edit ok", (w) => w.api("PATCH", "/v1/admin/catalog/otc-2", { token: admin, body: { status: "stopped", reason: "复核" }, now: NOW }));
c("catalog admin read", (w) => w.api("GET", "/v1/admin/catalog/otc-2", { token: admin, now: NOW }));

function catalogLine() {
  return { sku: "otc-9", name: "n", drug_class: "otc_b", price_fen: 10, version: 1, status: "on_sale" };
}

/** The catalogue every world starts with. */
export const CATALOG = JSON.stringify({
  batch_id: "s10-seed",
  items: [
    { sku: "otc-1", name: "维生素C", drug_class: "otc_b", price_fen: 1990, version: 1, status: "on_sale" },
    { sku: "otc-2", name: "板蓝根", drug_class: "otc_b", price_fen: 990, version: 1, status: "on_sale" },
  ],
});

/** Runs every case on `world`, answering name -> {status, code, json}. */
export async function runCases(world) {
  const seeded = await world.catalogRaw(CATALOG, NOW);
  if (seeded.status !== 200) throw new Error(`catalogue seed: ${seeded.status} ${seeded.text}`);
  const answers = {};
  for (const [name, run] of CASES) {
    const res = await run(world);
    answers[name] = { status: res.status, code: res.json?.code ?? null, type: res.type, json: res.json };
  }
  return answers;
}
