// Cold start, behind `scripts/bench cold`: what a fresh isolate costs before it answers like a warm
// one, which is where the wasm's size shows (V8 compiles a wasm function when it first runs;
// Workers starts isolates on demand and evicts idle ones). For each runtime, `samples` times: a
// new workerd process with empty storage, then three check-ins of new members one after another
// (the first request a member makes is as likely as any to meet a cold isolate). Per check-in:
// the wall time to the answer, and the process's CPU from just before it until its work after
// the answer (the outbox delivery) has settled, read from /proc/<pid>/task/*/schedstat (ns).
// Startup: the CPU from spawning workerd to its first readiness (Miniflare's own services
// included, so compare runtimes, not absolutes). Runtimes: build/ (and BENCH_AB's build beside
// it), the idiomatic JS worker doing the same job (scripts/capacity-baseline/worker.mjs with its
// outbox and both events), and the workers-rs floor when built (its check-in has no outbox).
//   node scripts/bench-cold.mjs [samples, default 5]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import crypto from "node:crypto";
import { Miniflare, Log, LogLevel } from "miniflare";
import { startEdge, startRustFloor, wranglerConfig, ROOT } from "./lib/local-edge.mjs";
import { startCoreStub } from "./core-stub.mjs";

const samples = Number(process.argv[2] ?? 5);
const SETTLE_MS = 500;
const secrets = Object.fromEntries(
  ["MEMBER_JWT_SECRET", "STAFF_JWT_SECRET", "CORE_SIGNING_SECRET", "EDGE_SIGNING_SECRET", "POSTER_SIGNING_SECRET", "PICKUP_SIGNING_SECRET", "REFERRAL_SECRET"].map((name) => [name, crypto.randomBytes(24).toString("hex")]),
);
const b64 = (v) => Buffer.from(v).toString("base64url");
function memberToken(sub) {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 7200 }));
  return `${head}.${body}.${crypto.createHmac("sha256", secrets.MEMBER_JWT_SECRET).update(`${head}.${body}`).digest("base64url")}`;
}

function workerds() {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.includes("(workerd)") && Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid;
    } catch {
      return false;
    }
  });
}
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
const runtimes = [
  ["pharmedge (build/)", (persistDir) => startEdge({ persistDir, ...edgeOptions }), 201],
  ...(process.env.BENCH_AB ? [[`pharmedge (${process.env.BENCH_AB})`, (persistDir) => startEdge({ persistDir, main: join(process.env.BENCH_AB, "index.js"), ...edgeOptions }), 201]] : []),
  ["JS worker doing the same job", (persistDir) => startJsSameJob({ persistDir }), 201],
  ...(existsSync(join(ROOT, "scripts/capacity-baseline/rust/build/index_bg.wasm"))
    ? [["Rust floor (workers-rs, no outbox)", (persistDir) => startRustFloor({ persistDir, vars: { MEMBER_JWT_SECRET: secrets.MEMBER_JWT_SECRET } }), 201]]
    : []),
];

const CHECKINS = ["1st", "2nd", "3rd"];
const results = new Map(runtimes.map(([name]) => [name, { startup: [], wall: CHECKINS.map(() => []), cpu: CHECKINS.map(() => []) }]));
let members = 0;
console.log(`${samples} samples per runtime, rounds interleaved; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
for (let sample = 0; sample < samples; sample++) {
  for (const [name, start, expected] of runtimes) {
    const persistDir = mkdtempSync(join(tmpdir(), "pharmedge-bench-cold-"));
    const before = new Set(workerds());
    const runtime = await start(persistDir);
    const pid = workerds().find((p) => !before.has(p));
    if (!pid) throw new Error(`${name}: no new workerd process`);
    const result = results.get(name);
    result.startup.push(cpuMs(pid));
    await sleep(SETTLE_MS);
    for (let i = 0; i < CHECKINS.length; i++) {
      const cpuBefore = cpuMs(pid);
      const sent = performance.now();
      const response = await fetch(`${runtime.url}/v1/checkins`, { method: "POST", headers: { authorization: `Bearer ${memberToken(`cold-${members++}`)}` } });
      const wall = performance.now() - sent;
      if (response.status !== expected) throw new Error(`${name}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
      await sleep(SETTLE_MS);
      result.wall[i].push(wall);
      result.cpu[i].push(cpuMs(pid) - cpuBefore);
    }
    await runtime.mf.dispose();
    rmSync(persistDir, { recursive: true, force: true });
  }
  console.log(`sample ${sample + 1} of ${samples} done; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}
await stub.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cell = (values) => `${median(values).toFixed(1)} (${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)})`;
console.log(`\nmedian (min-max) of ${samples}; CPU of the whole workerd process, settled ${SETTLE_MS} ms after each answer`);
console.log(`| runtime | startup CPU ms | ${CHECKINS.map((n) => `${n} check-in: wall ms | CPU ms`).join(" | ")} | cold extra CPU ms (1st − 3rd) |`);
console.log(`|---|---:|${CHECKINS.map(() => "---:|---:").join("|")}|---:|`);
for (const [name] of runtimes) {
  const { startup, wall, cpu } = results.get(name);
  const extra = cpu[0].map((first, i) => first - cpu[2][i]);
  console.log(`| ${name} | ${cell(startup)} | ${CHECKINS.map((_, i) => `${cell(wall[i])} | ${cell(cpu[i])}`).join(" | ")} | ${cell(extra)} |`);
}
for (const dir of ["build", ...(process.env.BENCH_AB ? [process.env.BENCH_AB] : [])]) {
  console.log(`wasm (${dir}): ${readFileSync(join(ROOT, dir, "index_bg.wasm")).length} bytes raw`);
}
