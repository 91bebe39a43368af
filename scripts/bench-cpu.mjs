// CPU per request (what Workers bills and limits), behind `scripts/bench cpu`. The runtimes in
// workerd, each its own process: the built worker, the no-op floors, the idiomatic JS check-in
// worker (scripts/capacity-baseline/worker.mjs) plain and with an outbox, and the Rust floors
// (scripts/capacity-baseline/rust: workers-rs built like pharmedge; built here on demand). For each
// scenario: a warm-up (not counted), then a fixed number of requests, and the runtime's
// utime + stime from /proc over exactly those requests. Every scenario runs once per round,
// rounds interleaved, so a busy moment on the machine hits all of them; the table gives the
// median of the rounds and their spread.
//   node scripts/bench-cpu.mjs [rounds, default 3] [requests per scenario, default 1000] [connections, default 16]
//   (verification: at most 300 requests, each needs a ready order made first)
//   BENCH_ONLY=substring  runs the scenarios whose title contains it (and the floors); a|b: either
//   BENCH_AB=dir          also runs another build (a directory inside the checkout, e.g. a copy
//                         of build/ from before a change) beside build/: every pharmedge scenario
//                         on both, back to back, and the per-round ratios B/A
//   BENCH_ASSETS=1        keeps the static-assets router in front of the worker. By default it is
//                         left out: locally Miniflare runs it as JS workers in the same workerd
//                         process, so it adds ~0.25 ms of CPU to every request (measured: /healthz
//                         0.54 with it, 0.32 without, same run); on Workers it is the platform's
//                         router, not the worker's CPU. No measured scenario fetches an asset.
//   BENCH_WARMUP=n        n warm-up requests per scenario and round (default max(100, requests/5);
//                         verification keeps 100): thousands measure the steady state after V8
//                         has tiered the wasm up (Liftoff → TurboFan), not the first minutes of an isolate
//   BENCH_LIMITER=0       leaves out the `[[ratelimits]]` bindings (the worker lets requests through
//                         without them): locally Miniflare runs the limiter as JS in the same
//                         workerd process; on Workers it is the platform's. The floors have none.
//                         BENCH_LIMITER=ab: the B build (BENCH_AB's, else build/ again) runs without
//                         it beside A with it: the limiter's share per scenario, per round
//   BENCH_RUST=0          leaves out the Rust floors (else scripts/capacity-baseline/rust/build.sh
//                         builds them when build/ is missing or older than the crate's sources)
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir, cpus, loadavg } from "node:os";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import crypto from "node:crypto";
import autocannon from "autocannon";
import { Miniflare, Log, LogLevel } from "miniflare";
import { childWorkerds, startEdge, startNoop, startRustFloor, wranglerConfig, ROOT } from "./lib/local-edge.mjs";
import { startCoreStub } from "./core-stub.mjs";

