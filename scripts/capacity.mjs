// Capacity probe (not a test): distinct NEW members checking in at full speed on one fresh
// local runtime (the built worker in workerd through Miniflare, a new persist dir), or, with
// --burst, coupon claims by distinct members at high concurrency, each retried with the same
// Idempotency-Key while the answer says to retry. Prints the answers by status, 5xx, elapsed,
// req/s and the workerd process's RSS; exits 1 on any 5xx (or any unsettled claim).
//   node scripts/capacity.mjs [--members 10000] [--connections 16] [--max-seconds 600]
//   node scripts/capacity.mjs --burst [--claims 1000] [--connections 200] [--stock 500]
//   add --url http://127.0.0.1:8787 to aim at a running runtime (e.g. scripts/dev); its member
//   and staff secrets are then read from .dev.vars.
//   add --baseline to run the JS comparison worker (scripts/capacity-baseline/worker.mjs) in the
//   same Miniflare instead of build/, with --var NAME=VALUE for its knobs (repeatable).
// Every second it samples workerd's open file descriptors (3 per open SQLite database, so a
// count of open objects) and prints them with the progress and at the first failure.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import crypto from "node:crypto";
import http from "node:http";
import { Miniflare, Log, LogLevel } from "miniflare";
import { startEdge, wranglerConfig, ROOT } from "./lib/local-edge.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const burst = args.includes("--burst");
const members = Number(option("members", 10_000));
const claims = Number(option("claims", 1_000));
const stock = Number(option("stock", Math.floor(claims / 2)));
const connections = Number(option("connections", burst ? 200 : 16));
const maxSeconds = Number(option("max-seconds", 600));
const targetUrl = option("url", null);
const baseline = args.includes("--baseline");
const baselineVars = Object.fromEntries(args.flatMap((a, i) => (a === "--var" ? [args[i + 1].split("=", 2)] : [])));
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_ATTEMPTS = 20; // per claim, retries included

const secretNames = ["MEMBER_JWT_SECRET", "STAFF_JWT_SECRET", "CORE_SIGNING_SECRET", "EDGE_SIGNING_SECRET", "POSTER_SIGNING_SECRET", "PICKUP_SIGNING_SECRET", "REFERRAL_SECRET"];
const secrets = targetUrl
  ? Object.fromEntries(readFileSync(join(ROOT, ".dev.vars"), "utf8").split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]))
  : Object.fromEntries(secretNames.map((name) => [name, crypto.randomBytes(24).toString("hex")]));

