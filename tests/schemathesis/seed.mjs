// Data for schemathesis to find: without it most generated ids are unknown (404) and the
// operations' success paths (and their response schemas) are never reached. Creates, through
// the public API: a running coupon campaign and a store-poster campaign (with a poster
// signature for store S1), a referral code, a catalogue (an OTC item with a per-order limit, an
// Rx item, a special-management item, an item the core stopped, an item an admin stopped and
// one kept for admin PATCHes), prescriptions of st-member-0 for the Rx item (usable ones, a
// revoked one, an expired one), coupons in st-member-0's wallet, and orders of st-member-0,
// one of them ready for pickup at S1. Returns the ids for the hooks.
import { memberToken, staffToken, coreSignature } from "../e2e/harness.mjs";

const DAY_MS = 86400 * 1000;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export async function seed(url) {
  async function call(method, path, { token, body, headers = {} } = {}) {
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const res = await fetch(url + path, {
      method,
      headers: { ...(raw ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: raw,
    });
    const json = (res.headers.get("content-type") ?? "").includes("json") ? await res.json() : null;
    if (res.status >= 300) throw new Error(`seeding: ${method} ${path} answered ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const marketing = staffToken("st-seed", "marketing");
  const owner = "st-member-0";
  const now = Date.now();
  const campaign = (id, kind) => ({
    id,
    name: `schemathesis ${kind}`,
    kind,
    starts_at: iso(now - DAY_MS),
    ends_at: iso(now + 300 * DAY_MS),
    stock: 1000000,
    coupon: { type: "threshold", value_fen: 500, min_spend_fen: 3000, valid_days: 30 },
    limits: { per_member: 100, per_member_per_day: 100 },
    rules_text: "Seeded for schemathesis.",
  });
  await call("POST", "/v1/admin/campaigns", { token: marketing, body: campaign("st-coupon", "coupon") });
  await call("POST", "/v1/admin/campaigns", { token: marketing, body: campaign("st-poster", "store_poster") });
  const poster = await call("GET", "/v1/admin/campaigns/st-poster/posters/S1", { token: marketing });
  const link = await call("POST", "/v1/referrals/link", { token: memberToken(owner) });
  // Coupons in the owner's wallet, so orders can name one (an accepted order locks its coupon).
  const coupons = [];
  for (let n = 0; n < 12; n += 1) {
    const claimed = await call("POST", "/v1/campaigns/st-coupon/claims", { token: memberToken(owner) });
    coupons.push(claimed.coupon.coupon_id);
  }
  const signed = (path, value) => {
    const raw = JSON.stringify(value);
    return call("POST", path, { body: value, headers: { "core-signature": coreSignature(raw) } });
  };

  // The catalogue the core pushes: orders name SKUs and quantities only.
  const catalog = [
    { sku: "st-otc-1", name: "schemathesis OTC", drug_class: "otc_b", price_fen: 2500, version: 1, status: "on_sale", max_qty_per_order: 10 },
    { sku: "st-rx-1", name: "schemathesis Rx", drug_class: "rx", price_fen: 3500, version: 1, status: "on_sale" },
    { sku: "st-special-1", name: "schemathesis special", drug_class: "special", price_fen: 1800, version: 1, status: "on_sale" },
    { sku: "st-core-stopped-1", name: "schemathesis stopped by the core", drug_class: "otc_a", price_fen: 990, version: 3, status: "stopped", category: "cold" },
    { sku: "st-admin-stopped-1", name: "schemathesis stopped by an admin", drug_class: "health", price_fen: 12000, version: 2, status: "on_sale" },
    { sku: "st-admin-1", name: "schemathesis admin target", drug_class: "device", price_fen: 59900, version: 1, status: "on_sale", max_qty_per_order: 2 },
  ];
  await signed("/v1/core/catalog", { batch_id: "st-catalog-1", items: catalog });
  const admin = staffToken("st-seed-admin", "admin");
  await call("PATCH", "/v1/admin/catalog/st-admin-stopped-1", { token: admin, body: { status: "stopped", reason: "seeded: regulator recall" } });

  // Prescriptions of the owner for the Rx item: each usable by one accepted order.
  const prescriptions = [];
  const approve = (id, expiresMs) =>
    signed("/v1/core/events", {
      id: `st-evt-${id}`,
      type: "prescription.approved",
      created_at: iso(now),
      data: { prescription_id: id, member_id: owner, items: [{ sku: "st-rx-1", qty: 999 }], approved_by: "st-pharmacist", expires_at: iso(expiresMs) },
    });
  for (let n = 0; n < 16; n += 1) {
    prescriptions.push(`st-presc-${n}`);
    await approve(`st-presc-${n}`, now + 300 * DAY_MS);
  }
  await approve("st-presc-revoked", now + 300 * DAY_MS);
  await signed("/v1/core/events", {
    id: "st-evt-presc-revoked-r",
    type: "prescription.revoked",
    created_at: iso(now),
    data: { prescription_id: "st-presc-revoked", member_id: owner },
  });
  await approve("st-presc-expired", now - DAY_MS);
  const lines = [{ sku: "st-otc-1", qty: 2 }];
  const coreLines = [{ sku: "st-otc-1", name: "schemathesis OTC", qty: 2, unit_price_fen: 2500, drug_class: "otc_b" }];
  const orders = [];
  for (const key of ["st-order-accepted", "st-order-ready"]) {
    const placed = await call("POST", "/v1/orders", {
      token: memberToken(owner),
      headers: { "idempotency-key": key },
      body: { store_id: "S1", fulfilment: "pickup", lines },
    });
    orders.push(placed.order_id);
  }
  const event = JSON.stringify({
    id: "st-evt-ready",
    type: "order.ready_for_pickup",
    created_at: iso(now),
    data: { order_id: orders[1], member_id: owner, store_id: "S1", lines: coreLines, ready_at: iso(now) },
  });
  await call("POST", "/v1/core/events", { body: JSON.parse(event), headers: { "core-signature": coreSignature(event) } });
  return {
    campaigns: ["st-coupon", "st-poster"],
    poster: { campaign: "st-poster", store: "S1", sig: poster.sig },
    referral_code: link.code,
    order_owner: owner,
    orders,
    coupon_id: coupons[0],
    coupons,
    store: "S1",
    catalog: Object.fromEntries(catalog.map((item) => [item.sku, { price_fen: item.price_fen, drug_class: item.drug_class, version: item.version }])),
    // SKUs the hooks may send admin PATCHes to (never the ones orders rely on).
    admin_skus: ["st-admin-1", "st-admin-stopped-1"],
    prescriptions,
    bad_prescriptions: ["st-presc-revoked", "st-presc-expired", "st-presc-unknown"],
  };
}
