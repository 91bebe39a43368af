// End-to-end harness: the built worker (build/) in the real workerd (through Miniflare), spoken
// to over HTTP, with the local core stub as the core system. Bindings come from wrangler.toml,
// so the tests run the configuration that ships. Every response is validated against
// schemas/openapi.yaml, and any 5xx fails the file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import crypto from "node:crypto";
import http from "node:http";
import assert from "node:assert/strict";
import { before, after } from "node:test";
import { startCoreStub } from "../../scripts/core-stub.mjs";
import { startEdge as startLocalEdge, ROOT } from "../../scripts/lib/local-edge.mjs";

const startEdge = ({ persistDir, stubUrl, vars, ratelimits }) =>
  startLocalEdge({ persistDir, vars: { ...SECRETS, ...TEST_VARS, CORE_BASE_URL: stubUrl, ...vars }, ratelimits });

export const SECRETS = {
  MEMBER_JWT_SECRET: "e2e-member-secret-0123456789abcdef",
  STAFF_JWT_SECRET: "e2e-staff-secret-0123456789abcdefg",
  CORE_SIGNING_SECRET: "e2e-core-secret-0123456789abcdefgh",
  EDGE_SIGNING_SECRET: "e2e-edge-secret-0123456789abcdefgh",
  POSTER_SIGNING_SECRET: "e2e-poster-secret-0123456789abcdef",
  PICKUP_SIGNING_SECRET: "e2e-pickup-secret-0123456789abcdef",
  REFERRAL_SECRET: "e2e-referral-secret-0123456789abcd",
};

export { validateSchema, validateResponse } from "./openapi_check.mjs";
import { validateResponse } from "./openapi_check.mjs";

// --- tokens and signatures

const b64 = (value) => Buffer.from(value).toString("base64url");
export function jwt(claims, secret, header = { alg: "HS256", typ: "JWT" }) {
  const head = b64(JSON.stringify(header));
  const body = b64(JSON.stringify(claims));
  const sig = crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}
export const nowSecs = () => Math.floor(Date.now() / 1000);
export const memberToken = (sub, extra = {}) => jwt({ sub, exp: nowSecs() + 3600, iat: nowSecs(), ...extra }, SECRETS.MEMBER_JWT_SECRET);
export const staffToken = (sub, role, store, extra = {}) =>
  jwt({ sub, role, ...(store ? { store } : {}), exp: nowSecs() + 3600, ...extra }, SECRETS.STAFF_JWT_SECRET);
