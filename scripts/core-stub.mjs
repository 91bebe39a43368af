// The local stand-in for the core order system. A real HTTP server on 127.0.0.1 that:
// - accepts POST /orders and POST /events from the edge,
// - verifies Edge-Signature (t=..,v1=.. HMAC-SHA256 over "<t>.<body>", 300 s tolerance),
// - dedupes by Idempotency-Key (a repeat is answered 200 and not recorded again),
// - records every accepted delivery, queryable over HTTP or in-process,
// - can be told to answer with a failure status (503, 400, ...) or to hang.
// Control: GET /_stub/deliveries[?type=], GET /_stub/stats, POST /_stub/mode {mode, status},
// POST /_stub/reset. Used by scripts/dev and by the end-to-end tests.
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
    attempts: 0, // every POST that reached /orders or /events
    rejectedSignatures: 0,
    hanging: new Set(),
  };

  const send = (res, status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url, "http://stub");
      if (url.pathname.startsWith("/_stub/")) return control(url, raw, res);
      if (req.method !== "POST" || !["/orders", "/events"].includes(url.pathname)) {
        return send(res, 404, { error: "not found" });
      }
      state.attempts += 1;
      const problem = verifyEdgeSignature(req.headers["edge-signature"], raw, secret);
      if (problem) {
        state.rejectedSignatures += 1;
        return send(res, 401, { error: problem });
      }
      const key = req.headers["idempotency-key"];
      if (!key) return send(res, 400, { error: "Idempotency-Key is required" });
      if (state.mode === "hang") {
        state.hanging.add(res);
        res.on("close", () => state.hanging.delete(res));
        return; // never answers
      }
      if (state.mode === "fail") return send(res, state.failStatus, { error: "told to fail" });
      if (state.seen.has(key)) return send(res, 200, { duplicate: true });
      let body;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return send(res, 400, { error: "body is not JSON" });
      }
      const delivery = { key, path: url.pathname, type: body.type ?? "order", body, receivedAt: new Date().toISOString() };
      state.seen.set(key, delivery);
      state.deliveries.push(delivery);
      if (log) console.log(`core-stub: ${url.pathname} ${delivery.type} ${key}`);
      return send(res, 200, { accepted: true });
    });
  });

  function control(url, raw, res) {
    if (url.pathname === "/_stub/deliveries") {
      const type = url.searchParams.get("type");
      return send(res, 200, { deliveries: state.deliveries.filter((d) => !type || d.type === type) });
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
      for (const res of state.hanging) res.destroy();
      state.hanging.clear();
    }
  }

  function reset() {
    state.deliveries = [];
    state.seen.clear();
    state.attempts = 0;
    state.rejectedSignatures = 0;
    setMode("ok");
  }

  function stats() {
    return { mode: state.mode, attempts: state.attempts, unique: state.deliveries.length, rejectedSignatures: state.rejectedSignatures };
  }

  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    deliveries: (type) => state.deliveries.filter((d) => !type || d.type === type),
    stats,
    setMode,
    reset,
    close: () =>
      new Promise((resolve) => {
        for (const res of state.hanging) res.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