const b64 = (v) => Buffer.from(v).toString("base64url");
const jwt = (claimsSet, secret) => {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify(claimsSet));
  return `${head}.${body}.${crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
};
const expiry = Math.floor(Date.now() / 1000) + 3600;
const run = crypto.randomBytes(4).toString("hex");
const memberToken = (sub) => jwt({ sub, exp: expiry, iat: expiry - 3600 }, secrets.MEMBER_JWT_SECRET);

// workerd's own log: SQLITE_NOMEM lines are counted, and only the first few are shown.
let nomemLines = 0;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    const text = String(chunk);
    if (text.includes("SQLITE_NOMEM") && !text.startsWith("5xx:") && ++nomemLines > 3) return true;
    // Repeated stacks and "object call failed" after a failure: counted in the statuses.
    if (nomemLines > 3 && (text.startsWith("stack:") || text.includes("object call failed") || text.includes("failed: unavailable"))) return true;
    return write(chunk, ...rest);
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
function send(base, method, path, headers, payload) {
  return new Promise((resolve) => {
    const request = http.request(`${base}${path}`, { method, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", (err) => resolve({ status: `socket:${err.code ?? err.message}` }));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", (err) => resolve({ status: `socket:${err.code ?? err.message}` }));
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

/** The workerd processes under this one (Miniflare starts it as a child), with RSS in KiB. */
function workerdProcesses() {
  try {
    const rows = execFileSync("ps", ["-eo", "pid=,ppid=,rss=,comm="], { encoding: "utf8" })
      .trim().split("\n").map((l) => l.trim().split(/\s+/)).map(([pid, ppid, rss, comm]) => ({ pid: +pid, ppid: +ppid, rss: +rss, comm }));
    const mine = new Set([process.pid]);
    for (let changed = true; changed;) {
      changed = false;
      for (const row of rows) if (mine.has(row.ppid) && !mine.has(row.pid)) (mine.add(row.pid), (changed = true));
    }
    return rows.filter((r) => mine.has(r.pid) && r.comm.includes("workerd"));
  } catch {
    return [];
  }
}
function workerdRss() {
  const workerd = workerdProcesses();
  return workerd.length ? `${(workerd.reduce((s, r) => s + r.rss, 0) / 1024).toFixed(0)} MiB (pid ${workerd.map((r) => r.pid).join(",")})` : "n/a";
}
/** Open file descriptors of workerd: each open SQLite database holds 3 (db, WAL, shm). */
let workerdPid = null;
function workerdFds() {
  try {
    workerdPid ??= workerdProcesses()[0]?.pid ?? null;
    return workerdPid ? readdirSync(`/proc/${workerdPid}/fd`).length : null;
  } catch {
    return null;
  }
}

/** Runs `count` jobs on `connections` workers; stops taking new jobs after maxSeconds. */
async function pool(count, job) {
  let next = 0;
  const deadline = Date.now() + maxSeconds * 1000;
  let timedOut = false;
  const worker = async () => {
    while (next < count) {
      if (Date.now() > deadline) return void (timedOut = true);
      await job(next++);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return timedOut;
}

const persistDir = targetUrl ? null : mkdtempSync(join(tmpdir(), "pharmedge-capacity-"));
/**
 * The core stub in a process of its own, as the real core is: in the load generator's own
 * event loop it answers late under full load, and every member object waiting on a delivery
 * stays open meanwhile, which is the local runtime's limit (README, "Capacity").
 */
async function startStubProcess() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(ROOT, "scripts/core-stub"), String(port)], {
    env: { ...process.env, EDGE_SIGNING_SECRET: secrets.EDGE_SIGNING_SECRET },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 600; tries++) {
    const up = await fetch(`${url}/_stub/stats`).then((r) => r.ok, () => false);
    if (up) return { url, close: async () => child.kill("SIGTERM") };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("the core stub did not start");
}
const stub = targetUrl ? null : await startStubProcess();
async function startBaseline() {
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(ROOT, "scripts/capacity-baseline/worker.mjs"),
    compatibilityDate: wranglerConfig().compatibility_date,
    bindings: { ...secrets, CORE_BASE_URL: stub.url, ...baselineVars },
    durableObjects: { MEMBER: { className: "Member", useSQLite: true } },
    durableObjectsPersist: persistDir,
    cf: false,
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
  });
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, "") };
}
const edge = targetUrl ? null : baseline ? await startBaseline() : await startEdge({ persistDir, vars: { ...secrets, CORE_BASE_URL: stub.url }, logWarnings: true });
const base = targetUrl ?? edge.url;
const counts = {};
const count = (status) => (counts[status] = (counts[status] ?? 0) + 1);
let firstFailure = null;
let socketRetries = 0;
let failed = false;
const started = Date.now();
let fds = null, maxFds = 0, ticks = 0;
const progress = setInterval(() => {
  fds = workerdFds();
  maxFds = Math.max(maxFds, fds ?? 0);
  if (++ticks % 5 === 0) console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(counts)} workerd RSS ${workerdRss()}, fds ${fds}`);
}, 1000);

