// Cold start, behind `scripts/bench cold`: what a fresh isolate costs before it answers like a warm
// one. V8 compiles a wasm function, whole, the first time it is called (Liftoff), so a cold
// isolate's first request pays for the size of every function its path touches; Workers starts
// isolates on demand and evicts idle ones, so a member's first tap after a quiet spell meets it.
// For each runtime and scenario, `samples` times: a new workerd process, then three requests of
// the scenario one after another. Per request: the wall time to the answer, and the process's CPU
// from just before it until its work after the answer (the outbox delivery) has settled, read
// from /proc/<pid>/task/*/schedstat (ns). Cold extra = 1st − 3rd request's CPU.
// Scenarios (BENCH_COLD=checkin,me,r,claim keeps some; default all):
//   checkin  empty storage; three new members' first check-ins (every runtime)
//   me       three members checked in, the runtime restarted on that storage; GET /v1/me of each
//   r        three members' share codes made, restarted; a tap on each /r/{code} (302)
//   claim    a coupon campaign made, restarted; three members claim (201)
// The restarted scenarios meet a cold isolate with objects already on disk, as after an eviction.
// Startup: CPU from spawning workerd to its readiness (Miniflare's own services included, so
// compare runtimes, not absolutes). Runtimes: build/, each build in BENCH_AB (a comma-separated
// list of build dirs inside the checkout), the idiomatic JS worker doing the same job
// (scripts/capacity-baseline/worker.mjs with its outbox and both events) and the workers-rs floor
// when built (no outbox), these two for check-ins only. Samples interleave the runtimes; each
// A/B build's cold extra and 1st request's CPU are also given as ratios to build/'s in the same sample.
//   node scripts/bench-cold.mjs [samples, default 5]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import crypto from "node:crypto";
import { Miniflare, Log, LogLevel } from "miniflare";
import { childWorkerds, startEdge, startRustFloor, wranglerConfig, ROOT } from "./lib/local-edge.mjs";
import { startCoreStub } from "./core-stub.mjs";

const samples = Number(process.argv[2] ?? 5);
const SETTLE_MS = 500;
const secrets = Object.fromEntries(
  ["MEMBER_JWT_SECRET", "STAFF_JWT_SECRET", "CORE_SIGNING_SECRET", "EDGE_SIGNING_SECRET", "POSTER_SIGNING_SECRET", "PICKUP_SIGNING_SECRET", "REFERRAL_SECRET"].map((name) => [name, crypto.randomBytes(24).toString("hex")]),
);
const b64 = (v) => Buffer.from(v).toString("base64url");
function jwt(claims, secret) {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 7200, ...claims }));
  return `${head}.${body}.${crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
}
const memberToken = (sub) => jwt({ sub }, secrets.MEMBER_JWT_SECRET);
const marketing = jwt({ sub: "cold-marketing", role: "marketing" }, secrets.STAFF_JWT_SECRET);

/** CPU ms of every thread of the process so far (ns resolution, unlike /proc/<pid>/stat's ticks). */
function cpuMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return ns / 1e6;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

const stub = await startCoreStub({ secret: secrets.EDGE_SIGNING_SECRET });
const unlimited = { MEMBER_WRITES: { limit: 1_000_000_000 }, LINK_TAPS: { limit: 1_000_000_000 } };
const edgeOptions = { vars: { ...secrets, CORE_BASE_URL: stub.url }, logWarnings: true, ratelimits: unlimited, assets: false };
const startJsSameJob = async ({ persistDir }) => {
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, "scripts/capacity-baseline/worker.mjs"),
    compatibilityDate: wranglerConfig().compatibility_date,
    bindings: { ...secrets, CORE_BASE_URL: stub.url, BASELINE_OUTBOX: "1", BASELINE_DELIVER: "request", BASELINE_EVENTS: "2" },
    durableObjects: { MEMBER: { className: "Member", useSQLite: true } },
    durableObjectsPersist: persistDir,
    cf: false,
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
  });
  return { mf, url: (await mf.ready).toString().replace(/\/$/, "") };
};
const builds = ["build", ...(process.env.BENCH_AB ? process.env.BENCH_AB.split(",").filter(Boolean) : [])];
const edge = (dir) => (persistDir) => startEdge({ persistDir, ...(dir === "build" ? {} : { main: join(dir, "index.js") }), ...edgeOptions });
const runtimes = [
  ...builds.map((dir) => ({ name: `pharmedge (${dir}/)`, start: edge(dir), edge: true })),
  { name: "JS worker doing the same job", start: (persistDir) => startJsSameJob({ persistDir }) },
  ...(existsSync(join(ROOT, "scripts/capacity-baseline/rust/build/index_bg.wasm"))
    ? [{ name: "Rust floor (workers-rs, no outbox)", start: (persistDir) => startRustFloor({ persistDir, vars: { MEMBER_JWT_SECRET: secrets.MEMBER_JWT_SECRET } }) }]
    : []),
];

async function must(url, init, status) {
  const response = await fetch(url, { redirect: "manual", ...init });
  const text = await response.text();
  if (response.status !== status) throw new Error(`${init?.method ?? "GET"} ${url}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
