// Data for schemathesis to find: without it most generated ids are unknown (404) and the
// operations' success paths (and their response schemas) are never reached. Creates, through
// the public API: a running coupon campaign and a store-poster campaign (with a poster
// signature for store S1), a referral code, and orders of member st-member-0, one of them
// ready for pickup at S1. Returns the ids for the hooks.
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
  // A coupon in the owner's wallet, so orders can name one.
  const claimed = await call("POST", "/v1/campaigns/st-coupon/claims", { token: memberToken(owner) });

  // The catalogue the core pushes: orders name SKUs and quantities only.
  const catalog = JSON.stringify({
    batch_id: "st-catalog-1",
    items: [
      { sku: "st-otc-1", name: "schemathesis OTC", drug_class: "otc_b", price_fen: 2500, version: 1, status: "on_sale", max_qty_per_order: 10 },
      { sku: "st-rx-1", name: "schemathesis Rx", drug_class: "rx", price_fen: 3500, version: 1, status: "on_sale" },
    ],
  });
  await call("POST", "/v1/core/catalog", { body: JSON.parse(catalog), headers: { "core-signature": coreSignature(catalog) } });
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
    coupon_id: claimed.coupon.coupon_id,
    store: "S1",
  };
}
