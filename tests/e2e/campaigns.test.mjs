// Campaigns, claims and flash sales against the real runtime: stock never over-issued,
// per-member limits exact across shards, pause/end effective on the next claim, day limits
// turning at 16:00Z, store posters, idempotent replays, redemption once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, concurrently, countBy, validateSchema, assertEachKeyOnce, TEST_VARS, NO_MEMBER_WRITE_LIMIT, inWaves, catalogItem } from "./harness.mjs";

const world = useWorld({
  ratelimits: NO_MEMBER_WRITE_LIMIT,
  catalog: [catalogItem("gift-rx-1", "rx", 3500), catalogItem("gift-a-1", "otc_a", 990), catalogItem("gift-vc-1", "health", 500)],
});

const marketing = staffToken("mkt-1", "marketing");
const NOW = "2026-06-03T12:30:00Z"; // inside every default window below

function campaign(id, overrides = {}) {
  return {
    id,
    name: `活动 ${id}`,
    kind: "flash_sale",
    starts_at: "2026-06-03T12:00:00Z",
    ends_at: "2026-06-03T14:00:00Z",
    stock: 100,
    coupon: { type: "threshold", value_fen: 2000, min_spend_fen: 19900, valid_days: 30 },
    limits: { per_member: 1 },
    rules_text: "每人限领1张，满199减20",
    ...overrides,
  };
}
const create = (config, key) =>
  world.api("POST", "/v1/admin/campaigns", { token: marketing, body: config, headers: key ? { "idempotency-key": key } : {}, now: NOW });
const claim = (id, member, { key, body, now = NOW } = {}) =>
  world.api("POST", `/v1/campaigns/${id}/claims`, { token: memberToken(member), body, headers: key ? { "idempotency-key": key } : {}, now });
const admin = async (id) => (await world.api("GET", `/v1/admin/campaigns/${id}`, { token: marketing, now: NOW })).json;
const patch = (id, body, now = NOW, headers = {}) => world.api("PATCH", `/v1/admin/campaigns/${id}`, { token: marketing, body, now, headers });

test("marketing creates campaigns idempotently; configs are validated", async () => {
  const config = campaign("cmp-create");
  const first = await create(config, "key-create-1");
  assert.equal(first.status, 201);
  assert.deepEqual([first.json.status, first.json.stats.remaining, first.json.audit.length], ["active", 100, 1]);
  const replay = await create(config, "key-create-1");
  assert.equal(replay.status, 201);
  assert.equal(replay.json.id, "cmp-create");
  assert.deepEqual(replay.json.audit.length, 1, "a replay creates nothing");
  const reused = await create({ ...config, name: "另一个" }, "key-create-1");
  assert.deepEqual([reused.status, reused.json.code], [422, "idempotency_key_reused"]);
  const reusedElsewhere = await create(campaign("cmp-create-other"), "key-create-1");
  assert.deepEqual([reusedElsewhere.status, reusedElsewhere.json.code], [422, "idempotency_key_reused"]);
  const exists = await create({ ...config, name: "重复" }, "key-create-2");
  assert.deepEqual([exists.status, exists.json.code], [409, "campaign_exists"]);

  const invalid = await create(campaign("cmp-bad", { ends_at: "2026-06-03T11:00:00Z" }));
  assert.deepEqual([invalid.status, invalid.json.code], [422, "invalid_campaign"]);
  assert.match(invalid.json.detail, /ends_at/);
  // A gift is named by SKU; what it is, the catalogue says.
  const noncompliant = await create(campaign("cmp-rx", { gift: { sku: "gift-rx-1" } }));
  assert.deepEqual([noncompliant.status, noncompliant.json.code], [422, "non_compliant_reward"]);
  const otcA = await create(campaign("cmp-otca", { gift: { sku: "gift-a-1" } }));
  assert.deepEqual([otcA.status, otcA.json.code], [422, "non_compliant_reward"]);
  const declared = await create(campaign("cmp-declared", { gift: { sku: "gift-rx-1", name: "维生素", drug_class: "health" } }));
  assert.deepEqual([declared.status, declared.json.code], [400, "invalid_request"], "the operator cannot declare a class");
  const unknownGift = await create(campaign("cmp-nogift", { gift: { sku: "gift-nope" } }));
  assert.deepEqual([unknownGift.status, unknownGift.json.code], [422, "invalid_campaign"]);
  const gift = await create(campaign("cmp-gift", { gift: { sku: "gift-vc-1" } }));
  assert.equal(gift.status, 201, gift.text);
  const badShape = await create({ ...campaign("cmp-shape"), stock: "lots" });
  assert.deepEqual([badShape.status, badShape.json.code], [400, "invalid_request"]);
  assert.match(badShape.json.detail, /stock/);

  const clerk = await world.api("POST", "/v1/admin/campaigns", { token: staffToken("c1", "clerk", "st-1"), body: campaign("cmp-clerk") });
  assert.deepEqual([clerk.status, clerk.json.code], [403, "forbidden"]);
  const member = await world.api("POST", "/v1/admin/campaigns", { token: memberToken("m"), body: campaign("cmp-member") });
  assert.deepEqual([member.status, member.json.code], [401, "invalid_token"]);
});

