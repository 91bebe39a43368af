// The local stand-in for the core order system. A real HTTP server on 127.0.0.1 that:
// - accepts POST /orders and POST /events from the edge,
// - verifies Edge-Signature (t=..,v1=.. HMAC-SHA256 over "<t>.<body>", 300 s tolerance),
// - dedupes by Idempotency-Key (a repeat is answered 200 and not recorded again, as a real
//   core would), but records EVERY attempt (key, path, type, status answered, when, and for a
//   hung request when and by whom its connection was closed), so a test can tell a duplicate
//   delivery from a single one,
// - records every accepted delivery, queryable over HTTP or in-process,
// - can be told to answer with a failure status (503, 400, ...) or to hang.
// Control: GET /_stub/deliveries[?type=], GET /_stub/attempts[?type=&key=], GET /_stub/stats,
// POST /_stub/mode {mode, status}, POST /_stub/reset. Used by scripts/dev and by the e2e tests.
import http from "node:http";
import crypto from "node:crypto";

export function verifyEdgeSignature(header, body, secret, nowSecs = Math.floor(Date.now() / 1000)) {
  if (!header) return "missing Edge-Signature";
  let timestamp = null;
  const candidates = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t") timestamp = Number(value);
    if (key === "v1") candidates.push(value);
  }
  if (!Number.isInteger(timestamp) || candidates.length === 0) return "malformed Edge-Signature";
  if (Math.abs(nowSecs - timestamp) > 300) return "stale Edge-Signature";
  const expected = crypto.createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
  const ok = candidates.some((hex) => {
    const given = Buffer.from(hex, "hex");
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
  return ok ? null : "Edge-Signature does not match";
}

export async function startCoreStub({ port = 0, secret, host = "127.0.0.1", log = false } = {}) {
  if (!secret) throw new Error("core stub needs the EDGE_SIGNING_SECRET");
  const state = {
    mode: "ok", // ok | fail | hang
    failStatus: 503,
    deliveries: [], // accepted, unique by idempotency key
    seen: new Map(), // key -> delivery
    attempts: [], // every POST that reached /orders or /events, in arrival order
    rejectedSignatures: 0,
    hanging: new Set(),
  };

  const send = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const startedAt = Date.now();
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url, "http://stub");
      if (url.pathname.startsWith("/_stub/")) return control(url, raw, res);
      if (req.method !== "POST" || !["/orders", "/events"].includes(url.pathname)) {
        return send(res, 404, { error: "not found" });
      }
      const key = req.headers["idempotency-key"] ?? null;
      let body = null;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        // answered 400 below, after the signature check
      }
      const attempt = {
        seq: state.attempts.length + 1,
        key,
        path: url.pathname,
        type: url.pathname === "/orders" ? "order" : (body?.type ?? null),
        body,
        status: null, // the status answered; "hang" while a hung request is open
        startedAt, // the request's headers reached the stub
        at: Date.now(), // its body had arrived
      };
      state.attempts.push(attempt);
      const answer = (status, payload) => {
        attempt.status = status;
        attempt.answeredAt = Date.now();
        return send(res, status, payload);
      };
      // Whether the edge was still there for the answer: a connection closed before the answer
      // was written means the edge had given up (its timeout) and will try again.
      res.on("close", () => {
        if (attempt.hung) return;
        if (!res.writableFinished) attempt.closedBy ??= "edge";
        attempt.closedAt ??= Date.now();
      });
      const problem = verifyEdgeSignature(req.headers["edge-signature"], raw, secret);
      if (problem) {
        state.rejectedSignatures += 1;
        return answer(401, { error: problem });
      }
      if (!key) return answer(400, { error: "Idempotency-Key is required" });
      if (state.mode === "hang") {
        attempt.status = "hang";
        attempt.hung = true;
        state.hanging.add(res);
        // Who gave up: the edge (its timeout aborted the request) or the stub (leaving hang mode).
        res.on("close", () => {
          state.hanging.delete(res);
          attempt.closedAt = Date.now();
          attempt.closedBy ??= "edge";
        });
        res.stubAttempt = attempt;
        return; // never answers
      }
      if (state.mode === "fail") return answer(state.failStatus, { error: "told to fail" });
      if (state.seen.has(key)) return answer(200, { duplicate: true });
      if (body === null) return answer(400, { error: "body is not JSON" });
      const delivery = { key, path: url.pathname, type: body.type ?? "order", body, receivedAt: new Date().toISOString() };
      state.seen.set(key, delivery);
      state.deliveries.push(delivery);
      if (log) console.log(`core-stub: ${url.pathname} ${delivery.type} ${key}`);
      return answer(200, { accepted: true });
    });
  });

  function control(url, raw, res) {
    if (url.pathname === "/_stub/deliveries") {
      const type = url.searchParams.get("type");
      return send(res, 200, { deliveries: state.deliveries.filter((d) => !type || d.type === type) });
    }
    if (url.pathname === "/_stub/attempts") {
      return send(res, 200, { attempts: attempts({ type: url.searchParams.get("type"), key: url.searchParams.get("key") }) });
    }
    if (url.pathname === "/_stub/stats") return send(res, 200, stats());
    if (url.pathname === "/_stub/mode") {
      const { mode, status } = JSON.parse(raw.toString("utf8") || "{}");
      setMode(mode, status);
      return send(res, 200, { mode: state.mode, status: state.failStatus });
    }
    if (url.pathname === "/_stub/reset") {
      reset();
      return send(res, 200, { reset: true });
    }
    return send(res, 404, { error: "not found" });
  }

  function setMode(mode, status = 503) {
    if (!["ok", "fail", "hang"].includes(mode)) throw new Error(`unknown mode ${mode}`);
    state.mode = mode;
    state.failStatus = status;
    if (mode !== "hang") {
      for (const res of state.hanging) {
        res.stubAttempt.closedBy ??= "stub";
        res.destroy();
      }
      state.hanging.clear();
    }
  }

  function reset() {
    state.deliveries = [];
    state.seen.clear();
    state.attempts = [];
    state.rejectedSignatures = 0;
    setMode("ok");
  }

  function stats() {
    return { mode: state.mode, attempts: state.attempts.length, unique: state.deliveries.length, rejectedSignatures: state.rejectedSignatures };
  }

  /** Every attempt (copies), optionally of one type and/or one key. */
  function attempts({ type, key } = {}) {
    return state.attempts.filter((a) => (!type || a.type === type) && (!key || a.key === key)).map((a) => ({ ...a }));
  }

  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    deliveries: (type) => state.deliveries.filter((d) => !type || d.type === type),
    attempts: (filter) => attempts(typeof filter === "string" ? { type: filter } : filter),
    stats,
    setMode,
    reset,
    close: () =>
      new Promise((resolve) => {
        for (const res of state.hanging) {
          res.stubAttempt.closedBy ??= "stub";
          res.destroy();
        }
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