const rounds = Number(process.argv[2] ?? 3);
const requests = Number(process.argv[3] ?? 1000);
const connections = Number(process.argv[4] ?? 16);
const warmup = process.env.BENCH_WARMUP ? Number(process.env.BENCH_WARMUP) : Math.max(100, Math.floor(requests / 5));
const only = process.env.BENCH_ONLY?.split("|");
const limiterAB = process.env.BENCH_LIMITER === "ab";
const withLimiter = process.env.BENCH_LIMITER !== "0";
const withRust = process.env.BENCH_RUST !== "0";
const secrets = Object.fromEntries(
  ["MEMBER_JWT_SECRET", "STAFF_JWT_SECRET", "CORE_SIGNING_SECRET", "EDGE_SIGNING_SECRET", "POSTER_SIGNING_SECRET", "PICKUP_SIGNING_SECRET", "REFERRAL_SECRET"].map((name) => [name, crypto.randomBytes(24).toString("hex")]),
);
const b64 = (v) => Buffer.from(v).toString("base64url");
const jwt = (claims, secret) => {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify(claims));
  return `${head}.${body}.${crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
};
const expiry = Math.floor(Date.now() / 1000) + 7200;
const member = (sub) => jwt({ sub, exp: expiry }, secrets.MEMBER_JWT_SECRET);
const tempDirs = [];
const tempDir = (name) => {
  tempDirs.push(mkdtempSync(join(tmpdir(), `pharmedge-bench-cpu-${name}-`)));
  return tempDirs.at(-1);
};

// --- the runtimes, and their workerd processes (children of this one).
const TICK_MS = 1000 / 100; // USER_HZ
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = fields.slice(fields.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}
async function started(start) {
  const before = new Set(childWorkerds());
  const runtime = await start();
  const pid = childWorkerds().find((p) => !before.has(p));
  if (!pid) throw new Error("no new workerd process");
  return { ...runtime, pid };
}
function startBaseline(vars) {
  return started(async () => {
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(ROOT, "scripts/capacity-baseline/worker.mjs"),
      compatibilityDate: wranglerConfig().compatibility_date,
      bindings: { ...secrets, CORE_BASE_URL: stub.url, ...vars },
      durableObjects: { MEMBER: { className: "Member", useSQLite: true } },
      durableObjectsPersist: tempDir("js"),
      cf: false,
      host: "127.0.0.1",
      port: 0,
      log: new Log(LogLevel.WARN),
    });
    return { mf, url: (await mf.ready).toString().replace(/\/$/, "") };
  });
}
const stub = await startCoreStub({ secret: secrets.EDGE_SIGNING_SECRET });
const unlimited = { MEMBER_WRITES: { limit: 1_000_000_000 }, LINK_TAPS: { limit: 1_000_000_000 } };
const withAssets = process.env.BENCH_ASSETS === "1";
const edgeOptions = { vars: { ...secrets, CORE_BASE_URL: stub.url }, logWarnings: true, ratelimits: unlimited, assets: withAssets, limiter: withLimiter };
const edge = await started(() => startEdge({ persistDir: tempDir("edge"), ...edgeOptions }));
const noop = await started(() => startNoop({ persistDir: tempDir("noop") }));
const js = await startBaseline({});
const jsOutbox = await startBaseline({ BASELINE_OUTBOX: "1", BASELINE_DELIVER: "request" });
// The same job as pharmedge's check-in: both events it forwards (checkin.recorded, points.awarded).
const jsSameJob = await startBaseline({ BASELINE_OUTBOX: "1", BASELINE_DELIVER: "request", BASELINE_EVENTS: "2" });
// The Rust floors: rebuilt when their build is missing or older than the crate (never by scripts/test).
const RUST_CRATE = join(ROOT, "scripts/capacity-baseline/rust");
if (withRust) {
  const built = join(RUST_CRATE, "build/index_bg.wasm");
  const sources = ["src/lib.rs", "Cargo.toml", "Cargo.lock", "build.sh"].map((f) => statSync(join(RUST_CRATE, f)).mtimeMs);
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
    console.error("building the Rust floors (scripts/capacity-baseline/rust/build.sh)");
    execFileSync(join(RUST_CRATE, "build.sh"), { stdio: ["ignore", process.stderr, "inherit"] });
  }
}
const rust = withRust ? await started(() => startRustFloor({ persistDir: tempDir("rust"), vars: { MEMBER_JWT_SECRET: secrets.MEMBER_JWT_SECRET } })) : null;
// BENCH_AB=<a build directory inside the checkout>: that build runs beside build/ and every
// pharmedge scenario runs on both, back to back (a change measured within one run).
const abBuild = process.env.BENCH_AB ?? (limiterAB ? "build" : undefined);
const AB_TAG = " [B]";

/** `amount` requests; `next(i)` gives the i-th request's path/method/headers/body. */
function load(runtime, amount, next) {
  const statuses = {};
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon({
      url: runtime.url,
      connections,
      amount,
      requests: [{
        setupRequest: (req) => ({ ...req, ...next(i++) }),
        onResponse: (status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
      }],
    }, (err, result) => (err ? reject(err) : resolve({ result, statuses })));
  });
}

// --- fixtures.
const WARM = 100;
const warmTokens = Array.from({ length: WARM }, (_, i) => member(`warm-${i}`));
let freshMembers = 0;
const freshToken = () => member(`new-${freshMembers++}`);
const auth = (token, extra = {}) => ({ headers: { authorization: `Bearer ${token}`, ...extra } });
const post = (path, token, body) => ({
  method: "POST", path, ...auth(token, body === undefined ? {} : { "content-type": "application/json" }),
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const coreSignature = (raw) => {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${crypto.createHmac("sha256", secrets.CORE_SIGNING_SECRET).update(`${t}.${raw}`).digest("hex")}`;
};
async function mustFetch(url, init, expected) {
  // A kept-alive socket the runtime closed just as it was reused: once more on a new one.
  const response = await fetch(url, init).catch((err) => {
    if (err?.cause?.code !== "UND_ERR_SOCKET") throw err;
    console.warn(`${init?.method ?? "GET"} ${url}: ${err.cause.message}; sent again`);
    return fetch(url, init);
  });
  if (response.status !== expected) throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status} ${await response.text()}`);
  return response.headers.get("content-type")?.includes("json") ? response.json() : response.text();
}
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
// The warm members have checked in (their objects and tables exist) on every worker.
for (const runtime of [js, jsOutbox, jsSameJob, ...(rust ? [rust] : [])]) await pooled(WARM, 16, (i) => mustFetch(`${runtime.url}/v1/checkins`, { method: "POST", ...auth(warmTokens[i]) }, 201));
const orderBody = (store, fulfilment) => ({ store_id: store, fulfilment, lines: [{ sku: "otc-1", qty: 2 }] });
const STORES = 10;
const marketing = jwt({ sub: "bench-marketing", role: "marketing", exp: expiry }, secrets.STAFF_JWT_SECRET);
/** One pharmedge build's world: warm members, the catalogue (orders are priced from it), a coupon campaign the warm members claim from, their share codes. */
async function prepareEdge(runtime) {
  await pooled(WARM, 16, (i) => mustFetch(`${runtime.url}/v1/checkins`, { method: "POST", ...auth(warmTokens[i]) }, 201));
  const catalogBody = JSON.stringify({ batch_id: "bench-catalog", items: [{ sku: "otc-1", name: "感冒灵", drug_class: "otc_b", price_fen: 1590, version: 1, status: "on_sale" }] });
  await mustFetch(`${runtime.url}/v1/core/catalog`, { method: "POST", headers: { "content-type": "application/json", "core-signature": coreSignature(catalogBody) }, body: catalogBody }, 200);
  await mustFetch(`${runtime.url}/v1/admin/campaigns`, {
    method: "POST",
    headers: { authorization: `Bearer ${marketing}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: "bench-coupon", name: "bench", kind: "coupon", stock: 1_000_000, shards: 1,
      starts_at: new Date(Date.now() - 60_000).toISOString(), ends_at: new Date(Date.now() + 7_200_000).toISOString(),
      coupon: { type: "fixed", value_fen: 500, valid_days: 7 }, limits: { per_member: 100 }, rules_text: "bench",
    }),
  }, 201);
  const referralCodes = await pooled(WARM, 16, async (i) => (await mustFetch(`${runtime.url}/v1/referrals/link`, { method: "POST", ...auth(warmTokens[i]) }, 200)).code);
  /** `count` orders ready for pickup, with a code to show and a clerk of the store to verify it. */
  const readyPickups = (count) => pooled(count, 16, async (i) => {
    const store = `bench-store-${i % STORES}`;
    const token = warmTokens[i % WARM];
    const { order_id: orderId } = await mustFetch(`${runtime.url}/v1/orders`, { method: "POST", ...post("/v1/orders", token, orderBody(store, "pickup")) }, 202);
    const raw = JSON.stringify({
      id: `bench-ready-${orderId}`, type: "order.ready_for_pickup", created_at: new Date().toISOString(),
      data: { order_id: orderId, member_id: `warm-${i % WARM}`, store_id: store, lines: [{ sku: "otc-1", name: "感冒灵", qty: 2, unit_price_fen: 1590, drug_class: "otc_b" }], ready_at: new Date().toISOString() },
    });
    await mustFetch(`${runtime.url}/v1/core/events`, { method: "POST", headers: { "content-type": "application/json", "core-signature": coreSignature(raw) }, body: raw }, 200);
    const shown = await mustFetch(`${runtime.url}/v1/pickups/${orderId}/code`, auth(token), 200);
    return { qr: shown.qr, clerk: jwt({ sub: `clerk-${store}`, role: "clerk", store, exp: expiry }, secrets.STAFF_JWT_SECRET) };
  });
  return { referralCodes, readyPickups };
}

