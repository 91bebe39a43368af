//! The Rust floors of scripts/bench-cpu.mjs: what the workers-rs toolchain costs a request
//! before any of pharmedge's own code, measured beside the JS floors in the same run.
//! - `GET /`: a constant answer (the JS no-op worker's `/`).
//! - `GET /do/one`: the request forwarded by fetch to one warm SQLite object that writes one
//!   row (the JS no-op DO's `/do/one`).
//! - `POST /v1/checkins`: the JS baseline's check-in (scripts/capacity-baseline/worker.mjs):
//!   HS256 member token verified (hmac/sha2), one two-table object per member; a repeat is
//!   one SELECT. Idiomatic workers-rs: `worker::Request`/`Response`, serde for the JSON.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use worker::{
    durable_object, event, js_sys, Context, DurableObject, Env, Headers, Method, Request,
    RequestInit, Response, Result, SqlStorage, State,
};

const POINTS: i64 = 5;
const BUSINESS_OFFSET_MS: f64 = 8.0 * 3_600_000.0;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    match (req.method(), req.path().as_str()) {
        (Method::Get, "/do/one") => {
            let stub = env
                .durable_object("NOOP")?
                .id_from_name("one")?
                .get_stub()?;
            stub.fetch_with_request(req).await
        }
        (Method::Post, "/v1/checkins") => checkin(req, &env).await,
        _ => Response::ok("ok"),
    }
}

fn problem(status: u16, code: &str) -> Result<Response> {
    let body = format!(r#"{{"code":"{code}","status":{status}}}"#);
    let headers = Headers::new();
    headers.set("content-type", "application/problem+json")?;
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(headers))
}

async fn checkin(req: Request, env: &Env) -> Result<Response> {
    let secret = env.secret("MEMBER_JWT_SECRET")?.to_string();
    let authorization = req.headers().get("authorization")?.unwrap_or_default();
    let token = authorization.strip_prefix("Bearer ").unwrap_or_default();
    let Some(member) = member_of(token, secret.as_bytes()) else {
        return problem(401, "unauthorized");
    };
    let stub = env
        .durable_object("MEMBER")?
        .id_from_name(&member)?
        .get_stub()?;
    let headers = Headers::new();
    headers.set("x-member", &member)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers);
    match stub
        .fetch_with_request(Request::new_with_init("http://member/checkin", &init)?)
        .await
    {
        Ok(answer) => Ok(answer),
        Err(err) => {
            worker::console_error!("member object failed: {err}");
            problem(503, "unavailable")
        }
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: f64,
}

/// The member id of a valid HS256 token, else None.
fn member_of(token: &str, secret: &[u8]) -> Option<String> {
    let mut parts = token.split('.');
    let (head, body, signature) = (parts.next()?, parts.next()?, parts.next()?);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(head.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?)
        .ok()?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    (claims.exp > js_sys::Date::now() / 1000.0).then_some(claims.sub)
}

/// The business day (UTC+8) as `YYYY-MM-DD`, like the JS baseline's.
fn business_date(now_ms: f64) -> String {
    let days = ((now_ms + BUSINESS_OFFSET_MS) / 86_400_000.0).floor() as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The JS no-op DO: one table, one row written per request.
#[durable_object(fetch)]
pub struct Noop {
    sql: SqlStorage,
}

impl DurableObject for Noop {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(err) = sql.exec(
            "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v INTEGER)",
            None,
        ) {
            worker::console_error!("noop table: {err}");
        }
        Self { sql }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        self.sql
            .exec("INSERT OR REPLACE INTO t VALUES (1, 1)", None)?;
        Response::ok("ok")
    }
}

/// The JS baseline's member object: the same two tables.
#[durable_object(fetch)]
pub struct Member {
    sql: SqlStorage,
}

#[derive(Deserialize)]
struct Day {
    done: Option<i64>,
    points: Option<i64>,
}

#[derive(Serialize)]
struct Answer<'a> {
    date: &'a str,
    points_awarded: i64,
    balance: i64,
    already_checked_in: bool,
}

impl DurableObject for Member {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS profile (k INTEGER PRIMARY KEY, member_id TEXT NOT NULL, points INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS checkins (date TEXT PRIMARY KEY, points INTEGER NOT NULL, created_ms INTEGER NOT NULL)",
        ] {
            if let Err(err) = sql.exec(ddl, None) {
                worker::console_error!("member tables: {err}");
            }
        }
        Self { sql }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let member = req.headers().get("x-member")?.unwrap_or_default();
        let now = js_sys::Date::now();
        let date = business_date(now);
        // A repeat is this one statement: the day's row and the balance.
        let day: Day = self
            .sql
            .exec(
                "SELECT (SELECT 1 FROM checkins WHERE date = ?) AS done, (SELECT points FROM profile WHERE k = 1) AS points",
                vec![date.as_str().into()],
            )?
            .one()?;
        let (status, balance) = if day.done.is_some() {
            (200, day.points.unwrap_or(0))
        } else {
            self.sql.exec(
                "INSERT INTO checkins (date, points, created_ms) VALUES (?, ?, ?)",
                vec![date.as_str().into(), POINTS.into(), (now as i64).into()],
            )?;
            self.sql.exec(
                "INSERT INTO profile (k, member_id, points) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET points = points + excluded.points",
                vec![member.as_str().into(), POINTS.into()],
            )?;
            (201, day.points.unwrap_or(0) + POINTS)
        };
        let answer = Answer {
            date: &date,
            points_awarded: POINTS,
            balance,
            already_checked_in: status == 200,
        };
        Ok(Response::from_json(&answer)?.with_status(status))
    }
}
