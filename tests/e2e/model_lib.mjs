// The model-based randomized test's world: a seeded PRNG, what the model believes (campaigns,
// claims, coupons, orders, events), and the operations, each of which sends its request(s),
// checks the answer against what the model allows and updates the model. Used by
// model.test.mjs (the driver) and model_checks.mjs (the invariants read back at the end).
import { memberToken, staffToken } from "./harness.mjs";
import { scheduledConfig, isOpen, nextOccurrenceStart } from "./model_schedule.mjs";

export { isOpen };

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (items) => items[Math.floor(next() * items.length)];
  const chance = (p) => next() < p;
  /** One of `weights` ({name: weight}), by weight. */
  const weighted = (weights) => {
    const entries = Object.entries(weights).filter(([, w]) => w > 0);
    let roll = next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [name, w] of entries) if ((roll -= w) < 0) return name;
    return entries.at(-1)[0];
  };
  return { next, int, pick, chance, weighted };
}

export const marketing = staffToken("mkt-model", "marketing");
export const T0 = Date.parse("2026-06-03T12:00:00Z");
export const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

// --- orders: the member sends SKUs and quantities; the catalogue (pushed by the model test's
// world, MODEL_CATALOG) decides names, classes and prices.
const CART = [
  { sku: "mdl-otc-1", name: "模型药品", qty: 1, unit_price_fen: 15_000, drug_class: "otc_b" },
  { sku: "mdl-hlth-1", name: "模型保健品", qty: 2, unit_price_fen: 8_000, drug_class: "health" },
];
export const MODEL_CATALOG = CART.map(({ sku, name, unit_price_fen, drug_class }) =>
  ({ sku, name, drug_class, price_fen: unit_price_fen, version: 1, status: "on_sale" }));
export const orderBody = (couponId) => ({
  store_id: "mdl-store", fulfilment: "pickup", lines: CART.map(({ sku, qty }) => ({ sku, qty })), ...(couponId ? { coupon_id: couponId } : {}),
});
const paidLines = () => CART.map(({ sku, name, qty, unit_price_fen, drug_class }) => ({ sku, name, qty, unit_price_fen, drug_class }));

/** The model: everything the test has been told by the edge, and what it therefore expects. */
export function newModel({ seed, ops }) {
  const rnd = prng(seed);
  const memberCount = Math.max(30, Math.ceil(ops / 25));
  return {
    seed,
    rnd,
    clockMs: T0,
    now() {
      return iso(this.clockMs);
    },
    members: Array.from({ length: memberCount }, (_, i) => `mdl${seed % 100000}-m${i}`),
    campaigns: new Map(), // id -> {id, stock, setStatus, endsMs, startsMs, perMember, shards, etag, patches}
    claims: [], // {key, member, campaignId, first: {status, json}}
    coupons: new Map(), // coupon_id -> {member, campaignId, orders: [orderId]}
    orders: new Map(), // order_id -> {member, couponId, key, body, first, state, payable, refunded, paid, events}
    patches: [], // {key, campaignId, body, headers, first}
    events: [], // core events sent: {event}
    log: [],
    soldOut: [], // sold_out answers of this batch, checked once it is over
    violations: [],
    totals: { ops: {}, outcomes: {}, checks: {} },
    seq: 0,
  };
}

export function violation(model, kind, detail) {
  model.violations.push({ kind, detail, at: model.seq });
}
const outcome = (r) => `${r.status}${r.json?.code ? `:${r.json.code}` : ""}`;
function count(model, kind, r) {
  const key = `${kind} ${outcome(r)}`;
  model.totals.outcomes[key] = (model.totals.outcomes[key] ?? 0) + 1;
}
const same = (a, b) => a.status === b.status && JSON.stringify(a.json) === JSON.stringify(b.json);

// --- operator actions

export function campaignConfig(model, id, big) {
  const { rnd } = model;
  const startsMs = model.clockMs + (rnd.chance(0.15) ? rnd.int(2, 10) * 60_000 : -60_000);
  const config = {
    id,
    name: `模型活动 ${id}`,
    kind: rnd.pick(["coupon", "flash_sale"]),
    starts_at: iso(startsMs),
    ends_at: iso(startsMs + rnd.int(20, 100) * 60_000),
    // The big one sits at the 2,000 units one shard holds, so that a top-up crosses it.
    stock: big ? rnd.int(1_995, 2_000) : rnd.int(3, 25),
    coupon: rnd.chance(0.5)
      ? { type: "fixed", value_fen: 500, valid_days: 30 }
      : { type: "threshold", value_fen: 2_000, min_spend_fen: 19_900, valid_days: 30 },
    limits: { per_member: rnd.int(1, 3) },
    rules_text: "模型测试",
  };
  if (!big && rnd.chance(0.3)) config.shards = rnd.int(1, Math.min(4, config.stock));
  return config;
}

