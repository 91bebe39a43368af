// The comparison worker for `node scripts/capacity.mjs --baseline`: an idiomatic JS worker with
// one SQLite Durable Object per member and two tables (profile, checkins), answering the same
// POST /v1/checkins (HS256 member JWT) in the same workerd. Knobs (vars, for measuring where
// an open object's cost goes; all off by default = the two-table object):
//   BASELINE_OUTBOX=1     also queue `checkin.recorded` in an outbox table in the same
//                         transaction and deliver it to the core (signed) from an alarm
//   BASELINE_EXTRA_TABLES=n    n more tables (each with a TEXT primary key = one more index)
//   BASELINE_EXTRA_STATEMENTS=n  n more distinct statements run per check-in (each stays
//                         prepared in workerd's per-object statement cache while it is open)
//   BASELINE_EVENTS=2     with BASELINE_OUTBOX: also queue `points.awarded` for the check-in, as
//                         pharmedge does (API.md's edge→core events, one per POST): the same job
//   BASELINE_DELIVER=request  deliver right after the answer (waitUntil) instead of from the
//                         alarm, the alarm kept only as the retry path
//   BASELINE_TIMEOUT_MS=ms  abort each delivery after ms by a timer that is never cleared (as
//                         the Rust worker's delivery did: the object stays open until it fires)
import { DurableObject } from "cloudflare:workers";

const enc = new TextEncoder();
const b64urlDecode = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const keys = new Map();
async function hmacKey(secret) {
  if (!keys.has(secret)) {
    keys.set(secret, await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
  }
  return keys.get(secret);
}

/** The member id of a valid HS256 token, else null. */
async function memberOf(request, secret) {
  const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
  const [head, body, signature] = token.split(".");
  if (!signature) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), b64urlDecode(signature), enc.encode(`${head}.${body}`));
  if (!ok) return null;
  const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(body)));
  return typeof claims.sub === "string" && claims.exp > Date.now() / 1000 ? claims.sub : null;
}

const problem = (status, code) =>
  new Response(JSON.stringify({ code, status }), { status, headers: { "content-type": "application/problem+json" } });

export class Member extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.outbox = env.BASELINE_OUTBOX === "1";
    this.extraTables = Number(env.BASELINE_EXTRA_TABLES ?? 0);
    this.extraStatements = Number(env.BASELINE_EXTRA_STATEMENTS ?? 0);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS profile (k INTEGER PRIMARY KEY, member_id TEXT NOT NULL, points INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS checkins (date TEXT PRIMARY KEY, points INTEGER NOT NULL, created_ms INTEGER NOT NULL)");
    if (this.outbox) sql.exec("CREATE TABLE IF NOT EXISTS outbox (key TEXT PRIMARY KEY, body TEXT NOT NULL)");
    for (let i = 0; i < this.extraTables; i++) sql.exec(`CREATE TABLE IF NOT EXISTS extra_${i} (id TEXT PRIMARY KEY, v INTEGER)`);
  }

  async fetch(request) {
    const member = new URL(request.url).searchParams.get("member");
    const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const sql = this.ctx.storage.sql;
    const answer = this.ctx.storage.transactionSync(() => {
      if (sql.exec("SELECT 1 FROM checkins WHERE date = ?", date).toArray().length) return { status: 200, already: true };
      sql.exec("INSERT INTO checkins (date, points, created_ms) VALUES (?, 5, ?)", date, Date.now());
      sql.exec("INSERT INTO profile (k, member_id, points) VALUES (1, ?, 5) ON CONFLICT (k) DO UPDATE SET points = points + 5", member);
      for (let i = 0; i < this.extraStatements; i++) sql.exec(`SELECT count(*) AS n${i} FROM checkins WHERE points > ${i}`).toArray();
      if (this.outbox) {
        const key = `checkin:${member}:${date}`;
        sql.exec("INSERT OR IGNORE INTO outbox (key, body) VALUES (?, ?)", key, JSON.stringify({ id: key, type: "checkin.recorded", member_id: member, date, points: 5 }));
        if (this.env.BASELINE_EVENTS === "2") {
          const awarded = `points:${member}:${date}`;
          sql.exec("INSERT OR IGNORE INTO outbox (key, body) VALUES (?, ?)", awarded, JSON.stringify({ id: awarded, type: "points.awarded", member_id: member, points: 5, reason: "checkin" }));
        }
      }
      return { status: 201, already: false };
    });
    const direct = this.env.BASELINE_DELIVER === "request";
    if (this.outbox && answer.status === 201) await this.ctx.storage.setAlarm(Date.now() + (direct ? 15_000 : 0));
    if (this.outbox && direct && answer.status === 201) {
      this.ctx.waitUntil(this.alarm().then(() => this.ctx.storage.deleteAlarm(), () => {}));
    }
    const balance = sql.exec("SELECT points FROM profile WHERE k = 1").one().points;
    return Response.json({ date, points_awarded: 5, balance, already_checked_in: answer.already }, { status: answer.status });
  }

  async alarm() {
    const sql = this.ctx.storage.sql;
    for (const row of sql.exec("SELECT key, body FROM outbox LIMIT 50").toArray()) {
      const t = Math.floor(Date.now() / 1000);
      const mac = await crypto.subtle.sign("HMAC", await hmacKey(this.env.EDGE_SIGNING_SECRET), enc.encode(`${t}.${row.body}`));
      const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
      const controller = new AbortController();
      if (this.env.BASELINE_TIMEOUT_MS) setTimeout(() => controller.abort(), Number(this.env.BASELINE_TIMEOUT_MS));
      const res = await fetch(`${this.env.CORE_BASE_URL}/events`, {
        method: "POST",
        signal: controller.signal,
        headers: { "content-type": "application/json", "idempotency-key": row.key, "edge-signature": `t=${t},v1=${hex}` },
        body: row.body,
      });
      if (!res.ok) throw new Error(`core answered ${res.status}`); // the runtime retries the alarm
      sql.exec("DELETE FROM outbox WHERE key = ?", row.key);
    }
  }
}

export default {
  async fetch(request, env) {
    if (request.method !== "POST" || new URL(request.url).pathname !== "/v1/checkins") return problem(404, "not_found");
    const member = await memberOf(request, env.MEMBER_JWT_SECRET);
    if (!member) return problem(401, "unauthorized");
    const stub = env.MEMBER.get(env.MEMBER.idFromName(member));
    try {
      return await stub.fetch(`http://member/checkin?member=${encodeURIComponent(member)}`, { method: "POST" });
    } catch (err) {
      console.error(`member object failed: ${err}`);
      return problem(503, "unavailable");
    }
  },
};