/** The pharmedge scenarios on one build; `tag` marks the A/B build's rows. */
function edgeScenarios(runtime, { referralCodes, readyPickups }, tag = "") {
  return [
    [`GET /healthz${tag}`, runtime, () => ({ method: "GET", path: "/healthz" }), [200]],
    [`POST /v1/checkins: repeat, 100 warm members${tag}`, runtime, (i) => post("/v1/checkins", warmTokens[i % WARM]), [200]],
    [`POST /v1/checkins: a new member each${tag}`, runtime, () => post("/v1/checkins", freshToken()), [201]],
    [`GET /v1/me, 100 warm members${tag}`, runtime, (i) => ({ method: "GET", path: "/v1/me", ...auth(warmTokens[i % WARM]) }), [200]],
    [`POST claims: coupon campaign, 100 warm members${tag}`, runtime, (i) => post("/v1/campaigns/bench-coupon/claims", warmTokens[i % WARM]), [201]],
    [`POST /v1/orders: 100 warm members (a new order object each)${tag}`, runtime, (i) => post("/v1/orders", warmTokens[i % WARM], orderBody("bench-store", "delivery")), [202]],
    [`POST /v1/store/pickups/verify: each ready order once${tag}`, runtime, null, [200], async (amount) => {
      const pickups = await readyPickups(amount);
      return (i) => ({ method: "POST", path: "/v1/store/pickups/verify", ...auth(pickups[i].clerk, { "content-type": "application/json" }), body: JSON.stringify({ code: pickups[i].qr }) });
    }],
    [`GET /r/{code}: 100 warm members' codes (302)${tag}`, runtime, (i) => ({ method: "GET", path: `/r/${referralCodes[i % WARM]}`, headers: { "user-agent": `bench-${i % 50}` } }), [302]],
  ];
}
const edgeWorld = await prepareEdge(edge);
const edgeB = abBuild ? await started(() => startEdge({ main: join(abBuild, "index.js"), persistDir: tempDir("edge-b"), ...edgeOptions, limiter: limiterAB ? false : withLimiter })) : null;
const edgeBWorld = edgeB ? await prepareEdge(edgeB) : null;
// A and B of a scenario run back to back, so a busy moment hits both.
const edgeRows = edgeScenarios(edge, edgeWorld).flatMap((row, i) => (edgeB ? [row, edgeScenarios(edgeB, edgeBWorld, AB_TAG)[i]] : [row]));

