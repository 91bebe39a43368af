// The benchmark behind scripts/bench. Load comes from autocannon (npm) in this process; the
// worker and the no-op baselines run in workerd (separate processes) on the same machine.
//   node scripts/bench.mjs [seconds per scenario] [connections]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import crypto from "node:crypto";
import autocannon from "autocannon";
import { startEdge, startNoop } from "./lib/local-edge.mjs";
import { startCoreStub } from "./core-stub.mjs";

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 32);
const secrets = Object.fromEntries(
  ["MEMBER_JWT_SECRET", "STAFF_JWT_SECRET", "CORE_SIGNING_SECRET", "EDGE_SIGNING_SECRET", "POSTER_SIGNING_SECRET", "PICKUP_SIGNING_SECRET", "REFERRAL_SECRET"].map((name) => [name, crypto.randomBytes(24).toString("hex")]),
);
const b64 = (v) => Buffer.from(v).toString("base64url");
const jwt = (claims, secret) => {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify(claims));
  return `${head}.${body}.${crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
};
// Each runtime persists to its own temporary directory, removed when the benchmark exits.
const tempDirs = [];
const tempDir = (name) => {
  tempDirs.push(mkdtempSync(join(tmpdir(), `pharmedge-bench-${name}-`)));
  return tempDirs.at(-1);
};
process.on("exit", () => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
// `BENCH_ONLY=orders scripts/bench`: the no-op floors and the orders scenario only.
const only = process.env.BENCH_ONLY;

// CPU of a workerd process (user + system), read from /proc: each runtime is a child of this
// process, so the figure is the runtime's own, not the load generator's or the core stub's.
const TICK_MS = 10; // USER_HZ is 100 on Linux
function childWorkerds() {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return stat.includes("(workerd)") && Number(fields[1]) === process.pid;
    } catch {
      return false;
    }
  });
}
function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
/** `work()`'s result, with the CPU ms the runtime `pid` spent meanwhile. */
async function withCpu(pid, work) {
  const before = cpuMsOf(pid);
  const result = await work();
  return { result, cpuMs: cpuMsOf(pid) - before };
}

function run(url, requests) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, requests }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** A POST /v1/checkins request rotating over `tokens`, counting answers by status. */
function checkins(tokens, counts) {
  let next = 0;
  return [
    {
      method: "POST",
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
      onResponse: (status) => {
        counts[status] = (counts[status] ?? 0) + 1;
      },
    },
  ];
}

const stub = await startCoreStub({ secret: secrets.EDGE_SIGNING_SECRET });
// The abuse limits (wrangler.toml [[ratelimits]]) are lifted: the bench replays the same
// members and links far faster than any person, on purpose.
const unlimited = { MEMBER_WRITES: { limit: 1_000_000_000 }, LINK_TAPS: { limit: 1_000_000_000 } };
const edge = await startEdge({ persistDir: tempDir("edge"), vars: { ...secrets, CORE_BASE_URL: stub.url }, logWarnings: true, ratelimits: unlimited });
const edgePid = childWorkerds()[0];
const noop = await startNoop({ persistDir: tempDir("noop") });
const noopPid = childWorkerds().find((pid) => pid !== edgePid);
const expiry = Math.floor(Date.now() / 1000) + 3600;
const manyMembers = Array.from({ length: 10_000 }, (_, i) => jwt({ sub: `bench-${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET));
const fewMembers = Array.from({ length: 100 }, (_, i) => jwt({ sub: `warm-${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET));
const coldCounts = {};
const warmCounts = {};

const rows = [];
const scenario = async (title, baseline, url, requests) => {
  const pid = url.startsWith(noop.url) ? noopPid : edgePid;
  const { result, cpuMs } = await withCpu(pid, () => run(url, requests));
  rows.push({ title, baseline, result, cpuMs });
  return result;
};
await scenario("no-op worker: constant", null, `${noop.url}/`);
await scenario("GET /healthz", "no-op worker: constant", `${edge.url}/healthz`);
await scenario("no-op DO: new object per request", null, `${noop.url}/do/new`);
if (!only) await scenario("POST /v1/checkins, 10,000 members (new object each)", "no-op DO: new object per request", `${edge.url}/v1/checkins`, checkins(manyMembers, coldCounts));
await scenario("no-op DO: one warm object", null, `${noop.url}/do/one`);
if (!only) await scenario("POST /v1/checkins, 100 members (warm objects)", "no-op DO: one warm object", `${edge.url}/v1/checkins`, checkins(fewMembers, warmCounts));
// --- orders: accepted with the core up (a new order object each), then forwarded.
// The catalogue first, as the core pushes it: orders are priced from it (KV + the authority).
const catalogBody = JSON.stringify({ batch_id: "bench-catalog", items: [{ sku: "otc-1", name: "感冒灵", drug_class: "otc_b", price_fen: 1590, version: 1, status: "on_sale" }] });
const catalogT = Math.floor(Date.now() / 1000);
const catalogSig = crypto.createHmac("sha256", secrets.CORE_SIGNING_SECRET).update(`${catalogT}.${catalogBody}`).digest("hex");
const pushed = await fetch(`${edge.url}/v1/core/catalog`, { method: "POST", headers: { "content-type": "application/json", "core-signature": `t=${catalogT},v1=${catalogSig}` }, body: catalogBody });
if (pushed.status !== 200) throw new Error(`catalogue push: ${pushed.status} ${await pushed.text()}`);
const orderLines = [{ sku: "otc-1", qty: 2 }];
const coreLines = [{ sku: "otc-1", name: "感冒灵", qty: 2, unit_price_fen: 1590, drug_class: "otc_b" }];
const buyers = Array.from({ length: 1_000 }, (_, i) => jwt({ sub: `buyer-${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET));
const orderCounts = {};
let nextBuyer = 0;
await scenario("POST /v1/orders, core up (new order object each)", "no-op DO: new object per request", `${edge.url}/v1/orders`, [
  {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ store_id: "bench-store", fulfilment: "delivery", lines: orderLines }),
    setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${buyers[nextBuyer++ % buyers.length]}` } }),
    onResponse: (status) => {
      orderCounts[status] = (orderCounts[status] ?? 0) + 1;
    },
  },
]);

if (only === "orders") {
  printTable();
  console.log(`orders: answers ${JSON.stringify(orderCounts)}`);
  await edge.mf.dispose();
  await noop.mf.dispose();
  await stub.close();
  process.exit(0);
}

// --- flash sale: one hot campaign, unsharded and over 8 shards; stock well below the claims.
const marketing = jwt({ sub: "bench-marketing", role: "marketing", exp: expiry }, secrets.STAFF_JWT_SECRET);
const FLASH_STOCK = 500;
async function flashCampaign(id, shards) {
  const now = Date.now();
  const response = await fetch(`${edge.url}/v1/admin/campaigns`, {
    method: "POST",
    headers: { authorization: `Bearer ${marketing}`, "content-type": "application/json" },
    body: JSON.stringify({
      id, name: id, kind: "flash_sale", stock: FLASH_STOCK, shards,
      starts_at: new Date(now - 60_000).toISOString(), ends_at: new Date(now + 3_600_000).toISOString(),
      coupon: { type: "fixed", value_fen: 990, valid_days: 7 }, limits: { per_member: 1 }, rules_text: "bench",
    }),
  });
  if (response.status !== 201) throw new Error(`campaign ${id}: ${response.status} ${await response.text()}`);
}
const flash = {};
for (const [id, shards] of [["bench-flash-1", 1], ["bench-flash-8", 8]]) {
  await flashCampaign(id, shards);
  const claimants = Array.from({ length: 10_000 }, (_, i) => jwt({ sub: `${id}-m${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET));
  const counts = {};
  let next = 0;
  await scenario(`POST claims, hot campaign, ${shards} shard${shards > 1 ? "s" : ""} (stock ${FLASH_STOCK})`, "no-op DO: new object per request", `${edge.url}/v1/campaigns/${id}/claims`, [
    {
      method: "POST",
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${claimants[next++ % claimants.length]}` } }),
      onResponse: (status) => {
        counts[status] = (counts[status] ?? 0) + 1;
      },
    },
  ]);
  const stats = await (await fetch(`${edge.url}/v1/admin/campaigns/${id}`, { headers: { authorization: `Bearer ${marketing}` } })).json();
  flash[id] = { counts, issued: stats.stats.issued, overIssued: Math.max(0, (counts[201] ?? 0) - FLASH_STOCK, stats.stats.issued - FLASH_STOCK) };
}

function printTable() {
  console.log(`\n${cpus().length} cores; ${connections} connections; ${seconds} s per scenario; autocannon on the same machine\n`);
  console.log("| scenario | req/s | p50 ms | p99 ms | workerd CPU ms/req | errors + unexpected statuses | vs baseline |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const { title, baseline, result, cpuMs } of rows) {
    const base = rows.find((row) => row.title === baseline);
    const ratio = base ? `${(result.requests.average / base.result.requests.average).toFixed(2)} of "${baseline}"` : "(baseline)";
    // For the redirect, a 302 is the success.
    const unexpected = title.startsWith("GET /r/")
      ? result.errors + Object.entries(tapCounts).filter(([status]) => status !== "302").reduce((sum, [, n]) => sum + n, 0)
      : result.errors + result.non2xx;
    const perRequest = cpuMs === undefined || !result.requests.total ? "" : (cpuMs / result.requests.total).toFixed(2);
    console.log(`| ${title} | ${Math.round(result.requests.average)} | ${result.latency.p50} | ${result.latency.p99} | ${perRequest} | ${unexpected} | ${ratio} |`);
  }
}

/** `count` calls of `work(i)`, `width` at a time. */
async function pooled(count, width, work) {
  let next = 0;
  const results = new Array(count);
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  }));
  return results;
}
const coreSignature = (raw) => {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${crypto.createHmac("sha256", secrets.CORE_SIGNING_SECRET).update(`${t}.${raw}`).digest("hex")}`;
};
async function placeOrder(token, store) {
  const response = await fetch(`${edge.url}/v1/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ store_id: store, fulfilment: "pickup", lines: orderLines }),
  });
  if (response.status !== 202) throw new Error(`order: ${response.status} ${await response.text()}`);
  return (await response.json()).order_id;
}

// --- pickup verification: 1,000 ready orders over 10 stores, each verified once.
const PICKUPS = 1_000;
const STORES = 10;
const pickupMembers = Array.from({ length: PICKUPS }, (_, i) => ({ id: `pickup-${i}`, token: jwt({ sub: `pickup-${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET) }));
const pickupOrders = await pooled(PICKUPS, 32, async (i) => {
  const store = `bench-store-${i % STORES}`;
  const orderId = await placeOrder(pickupMembers[i].token, store);
  const raw = JSON.stringify({
    id: `bench-ready-${orderId}`, type: "order.ready_for_pickup", created_at: new Date().toISOString(),
    data: { order_id: orderId, member_id: pickupMembers[i].id, store_id: store, lines: coreLines, ready_at: new Date().toISOString() },
  });
  const ready = await fetch(`${edge.url}/v1/core/events`, { method: "POST", headers: { "content-type": "application/json", "core-signature": coreSignature(raw) }, body: raw });
  if (ready.status !== 200) throw new Error(`ready: ${ready.status} ${await ready.text()}`);
  return { orderId, store, token: pickupMembers[i].token };
});
// Codes are fetched just before the run: each is accepted for at least 30 s.
const pickupCodes = await pooled(PICKUPS, 32, async (i) => {
  const { orderId, store, token } = pickupOrders[i];
  const shown = await (await fetch(`${edge.url}/v1/pickups/${orderId}/code`, { headers: { authorization: `Bearer ${token}` } })).json();
  return { qr: shown.qr, clerk: jwt({ sub: `clerk-${store}`, role: "clerk", store, exp: expiry }, secrets.STAFF_JWT_SECRET) };
});
const verifyCounts = {};
let nextPickup = 0;
const { result: verifyResult, cpuMs: verifyCpu } = await withCpu(edgePid, () => new Promise((resolve, reject) => {
  autocannon({
    url: `${edge.url}/v1/store/pickups/verify`,
    connections,
    amount: PICKUPS,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => {
          const { qr, clerk } = pickupCodes[nextPickup++ % PICKUPS];
          return { ...req, headers: { ...req.headers, "content-type": "application/json", authorization: `Bearer ${clerk}` }, body: JSON.stringify({ code: qr }) };
        },
        onResponse: (status) => {
          verifyCounts[status] = (verifyCounts[status] ?? 0) + 1;
        },
      },
    ],
  }, (err, result) => (err ? reject(err) : resolve(result)));
}));
rows.push({ title: `POST /v1/store/pickups/verify, ${PICKUPS} ready orders over ${STORES} stores, each once`, baseline: "no-op DO: one warm object", result: verifyResult, cpuMs: verifyCpu });

// --- referral links: GET /r/{code} over 1,000 members' codes (the redirect reads memory or KV;
// the click is counted by the member's object after the answer).
const REFERRERS = 1_000;
const referrers = Array.from({ length: REFERRERS }, (_, i) => jwt({ sub: `referrer-${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET));
const referralCodes = await pooled(REFERRERS, 32, async (i) => {
  const link = await (await fetch(`${edge.url}/v1/referrals/link`, { method: "POST", headers: { authorization: `Bearer ${referrers[i]}` } })).json();
  return link.code;
});
// A fixed number of taps (not a duration), so that every tap sent is answered and the clicks
// counted can be compared exactly.
const TAPS = 5_000;
const tapCounts = {};
let nextTap = 0;
const { result: tapResult, cpuMs: tapCpu } = await withCpu(edgePid, () => new Promise((resolve, reject) => {
  autocannon({
    url: `${edge.url}/r/x`,
    connections,
    amount: TAPS,
    requests: [
      {
        method: "GET",
        setupRequest: (req) => ({ ...req, path: `/r/${referralCodes[nextTap++ % REFERRERS]}`, headers: { ...req.headers, "user-agent": `bench-${nextTap % 50}` } }),
        onResponse: (status) => {
          tapCounts[status] = (tapCounts[status] ?? 0) + 1;
        },
      },
    ],
  }, (err, result) => (err ? reject(err) : resolve(result)));
}));
rows.push({ title: `GET /r/{code}, ${TAPS} taps over ${REFERRERS} codes (302; click counted after the answer)`, baseline: "no-op worker: constant", result: tapResult, cpuMs: tapCpu });
// Every answered tap must be counted, exactly: wait for the counts to settle, then add them up.
let clicksCounted = 0;
for (let settled = 0, previous = -1; settled < 3; ) {
  await new Promise((r) => setTimeout(r, 1000));
  const figures = await pooled(REFERRERS, 32, async (i) =>
    (await (await fetch(`${edge.url}/v1/referrals/me`, { headers: { authorization: `Bearer ${referrers[i]}` } })).json()).clicks);
  clicksCounted = figures.reduce((a, b) => a + b, 0);
  settled = clicksCounted === previous ? settled + 1 : 0;
  previous = clicksCounted;
}

// --- a 1,000-order backlog built while the core answers 503, drained after it recovers.
const BACKLOG = 1_000;
stub.setMode("fail", 503);
const backlogMembers = Array.from({ length: BACKLOG }, (_, i) => jwt({ sub: `backlog-${i}`, exp: expiry }, secrets.MEMBER_JWT_SECRET));
const deliveredBefore = stub.deliveries().filter((d) => d.path === "/orders").length;
const backlogStart = Date.now();
await pooled(BACKLOG, 32, (i) => placeOrder(backlogMembers[i], "bench-backlog"));
const backlogPlacedMs = Date.now() - backlogStart;
const outageMs = Date.now() - backlogStart;
stub.setMode("ok");
const recoveredAt = Date.now();
let drainedMs = null;
while (Date.now() - recoveredAt < 300_000) {
  if (stub.deliveries().filter((d) => d.path === "/orders").length - deliveredBefore >= BACKLOG) {
    drainedMs = Date.now() - recoveredAt;
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}

printTable();
console.log(`\ncheck-in answers, 10,000 members: ${JSON.stringify(coldCounts)}; 100 members: ${JSON.stringify(warmCounts)} (201 first of the day, 200 repeat)`);
for (const [id, result] of Object.entries(flash)) {
  console.log(`${id}: answers ${JSON.stringify(result.counts)}; issued ${result.issued} of ${FLASH_STOCK}; over-issued ${result.overIssued}`);
}
console.log(`orders: answers ${JSON.stringify(orderCounts)}`);
console.log(`referral taps: answers ${JSON.stringify(tapCounts)} (302 expected; autocannon counts them as non-2xx); clicks counted ${clicksCounted} of ${TAPS} taps sent`);
console.log(`pickup verifications: answers ${JSON.stringify(verifyCounts)} (each of ${PICKUPS} codes once: 200 expected for all)`);
console.log(`backlog: ${BACKLOG} orders accepted in ${backlogPlacedMs} ms while the core answered 503 (outage ${outageMs} ms); ` +
  (drainedMs === null ? "NOT drained within 300 s" : `all delivered ${drainedMs} ms after the core recovered`) +
  " (outbox retries as in wrangler.toml: from 2 s, doubling, jittered)");
console.log(`core stub received ${stub.stats().unique} unique deliveries (${stub.stats().attempts} attempts)`);

await edge.mf.dispose();
await noop.mf.dispose();
await stub.close();
