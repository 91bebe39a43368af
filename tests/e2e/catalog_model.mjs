// The catalogue's randomized test (catalog.test.mjs) and what both catalogue files check at
// the core. The run interleaves, in concurrent batches, catalogue pushes (new versions, new
// prices, stops and lifts, stale versions arriving late, resent batches), admin stops and
// lifts, prescription approvals and revocations, orders and core rejections. The model keeps
// the authority's history: each SKU's state before a batch and, if the batch changes it, after;
// an order of the batch may have been checked against either (it overlapped the change), but
// against nothing else. Seeded: CATALOG_SEED=<n> replays a run's choices, CATALOG_OPS=<n> its length.
import assert from "node:assert/strict";
import { memberToken, assertEachKeyOnce, validateSchema, countBy } from "./harness.mjs";
import { prng } from "./model_lib.mjs";

/**
 * The core heard of exactly the `accepted` orders of members starting with `prefix`, each
 * under one key and once (re-attempts after the edge's own timeout under load tolerated with
 * `tolerateMs`), with the lines, prescription and totals of its 202.
 */
export async function coreGotExactly(world, prefix, accepted, { waitMs = 20_000, tolerateMs } = {}) {
  const ofPrefix = (a) => a.path === "/orders" && a.body?.member_id?.startsWith(prefix);
  const ids = new Set(accepted.map((r) => r.json.order_id));
  await world.waitFor(() => new Set(world.stub.deliveries().filter(ofPrefix).map((d) => d.key)).size >= ids.size, { timeoutMs: waitMs, what: `${ids.size} orders of ${prefix} at the core` });
  await new Promise((r) => setTimeout(r, 700)); // room for anything extra to show up
  const attempts = assertEachKeyOnce(world.stub, ofPrefix, `${prefix} orders`, { timeoutMs: tolerateMs });
  assert.deepEqual(new Set(attempts.map((a) => a.key)), ids, `the core got exactly the accepted orders of ${prefix}`);
  for (const reply of accepted) {
    const { body } = attempts.find((a) => a.key === reply.json.order_id);
    validateSchema("OrderDelivery", body);
    assert.deepEqual(
      [body.lines, body.prescription_id, body.subtotal_fen, body.discount_fen, body.payable_fen],
      [reply.json.lines.map(({ sku, name, qty, drug_class, unit_price_fen, discount_fen, catalog_version, member_unit_price_fen, member_discount_fen }) =>
        ({ sku, name, qty, drug_class, unit_price_fen, discount_fen, catalog_version, member_unit_price_fen, member_discount_fen })),
        reply.json.prescription_id, reply.json.subtotal_fen, reply.json.discount_fen, reply.json.payable_fen],
      "the core gets the lines, prescription and totals the member was answered",
    );
    assert.deepEqual(body.catalog_versions, Object.fromEntries(reply.json.lines.map((l) => [l.sku, l.catalog_version])));
  }
}

const LATER = "2026-06-03T13:00:00Z";
const SKUS = [["rnd-otc-0", "otc_b"], ["rnd-otc-1", "otc_a"], ["rnd-dev", "device"], ["rnd-rx", "rx"]];
const stoppedOf = (s) => s.coreStopped || s.adminStopped;