test("public rules: the published terms and live remaining stock", async () => {
  await create(campaign("cmp-public", { stock: 7 }));
  const r = await world.api("GET", "/v1/campaigns/cmp-public", { token: memberToken("pub-1"), now: NOW });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.coupon, { type: "threshold", value_fen: 2000, min_spend_fen: 19900, valid_days: 30 });
  assert.deepEqual([r.json.status, r.json.stock], ["active", { total: 7, remaining: 7 }]);
  await claim("cmp-public", "pub-1");
  const after = await world.api("GET", "/v1/campaigns/cmp-public", { token: memberToken("pub-1"), now: NOW });
  assert.equal(after.json.stock.remaining, 6);
  const list = await world.api("GET", "/v1/campaigns", { token: memberToken("pub-1"), now: NOW });
  assert.ok(list.json.campaigns.some((c) => c.id === "cmp-public"));
  const missing = await world.api("GET", "/v1/campaigns/no-such-campaign", { token: memberToken("pub-1") });
  assert.deepEqual([missing.status, missing.json.code], [404, "campaign_not_found"]);
});

test("stock 100, 1,000 concurrent claimants: exactly 100 issued, 900 sold_out, wallets agree", async () => {
  await create(campaign("flash-100", { stock: 100 }));
  const members = Array.from({ length: 1000 }, (_, i) => `flash100-${i}`);
  const responses = await concurrently(1000, (i) => claim("flash-100", members[i], { key: `flash100-${i}` }));
  assert.deepEqual(countBy(responses, (r) => r.status), { 201: 100, 409: 900 });
  assert.ok(responses.filter((r) => r.status === 409).every((r) => r.json.code === "sold_out"));
  const stats = (await admin("flash-100")).stats;
  assert.deepEqual([stats.issued, stats.remaining], [100, 0]);
  // Refusals are counted once per claim, after the answer.
  await world.waitFor(async () => (await admin("flash-100")).stats.claims_rejected.sold_out === 900, { what: "900 sold_out counted" });
  const wallets = await concurrently(1000, (i) => world.api("GET", "/v1/coupons", { token: memberToken(members[i]), now: NOW }));
  const held = wallets.reduce((sum, w) => sum + w.json.coupons.filter((c) => c.campaign_id === "flash-100").length, 0);
  assert.equal(held, 100);
  const winners = new Set(responses.map((r, i) => (r.status === 201 ? members[i] : null)).filter(Boolean));
  wallets.forEach((w, i) => assert.equal(w.json.coupons.length, winners.has(members[i]) ? 1 : 0));
  await expectClaimedAtCore("flash-100", 100, { load: true });
});

/**
 * The core heard `coupon.claimed` once per issued coupon: one attempt per key (it never failed);
 * `load`: a thousand claims at once may stall the local runtime past its core timeout.
 */
async function expectClaimedAtCore(campaignId, issued, { load = false } = {}) {
  const ofCampaign = (a) => a.type === "coupon.claimed" && a.body.data.campaign_id === campaignId;
  await world.waitFor(() => world.stub.attempts().filter(ofCampaign).length >= issued, { timeoutMs: 30000, what: `${issued} coupon.claimed for ${campaignId}` });
  await new Promise((r) => setTimeout(r, 500));
  const attempts = assertEachKeyOnce(world.stub, ofCampaign, `coupon.claimed of ${campaignId}`, load ? { timeoutMs: Number(TEST_VARS.CORE_TIMEOUT_MS) } : {});
  assert.equal(attempts.length, issued, "one coupon.claimed per coupon issued");
  assert.equal(new Set(attempts.map((a) => a.body.data.coupon_id)).size, issued);
  return attempts;
}