// --- the scenarios: [title, runtime, request maker, expected statuses, prepare(amount) -> maker].
const untagged = (row) => row[0].replace(AB_TAG, "");
const edgeRow = (title) => edgeRows.filter((row) => untagged(row) === title);
const SAME_JOB = "JS worker + outbox, both events pharmedge forwards (the same job): check-in, a new member each";
const placed = ["GET /healthz", "POST /v1/checkins: repeat, 100 warm members"];
const RUST_CONSTANT = "Rust floor (workers-rs): constant answer";
const RUST_DO = "Rust floor (workers-rs): no-op DO, one warm object";
const RUST_REPEAT = "Rust floor (workers-rs): repeat check-in, 100 warm members";
const rustRow = (row) => (rust ? [row] : []);
const scenarios = [
  ["no-op worker: constant answer", noop, () => ({ method: "GET", path: "/" }), [200]],
  ...rustRow([RUST_CONSTANT, rust, () => ({ method: "GET", path: "/" }), [200]]),
  ...edgeRow("GET /healthz"),
  ["no-op DO: one warm object", noop, () => ({ method: "GET", path: "/do/one" }), [200]],
  ...rustRow([RUST_DO, rust, () => ({ method: "GET", path: "/do/one" }), [200]]),
  ["no-op DO: one warm object, by JS RPC instead of fetch", noop, () => ({ method: "GET", path: "/do/rpc" }), [200]],
  ["no-op DO: a new object each", noop, () => ({ method: "GET", path: "/do/new" }), [200]],
  ["JS worker: repeat check-in, 100 warm members", js, (i) => post("/v1/checkins", warmTokens[i % WARM]), [200]],
  ...rustRow([RUST_REPEAT, rust, (i) => post("/v1/checkins", warmTokens[i % WARM]), [200]]),
  ...edgeRow("POST /v1/checkins: repeat, 100 warm members"),
  ["JS worker: check-in, a new member each", js, () => post("/v1/checkins", freshToken()), [201]],
  ["JS worker + outbox delivered to the core: check-in, a new member each", jsOutbox, () => post("/v1/checkins", freshToken()), [201]],
  [SAME_JOB, jsSameJob, () => post("/v1/checkins", freshToken()), [201]],
  ...edgeRows.filter((row) => !placed.includes(untagged(row))),
].filter(([title, runtime]) => !only || runtime === noop || runtime === rust || only.some((part) => title.includes(part)));