/** One run: `ops` operations in concurrent batches, every answer checked, then the end state. */
export async function runRandomized(world, { seed, ops, admin }) {
  console.log(`# catalogue randomized run: CATALOG_SEED=${seed} CATALOG_OPS=${ops}`);
  const rnd = prng(seed);
  const tag = `rnd${seed % 100000}`;
  const members = Array.from({ length: 5 }, (_, i) => `${tag}-m${i}`);
  const sku = (base) => `${base}-${tag}`;
  const state = new Map(); // sku -> {version, price, name, drug_class, coreStopped, adminStopped}
  const prescriptions = new Map(); // id -> {member, qty, expired, revoked, holders:Set, returning:Set}
  const orders = []; // accepted 202 replies
  const live = new Map(); // accepted order id -> prescription id or null (not rejected yet)
  const sentBatches = [];
  const violations = [];
  const log = [];
  const tally = {};
  let seq = 0;
  const api = world.api;

  const first = SKUS.map(([base, drug_class]) => ({ sku: sku(base), name: `随机 ${base}`, drug_class, price_fen: rnd.int(10, 500) * 100, version: 1, status: "on_sale" }));
  await world.pushCatalog(first);
  for (const i of first) state.set(i.sku, { version: 1, price: i.price_fen, name: i.name, drug_class: i.drug_class, coreStopped: false, adminStopped: false });
  const skuList = [...state.keys()];
  const rxSku = sku("rnd-rx");

  const violation = (what, detail) => violations.push(`${what}: ${JSON.stringify(detail)}`);
  const event = (type, data) => world.coreEvent({ id: `evt-${tag}-${++seq}`, type, created_at: new Date().toISOString(), data }, { now: LATER });

  for (let done = 0; done < ops;) {
    const size = Math.min(rnd.int(1, 10), ops - done);
    done += size;
    const changing = new Set(); // SKUs a catalogue change of this batch touches
    const after = new Map(); // sku -> state after this batch's change
    const rxNamed = new Map(); // prescription id -> orders of this batch naming it
    const revoking = new Set();
    const batch = [];
    for (let k = 0; k < size; k++) {
      const kind = rnd.weighted({ push: 14, resend: sentBatches.length ? 3 : 0, admin: 8, approve: 8, revoke: prescriptions.size ? 3 : 0, order: 55, reject: live.size ? 8 : 0 });
      const free = skuList.filter((s) => !changing.has(s));
      if (kind === "push" && free.length) {
        const items = free.filter(() => rnd.chance(0.4)).slice(0, 2);
        if (!items.length) items.push(rnd.pick(free));
        const body = items.map((s) => {
          const held = state.get(s);
          const stale = rnd.chance(0.25);
          const version = stale ? Math.max(0, held.version - rnd.int(0, 1)) : held.version + rnd.int(1, 2);
          const item = { sku: s, name: held.name, drug_class: held.drug_class, price_fen: rnd.int(10, 500) * 100, version, status: rnd.chance(0.1) ? "stopped" : "on_sale" };
          changing.add(s);
          if (!stale) after.set(s, { ...held, version, price: item.price_fen, coreStopped: item.status === "stopped" });
          return item;
        });
        const batchId = `${tag}-b${++seq}`;
        const applied = body.filter((i) => after.has(i.sku)).length;
        batch.push({ kind, body, run: async () => {
          const reply = await world.pushCatalog(body, { batchId });
          sentBatches.push({ batchId, body, applied });
          if (reply.json.duplicate || reply.json.applied !== applied) violation("push", { body, expected: applied, got: reply.json });
        } });
      } else if (kind === "resend") {
        const old = rnd.pick(sentBatches);
        batch.push({ kind, run: async () => {
          const reply = await world.pushCatalog(old.body, { batchId: old.batchId });
          if (!reply.json.duplicate || reply.json.applied !== old.applied) violation("resent batch", { old, got: reply.json });
        } });
      } else if (kind === "admin" && free.length) {
        const s = rnd.pick(free);
        const stop = rnd.chance(0.3);
        changing.add(s);
        const next = { ...state.get(s), adminStopped: stop };
        after.set(s, next);
        batch.push({ kind, run: async () => {
          const reply = await api("PATCH", `/v1/admin/catalog/${s}`, { token: admin, body: { status: stop ? "stopped" : "on_sale", reason: `随机 ${seq}` } });
          const expected = stoppedOf(next) ? "stopped" : "on_sale";
          if (reply.status !== 200 || reply.json.status !== expected || reply.json.version !== next.version) violation("admin", { s, stop, expected, got: reply.json });
        } });
      } else if (kind === "approve") {
        const member = rnd.pick(members);
        const id = `${tag}-p${++seq}`;
        const p = { member, qty: rnd.int(1, 3), expired: rnd.chance(0.1), revoked: false, holders: new Set(), returning: new Set(), pending: true };
        prescriptions.set(id, p);
        batch.push({ kind, run: async () => {
          const reply = await event("prescription.approved", {
            prescription_id: id, member_id: member, items: [{ sku: rxSku, qty: p.qty }], approved_by: "pharm-rnd", expires_at: p.expired ? "2026-06-01T00:00:00Z" : "2026-07-01T00:00:00Z",
          });
          if (reply.status !== 200) violation("approve", reply.json);
        } });
      } else if (kind === "revoke") {
        const id = rnd.pick([...prescriptions.keys()]);
        const p = prescriptions.get(id);
        revoking.add(id);
        batch.push({ kind, run: async () => {
          const reply = await event("prescription.revoked", { prescription_id: id, member_id: p.member });
          if (reply.status !== 200) violation("revoke", reply.json);
        } });
      } else if (kind === "reject") {
        const [orderId, pid] = rnd.pick([...live]);
        const member = orders.find((o) => o.json.order_id === orderId).member;
        live.delete(orderId);
        batch.push({ kind, run: async () => {
          const reply = await event("order.rejected", { order_id: orderId, reason: "随机拒单" });
          if (reply.status !== 200) violation("reject", reply.json);
          if (pid) {
            prescriptions.get(pid).holders.delete(orderId);
            prescriptions.get(pid).returning.add(orderId);
          }
          return member;
        } });
      } else {
        batch.push(orderOp());
      }
    }

    function orderOp() {
      const member = rnd.pick(members);
      const count = rnd.int(1, 3);
      // Two lines of one SKU now and then (quantities split over lines add up).
      const lines = Array.from({ length: count }, () => rnd.pick(skuList)).map((s) => {
        const l = { sku: s, qty: rnd.int(1, 3) };
        if (rnd.chance(0.3)) l.unit_price_fen = rnd.chance(0.8) ? state.get(s).price : state.get(s).price + 100;
        return l;
      });
      const rx = lines.some((l) => l.sku === rxSku);
      let pid;
      if (rx) {
        const mine = [...prescriptions].filter(([, p]) => p.member === member && !p.pending).map(([id]) => id);
        const roll = rnd.next();
        pid = roll < 0.08 ? undefined : roll < 0.14 || !mine.length ? `${tag}-invented-${++seq}` : rnd.pick(mine);
        if (pid && prescriptions.has(pid)) rxNamed.set(pid, [...(rxNamed.get(pid) ?? []), lines]);
      }
      return { kind: "order", lines, member, pid, run: async (op) => {
        const reply = await api("POST", "/v1/orders", {
          token: memberToken(member), headers: { "idempotency-key": `${tag}-k${++seq}` }, now: LATER,
          body: { store_id: "store-rnd", fulfilment: "pickup", lines, ...(pid ? { prescription_id: pid } : {}) },
        });
        op.reply = reply;
      } };
    }

    // Before: what was acknowledged before the batch started; after: what its changes make.
    const candidates = (s) => (after.has(s) ? [state.get(s), after.get(s)] : [state.get(s)]);
    await Promise.all(batch.map((op) => op.run(op)));

    const acceptedHere = new Map(); // prescription id -> accepted orders of this batch
    for (const op of batch.filter((o) => o.kind === "order")) {
      const { reply, lines, pid, member } = op;
      const code = reply.status === 202 ? "accepted" : reply.json?.reason ? `${reply.json.code}:${reply.json.reason}` : reply.json?.code ?? reply.status;
      tally[code] = (tally[code] ?? 0) + 1;
      log.push(`${member} ${JSON.stringify(lines)} ${pid ?? "-"} -> ${code}`);
      const p = pid ? prescriptions.get(pid) : undefined;
      const rxQty = lines.filter((l) => l.sku === rxSku).reduce((sum, l) => sum + l.qty, 0);
      const rxLine = rxQty > 0 ? { qty: rxQty } : undefined;
      // What the prescription certainly or possibly is for this order.
      const pOk = !rxLine || (p && p.member === member && !p.expired && !p.revoked && p.qty >= rxLine.qty);
      const pMaybeRevoked = p && revoking.has(pid);
      const pBusy = p && (p.holders.size > 0);
      const pMaybeBusy = p && (p.returning.size > 0 || (rxNamed.get(pid)?.length ?? 0) > 1);
      if (reply.status === 202) {
        orders.push({ ...reply, member });
        reply.json.lines.forEach((got, i) => {
          const fits = candidates(got.sku).some((c) => !stoppedOf(c) && c.price === got.unit_price_fen && c.version === got.catalog_version && c.drug_class === got.drug_class && c.name === got.name);
          if (!fits || got.sku !== lines[i].sku || got.qty !== lines[i].qty || got.discount_fen !== 0) violation("a 202 line the authority never had on sale", { got, candidates: candidates(got.sku) });
          if (lines[i].unit_price_fen !== undefined && lines[i].unit_price_fen !== got.unit_price_fen) violation("202 at another price than the one shown", { sent: lines[i], got });
        });
        // At the member's price (issue 13; these members have no paid spend: the list price).
        const subtotal = reply.json.lines.reduce((sum, l) => sum + l.qty * l.member_unit_price_fen, 0);
        if (reply.json.lines.some((l) => l.member_unit_price_fen !== l.unit_price_fen)) violation("a member price for a member below bronze", reply.json);
        if (reply.json.subtotal_fen !== subtotal || reply.json.payable_fen !== subtotal) violation("totals", reply.json);
        if (rxLine) {
          if (!pOk || pBusy || reply.json.prescription_id !== pid) violation("Rx accepted without a usable prescription", { pid, p: p && { ...p, holders: [...p.holders] }, reply: reply.json });
          acceptedHere.set(pid, [...(acceptedHere.get(pid) ?? []), reply.json.order_id]);
          live.set(reply.json.order_id, pid);
        } else {
          if (reply.json.prescription_id !== null) violation("prescription on an order without Rx", reply.json);
          live.set(reply.json.order_id, null);
        }
        continue;
      }
      // A refusal must have a reason in what the authority or the member's object could have held.
      const anyStopped = lines.some((l) => candidates(l.sku).some(stoppedOf));
      const allSold = lines.every((l) => candidates(l.sku).every((c) => !stoppedOf(c)));
      const anyPriceOff = lines.some((l) => l.unit_price_fen !== undefined && candidates(l.sku).some((c) => c.price !== l.unit_price_fen));
      const allPriceOk = lines.every((l) => l.unit_price_fen === undefined || candidates(l.sku).every((c) => c.price === l.unit_price_fen));
      const c = reply.json?.code;
      const reason = reply.json?.reason;
      let allowed = false;
      if (c === "sku_stopped") allowed = anyStopped;
      else if (c === "price_changed") {
        allowed = anyPriceOff && reply.json.lines.every((l) => candidates(l.sku).some((cand) => cand.price === l.unit_price_fen));
      } else if (c === "prescription_required") allowed = Boolean(rxLine) && !pid;
      else if (c === "prescription_invalid" && rxLine && pid) {
        const expected = !p || p.member !== member ? "unknown" : p.revoked ? "revoked" : null;
        if (expected) allowed = reason === expected;
        else {
          allowed = (reason === "revoked" && pMaybeRevoked) || (reason === "expired" && p.expired) || (reason === "not_covered" && p.qty < rxLine.qty)
            || (reason === "used" && (pBusy || pMaybeBusy));
        }
      }
      if (!allowed) violation("refusal the authority's history does not explain", { lines, pid, member, got: reply.json, candidates: lines.map((l) => candidates(l.sku)), p: p && { ...p, holders: [...p.holders], returning: [...p.returning] } });
      // Certain to succeed: on sale and at the shown price throughout, the prescription surely usable.
      const surely = allSold && allPriceOk && (!rxLine || (pid && pOk && !pBusy && !pMaybeBusy && !pMaybeRevoked));
      if (surely) violation("refused although everything allowed it", { lines, pid, got: reply.json });
    }
    for (const [pid, accepted] of acceptedHere) {
      if (accepted.length > 1) violation("one prescription used by two accepted orders at once", { pid, accepted });
      const p = prescriptions.get(pid);
      p.holders.add(accepted[0]);
      p.returning.clear(); // it came back (or it would not have been accepted)
    }
    for (const [s, next] of after) state.set(s, next);
    for (const id of revoking) prescriptions.get(id).revoked = true;
    for (const p of prescriptions.values()) p.pending = false;
    if (violations.length) break;
  }

  console.log(`# catalogue randomized run: ${orders.length} accepted, answers ${JSON.stringify(tally)}`);
  if (violations.length) {
    console.log(`# violations (CATALOG_SEED=${seed}):\n${violations.join("\n")}\n# last orders:\n${log.slice(-15).join("\n")}`);
    assert.fail(`${violations.length} violations, CATALOG_SEED=${seed}`);
  }
  assert.ok(orders.length > 0 && Object.keys(tally).length > 2, "the run exercised acceptances and refusals");
  // The authority's and the pages' copy end as the model says.
  for (const [s, held] of state) {
    const view = (await api("GET", `/v1/admin/catalog/${s}`, { token: admin })).json;
    assert.deepEqual([view.version, view.price_fen, view.status, view.stops.core, view.stops.admin !== null], [held.version, held.price, stoppedOf(held) ? "stopped" : "on_sale", held.coreStopped, held.adminStopped], s);
    // Pages read KV, which follows the authority (eventually; locally at once).
    await world.waitFor(async () => {
      const page = (await api("GET", `/v1/catalog/${s}`)).json;
      return page.version === view.version && page.price_fen === view.price_fen && page.status === view.status;
    }, { timeoutMs: 5_000, what: `the page of ${s} to show the authority's item` });
  }
  await coreGotExactly(world, `${tag}-`, orders, { waitMs: 30_000 });
  console.log(`# ${JSON.stringify(countBy(orders, (o) => o.json.lines.length))} orders by line count reached the core exactly once`);
}