test("sharded: stock 1,000 over 8 shards, 3,000 claimants: exactly 1,000 issued", async () => {
  const created = await create(campaign("flash-sharded", { stock: 1000, shards: 8 }));
  assert.equal(created.json.shard_count, 8);
  // Six waves of 500 at once: the stock runs dry in the middle of a wave, with hundreds of
  // claims interleaving on the 8 shards. (One local workerd starves its oldest requests when
  // thousands queue at once; see harness.mjs.)
  const responses = await inWaves(3000, 500, (i) => claim("flash-sharded", `sharded-${i}`, { key: `sharded-${i}` }));
  assert.deepEqual(countBy(responses, (r) => r.status), { 201: 1000, 409: 2000 });
  assert.ok(responses.filter((r) => r.status === 409).every((r) => r.json.code === "sold_out"));
  const coupons = new Set(responses.filter((r) => r.status === 201).map((r) => r.json.coupon.coupon_id));
  assert.equal(coupons.size, 1000, "every coupon is distinct");
  const stats = (await admin("flash-sharded")).stats;
  assert.deepEqual([stats.issued, stats.remaining], [1000, 0]);
  const heard = await expectClaimedAtCore("flash-sharded", 1000, { load: true });
  assert.deepEqual(new Set(heard.map((a) => a.body.data.coupon_id)), coupons, "the core heard of exactly the coupons answered");
  await world.waitFor(async () => (await admin("flash-sharded")).stats.claims_rejected.sold_out === 2000, { what: "2000 sold_out counted once each" });
});

test("per-member limit holds under 100 concurrent claims; a replayed key gets the same coupon", async () => {
  await create(campaign("limit-1", { stock: 1000, shards: 4, kind: "coupon" }));
  const responses = await concurrently(100, (i) => claim("limit-1", "greedy", { key: `k-${i}` }));
  const byStatus = countBy(responses, (r) => r.status);
  assert.equal(byStatus[201], 1);
  assert.ok(responses.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.json.code === "claim_limit_reached"));
  const winner = responses.find((r) => r.status === 201);
  const winnerKey = `k-${responses.indexOf(winner)}`;
  const replay = await claim("limit-1", "greedy", { key: winnerKey });
  assert.deepEqual([replay.status, replay.json], [201, winner.json]);
  const reused = await claim("limit-1", "greedy", { key: winnerKey, body: { store_id: "st-9", poster_sig: "00" } });
  assert.equal(reused.status, 403, "the poster check comes before the key");
  const wallet = await world.api("GET", "/v1/coupons?status=available", { token: memberToken("greedy"), now: NOW });
  assert.equal(wallet.json.coupons.length, 1);
  assert.equal((await admin("limit-1")).stats.issued, 1);
  const [heard] = await expectClaimedAtCore("limit-1", 1);
  assert.equal(heard.body.data.coupon_id, winner.json.coupon.coupon_id);
  // Keys are the member's: the same key for another campaign is another request, so a reuse.
  await create(campaign("limit-2", { kind: "coupon" }));
  const otherCampaign = await claim("limit-2", "greedy", { key: winnerKey });
  assert.deepEqual([otherCampaign.status, otherCampaign.json.code], [422, "idempotency_key_reused"]);
});

