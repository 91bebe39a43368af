// Authentication and bad input: every variant gets a clear 4xx problem with a stable code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useWorld, memberToken, staffToken, jwt, nowSecs, SECRETS } from "./harness.mjs";

const world = useWorld();

test("no token is 401 unauthenticated; every bad token is 401 invalid_token", async () => {
  const none = await world.api("GET", "/v1/me");
  assert.deepEqual([none.status, none.json.code], [401, "unauthenticated"]);
  const claims = { sub: "auth-1", exp: nowSecs() + 600 };
  const unsigned = (header) => `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
  const variants = {
    "alg none": unsigned({ alg: "none", typ: "JWT" }),
    "RS256 header": jwt(claims, SECRETS.MEMBER_JWT_SECRET, { alg: "RS256", typ: "JWT" }),
    "wrong secret": jwt(claims, "some-other-secret-0123456789abcdef"),
    "staff secret": staffToken("auth-1", "admin"),
    expired: jwt({ ...claims, exp: nowSecs() - 120 }, SECRETS.MEMBER_JWT_SECRET),
    "future nbf": jwt({ ...claims, nbf: nowSecs() + 600 }, SECRETS.MEMBER_JWT_SECRET),
    "missing sub": jwt({ exp: nowSecs() + 600 }, SECRETS.MEMBER_JWT_SECRET),
    "missing exp": jwt({ sub: "auth-1" }, SECRETS.MEMBER_JWT_SECRET),
    "invalid sub": jwt({ ...claims, sub: "../admin" }, SECRETS.MEMBER_JWT_SECRET),
    garbage: "not.a.token",
    "one part": "abc",
    huge: "a".repeat(5000),
  };
  for (const [what, token] of Object.entries(variants)) {
    const r = await world.api("GET", "/v1/me", { token });
    assert.deepEqual([r.status, r.json.code], [401, "invalid_token"], what);
  }
  const basic = await world.api("GET", "/v1/me", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
  assert.deepEqual([basic.status, basic.json.code], [401, "invalid_token"]);
});

test("a member only ever sees and changes their own data", async () => {
  const alice = memberToken("auth-alice");
  const bob = memberToken("auth-bob");
  assert.equal((await world.api("POST", "/v1/checkins", { token: alice })).status, 201);
  const bobLedger = await world.api("GET", "/v1/points/ledger", { token: bob });
  assert.deepEqual(bobLedger.json.entries, []);
  const bobMe = await world.api("GET", "/v1/me", { token: bob });
  assert.deepEqual([bobMe.json.member_id, bobMe.json.points.balance, bobMe.json.checkin.checked_in_today], ["auth-bob", 0, false]);
  // Bob checking in does not touch Alice.
  assert.equal((await world.api("POST", "/v1/checkins", { token: bob })).status, 201);
  const aliceLedger = await world.api("GET", "/v1/points/ledger", { token: alice });
  assert.equal(aliceLedger.json.entries.length, 1);
  // A token claiming to be Alice but signed by anyone else is refused.
  const forged = jwt({ sub: "auth-alice", exp: nowSecs() + 600 }, "attacker-secret-0123456789abcdef");
  assert.equal((await world.api("GET", "/v1/points/ledger", { token: forged })).status, 401);
});

test("malformed bodies are 400, wrong content types 415, huge bodies 413", async () => {
  const token = memberToken("auth-bodies");
  const makeup = (init) => world.api("POST", "/v1/checkins/makeup", { token, ...init });
  const json = { "content-type": "application/json" };
  const cases = [
    ["malformed JSON", { raw: "{\"date\":", headers: json }, 400, "malformed"],
    ["not JSON at all", { raw: "date=2026-01-01", headers: json }, 400, "malformed"],
    ["trailing garbage", { raw: "{\"date\":\"2026-01-01\"} x", headers: json }, 400, "trailing"],
    ["empty body", { raw: "", headers: json }, 400, "body"],
    ["missing field", { body: {} }, 400, "date"],
    ["wrong type", { body: { date: 20260101 } }, 400, "date"],
    ["null", { body: { date: null } }, 400, "date"],
    ["array body", { body: [] }, 400, "body"],
    ["unknown field", { body: { date: "2026-01-01", points: 1000 } }, 400, "points"],
    ["bad date", { body: { date: "2026-02-30" } }, 400, "date"],
    ["unicode", { body: { date: "２０２６-01-01" } }, 400, "date"],
    ["injection", { body: { date: "2026-01-01'; DROP TABLE ledger; --" } }, 400, "date"],
    ["no content type", { raw: "{\"date\":\"2026-01-01\"}" }, 415, null],
    ["text/plain", { raw: "{\"date\":\"2026-01-01\"}", headers: { "content-type": "text/plain" } }, 415, null],
    ["huge", { raw: JSON.stringify({ date: "2026-01-01", pad: "x".repeat(70 * 1024) }), headers: json }, 413, null],
  ];
  for (const [what, init, status, field] of cases) {
    const r = await makeup(init);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.equal(r.headers.get("content-type"), "application/problem+json", what);
    if (field) assert.ok(r.json.detail.includes(field), `${what}: detail "${r.json.detail}" should name ${field}`);
  }
  // The check-in body is optional, but when present it must be a JSON object.
  assert.equal((await world.api("POST", "/v1/checkins", { token, raw: "{oops", headers: json })).status, 400);
  assert.equal((await world.api("POST", "/v1/checkins", { token, body: { extra: 1 } })).status, 400);
  assert.equal((await world.api("POST", "/v1/checkins", { token, body: {} })).status, 201);
});

test("bad query strings are 400 naming the parameter", async () => {
  const token = memberToken("auth-query");
  for (const [path, name] of [
    ["/v1/checkins?month=2026-13", "month"],
    ["/v1/checkins?month=2026-1", "month"],
    ["/v1/checkins?month=%E2%80%AE2026-01", "month"],
    ["/v1/points/ledger?cursor=abc", "cursor"],
    ["/v1/points/ledger?cursor=-1", "cursor"],
    ["/v1/points/ledger?limit=0", "limit"],
    ["/v1/points/ledger?limit=10000", "limit"],
  ]) {
    const r = await world.api("GET", path, { token });
    assert.deepEqual([r.status, r.json.code], [400, "invalid_request"], path);
    assert.ok(r.json.detail.includes(name), path);
  }
});

test("unknown paths are 404, wrong methods 405 with Allow", async () => {
  const missing = await world.api("GET", "/v1/nothing-here");
  assert.deepEqual([missing.status, missing.json.code], [404, "not_found"]);
  const wrong = await world.api("DELETE", "/v1/checkins");
  assert.deepEqual([wrong.status, wrong.json.code], [405, "method_not_allowed"]);
  assert.equal(wrong.headers.get("allow"), "POST, GET");
  const health = await world.api("GET", "/healthz");
  assert.deepEqual([health.status, health.json.status], [200, "ok"]);
});

test("a bad test-clock header is a 400, not a crash", async () => {
  const r = await world.api("GET", "/v1/me", { token: memberToken("auth-clock"), headers: { "x-test-now": "tomorrow" } });
  assert.deepEqual([r.status, r.json.code], [400, "invalid_request"]);
  // Instants the objects cannot hold (before 1970, after 2189) are refused, never stored.
  for (const instant of ["1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]) {
    const write = await world.api("POST", "/v1/checkins", { token: memberToken("auth-clock"), headers: { "x-test-now": instant } });
    assert.deepEqual([write.status, write.json.code], [400, "invalid_request"], instant);
  }
  const after = await world.api("GET", "/v1/me", { token: memberToken("auth-clock") });
  assert.equal(after.status, 200, "the member is unharmed");
});