// Claims: at most 100 per member, so the rounds must fit (warm-up included).
const claimsPerMember = Math.ceil(((rounds + 1) * (requests + warmup)) / WARM);
if (scenarios.some(([title]) => title.startsWith("POST claims")) && claimsPerMember > 100) {
  throw new Error(`claims: ${claimsPerMember} per member over the campaign's 100; fewer rounds or requests`);
}

const samples = new Map(scenarios.map(([title]) => [title, []]));
const unexpected = new Map(scenarios.map(([title]) => [title, {}]));
console.log(`${cpus().length} cores; ${rounds} rounds; ${requests} requests per scenario and round (+${warmup} warm-up); ${connections} connections; static-assets router ${withAssets ? "in front (BENCH_ASSETS=1)" : "left out (not the worker's CPU on Workers; BENCH_ASSETS=1 keeps it)"}; rate limiter ${limiterAB ? "bound in A, left out in B (BENCH_LIMITER=ab)" : withLimiter ? "bound (BENCH_LIMITER=0 leaves it out)" : "left out (BENCH_LIMITER=0)"}; Rust floors ${rust ? "in" : "left out (BENCH_RUST=0)"}; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
for (let round = 0; round < rounds; round++) {
  for (const [title, runtime, maker, expected, prepare] of scenarios) {
    // Each verification needs an order made ready first: fewer of them.
    const [amount, warmAmount] = prepare ? [Math.min(requests, 300), 100] : [requests, warmup];
    const warm = prepare ? await prepare(warmAmount) : maker;
    await load(runtime, warmAmount, warm);
    const next = prepare ? await prepare(amount) : maker;
    await new Promise((r) => setTimeout(r, 300)); // let work after the warm-up's answers settle
    const before = cpuMsOf(runtime.pid);
    const startedAt = performance.now();
    const { result, statuses } = await load(runtime, amount, next);
    const cpuMs = cpuMsOf(runtime.pid) - before;
    const seconds = (performance.now() - startedAt) / 1000;
    const answered = result.requests.total;
    samples.get(title).push({ cpu: cpuMs / answered, rps: answered / seconds, p50: result.latency.p50, p99: result.latency.p99 });
    const odd = unexpected.get(title);
    for (const [status, n] of Object.entries(statuses)) if (!expected.includes(Number(status))) odd[status] = (odd[status] ?? 0) + n;
    if (result.errors) odd.errors = (odd.errors ?? 0) + result.errors;
  }
  console.log(`round ${round + 1} of ${rounds} done; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const floors = { edge: "no-op worker: constant answer" };
console.log(`\n| scenario | CPU ms/req (median) | CPU ms/req (min-max of ${rounds}) | req/s (floor: autocannon ends on its 1 s tick) | p50 ms | p99 ms | unexpected answers |`);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const [title] of scenarios) {
  const runs = samples.get(title);
  const cpu = runs.map((r) => r.cpu);
  const odd = Object.entries(unexpected.get(title)).map(([k, n]) => `${n} × ${k}`).join(", ") || "0";
  console.log(`| ${title} | ${median(cpu).toFixed(2)} | ${Math.min(...cpu).toFixed(2)}-${Math.max(...cpu).toFixed(2)} | ${Math.round(median(runs.map((r) => r.rps)))} | ${median(runs.map((r) => r.p50))} | ${median(runs.map((r) => r.p99))} | ${odd} |`);
}
const ratio = (a, b) => {
  if (!samples.has(a) || !samples.has(b)) return "n/a";
  const pairs = samples.get(a).map((r, i) => r.cpu / samples.get(b)[i].cpu);
  return `${median(pairs).toFixed(2)}x (rounds ${Math.min(...pairs).toFixed(2)}-${Math.max(...pairs).toFixed(2)})`;
};
console.log(`\nratios of CPU per request, per round:`);
console.log(`  /healthz / constant no-op: ${ratio("GET /healthz", floors.edge)}`);
console.log(`  repeat check-in / JS worker: ${ratio("POST /v1/checkins: repeat, 100 warm members", "JS worker: repeat check-in, 100 warm members")}`);
console.log(`  new-member check-in / JS worker: ${ratio("POST /v1/checkins: a new member each", "JS worker: check-in, a new member each")}`);
console.log(`  new-member check-in / JS worker with outbox: ${ratio("POST /v1/checkins: a new member each", "JS worker + outbox delivered to the core: check-in, a new member each")}`);
console.log(`  new-member check-in / JS worker doing the same job: ${ratio("POST /v1/checkins: a new member each", SAME_JOB)}`);
if (rust) {
  // The gap to JS split: toolchain (Rust floor / JS floor), then ours over the Rust floor.
  console.log(`  Rust constant / JS constant (toolchain): ${ratio(RUST_CONSTANT, floors.edge)}`);
  console.log(`  /healthz / Rust constant (ours): ${ratio("GET /healthz", RUST_CONSTANT)}`);
  console.log(`  Rust no-op DO / JS no-op DO (toolchain): ${ratio(RUST_DO, "no-op DO: one warm object")}`);
  console.log(`  Rust repeat check-in / JS worker (toolchain): ${ratio(RUST_REPEAT, "JS worker: repeat check-in, 100 warm members")}`);
  console.log(`  repeat check-in / Rust repeat check-in (ours): ${ratio("POST /v1/checkins: repeat, 100 warm members", RUST_REPEAT)}`);
}
if (edgeB) {
  console.log(`\nA/B: ${abBuild}${limiterAB ? " without the rate limiter" : ""} [B] over build/ [A], CPU per request, per round:`);
  for (const [title] of scenarios.filter(([t]) => t.endsWith(AB_TAG))) {
    console.log(`  ${title.replace(AB_TAG, "")}: ${ratio(title, title.replace(AB_TAG, ""))}`);
  }
}
for (const dir of ["build", ...(abBuild && abBuild !== "build" ? [abBuild] : []), ...(rust ? ["scripts/capacity-baseline/rust/build"] : [])]) {
  const wasmPath = join(ROOT, dir, "index_bg.wasm");
  const gzipped = execFileSync("sh", ["-c", `gzip -9 -c "${wasmPath}" | wc -c`], { encoding: "utf8" }).trim();
  console.log(`wasm (${dir}): ${readFileSync(wasmPath).length} bytes raw, ${gzipped} bytes gzip -9`);
}

for (const runtime of [edge, noop, js, jsOutbox, jsSameJob, ...(edgeB ? [edgeB] : []), ...(rust ? [rust] : [])]) await runtime.mf.dispose();
await stub.close();
// Thousands of objects' databases: hundreds of MB per run.
for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
