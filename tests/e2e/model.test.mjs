// Model-based randomized test against the local runtime: random interleavings, in concurrent
// batches, of operator actions on campaigns (one of them scheduled, checked per occurrence)
// (create, top-up, pause, resume, extend, end, replayed
// PATCHes, If-Match), member claims (new keys, replayed keys, a key reused for another campaign),
// orders locking coupons, check-ins, and signed core events paying, cancelling, rejecting and
// refunding those orders (and resent). The model checks each answer it can be sure of; after the
// run the invariants are read back from the objects' own views and the core stub's attempts.
//
// Seeded and reproducible: MODEL_SEED=<n> replays a run's choices (answers that race inside a
// batch may differ), MODEL_OPS=<n> sets its length (default 2000). The seed, the totals and, on
// failure, every violation and the tail of the op log are printed. scripts/soak runs it long.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { useWorld, NO_MEMBER_WRITE_LIMIT } from "./harness.mjs";
import * as ops from "./model_lib.mjs";
import { checkCampaigns, checkWallets, checkPoints, checkCore } from "./model_checks.mjs";

const SEED = Number(process.env.MODEL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPS = Number(process.env.MODEL_OPS ?? 2000);
const BATCH_MAX = Number(process.env.MODEL_BATCH ?? 12);
const LOG_FILE = process.env.MODEL_LOG; // the whole op log, when set
const STEP_MS = 10_000; // the test clock moves 10 s per batch

const world = useWorld({ ratelimits: NO_MEMBER_WRITE_LIMIT, catalog: ops.MODEL_CATALOG });

/** Chooses the next batch of operations from the model's state (no two that would conflict). */
function chooseBatch(model, done) {
  const { rnd } = model;
  const batch = [];
  const busy = new Set(); // campaigns with an operator action in this batch
  const takenOrders = new Set();
  const takenCoupons = new Set();
  const campaigns = [...model.campaigns.values()];
  const size = model.campaigns.size === 0 ? 1 : rnd.int(1, BATCH_MAX);
  const wanted = Math.min(3 + Math.floor(done / 250), 40);
  for (let i = 0; i < size; i++) {
    if (model.campaigns.size === 0) {
      batch.push({ kind: "create_big", run: () => ops.createCampaign(world, model, { big: true }) });
      continue;
    }
    if (!model.scheduledCreated) {
      model.scheduledCreated = true;
      batch.push({ kind: "create_scheduled", run: () => ops.createCampaign(world, model, { scheduled: true }) });
      continue;
    }
    const open = [...model.orders].filter(([id, o]) => o.state === "open" && !takenOrders.has(id));
    const refundable = [...model.orders].filter(([id, o]) => o.state === "paid" && o.refunded < o.payable && !takenOrders.has(id));
    const usable = [...model.coupons].filter(([id, c]) => !c.locked && !c.redeemed && !takenCoupons.has(id));
    const kind = rnd.weighted({
      claim: 40, claim_replay: model.claims.length ? 8 : 0, claim_key_reused: model.claims.length && campaigns.length > 1 ? 2 : 0,
      order: 10, order_replay: model.orders.size ? 2 : 0, settle: open.length ? 12 : 0, refund: refundable.length ? 3 : 0,
      resend: model.events.length ? 2 : 0, checkin: 4, operator: 10, patch_replay: model.patches.length ? 3 : 0,
      create: campaigns.length < wanted ? 3 : 0,
    });
    const member = rnd.pick(model.members);
    // Most claims go where they can succeed; the rest anywhere (paused, ended, not started).
    const live = campaigns.filter((c) => c.setStatus === "active" && ops.isOpen(c, model.clockMs));
    const campaign = live.length && rnd.chance(0.7) ? rnd.pick(live) : rnd.pick(campaigns);
    if (kind === "claim") {
      batch.push({ kind, campaign, run: (b) => ops.claim(world, model, member, campaign, b.has(campaign.id)) });
    } else if (kind === "claim_replay") {
      const previous = rnd.pick(model.claims);
      batch.push({ kind, run: () => ops.replayClaim(world, model, previous) });
    } else if (kind === "claim_key_reused") {
      // Only a key whose claim issued is remembered by the server (a refusal stores nothing).
      const issued = model.claims.filter((c) => c.first.status === 201);
      if (issued.length === 0) continue;
      const previous = rnd.pick(issued);
      const other = rnd.pick(campaigns.filter((c) => c.id !== previous.campaignId));
      batch.push({ kind, run: () => ops.reuseClaimKey(world, model, previous, other) });
    } else if (kind === "order") {
      const withCoupon = usable.length && rnd.chance(0.75) ? rnd.pick(usable) : null;
      if (withCoupon) takenCoupons.add(withCoupon[0]);
      const buyer = withCoupon ? withCoupon[1].member : member;
      batch.push({ kind: withCoupon ? "order_with_coupon" : "order", run: () => ops.placeOrder(world, model, buyer, withCoupon?.[0]) });
    } else if (kind === "order_replay") {
      const [orderId] = rnd.pick([...model.orders]);
      batch.push({ kind, run: () => ops.replayOrder(world, model, orderId) });
    } else if (kind === "settle") {
      const [orderId] = rnd.pick(open);
      takenOrders.add(orderId);
      const how = rnd.weighted({ paid: 5, cancelled: 2, rejected: 2, race: 1 });
      batch.push({ kind: `settle_${how}`, run: () => ops.settleOrder(world, model, orderId, how) });
    } else if (kind === "refund") {
      const [orderId] = rnd.pick(refundable);
      takenOrders.add(orderId);
      batch.push({ kind, run: () => ops.refundOrder(world, model, orderId) });
    } else if (kind === "resend") {
      const event = rnd.pick(model.events);
      batch.push({ kind, run: () => ops.resendEvent(world, model, event) });
    } else if (kind === "checkin") {
      batch.push({ kind, run: () => ops.checkin(world, model, member) });
    } else if (kind === "operator") {
      // The top-up case first among equals: a third of top-ups go to the campaign at 2,000 units.
      const big = campaigns.find((c) => c.id.endsWith("-big"));
      const action = rnd.weighted({ top_up: 5, pause: 2, resume: campaign.setStatus === "paused" ? 4 : 1, extend: 2, end: 0.4 });
      const target = action === "top_up" && big && rnd.chance(0.33) ? big : campaign;
      busy.add(target.id);
      if (action === "end") target.endPending = true;
      batch.push({ kind: `patch_${action}`, run: () => ops.patchCampaign(world, model, target, action) });
    } else if (kind === "patch_replay") {
      const patch = rnd.pick(model.patches);
      busy.add(patch.campaignId);
      if (patch.body.status === "ended") model.campaigns.get(patch.campaignId).endPending = true;
      batch.push({ kind, run: () => ops.replayPatch(world, model, patch) });
    } else if (kind === "create") {
      batch.push({ kind, run: () => ops.createCampaign(world, model) });
    }
  }
  return { batch, busy };
}

function note(model, line) {
  model.log.push(line);
  if (LOG_FILE) appendFileSync(LOG_FILE, `${line}\n`);
}

function report(model, elapsedMs) {
  const lines = [
    `model: seed ${model.seed}, ${model.totals.opsDone} operations in ${model.totals.batches} batches, ${(elapsedMs / 1000).toFixed(1)} s`,
    `ops by kind: ${JSON.stringify(model.totals.ops)}`,
    `outcomes: ${JSON.stringify(model.totals.outcomes)}`,
    `invariant checks: ${JSON.stringify(model.totals.checks)}`,
    `core heard (unique deliveries by type): ${JSON.stringify(model.totals.core ?? {})}`,
    `campaigns: ${[...model.campaigns.values()].map((c) => `${c.id} stock ${c.stock} ${c.setStatus}`).join("; ")}`,
  ];
  return lines.join("\n");
}

function failure(model) {
  const byKind = new Map();
  for (const v of model.violations) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
  const kinds = [...byKind].map(([kind, list]) => `  ${kind} (${list.length}):\n${list.slice(0, 4).map((v) => `    at op ${v.at}: ${v.detail}`).join("\n")}`);
  return [
    `model test failed: MODEL_SEED=${model.seed} MODEL_OPS=${OPS} (replay with these)`,
    `violations:\n${kinds.join("\n")}`,
    `op log tail:\n${model.log.slice(-40).join("\n")}`,
  ].join("\n");
}

test(`model: ${OPS} random operator, member and core operations keep every invariant (seed ${SEED})`, { timeout: 60 * 60 * 1000 }, async () => {
  const model = ops.newModel({ seed: SEED, ops: OPS });
  console.log(`# model seed ${SEED} (MODEL_SEED=${SEED} MODEL_OPS=${OPS} to replay)`);
  const started = Date.now();
  if (LOG_FILE) writeFileSync(LOG_FILE, `seed ${SEED} ops ${OPS}\n`);
  let done = 0;
  let batches = 0;
  while (done < OPS) {
    const { batch, busy } = chooseBatch(model, done);
    batches += 1;
    await Promise.all(batch.map(async (op) => {
      model.totals.ops[op.kind] = (model.totals.ops[op.kind] ?? 0) + 1;
      try {
        note(model, `b${batches} ${await op.run(busy)}`);
      } catch (error) {
        ops.violation(model, "exception", `${op.kind}: ${error.message.slice(0, 500)}`);
        note(model, `b${batches} ${op.kind} threw ${error.message.slice(0, 200)}`);
      }
    }));
    await ops.settleOperators(world, model);
    ops.checkSoldOut(model);
    for (const campaign of model.campaigns.values()) campaign.endPending = false;
    if (model.log.length > 400) model.log.splice(0, model.log.length - 200);
    done += batch.length;
    model.clockMs += STEP_MS;
    if (batches % 40 === 0) await checkCampaigns(world, model);
  }
  model.totals.opsDone = done;
  model.totals.batches = batches;
  await checkCampaigns(world, model);
  await checkWallets(world, model);
  await checkPoints(world, model);
  await checkCore(world, model);
  console.log(report(model, Date.now() - started).replace(/^/gm, "# "));
  assert.ok(model.violations.length === 0, failure(model));
});