test("window and status: not started, paused on the next claim, resumed, ended, no way back", async () => {
  await create(campaign("window-1", { stock: 50, kind: "coupon", limits: { per_member: 10 } }));
  const early = await claim("window-1", "win-a", { now: "2026-06-03T11:59:59Z" });
  assert.deepEqual([early.status, early.json.code], [409, "campaign_not_started"]);
  assert.equal((await claim("window-1", "win-a")).status, 201);
  assert.equal((await patch("window-1", { status: "paused" })).status, 200);
  const paused = await claim("window-1", "win-a");
  assert.deepEqual([paused.status, paused.json.code], [409, "campaign_paused"]);
  assert.equal((await patch("window-1", { status: "active" })).status, 200);
  assert.equal((await claim("window-1", "win-a")).status, 201);
  const late = await claim("window-1", "win-a", { now: "2026-06-03T14:00:00Z" });
  assert.deepEqual([late.status, late.json.code], [409, "campaign_ended"]);
  // extend the window, add stock
  const extended = await patch("window-1", { ends_at: "2026-06-03T15:00:00Z", add_stock: 5 }, NOW, { "idempotency-key": "extend-window-1" });
  assert.deepEqual([extended.json.stock, extended.json.stats.remaining], [55, 53]);
  assert.equal((await claim("window-1", "win-a", { now: "2026-06-03T14:30:00Z" })).status, 201);
  assert.equal((await patch("window-1", { status: "ended" })).status, 200);
  const ended = await claim("window-1", "win-a");
  assert.deepEqual([ended.status, ended.json.code], [409, "campaign_ended"]);
  const back = await patch("window-1", { status: "active" });
  assert.deepEqual([back.status, back.json.code], [409, "invalid_transition"]);
  const trail = (await admin("window-1")).audit;
  assert.deepEqual(trail.map((e) => e.action), ["create", "update", "update", "update", "update"]);
  assert.deepEqual([trail[1].actor, trail[1].before.status, trail[1].after.status], ["mkt-1", "active", "paused"]);
  const badPatch = await patch("window-1", { stock: 1 });
  assert.equal(badPatch.status, 400);
});

test("the per-day limit resets when the business day turns at 16:00:00Z", async () => {
  await create(campaign("daily-1", { kind: "coupon", stock: 50, limits: { per_member: 5, per_member_per_day: 1 }, ends_at: "2026-06-05T00:00:00Z" }));
  assert.equal((await claim("daily-1", "daily-a", { now: "2026-06-03T15:00:00Z" })).status, 201);
  const again = await claim("daily-1", "daily-a", { now: "2026-06-03T15:59:59Z" });
  assert.deepEqual([again.status, again.json.code, again.json.limit], [409, "claim_limit_reached", "per_member_per_day"]);
  assert.equal((await claim("daily-1", "daily-a", { now: "2026-06-03T16:00:00Z" })).status, 201);
});

test("audience: new members only, first order only, tiers; refusals are counted by reason", async () => {
  await create(campaign("new-only", { kind: "coupon", audience: { new_members_within_days: 7, first_order_only: true } }));
  const register = (member, at) =>
    world.coreEvent({ id: `reg-${member}`, type: "member.registered", created_at: at, data: { member_id: member, registered_at: at, real_name_verified: false } });
  await register("aud-old", "2026-05-01T00:00:00Z");
  await register("aud-new", "2026-06-01T00:00:00Z");
  const old = await claim("new-only", "aud-old");
  assert.deepEqual([old.status, old.json.code, old.json.reason], [403, "not_eligible", "not_a_new_member"]);
  await world.coreEvent({ id: "paid-aud", type: "order.paid", created_at: "2026-06-02T00:00:00Z",
    data: { order_id: "o-aud", member_id: "aud-new", paid_at: "2026-06-02T00:00:00Z", amount_fen: 1000, insurance_fen: 0, first_order: true,
      lines: [{ sku: "s", name: "n", qty: 1, unit_price_fen: 1000, drug_class: "other" }] } });
  const ordered = await claim("new-only", "aud-new");
  assert.deepEqual([ordered.status, ordered.json.reason], [403, "has_ordered_before"]);
  await create(campaign("gold-only", { kind: "coupon", audience: { tiers: ["gold"] } }));
  const notGold = await claim("gold-only", "aud-new");
  assert.deepEqual([notGold.status, notGold.json.reason], [403, "tier_not_included"]);
  await world.waitFor(async () => (await admin("new-only")).stats.claims_rejected["not_eligible:has_ordered_before"] === 1, { what: "rejections counted" });
});

