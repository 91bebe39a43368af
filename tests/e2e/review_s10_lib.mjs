// Review (session 10): a world on a chosen build and persist directory, so the same requests
// can be sent to main's build and to this checkout's (a differential), and an object created by
// one build can be opened by the other (an upgrade or a rollback on the same storage).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { startCoreStub } from "../../scripts/core-stub.mjs";
import { startEdge, ROOT } from "../../scripts/lib/local-edge.mjs";
import { SECRETS, TEST_VARS, coreSignature } from "./harness.mjs";

/** main's build for the A/B (git-ignored: present where a helper copied it, absent in CI). */
export const MAIN_BUILD = ".bench/base/index.js";
export const hasMainBuild = () => existsSync(join(ROOT, MAIN_BUILD));

const agent = new http.Agent({ keepAlive: false, maxSockets: 100 });
function send(url, method, headers, payload) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const type = response.headers["content-type"] ?? "";
        resolve({ status: response.statusCode, type, text, json: type.includes("json") ? JSON.parse(text) : null });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

export function newPersistDir() {
  return mkdtempSync(join(tmpdir(), "pharmedge-review-"));
}

/** A core stub and the edge on `main` (undefined: ./build) over `persistDir`. */
export async function startOn({ main, persistDir, stub, ratelimits = {} }) {
  const core = stub ?? (await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET }));
  const edge = await startEdge({
    main,
    persistDir,
    ratelimits,
    vars: { ...SECRETS, ...TEST_VARS, CORE_BASE_URL: core.url },
  });
  async function api(method, path, { token, body, raw, headers = {}, now } = {}) {
    const requestHeaders = { ...headers };
    if (token) requestHeaders.authorization = `Bearer ${token}`;
    if (now) requestHeaders["x-test-now"] = now;
    let payload = raw;
    if (raw === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      requestHeaders["content-type"] ??= "application/json";
    }
    return send(edge.url + path, method, requestHeaders, payload);
  }
  const signed = (path, raw, now) =>
    api("POST", path, { raw, now, headers: { "content-type": "application/json", "core-signature": coreSignature(raw) } });
  return {
    api,
    stub: core,
    /** A core event as raw text (key order, duplicates and all kept as written). */
    coreRaw: (raw, now) => signed("/v1/core/events", raw, now),
    coreEvent: (event, now) => signed("/v1/core/events", JSON.stringify(event), now),
    catalogRaw: (raw, now) => signed("/v1/core/catalog", raw, now),
    async stop({ keepStub = false } = {}) {
      await edge.mf.dispose();
      if (!keepStub) await core.close();
    },
  };
}

export const removeDir = (dir) => rmSync(dir, { recursive: true, force: true });

/**
 * Version skew as Cloudflare has it during a deploy (a Worker on the new version calling a
 * Durable Object still on the previous one, for seconds to minutes; for a whole gradual
 * deployment when the object is assigned the old version): this checkout's worker with its
 * member objects served by main's build (`front`: the worker's build, `memberBuild` the member
 * objects', for the other direction and a control run;
 * `memberScript`: a module whose `MemberObject` class stands in for the member objects).
 * Answers `{api, stop}`.
 */
export async function startSkewed({ persistDir, stub, front = "build/index.js", memberBuild = MAIN_BUILD, memberScript }) {
  const { Miniflare } = await import("miniflare");
  const { wranglerConfig } = await import("../../scripts/lib/local-edge.mjs");
  const config = wranglerConfig();
  const bindings = { ...config.vars, ...SECRETS, ...TEST_VARS, CORE_BASE_URL: stub.url };
  const modulesRules = [
    { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ];
  const local = Object.fromEntries(config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: true }]));
  const member = config.durable_objects.bindings.find((b) => b.class_name === "MemberObject");
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    durableObjectsPersist: persistDir,
    kvPersist: join(persistDir, "kv"),
    workers: [
      {
        name: "new",
        rootPath: ROOT,
        modules: true,
        scriptPath: join(ROOT, front),
        modulesRules,
        compatibilityDate: config.compatibility_date,
        bindings,
        kvNamespaces: (config.kv_namespaces ?? []).map((kv) => kv.binding),
        durableObjects: { ...local, [member.name]: { className: "MemberObject", scriptName: "old" } },
      },
      {
        name: "old",
        rootPath: ROOT,
        modules: true,
        ...(memberScript ? { script: memberScript } : { scriptPath: join(ROOT, memberBuild), modulesRules }),
        compatibilityDate: config.compatibility_date,
        bindings,
        kvNamespaces: (config.kv_namespaces ?? []).map((kv) => kv.binding),
        durableObjects: memberScript ? { [member.name]: local[member.name] } : local,
      },
    ],
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  async function api(method, path, { token, body, now, headers = {} } = {}) {
    const requestHeaders = { ...headers };
    if (token) requestHeaders.authorization = `Bearer ${token}`;
    if (now) requestHeaders["x-test-now"] = now;
    let payload;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      requestHeaders["content-type"] = "application/json";
    }
    return send(url + path, method, requestHeaders, payload);
  }
  return { api, stop: () => mf.dispose() };
}