export function coreSignature(body, secret = SECRETS.CORE_SIGNING_SECRET, t = nowSecs()) {
  return `t=${t},v1=${crypto.createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

// --- HTTP to the runtime

/**
 * One fresh connection per request (no keep-alive: a reused socket that the runtime closes
 * under load shows up as ECONNRESET, a client artefact), at most MAX_IN_FLIGHT at a time: one
 * local workerd runs every object on two cores, and past about a thousand simultaneous
 * transactions on distinct objects its SQLite answers SQLITE_NOMEM, which production (one
 * machine per object) never sees; and with thousands queued at once it starves its oldest
 * requests until their connections are reset. The rest queue in the client; hundreds still
 * interleave on the same shard or member object.
 */
const MAX_IN_FLIGHT = 100;
const agent = new http.Agent({ keepAlive: false, maxSockets: MAX_IN_FLIGHT });

function send(url, method, headers, payload) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode,
          headers: new Headers(Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v])),
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      response.on("error", reject);
    });
    request.on("error", reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

// --- the world: stub + edge

/** Fast retries and the test clock; everything else as in wrangler.toml. */
export const TEST_VARS = {
  ALLOW_TEST_CLOCK: "true",
  OUTBOX_RETRY_BASE_MS: "100",
  OUTBOX_RETRY_MAX_MS: "800",
  OUTBOX_MAX_ATTEMPTS: "200",
  // Long enough that a busy local runtime (one workerd on two cores, a thousand claims at once)
  // does not time out answers the core gave at once: those retries would be legitimate, but
  // they would hide the duplicates the suite looks for. delivery.test.mjs sets its own.
  CORE_TIMEOUT_MS: "10000",
};

/**
 * For files that put one member under more concurrency than a person could (100 claims at
 * once), to test the object's exactness rather than the per-member abuse limit, which
 * breaks.test.mjs tests as shipped.
 */
export const NO_MEMBER_WRITE_LIMIT = { MEMBER_WRITES: { limit: 1_000_000 } };

/**
 * vars: overriding string bindings. ratelimits: overriding abuse limits (wrangler.toml
 * `[[ratelimits]]`), for a file whose tests put one member under more concurrency than a
 * person could, to test the object's exactness rather than the limiter.
 */
export async function startWorld({ vars = {}, ratelimits = {}, catalog = [] } = {}) {
  const persistDir = mkdtempSync(join(tmpdir(), "pharmedge-e2e-"));
  const stub = await startCoreStub({ secret: SECRETS.EDGE_SIGNING_SECRET });
  let edge = await startEdge({ persistDir, stubUrl: stub.url, vars, ratelimits });
  const statuses = [];
  let socketRetries = 0;

  async function api(method, path, { token, body, raw, headers = {}, now } = {}) {
    const requestHeaders = { ...headers };
    if (token) requestHeaders.authorization = `Bearer ${token}`;
    if (now) requestHeaders["x-test-now"] = now;
    let payload;
    if (raw !== undefined) payload = raw;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      requestHeaders["content-type"] ??= "application/json";
    }
    const res = await sendWithRetry(edge.url + path, method, requestHeaders, payload);
    const contentType = res.headers.get("content-type") ?? "";
    let json = null;
    if (contentType.includes("json")) json = JSON.parse(res.text);
    statuses.push({ method, path, status: res.status });
    if (contentType.includes("json")) validateResponse(method, path.split("?")[0], res.status, contentType, json);
    return { ...res, json };
  }

  // A request that dies at the socket may or may not have been processed: as a real client
  // must, retry only what is safe to repeat (GETs, and writes carrying an Idempotency-Key),
  // and count every retry so a run shows how often it happened.
  async function sendWithRetry(url, method, headers, payload) {
    const safe = method === "GET" || headers["idempotency-key"] !== undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(url, method, headers, payload);
      } catch (error) {
        if (!safe || attempt >= 8 || !["ECONNRESET", "EPIPE"].includes(error.code)) throw error;
        socketRetries += 1;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  async function coreEvent(event, { signature, now } = {}) {
    const raw = JSON.stringify(event);
    return api("POST", "/v1/core/events", {
      raw,
      now,
      headers: { "content-type": "application/json", "core-signature": signature ?? coreSignature(raw) },
    });
  }

  /** Pushes catalogue items as the core does (signed, one batch); asserts it was accepted. */
  let batchSeq = 0;
  async function pushCatalog(items, { batchId = `batch-${process.pid}-${++batchSeq}-${Date.now()}`, now } = {}) {
    const raw = JSON.stringify({ batch_id: batchId, items });
    const res = await api("POST", "/v1/core/catalog", {
      raw,
      now,
      headers: { "content-type": "application/json", "core-signature": coreSignature(raw) },
    });
    assert.equal(res.status, 200, `catalogue push: ${res.text}`);
    return res;
  }
  if (catalog.length) await pushCatalog(catalog);

  async function waitFor(predicate, { timeoutMs = 15000, what = "condition" } = {}) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await predicate()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  return {
    stub,
    api,
    coreEvent,
    pushCatalog,
    waitFor,
    get url() {
      return edge.url;
    },
    /** Runs the worker's Cron Trigger once, as scheduled at `scheduledTime` (its clock). */
    async scheduled(scheduledTime, cron = "*/5 * * * *") {
      const worker = await edge.mf.getWorker();
      return worker.scheduled({ scheduledTime: new Date(scheduledTime), cron });
    },
    /** Stops workerd and starts it again on the same persisted state. */
    async restart() {
      await edge.mf.dispose();
      edge = await startEdge({ persistDir, stubUrl: stub.url, vars, ratelimits });
    },
    assertNo5xx() {
      if (socketRetries) console.log(`# retried ${socketRetries} keyed/GET requests after a socket reset by the local runtime`);
      const failures = statuses.filter((s) => s.status >= 500);
      assert.deepEqual(failures, [], "no request may produce a 5xx");
    },
    async close() {
      await edge.mf.dispose();
      await stub.close();
      // Each world persists to its own directory (hundreds of MB after the heavy files); a run
      // that left them behind filled this machine's disk once.
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

/** A catalogue item as the core pushes it (version 1, on sale unless `extra` says otherwise). */
export const catalogItem = (sku, drug_class, price_fen, extra = {}) =>
  ({ sku, name: `商品 ${sku}`, drug_class, price_fen, version: 1, status: "on_sale", ...extra });

/**
 * Starts a world before the file's tests and, after them, checks that nothing answered 5xx and
 * stops it. Returns a stand-in that forwards to the running world.
 */
export function useWorld(options) {
  let current;
  before(async () => {
    current = await startWorld(options);
  });
  // The runtime is stopped whatever the checks find: a failing check must fail the file,
  // not leave workerd running and the test process waiting for it forever.
  after(async () => {
    try {
      current?.assertNo5xx();
      if (current) assertNoFactTwice(current.stub);
    } finally {
      await current?.close();
    }
  });
  return new Proxy({}, { get: (_, key) => current[key] });
}

/**
 * A local workerd keeps an idle object open for 10 s and every open object's SQLite database in
 * one process; a few thousand new member objects within that time exhaust its SQLite memory
 * (SQLITE_NOMEM, README "Capacity"), the faster the machine the sooner. Tests that create
 * thousands of members let each wave's objects be evicted before the next. Production has one
 * machine per object.
 */
export const EVICTION_PAUSE_MS = 11_000;
export async function inWaves(total, size, makeRequest, { afterWave } = {}) {
  const replies = [];
  for (let wave = 0; wave < total; wave += size) {
    if (wave > 0) await new Promise((r) => setTimeout(r, EVICTION_PAUSE_MS));
    replies.push(...(await concurrently(Math.min(size, total - wave), (i) => makeRequest(wave + i))));
    if (afterWave) await afterWave(replies);
  }
  return replies;
}

/** `n` requests fired together (the agent above caps how many are on the wire at once). */
export function concurrently(n, makeRequest) {
  return Promise.all(Array.from({ length: n }, (_, i) => makeRequest(i)));
}

export function countBy(items, key) {
  const counts = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

// --- what the core heard (the stub records every attempt, not only the first per key)

/**
 * The logical fact a delivery reports, whatever key it came under: two deliveries of the same
 * fact under different idempotency keys would be counted twice by the core.
 */
export function factOf(delivery) {
  const { path, body } = delivery;
  if (path === "/orders") return `order:${body?.order_id}`;
  const d = body?.data ?? {};
  switch (body?.type) {
    case "coupon.claimed":
      return `coupon.claimed:${d.coupon_id}`;
    case "points.awarded":
      return `points.awarded:${d.member_id}:${d.source}:${d.source_id}`;
    case "checkin.recorded":
      return `checkin.recorded:${d.member_id}:${d.date}`;
    case "pickup.verified":
      return `pickup.verified:${d.order_id}`;
    case "referral.bound":
      return `referral.bound:${d.invitee_id}`;
    case "referral.rewarded":
      return `referral.rewarded:${d.member_id}:${d.invitee_id}:${d.stage}:${d.clawback}`;
    default:
      // Other events (tier.changed, ...) have no identity but their event id.
      return `${body?.type}:${body?.id}`;
  }
}

/**
 * No fact reached the core under two different keys, and every event travelled under its own
 * id as the key. `filter` narrows the deliveries looked at (default: all).
 */
export function assertNoFactTwice(stub, filter = () => true) {
  const keysByFact = new Map();
  for (const delivery of stub.deliveries().filter(filter)) {
    if (delivery.path === "/events") assert.equal(delivery.key, delivery.body.id, `an event is keyed by its id: ${delivery.key}`);
    const fact = factOf(delivery);
    if (!keysByFact.has(fact)) keysByFact.set(fact, new Set());
    keysByFact.get(fact).add(delivery.key);
  }
  const twice = [...keysByFact].filter(([, keys]) => keys.size > 1).map(([fact, keys]) => `${fact} under ${[...keys].join(", ")}`);
  assert.deepEqual(twice, [], "a fact delivered to the core under two different keys");
}

/**
 * While the core answered every attempt at once with 200, each key matching `filter` was
 * attempted exactly once and accepted: a second attempt would be a duplicate delivery that
 * the stub's dedupe hides. Answers the matching attempts. Use it only where the stub was
 * healthy for those deliveries (no fail/hang mode, no runtime restart mid-delivery).
 *
 * `timeoutMs`: under a heavy load one local workerd can stall longer than its CORE_TIMEOUT_MS,
 * and then the edge rightly gives up on an answer the core already sent and tries again
 * (at-least-once). With it, an attempt that starts at least `timeoutMs` after the previous one
 * of its key is tolerated (and counted in the log); one sooner is still a duplicate.
 */
export function assertEachKeyOnce(stub, filter, what = "deliveries", { timeoutMs } = {}) {
  const matching = stub.attempts().filter(filter);
  const byKey = new Map();
  for (const attempt of matching) byKey.set(attempt.key, [...(byKey.get(attempt.key) ?? []), attempt]);
  const repeated = [];
  let tolerated = 0;
  for (const [key, list] of byKey) {
    const gaps = list.slice(1).map((a, i) => a.startedAt - list[i].startedAt);
    if (gaps.length === 0) continue;
    if (timeoutMs !== undefined && gaps.every((gap) => gap >= timeoutMs)) tolerated += gaps.length;
    else repeated.push(`${key}: ${list.length} attempts, ${gaps.join("/")} ms apart`);
  }
  if (tolerated) console.log(`# ${what}: ${tolerated} re-attempts after the edge's timeout under load (tolerated)`);
  assert.deepEqual(repeated, [], `${what}: a key attempted more than once while the core was healthy`);
  assert.deepEqual(matching.filter((a) => a.status !== 200).map((a) => [a.key, a.status]), [], `${what}: every attempt answered 200`);
  return timeoutMs === undefined ? matching : [...byKey.values()].map((list) => list[0]);
}

/** Attempts whose delivery data match `predicate(data, attempt)` (orders: the body itself). */
export const attemptsOf = (stub, type, predicate = () => true) =>
  stub.attempts(type).filter((a) => predicate(a.path === "/orders" ? a.body : a.body?.data, a));

/**
 * Through an outage: each key matching `filter` was accepted (200) exactly once, and nothing
 * was attempted after that 200 (the edge must stop once the core has accepted a delivery).
 */
export function assertSettledOnce(stub, filter, what = "deliveries") {
  const matching = stub.attempts().filter(filter);
  const byKey = new Map();
  for (const attempt of matching) {
    if (!byKey.has(attempt.key)) byKey.set(attempt.key, []);
    byKey.get(attempt.key).push(attempt);
  }
  const wrong = [...byKey]
    .filter(([, list]) => list.filter((a) => a.status === 200).length !== 1 || list.at(-1).status !== 200)
    .map(([key, list]) => `${key}: ${list.map((a) => a.status).join(",")}`);
  assert.deepEqual(wrong, [], `${what}: each key accepted once, nothing attempted after`);
  return byKey;
}
