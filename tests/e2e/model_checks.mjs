// The invariants of the model-based test, read back from the objects' own views (the admin
// campaign view, each member's wallet, /v1/me and ledger, each order) and from every attempt the
// core stub recorded. Each failed check is a violation (collected, printed with the seed).
import { memberToken, assertNoFactTwice, assertEachKeyOnce, factOf, countBy, TEST_VARS } from "./harness.mjs";
import { adminView, violation } from "./model_lib.mjs";

function check(model, name, ok, detail) {
  model.totals.checks[name] = (model.totals.checks[name] ?? 0) + 1;
  if (!ok) violation(model, name, detail());
}

/**
 * A scheduled campaign, per occurrence: each holds at most its stock (the current stock for one
 * not over; no more than it for one over, which later top-ups do not reach), remaining = total −
 * issued, stock_per_occurrence follows the stock, and issued in all = the wallets.
 */
function checkOccurrences(model, campaign, view) {
  const at = (o) => `${campaign.id} ${o.key} (${o.state}): total ${o.total}, issued ${o.issued}, remaining ${o.remaining}`;
  check(model, "stock_per_occurrence follows the stock", view.schedule.stock_per_occurrence === view.stock, () => `${campaign.id}: ${view.schedule.stock_per_occurrence} vs ${view.stock}`);
  for (const o of view.occurrences) {
    check(model, "occurrence: issued <= its stock", o.issued <= o.total, () => at(o));
    check(model, "occurrence: remaining = total - issued", o.remaining === o.total - o.issued, () => at(o));
    const stockOk = o.state === "past" ? o.total <= campaign.stock : o.total === campaign.stock;
    check(model, "occurrence: its stock is what the operators set", stockOk, () => `${at(o)}, model stock ${campaign.stock}`);
  }
  campaign.viewIssued = view.occurrences.reduce((sum, o) => sum + o.issued, 0);
}

/** Stock: issued ≤ stock, remaining = stock − issued, stock as the operators set it. */
export async function checkCampaigns(world, model) {
  for (const campaign of model.campaigns.values()) {
    const view = await adminView(world, model, campaign.id);
    if (view.status !== 200) continue;
    const { stock, stats, set_status: setStatus, shard_count: shards } = view.json;
    const at = () => `${campaign.id} (shards ${shards}): stock ${stock}, issued ${stats.issued}, remaining ${stats.remaining}`;
    check(model, "stock is what the operators set", stock === campaign.stock, () => `${at()}, model stock ${campaign.stock}`);
    check(model, "issued <= stock", stats.issued <= stock, at);
    check(model, "remaining = stock - issued", stats.remaining === stock - stats.issued, at);
    check(model, "status is what the operators set", setStatus === campaign.setStatus, () => `${campaign.id}: ${setStatus}, model ${campaign.setStatus}`);
    campaign.viewIssued = stats.issued;
    if (campaign.occurrence) checkOccurrences(model, campaign, view.json);
  }
}