if (!burst) {
  console.log(`capacity: ${members} new members check in at ${connections} connections on ${base}${baseline ? ` (JS baseline ${JSON.stringify(baselineVars)})` : ""}; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  const timedOut = await pool(members, async (i) => {
    const headers = { authorization: `Bearer ${memberToken(`cap-${run}-${i}`)}` };
    let answer = await send(base, "POST", "/v1/checkins", headers);
    // A kept-alive socket the runtime closed as we wrote on it: a client artefact, and a
    // check-in is safe to repeat (same day: 200 already_checked_in), so try again.
    for (let retry = 0; retry < 3 && String(answer.status).startsWith("socket:"); retry++) {
      socketRetries += 1;
      answer = await send(base, "POST", "/v1/checkins", headers);
    }
    count(answer.status);
    if (firstFailure === null && answer.status !== 201) firstFailure = { member: i, status: answer.status, fds: workerdFds(), seconds: (Date.now() - started) / 1000, body: answer.text?.slice(0, 200) };
  });
  failed = timedOut || Object.keys(counts).some((s) => s !== "201");
  if (failed && args.includes("--probe-recovery")) {
    // Does the runtime come back by itself once the load stops (objects evicted)?
    for (const pause of [15, 45]) {
      await new Promise((r) => setTimeout(r, pause * 1000));
      const probe = {};
      for (let i = 0; i < 20; i++) {
        const answer = await send(base, "POST", "/v1/checkins", { authorization: `Bearer ${memberToken(`probe-${run}-${pause}-${i}`)}` });
        probe[answer.status] = (probe[answer.status] ?? 0) + 1;
      }
      console.log(`after ${pause} s more idle, 20 new members: ${JSON.stringify(probe)}; workerd RSS ${workerdRss()}`);
    }
  }
  if (timedOut) console.log(`stopped after ${maxSeconds} s`);
  if (stub && (!baseline || baselineVars.BASELINE_OUTBOX === "1")) {
    // Every check-in answered 201 queued one `checkin.recorded`: the core hears each once.
    const heardOf = async () => {
      const [unique, attempts] = await Promise.all(["deliveries", "attempts"].map((what) =>
        fetch(`${stub.url}/_stub/${what}?type=checkin.recorded`).then((r) => r.json()).then((answer) => answer[what].length)));
      return { unique, attempts, rejectedSignatures: (await (await fetch(`${stub.url}/_stub/stats`)).json()).rejectedSignatures };
    };
    const wanted = counts[201] ?? 0;
    let heard = await heardOf();
    for (let waited = 0; heard.unique < wanted && waited < 60; waited++) {
      await new Promise((r) => setTimeout(r, 1000));
      heard = await heardOf();
    }
    console.log(`core heard ${heard.unique} distinct checkin.recorded for ${wanted} check-ins answered 201, in ${heard.attempts} attempts (${heard.attempts - heard.unique} repeated, same Idempotency-Key), ${heard.rejectedSignatures} bad signatures`);
    if (heard.unique !== wanted || heard.rejectedSignatures) failed = true;
  }
} else {
  const marketing = jwt({ sub: "cap-mkt", role: "marketing", exp: expiry }, secrets.STAFF_JWT_SECRET);
  const id = `cap-${run}`;
  const now = Date.now();
  const config = {
    id, name: `capacity ${id}`, kind: "flash_sale",
    starts_at: new Date(now - 60_000).toISOString(), ends_at: new Date(now + 3_600_000).toISOString(),
    stock, coupon: { type: "threshold", value_fen: 2000, min_spend_fen: 19900, valid_days: 30 },
    limits: { per_member: 1 }, rules_text: "每人限领1张，满199减20",
  };
  const created = await send(base, "POST", "/v1/admin/campaigns", { authorization: `Bearer ${marketing}`, "content-type": "application/json", "idempotency-key": `create-${id}` }, JSON.stringify(config));
  if (created.status !== 201) throw new Error(`campaign not created: ${created.status} ${created.text}`);
  console.log(`burst: ${claims} members claim from ${id} (stock ${stock}) at ${connections} connections on ${base}`);
  const settled = {}; // final status per claimant
  const coupons = new Map(); // member -> coupon id of the first 201
  let retries = 0, unusableRetry = 0, replayMismatch = 0;
  const timedOut = await pool(claims, async (i) => {
    const member = `cap-${run}-${i}`;
    const headers = { authorization: `Bearer ${memberToken(member)}`, "content-type": "application/json", "idempotency-key": `claim-${member}` };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const answer = await send(base, "POST", `/v1/campaigns/${id}/claims`, headers, "{}");
      count(answer.status);
      const retryable = answer.status === 503 || answer.status === 429 || String(answer.status).startsWith("socket:");
      if (!retryable) {
        settled[member] = answer.status;
        if (answer.status === 201) coupons.set(member, JSON.parse(answer.text).coupon?.coupon_id ?? JSON.parse(answer.text).coupon_id);
        break;
      }
      if (firstFailure === null) firstFailure = { member, status: answer.status, type: answer.headers?.["content-type"], retryAfter: answer.headers?.["retry-after"], body: answer.text?.slice(0, 200) };
      const retryAfter = Number(answer.headers?.["retry-after"]);
      const problem = String(answer.headers?.["content-type"] ?? "").startsWith("application/problem+json");
      if (!String(answer.status).startsWith("socket:") && (!problem || !Number.isFinite(retryAfter))) unusableRetry += 1;
      retries += 1;
      await new Promise((r) => setTimeout(r, (Number.isFinite(retryAfter) ? retryAfter : 1) * 1000 * (0.5 + Math.random())));
    }
  });
  // Every issued coupon replays as the same coupon.
  for (const [member, coupon] of [...coupons].slice(0, 200)) {
    const answer = await send(base, "POST", `/v1/campaigns/${id}/claims`, { authorization: `Bearer ${memberToken(member)}`, "content-type": "application/json", "idempotency-key": `claim-${member}` }, "{}");
    const replayed = answer.status === 201 ? JSON.parse(answer.text).coupon?.coupon_id ?? JSON.parse(answer.text).coupon_id : null;
    if (replayed !== coupon) replayMismatch += 1;
  }
  const view = JSON.parse((await send(base, "GET", `/v1/admin/campaigns/${id}`, { authorization: `Bearer ${marketing}` })).text);
  const byFinal = {};
  for (const status of Object.values(settled)) byFinal[status] = (byFinal[status] ?? 0) + 1;
  const unsettled = claims - Object.keys(settled).length;
  console.log(`settled by final status: ${JSON.stringify(byFinal)}; unsettled after ${MAX_ATTEMPTS} attempts: ${unsettled}`);
  console.log(`retries: ${retries} (without a problem+json Retry-After: ${unusableRetry}); replays that differ: ${replayMismatch}`);
  console.log(`campaign stats: issued ${view.stats?.issued}, remaining ${view.stats?.remaining}; coupons answered: ${coupons.size}`);
  const expectedIssued = Math.min(stock, claims);
  const wrongFinal = Object.keys(byFinal).filter((s) => s !== "201" && s !== "409").length > 0;
  failed = timedOut || wrongFinal || unsettled > 0 || replayMismatch > 0 || unusableRetry > 0 || view.stats?.issued !== coupons.size || coupons.size !== expectedIssued;
}

clearInterval(progress);
const elapsed = (Date.now() - started) / 1000;
const answered = Object.values(counts).reduce((a, b) => a + b, 0);
const fivexx = Object.entries(counts).filter(([s]) => s.startsWith("5")).reduce((a, [, n]) => a + n, 0);
console.log(`answered by status: ${JSON.stringify(counts)}${burst ? "" : `; socket resets retried: ${socketRetries}`}`);
console.log(`5xx: ${fivexx}; SQLITE_NOMEM log lines: ${nomemLines}; elapsed ${elapsed.toFixed(1)} s; ${(answered / elapsed).toFixed(0)} req/s`);
console.log(`workerd RSS at the end: ${workerdRss()}; open fds: ${workerdFds()} (most seen ${maxFds}); load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
if (firstFailure) console.log(`first failure: ${JSON.stringify(firstFailure)}`);
if (edge) await edge.mf.dispose();
if (stub) await stub.close?.();
if (persistDir) rmSync(persistDir, { recursive: true, force: true });
agent.destroy();
// In a burst a problem+json 503 with Retry-After is an answer the client acts on (checked above).
process.exit((!burst && fivexx > 0) || failed ? 1 : 0);
