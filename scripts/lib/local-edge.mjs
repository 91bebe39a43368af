// Starts the built worker (build/) in workerd through Miniflare, with the bindings that
// wrangler.toml declares. Shared by the end-to-end tests and the benchmark.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Miniflare, Log, LogLevel } from "miniflare";
import { parse as parseToml } from "smol-toml";

export const ROOT = new URL("../../", import.meta.url).pathname;

export function wranglerConfig() {
  return parseToml(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
}

/**
 * vars: extra/overriding string bindings (secrets included). ratelimits: overrides of the
 * `[[ratelimits]]` limits by binding name (e.g. a benchmark that replays one member).
 * main: another build's entry under the checkout (a benchmark's A/B), instead of wrangler.toml's.
 * assets: false leaves out the static-assets router (see scripts/bench-cpu.mjs: locally it runs in
 * the same workerd process and costs every request ~0.25 ms of CPU that Workers does not bill).
 * limiter: false leaves out the `[[ratelimits]]` bindings (the worker lets a request through when
 * its binding is missing; locally Miniflare runs the limiter as JS in the same workerd process).
 */
export async function startEdge({ persistDir, vars = {}, port = 0, logWarnings = false, ratelimits = {}, main, assets = true, limiter = true }) {
  const config = wranglerConfig();
  const limits = Object.fromEntries(
    (limiter ? config.ratelimits ?? [] : []).map((r) => [r.name, { simple: { ...r.simple, ...(ratelimits[r.name] ?? {}) } }]),
  );
  const durableObjects = Object.fromEntries(
    config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }]),
  );
  const mf = new Miniflare({
    rootPath: ROOT,
    modules: true,
    scriptPath: join(ROOT, main ?? config.main),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: config.compatibility_date,
    bindings: { ...config.vars, ...vars },
    durableObjects,
    kvNamespaces: (config.kv_namespaces ?? []).map((kv) => kv.binding),
    ratelimits: limits,
    // The pages' static files (wrangler.toml [assets]): reached only through the binding, as
    // the worker runs first for every request.
    ...(config.assets && assets
      ? {
          assets: {
            directory: join(ROOT, main ? join(dirname(main), "assets") : config.assets.directory),
            binding: config.assets.binding,
            routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: config.assets.run_worker_first === true },
          },
        }
      : {}),
    durableObjectsPersist: persistDir,
    kvPersist: persistDir ? join(persistDir, "kv") : false,
    cf: false,
    host: "127.0.0.1",
    port,
    ...(logWarnings ? { log: new Log(LogLevel.WARN) } : {}),
  });
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, "") };
}

/**
 * The runtime's floor, for benchmark ratios: `/` answers a constant; `/do/new` creates a new
 * SQLite-backed Durable Object per request (one table, one write); `/do/one` writes to one
 * warm object; `/do/rpc` does the same through workerd's JS RPC (`stub.write()`) instead of a
 * `fetch` to the object: what the hop would cost without a Request and Response.
 */
const NOOP_SCRIPT = `
import { DurableObject } from "cloudflare:workers";
export class Noop extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v INTEGER)");
  }
  async fetch() {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO t VALUES (1, 1)");
    return new Response("ok");
  }
  write() {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO t VALUES (1, 1)");
    return "ok";
  }
}
let created = 0;
export default {
  fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/do/new") return env.NOOP.get(env.NOOP.idFromName("n" + created++)).fetch(request);
    if (path === "/do/one") return env.NOOP.get(env.NOOP.idFromName("one")).fetch(request);
    if (path === "/do/rpc") return env.NOOP.get(env.NOOP.idFromName("one")).write().then((text) => new Response(text));
    return new Response("ok");
  },
};`;

export async function startNoop({ persistDir, port = 0 }) {
  const mf = new Miniflare({
    modules: true,
    script: NOOP_SCRIPT,
    compatibilityDate: wranglerConfig().compatibility_date,
    durableObjects: { NOOP: { className: "Noop", useSQLite: true } },
    durableObjectsPersist: persistDir,
    cf: false,
    host: "127.0.0.1",
    port,
  });
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, "") };
}

/**
 * The Rust floors (scripts/capacity-baseline/rust, built into its build/ by its build.sh):
 * `/` a constant answer, `/do/one` a warm no-op object by fetch, `POST /v1/checkins` the JS
 * baseline's check-in in workers-rs. vars: MEMBER_JWT_SECRET.
 */
export async function startRustFloor({ persistDir, vars = {}, port = 0 }) {
  const dir = join(ROOT, "scripts/capacity-baseline/rust/build");
  const mf = new Miniflare({
    rootPath: dir,
    modules: true,
    scriptPath: join(dir, "index.js"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: wranglerConfig().compatibility_date,
    bindings: vars,
    durableObjects: { NOOP: { className: "Noop", useSQLite: true }, MEMBER: { className: "Member", useSQLite: true } },
    durableObjectsPersist: persistDir,
    cf: false,
    host: "127.0.0.1",
    port,
    log: new Log(LogLevel.WARN),
  });
  const url = await mf.ready;
  return { mf, url: url.toString().replace(/\/$/, "") };
}

/** The pids of the workerd processes this Node process started (benchmarks read their CPU). */
export function childWorkerds() {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.includes("(workerd)") && Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid;
    } catch {
      return false;
    }
  });
}