async function allLedger(world, model, member) {
  const entries = [];
  let cursor = null;
  for (let page = 0; page < 50; page++) {
    const r = await world.api("GET", `/v1/points/ledger?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token: memberToken(member), now: model.now() });
    entries.push(...r.json.entries);
    cursor = r.json.next_cursor;
    if (!cursor) break;
  }
  return entries;
}

const wallet = async (world, model, member) =>
  (await world.api("GET", "/v1/coupons", { token: memberToken(member), now: model.now() })).json.coupons;

/** What a coupon's status must be after its orders' histories. */
function expectedStatus(coupon) {
  if (coupon.redeemed) return "redeemed";
  if (coupon.locked) return "locked";
  return "available";
}

/** Wallets: every issued coupon held once, by its claimant, in the status its orders imply. */
export async function checkWallets(world, model, { settleMs = 20000 } = {}) {
  const deadline = Date.now() + settleMs;
  let wallets;
  // Releases travel through the orders' outboxes: wait (bounded) until they have arrived.
  for (;;) {
    wallets = new Map(await Promise.all(model.members.map(async (m) => [m, await wallet(world, model, m)])));
    const pending = [...model.coupons].filter(([id, c]) => wallets.get(c.member).find((w) => w.coupon_id === id)?.status !== expectedStatus(c));
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const held = new Map();
  for (const [member, coupons] of wallets) {
    for (const coupon of coupons.filter((c) => c.campaign_id.startsWith("mdl-"))) {
      check(model, "a coupon is held once", !held.has(coupon.coupon_id), () => `${coupon.coupon_id} in ${member} and ${held.get(coupon.coupon_id)?.member}`);
      held.set(coupon.coupon_id, { member, ...coupon });
    }
  }
  for (const [id, coupon] of model.coupons) {
    const found = held.get(id);
    check(model, "every 2xx claim's coupon is in the claimant's wallet", found?.member === coupon.member, () => `${id} of ${coupon.member}: ${found ? `held by ${found.member}` : "missing"}`);
    if (!found) continue;
    const expected = expectedStatus(coupon);
    check(model, "coupon status follows its orders (never both redeemed and released)", found.status === expected,
      () => `${id}: ${found.status}, expected ${expected}; orders ${coupon.orders.map((o) => `${o}:${model.orders.get(o).state}`).join(" ")}`);
  }
  check(model, "no coupon in a wallet that no claim answered", held.size === model.coupons.size, () => `${held.size} held, ${model.coupons.size} answered`);
  for (const campaign of model.campaigns.values()) {
    const inWallets = [...held.values()].filter((c) => c.campaign_id === campaign.id).length;
    check(model, "wallets sum to issued", inWallets === campaign.viewIssued, () => `${campaign.id}: wallets ${inWallets}, issued ${campaign.viewIssued}`);
    // A scheduled campaign's limit is per occurrence: counted per business day of the claim.
    const scope = (c) => (campaign.occurrence ? `${c.member}@${new Date(Date.parse(c.claimed_at) + 8 * 3_600_000).toISOString().slice(0, 10)}` : c.member);
    const perMember = countBy([...held.values()].filter((c) => c.campaign_id === campaign.id), scope);
    const over = Object.entries(perMember).filter(([, n]) => n > campaign.perMember);
    check(model, "per-member limit", over.length === 0, () => `${campaign.id} (limit ${campaign.perMember}): ${JSON.stringify(over)}`);
  }
}

/** Points: the balance is the ledger's sum; an order's award once, its clawbacks within it. */
export async function checkPoints(world, model) {
  await Promise.all(model.members.map(async (member) => {
    const me = (await world.api("GET", "/v1/me", { token: memberToken(member), now: model.now() })).json;
    const entries = await allLedger(world, model, member);
    const sum = entries.reduce((total, e) => total + e.amount, 0);
    check(model, "points balance = ledger sum", me.points.balance === sum && (me.points.debt ?? 0) === 0,
      () => `${member}: balance ${me.points.balance}, debt ${me.points.debt}, ledger sum ${sum}`);
    const earns = countBy(entries.filter((e) => e.source === "order" && e.kind === "earn"), (e) => e.source_id);
    const claws = countBy(entries.filter((e) => e.kind === "clawback"), (e) => `${e.source}:${e.source_id}`);
    const twice = [...Object.entries(earns), ...Object.entries(claws)].filter(([, n]) => n > 1);
    check(model, "an award or clawback is booked once per source", twice.length === 0, () => `${member}: ${JSON.stringify(twice)}`);
    const earned = entries.filter((e) => e.source === "order" && e.kind === "earn").reduce((t, e) => t + e.amount, 0);
    const clawed = -entries.filter((e) => e.kind === "clawback").reduce((t, e) => t + e.amount, 0);
    check(model, "refunds claw back no more than orders earned", clawed <= earned, () => `${member}: earned ${earned}, clawed ${clawed}`);
    for (const [orderId, order] of model.orders) {
      if (order.member !== member || !order.paidSent) continue;
      check(model, "a paid order earned", earns[orderId] === 1, () => `${member} ${orderId}: ${earns[orderId] ?? 0} order entries`);
    }
  }));
}

/**
 * The core: every accepted order arrived, every coupon issued was reported, each key was
 * attempted once (the stub never failed in this test), and no fact came under two keys.
 */
export async function checkCore(world, model, { settleMs = 30000 } = {}) {
  const orderIds = new Set(model.orders.keys());
  const couponIds = new Set(model.coupons.keys());
  const arrived = () => {
    const deliveries = world.stub.deliveries();
    return deliveries.filter((d) => d.path === "/orders" && orderIds.has(d.key)).length === orderIds.size
      && deliveries.filter((d) => d.type === "coupon.claimed" && couponIds.has(d.body.data.coupon_id)).length === couponIds.size;
  };
  const deadline = Date.now() + settleMs;
  while (!arrived() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  await new Promise((r) => setTimeout(r, 1000)); // room for a duplicate to show
  const deliveries = world.stub.deliveries();
  const orders = deliveries.filter((d) => d.path === "/orders");
  check(model, "every accepted order reached the core", orders.filter((d) => orderIds.has(d.key)).length === orderIds.size,
    () => `${orders.length} of ${orderIds.size}: missing ${[...orderIds].filter((id) => !orders.some((d) => d.key === id)).slice(0, 5)}`);
  const claimed = deliveries.filter((d) => d.type === "coupon.claimed" && d.body.data.campaign_id.startsWith("mdl-"));
  check(model, "coupon.claimed once per coupon issued", claimed.length === couponIds.size && claimed.every((d) => couponIds.has(d.body.data.coupon_id)),
    () => `${claimed.length} coupon.claimed for ${couponIds.size} coupons`);
  // Each key once (the core never failed); a re-attempt is tolerated only after the edge's
  // timeout (a stalled local runtime), never sooner.
  try {
    assertEachKeyOnce(world.stub, () => true, "model deliveries", { timeoutMs: Number(TEST_VARS.CORE_TIMEOUT_MS) });
    check(model, "no key attempted twice while the core was healthy", true);
  } catch (error) {
    check(model, "no key attempted twice while the core was healthy", false, () => error.message.slice(0, 2000));
  }
  try {
    assertNoFactTwice(world.stub);
    check(model, "no fact delivered under two keys", true);
  } catch (error) {
    check(model, "no fact delivered under two keys", false, () => error.message.slice(0, 2000));
  }
  model.totals.core = countBy(deliveries, (d) => factOf(d).split(":")[0]);
}