export async function createCampaign(world, model, { big = false, scheduled = false } = {}) {
  model.created = (model.created ?? 0) + 1;
  const id = `mdl-c${model.created - 1}${big ? "-big" : ""}${scheduled ? "-sched" : ""}`;
  const planned = scheduled ? scheduledConfig(model, id) : { config: campaignConfig(model, id, big) };
  const config = planned.config;
  const key = `mdl-create-${id}`;
  const r = await world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, headers: { "idempotency-key": key }, now: model.now() });
  count(model, "create", r);
  if (r.status !== 201) return violation(model, "create refused", `${id}: ${r.status} ${r.text}`);
  model.campaigns.set(id, {
    id, stock: config.stock, setStatus: "active", startsMs: Date.parse(config.starts_at), endsMs: Date.parse(config.ends_at),
    perMember: config.limits.per_member, shards: config.shards, etags: r.headers.get("etag") ? [r.headers.get("etag")] : [],
    occurrence: planned.occurrence,
  });
  const when = planned.occurrence ? ` occurrence ${iso(planned.occurrence.startsMs)}..${iso(planned.occurrence.endsMs)}` : "";
  return `create ${id} stock=${config.stock}${config.shards ? ` shards=${config.shards}` : ""}${when}`;
}

/** GET the admin view (and its ETag when the server gives one). */
export async function adminView(world, model, id) {
  const r = await world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now: model.now() });
  if (r.status !== 200) violation(model, "admin view", `${id}: ${r.status} ${r.text}`);
  return r;
}

export async function patchCampaign(world, model, campaign, kind) {
  const { rnd } = model;
  const body =
    kind === "top_up" ? { add_stock: campaign.id.endsWith("-big") ? rnd.int(1, 3) : rnd.int(1, 6) }
    : kind === "pause" ? { status: "paused" }
    : kind === "resume" ? { status: "active" }
    : kind === "end" ? { status: "ended" }
    : { ends_at: iso(Math.max(campaign.endsMs, model.clockMs) + rnd.int(5, 40) * 60_000) };
  const headers = { "idempotency-key": `mdl-patch-${++model.seq}` };
  // If-Match with the campaign's ETag when the server gives one; now and then a stale one.
  const view = await adminView(world, model, campaign.id);
  const etag = view.headers.get("etag");
  const older = campaign.etags.filter((e) => e !== etag);
  const stale = etag && older.length > 0 && rnd.chance(0.15) ? rnd.pick(older) : null;
  if (etag) headers["if-match"] = stale ?? etag;
  if (etag && !campaign.etags.includes(etag)) campaign.etags.push(etag);
  const r = await world.api("PATCH", `/v1/admin/campaigns/${campaign.id}`, { token: marketing, body, headers, now: model.now() });
  count(model, `patch_${kind}`, r);
  const patch = { key: headers["idempotency-key"], campaignId: campaign.id, body, headers, first: r, applied: r.status === 200 };
  model.patches.push(patch);
  if (r.status === 200) applyPatch(campaign, body, r);
  if (r.status === 200) (campaign.batchSets ??= []).push(body);
  // Ended by the operator, or by its clock (a change then must move ends_at later: API.md's
  // invalid_transition, as for status ended).
  const endedByClock = campaign.endsMs <= model.clockMs && !(body.ends_at && Date.parse(body.ends_at) > model.clockMs) && body.status !== "ended";
  if (r.status !== 200 && !(r.status === 409 && r.json.code === "invalid_transition" && (campaign.setStatus === "ended" || campaign.endPending || endedByClock))
    && !(r.status === 412 && r.json.code === "precondition_failed")
    && !(r.status === 429)) {
    violation(model, "patch refused", `${campaign.id} ${JSON.stringify(body)} -> ${r.status} ${r.text}`);
  }
  if (stale && r.status !== 412) violation(model, "stale If-Match accepted", `${campaign.id} ${JSON.stringify(body)} -> ${r.status}`);
  return `patch ${campaign.id} ${JSON.stringify(body)}${headers["if-match"] ? (stale ? " stale-etag" : " if-match") : ""} -> ${outcome(r)}`;
}