const auth = (token) => ({ headers: { authorization: `Bearer ${token}` } });
let members = 0;
const freshMembers = () => [0, 1, 2].map(() => `cold-${process.pid}-${members++}`);
/** A scenario: `prepare(url)` (on a first runtime, then restarted; none: empty storage) returns what `request(url, i, prepared)` needs. */
const SCENARIOS = {
  checkin: {
    title: "POST /v1/checkins, a new member each (empty storage)",
    everyRuntime: true,
    prepare: null,
    request: (url, i, ids) => must(`${url}/v1/checkins`, { method: "POST", ...auth(memberToken(ids[i])) }, 201),
  },
  me: {
    title: "GET /v1/me, members checked in before the restart",
    prepare: async (url, ids) => {
      for (const id of ids) await must(`${url}/v1/checkins`, { method: "POST", ...auth(memberToken(id)) }, 201);
    },
    request: (url, i, ids) => must(`${url}/v1/me`, auth(memberToken(ids[i])), 200),
  },
  r: {
    title: "GET /r/{code}, codes made before the restart (302)",
    prepare: async (url, ids) => {
      const codes = [];
      for (const id of ids) codes.push((await must(`${url}/v1/referrals/link`, { method: "POST", ...auth(memberToken(id)) }, 200)).code);
      return codes;
    },
    request: (url, i, ids, codes) => must(`${url}/r/${codes[i]}`, { headers: { "user-agent": `cold-visitor-${i}` } }, 302),
  },
  claim: {
    title: "POST claims, a campaign made before the restart (201)",
    prepare: async (url) => {
      const body = {
        id: "cold-coupon", name: "cold", kind: "coupon", stock: 1000, shards: 1,
        starts_at: new Date(Date.now() - 60_000).toISOString(), ends_at: new Date(Date.now() + 7_200_000).toISOString(),
        coupon: { type: "fixed", value_fen: 500, valid_days: 7 }, limits: { per_member: 1 }, rules_text: "cold",
      };
      await must(`${url}/v1/admin/campaigns`, { method: "POST", headers: { authorization: `Bearer ${marketing}`, "content-type": "application/json" }, body: JSON.stringify(body) }, 201);
    },
    request: (url, i, ids) => must(`${url}/v1/campaigns/cold-coupon/claims`, { method: "POST", ...auth(memberToken(ids[i])) }, 201),
  },
};
const chosen = (process.env.BENCH_COLD ?? Object.keys(SCENARIOS).join(",")).split(",").filter((key) => SCENARIOS[key]);