test("store posters: signed links redirect, claims record the store, forgeries are 403", async () => {
  await create(campaign("poster-1", { kind: "store_poster", limits: { per_member: 1 } }));
  const link = await world.api("GET", "/v1/admin/campaigns/poster-1/posters/st-42", { token: marketing });
  assert.equal(link.status, 200);
  const { sig } = link.json;
  const redirect = await world.api("GET", `/s/poster-1/st-42?sig=${sig}`);
  assert.equal(redirect.status, 302);
  const location = new URL(redirect.headers.get("location"));
  assert.deepEqual([location.searchParams.get("campaign"), location.searchParams.get("store"), location.searchParams.get("sig")], ["poster-1", "st-42", sig]);
  for (const path of [`/s/poster-1/st-43?sig=${sig}`, `/s/poster-2/st-42?sig=${sig}`, `/s/poster-1/st-42?sig=${"0".repeat(32)}`, "/s/poster-1/st-42", `/s/poster-1/st-42?sig=${sig}00`]) {
    const forged = await world.api("GET", path);
    assert.deepEqual([forged.status, forged.json.code], [403, "invalid_poster_signature"], path);
  }
  const noSig = await claim("poster-1", "poster-a");
  assert.deepEqual([noSig.status, noSig.json.code], [403, "invalid_poster_signature"]);
  const otherStore = await claim("poster-1", "poster-a", { body: { store_id: "st-43", poster_sig: sig } });
  assert.equal(otherStore.status, 403);
  const good = await claim("poster-1", "poster-a", { body: { store_id: "st-42", poster_sig: sig } });
  assert.equal(good.status, 201);
  assert.equal(good.json.coupon.store_id, "st-42");
  // A store cannot be attributed on an ordinary campaign without a valid signature either.
  await create(campaign("plain-1", { kind: "coupon" }));
  const sneaky = await claim("plain-1", "poster-b", { body: { store_id: "st-42" } });
  assert.deepEqual([sneaky.status, sneaky.json.code], [403, "invalid_poster_signature"]);
});

test("a coupon is redeemed once under 20 concurrent order.paid events; coupon.claimed reaches the core", async () => {
  await create(campaign("redeem-1", { kind: "coupon", coupon: { type: "fixed", value_fen: 990, valid_days: 30 } }));
  const claimed = await claim("redeem-1", "redeemer");
  const couponId = claimed.json.coupon.coupon_id;
  const paid = (i) => ({ id: `paid-redeem-${i}`, type: "order.paid", created_at: NOW,
    data: { order_id: "o-redeem", member_id: "redeemer", paid_at: NOW, amount_fen: 5000, insurance_fen: 0, coupon_id: couponId, first_order: false,
      lines: [{ sku: "s", name: "n", qty: 1, unit_price_fen: 5990, drug_class: "health" }] } });
  const results = await concurrently(20, (i) => world.coreEvent(paid(i)));
  assert.ok(results.every((r) => r.status === 200));
  const redeemed = await world.api("GET", "/v1/coupons?status=redeemed", { token: memberToken("redeemer"), now: NOW });
  assert.deepEqual(redeemed.json.coupons.map((c) => c.coupon_id), [couponId]);
  const available = await world.api("GET", "/v1/coupons?status=available", { token: memberToken("redeemer"), now: NOW });
  assert.equal(available.json.coupons.length, 0);
  await world.waitFor(() => world.stub.deliveries("coupon.claimed").some((d) => d.body.data.coupon_id === couponId), { what: "coupon.claimed" });
  const delivery = world.stub.deliveries("coupon.claimed").find((d) => d.body.data.coupon_id === couponId);
  validateSchema("OutboundEvent", delivery.body);
  await expectClaimedAtCore("redeem-1", 1);
});

test("coupons expire at the end of their last business day", async () => {
  await create(campaign("expiry-1", { kind: "coupon", coupon: { type: "percent", percent: 12, max_discount_fen: 3000, valid_days: 1 } }));
  const claimed = await claim("expiry-1", "expirer", { now: "2026-06-03T12:30:00Z" });
  assert.equal(claimed.json.coupon.expires_at, "2026-06-03T16:00:00Z");
  const before = await world.api("GET", "/v1/coupons", { token: memberToken("expirer"), now: "2026-06-03T15:59:59Z" });
  assert.equal(before.json.coupons[0].status, "available");
  const after = await world.api("GET", "/v1/coupons", { token: memberToken("expirer"), now: "2026-06-03T16:00:00Z" });
  assert.equal(after.json.coupons[0].status, "expired");
  const me = await world.api("GET", "/v1/me", { token: memberToken("expirer"), now: "2026-06-03T16:00:00Z" });
  assert.equal(me.json.coupons.available, 0);
  const badStatus = await world.api("GET", "/v1/coupons?status=used", { token: memberToken("expirer") });
  assert.deepEqual([badStatus.status, badStatus.json.code], [400, "invalid_request"]);
});