function applyPatch(campaign, body, r) {
  if (body.add_stock) campaign.stock += body.add_stock;
  if (body.status) campaign.setStatus = body.status;
  if (body.ends_at) campaign.endsMs = Date.parse(body.ends_at);
  const etag = r.headers.get("etag");
  if (etag && !campaign.etags.includes(etag)) campaign.etags.push(etag);
}

/** The same PATCH again (same key, body and headers): the first answer, nothing applied twice. */
export async function replayPatch(world, model, patch) {
  const r = await world.api("PATCH", `/v1/admin/campaigns/${patch.campaignId}`, { token: marketing, body: patch.body, headers: patch.headers, now: model.now() });
  count(model, "patch_replay", r);
  const precondition = r.status === 412 && patch.headers["if-match"];
  if (!same(r, patch.first) && !precondition && r.status !== 429) {
    violation(model, "patch replay differs", `${patch.key} ${JSON.stringify(patch.body)}: first ${outcome(patch.first)}, replay ${outcome(r)} stock ${r.json?.stock} set_status ${r.json?.set_status}`);
    // Applied again: follow the server from the end of this batch, so one break is reported once.
    if (r.status === 200) model.campaigns.get(patch.campaignId).resync = true;
  }
  return `patch-replay ${patch.key} -> ${outcome(r)}`;
}

// --- member claims

const CLAIM_REFUSALS = ["sold_out", "campaign_paused", "campaign_ended", "campaign_not_started", "claim_limit_reached"];

export async function claim(world, model, member, campaign, busy) {
  const key = `mdl-claim-${++model.seq}`;
  const atMs = model.clockMs;
  const before = { setStatus: campaign.setStatus, endsMs: campaign.endsMs };
  const r = await world.api("POST", `/v1/campaigns/${campaign.id}/claims`, { token: memberToken(member), headers: { "idempotency-key": key }, now: model.now() });
  count(model, "claim", r);
  model.claims.push({ key, member, campaignId: campaign.id, first: r });
  if (r.status === 201) {
    const couponId = r.json.coupon.coupon_id;
    if (model.coupons.has(couponId)) violation(model, "coupon issued twice", `${couponId} to ${member}`);
    model.coupons.set(couponId, { member, campaignId: campaign.id, orders: [] });
    // Only where no operator action on this campaign was in flight is the answer certain.
    if (!busy) {
      if (campaign.occurrence && !isOpen(campaign, atMs)) violation(model, "claim issued outside an occurrence", `${campaign.id} at ${iso(atMs)}`);
      if (before.setStatus !== "active") violation(model, "claim issued while not active", `${campaign.id} ${before.setStatus} -> ${couponId}`);
      if (atMs > before.endsMs) violation(model, "claim issued after ends_at", `${campaign.id} at ${iso(atMs)} ends ${iso(before.endsMs)}`);
      if (atMs < campaign.startsMs) violation(model, "claim issued before starts_at", campaign.id);
    }
  } else if (r.status === 409 && CLAIM_REFUSALS.includes(r.json.code)) {
    if (!busy) {
      const code = r.json.code;
      const expected = (code === "campaign_paused" && before.setStatus === "paused")
        || (code === "campaign_ended" && (before.setStatus === "ended" || atMs >= before.endsMs))
        || (code === "campaign_not_started" && atMs < campaign.startsMs)
        || (code === "campaign_not_started" && campaign.occurrence && !isOpen(campaign, atMs))
        || code === "sold_out" // true or not once the batch's claims are in: see checkSoldOut
        || code === "claim_limit_reached";
      if (code === "sold_out") model.soldOut.push({ campaign, key });
      if (code === "campaign_not_started" && campaign.occurrence) {
        const next = r.json.next_occurrence?.starts_at;
        if (next !== iso(nextOccurrenceStart(campaign, atMs))) violation(model, "next_occurrence", `${campaign.id} at ${iso(atMs)}: ${next}`);
      }
      if (!expected) violation(model, "claim refused for a reason the campaign does not have", `${campaign.id} (${before.setStatus}, ends ${iso(before.endsMs)}) at ${iso(atMs)}: ${code}`);
    }
  } else if (r.status !== 429) {
    violation(model, "claim answer", `${campaign.id} ${member}: ${r.status} ${r.text}`);
  }
  return `claim ${member} ${campaign.id} ${key} -> ${outcome(r)}`;
}