/** One sample of one runtime in one scenario: startup CPU, then per request wall and CPU ms. */
async function sample(runtime, scenario) {
  const persistDir = mkdtempSync(join(tmpdir(), "pharmedge-bench-cold-"));
  try {
    const ids = freshMembers();
    let prepared;
    if (scenario.prepare) {
      const first = await runtime.start(persistDir);
      prepared = await scenario.prepare(first.url, ids);
      await sleep(SETTLE_MS);
      await first.mf.dispose();
    }
    const before = new Set(childWorkerds());
    const started = await runtime.start(persistDir);
    const pid = childWorkerds().find((p) => !before.has(p));
    if (!pid) throw new Error(`${runtime.name}: no new workerd process`);
    const result = { startup: cpuMs(pid), wall: [], cpu: [] };
    await sleep(SETTLE_MS);
    for (let i = 0; i < 3; i++) {
      const cpuBefore = cpuMs(pid);
      const sent = performance.now();
      await scenario.request(started.url, i, ids, prepared);
      result.wall.push(performance.now() - sent);
      await sleep(SETTLE_MS);
      result.cpu.push(cpuMs(pid) - cpuBefore);
    }
    await started.mf.dispose();
    return result;
  } finally {
    rmSync(persistDir, { recursive: true, force: true });
  }
}

const rows = new Map(); // `${scenario}|${runtime}` -> samples
console.log(`${samples} samples, runtimes interleaved; scenarios ${chosen.join(", ")}; load ${load()}`);
for (let s = 0; s < samples; s++) {
  for (const key of chosen) {
    for (const runtime of runtimes) {
      if (!runtime.edge && !SCENARIOS[key].everyRuntime) continue;
      const id = `${key}|${runtime.name}`;
      if (!rows.has(id)) rows.set(id, []);
      rows.get(id).push(await sample(runtime, SCENARIOS[key]));
    }
  }
  console.log(`sample ${s + 1} of ${samples} done; load ${load()}`);
}
await stub.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cell = (values, digits = 1) => `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;
console.log(`\nmedian (min-max) of ${samples}; CPU ms of the whole workerd process, settled ${SETTLE_MS} ms after each answer; load at the end ${load()}`);
for (const key of chosen) {
  console.log(`\n${SCENARIOS[key].title}`);
  console.log("| runtime | startup CPU | 1st: wall | 1st: CPU | 2nd: CPU | 3rd: wall | 3rd: CPU | cold extra CPU (1st − 3rd) | cold extra, this / build/ per sample | 1st CPU, this / build/ per sample |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const base = rows.get(`${key}|${runtimes[0].name}`);
  for (const runtime of runtimes) {
    const results = rows.get(`${key}|${runtime.name}`);
    if (!results) continue;
    const extra = results.map((r) => r.cpu[0] - r.cpu[2]);
    const ratios = runtime === runtimes[0] ? [] : results.map((r, i) => (r.cpu[0] - r.cpu[2]) / (base[i].cpu[0] - base[i].cpu[2]));
    // The 1st request alone: no subtraction of a second noisy figure.
    const firsts = runtime === runtimes[0] ? [] : results.map((r, i) => r.cpu[0] / base[i].cpu[0]);
    const of = (pick) => results.map(pick);
    console.log(
      `| ${runtime.name} | ${cell(of((r) => r.startup))} | ${cell(of((r) => r.wall[0]))} | ${cell(of((r) => r.cpu[0]))} | ${cell(of((r) => r.cpu[1]))} | ${cell(of((r) => r.wall[2]))} | ${cell(of((r) => r.cpu[2]))} | ${cell(extra)} | ${ratios.length ? `${cell(ratios, 2)}x` : ""} | ${firsts.length ? `${cell(firsts, 2)}x` : ""} |`,
    );
  }
}
console.log("");
for (const dir of builds) {
  const wasm = readFileSync(join(ROOT, dir, "index_bg.wasm"));
  console.log(`wasm (${dir}/): ${wasm.length} bytes raw, ${(await import("node:zlib")).gzipSync(wasm, { level: 9 }).length} bytes gzip (zlib level 9)`);
}