/** The same claim again: a 2xx comes back identical; a refusal may be decided again (reported). */
export async function replayClaim(world, model, previous) {
  const r = await world.api("POST", `/v1/campaigns/${previous.campaignId}/claims`, { token: memberToken(previous.member), headers: { "idempotency-key": previous.key }, now: model.now() });
  count(model, "claim_replay", r);
  if (previous.first.status === 201 && !same(r, previous.first) && r.status !== 429) {
    violation(model, "claim replay differs", `${previous.key}: first ${outcome(previous.first)} ${previous.first.json.coupon.coupon_id}, replay ${outcome(r)} ${r.text.slice(0, 200)}`);
  }
  if (previous.first.status !== 201 && r.status === 201) {
    // A refusal is not stored, so a replay is decided afresh: it may now issue (counted, see notes).
    model.totals.checks["refused claim replayed into a coupon"] = (model.totals.checks["refused claim replayed into a coupon"] ?? 0) + 1;
    const couponId = r.json.coupon.coupon_id;
    if (!model.coupons.has(couponId)) model.coupons.set(couponId, { member: previous.member, campaignId: previous.campaignId, orders: [] });
    previous.first = r;
  }
  return `claim-replay ${previous.key} -> ${outcome(r)}`;
}

/** The same key for another campaign is another request: 422 idempotency_key_reused. */
export async function reuseClaimKey(world, model, previous, other) {
  const r = await world.api("POST", `/v1/campaigns/${other.id}/claims`, { token: memberToken(previous.member), headers: { "idempotency-key": previous.key }, now: model.now() });
  count(model, "claim_key_reused", r);
  if (!(r.status === 422 && r.json.code === "idempotency_key_reused") && r.status !== 429) {
    violation(model, "reused claim key accepted", `${previous.key} on ${other.id}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  if (r.status === 201) model.coupons.set(r.json.coupon.coupon_id, { member: previous.member, campaignId: other.id, orders: [] });
  return `claim-reuse ${previous.key} on ${other.id} -> ${outcome(r)}`;
}

/**
 * After a batch: where several PATCHes of one campaign were in flight at once, their answers
 * may arrive in another order than they were applied. Stock adds up in any order; the status
 * and ends_at must be one of those set, and the model follows the server's choice. A replay
 * that applied again is followed too (it was reported already).
 */
export async function settleOperators(world, model) {
  for (const campaign of model.campaigns.values()) {
    const sets = campaign.batchSets ?? [];
    campaign.batchSets = [];
    if (sets.length < 2 && !campaign.resync) continue;
    const view = await adminView(world, model, campaign.id);
    if (view.status !== 200) continue;
    if (campaign.resync) {
      Object.assign(campaign, { stock: view.json.stock, setStatus: view.json.set_status, endsMs: Date.parse(view.json.ends_at), resync: false });
      continue;
    }
    const statuses = sets.filter((b) => b.status).map((b) => b.status);
    if (statuses.length) {
      if (!statuses.includes(view.json.set_status)) violation(model, "status none of those set", `${campaign.id}: ${view.json.set_status}, set ${statuses}`);
      campaign.setStatus = view.json.set_status;
    }
    const ends = sets.filter((b) => b.ends_at).map((b) => Date.parse(b.ends_at));
    if (ends.length) {
      if (!ends.includes(Date.parse(view.json.ends_at))) violation(model, "ends_at none of those set", `${campaign.id}: ${view.json.ends_at}`);
      campaign.endsMs = Date.parse(view.json.ends_at);
    }
  }
}

/** After a batch: a sold_out (on a campaign no operator touched) means every unit was issued. */
export function checkSoldOut(model) {
  for (const { campaign, key } of model.soldOut.splice(0)) {
    const issued = [...model.coupons.values()].filter((c) => c.campaignId === campaign.id).length;
    if (issued < campaign.stock) violation(model, "sold_out while stock remains", `${key} on ${campaign.id}: ${issued} issued of ${campaign.stock}`);
  }
}

// --- orders and the core's events about them

export async function placeOrder(world, model, member, couponId) {
  const key = `mdl-order-${++model.seq}`;
  const body = orderBody(couponId);
  const r = await world.api("POST", "/v1/orders", { token: memberToken(member), body, headers: { "idempotency-key": key }, now: model.now() });
  count(model, couponId ? "order_with_coupon" : "order", r);
  if (r.status === 202) {
    model.orders.set(r.json.order_id, { member, couponId, key, body, first: r, state: "open", payable: r.json.payable_fen, refunded: 0, paidSent: false });
    if (couponId) {
      const coupon = model.coupons.get(couponId);
      coupon.orders.push(r.json.order_id);
      coupon.locked = true;
      coupon.releasing = false;
    }
  } else if (couponId && r.status === 409 && r.json.code === "coupon_unavailable" && model.coupons.get(couponId).releasing) {
    // Its release after a cancellation travels through the order's outbox: not back yet.
  } else if (r.status !== 429) {
    violation(model, "order refused", `${member} coupon ${couponId}: ${r.status} ${r.text.slice(0, 200)}`);
  }
  return `order ${member}${couponId ? ` coupon ${couponId}` : ""} ${key} -> ${outcome(r)}${r.json?.order_id ? ` ${r.json.order_id}` : ""}`;
}

export async function replayOrder(world, model, orderId) {
  const order = model.orders.get(orderId);
  const r = await world.api("POST", "/v1/orders", { token: memberToken(order.member), body: order.body, headers: { "idempotency-key": order.key }, now: model.now() });
  count(model, "order_replay", r);
  if (!same(r, order.first) && r.status !== 429) violation(model, "order replay differs", `${order.key}: first ${outcome(order.first)}, replay ${outcome(r)} ${r.text.slice(0, 200)}`);
  return `order-replay ${order.key} -> ${outcome(r)}`;
}

async function sendEvent(world, model, type, data, kind = type) {
  const event = { id: `mdl-evt-${model.seed}-${++model.seq}`, type, created_at: model.now(), data };
  const r = await world.coreEvent(event, { now: model.now() });
  count(model, kind, r);
  if (r.status !== 200 || r.json.duplicate !== false) violation(model, "core event refused", `${type} ${JSON.stringify(data)}: ${r.status} ${r.text.slice(0, 200)}`);
  else model.events.push(event);
  return r;
}

const paidData = (model, orderId, order) => ({
  order_id: orderId, member_id: order.member, paid_at: model.now(), amount_fen: order.payable, insurance_fen: 0,
  lines: paidLines(), first_order: false, ...(order.couponId ? { coupon_id: order.couponId } : {}),
});

/** The core settles an open order: paid, cancelled, rejected, or paid and cancelled at once. */
export async function settleOrder(world, model, orderId, how) {
  const order = model.orders.get(orderId);
  const coupon = order.couponId ? model.coupons.get(order.couponId) : null;
  if (how === "paid" || how === "race") order.paidSent = true;
  const sends = [];
  if (how === "paid" || how === "race") sends.push(sendEvent(world, model, "order.paid", paidData(model, orderId, order), how === "race" ? "order.paid(race)" : "order.paid"));
  if (how === "cancelled" || how === "race") sends.push(sendEvent(world, model, "order.cancelled", { order_id: orderId }, how === "race" ? "order.cancelled(race)" : "order.cancelled"));
  if (how === "rejected") sends.push(sendEvent(world, model, "order.rejected", { order_id: orderId, reason: "model: out of stock" }));
  await Promise.all(sends);
  order.state = how === "race" || how === "paid" ? "paid" : how;
  if (coupon) {
    coupon.locked = false;
    if (order.paidSent) coupon.redeemed = true;
    else coupon.releasing = true; // back to available once the release arrives
  }
  return `settle ${orderId} ${how}`;
}

/** A partial or full refund of a paid order (never more than was paid). */
export async function refundOrder(world, model, orderId) {
  const order = model.orders.get(orderId);
  const left = order.payable - order.refunded;
  const amount = model.rnd.chance(0.5) ? left : Math.max(1, Math.floor(left / 2));
  order.refunded += amount;
  await sendEvent(world, model, "order.refunded", { order_id: orderId, member_id: order.member, amount_fen: amount });
  return `refund ${orderId} ${amount} of ${order.payable}`;
}

/** An event the core already sent, again: accepted as a duplicate, no second effect. */
export async function resendEvent(world, model, event) {
  const r = await world.coreEvent(event, { now: model.now() });
  count(model, "event_resent", r);
  if (r.status !== 200 || r.json.duplicate !== true) violation(model, "resent event not a duplicate", `${event.id}: ${r.status} ${r.text.slice(0, 200)}`);
  return `resend ${event.id} ${event.type} -> ${outcome(r)}`;
}

export async function checkin(world, model, member) {
  const r = await world.api("POST", "/v1/checkins", { token: memberToken(member), now: model.now() });
  count(model, "checkin", r);
  if (![200, 201, 429].includes(r.status)) violation(model, "check-in", `${member}: ${r.status} ${r.text.slice(0, 200)}`);
  return `checkin ${member} -> ${outcome(r)}`;
}
