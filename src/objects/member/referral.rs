//! The member's referral state, both sides of it: as an inviter (the share code, clicks, the
//! invitees bound and the rewards for them) and as an invitee (the one binding, ever).
//! Synchronous: each function runs inside one of the member object's transactions; the
//! steps that need other objects are in `referral_flow`.

use super::ledger::{emit, grant};
use super::protocol::{
    InviteReply, MemberCommand, ReferralClawback, ReferralReward, ReferralSummaryReply,
    Registration,
};
use super::repo::Repo;
use super::wallet::{self, NewCoupon};
use crate::config::{MEMBER_OBJECT, REFERRALS_OBJECT};
use crate::domain::coupon::CouponTerms;
use crate::domain::ids::MemberId;
use crate::domain::points::{EntryKind, Source};
use crate::domain::referral::{
    self, FirstOrderReward, FirstOrderStep, InviteeFacts, Refusal, RewardedData, Stage,
};
use crate::domain::rules::Rules;
use crate::domain::time::{date_key, from_unix_millis, Instant, YearMonth};
use crate::http::error::ApiError;
use crate::objects::outbox;
use crate::objects::referral_registry::{self, RegistryCommand};
use crate::objects::schema::Module;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use worker::{SqlStorage, SqlStorageValue};

/// Share link, bindings as invitee, invitees as inviter.
pub const MODULE: Module = Module {
    name: "referral",
    migrations: &[&[
    "CREATE TABLE IF NOT EXISTS referral_link (k INTEGER PRIMARY KEY CHECK (k = 1), code TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS link_days (day TEXT PRIMARY KEY, clicks INTEGER NOT NULL, visitors INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS link_visitors (day TEXT NOT NULL, visitor TEXT NOT NULL, PRIMARY KEY (day, visitor))",
    // As an invitee: the registrations reported, and at most one binding, ever.
    "CREATE TABLE IF NOT EXISTS registrations (event_id TEXT PRIMARY KEY, received_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS binding (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        event_id TEXT NOT NULL,
        inviter_id TEXT NOT NULL,
        code TEXT NOT NULL,
        device TEXT,
        state TEXT NOT NULL,
        reason TEXT,
        created_ms INTEGER NOT NULL,
        decided_ms INTEGER,
        first_order_id TEXT,
        first_order_paid_ms INTEGER,
        first_order_fen INTEGER,
        clawback_queued INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS referral_refusals (event_id TEXT PRIMARY KEY, inviter_id TEXT, code TEXT, reason TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    // Device registrations still to report to the device registry.
    "CREATE TABLE IF NOT EXISTS device_claims (event_id TEXT PRIMARY KEY, device TEXT NOT NULL, now_ms INTEGER NOT NULL)",
    // As an inviter: one row per invitee that asked, bound or refused.
    "CREATE TABLE IF NOT EXISTS invitees (
        invitee_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        reason TEXT,
        day TEXT NOT NULL,
        month TEXT NOT NULL,
        decided_ms INTEGER NOT NULL,
        verified_ms INTEGER,
        first_order_state TEXT,
        first_order_points INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE INDEX IF NOT EXISTS invitees_by_day ON invitees (state, day)",
    "CREATE INDEX IF NOT EXISTS invitees_by_month ON invitees (state, month)",
    ]],
};

/// Visitor rows older than this many days are dropped (the daily counts stay).
const VISITOR_DAYS_KEPT: i64 = 2;

#[derive(Deserialize)]
struct Count {
    n: i64,
}

fn count(
    repo: &Repo<SqlStorage>,
    query: &str,
    bindings: Vec<SqlStorageValue>,
) -> Result<i64, ApiError> {
    Ok(repo
        .rows::<Count>(query, bindings)?
        .first()
        .map_or(0, |row| row.n))
}

// --- the share link

#[derive(Deserialize)]
struct CodeRow {
    code: String,
}

pub fn link_code(repo: &Repo<SqlStorage>) -> Result<Option<String>, ApiError> {
    Ok(repo
        .rows::<CodeRow>("SELECT code FROM referral_link WHERE k = 1", vec![])?
        .into_iter()
        .next()
        .map(|row| row.code))
}

/// Keeps the code the registry gave this member; the first one stays if two raced.
pub fn set_link(
    repo: &Repo<SqlStorage>,
    code: &str,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    repo.run(
        "INSERT OR IGNORE INTO referral_link (k, code, created_ms) VALUES (1, ?, ?)",
        vec![code.into(), now.timestamp_millis().into()],
    )?;
    link_code(repo)?.ok_or(ApiError::Internal)
}

/// One tap on the link; `visitor` is the day's keyed hash of IP and user agent.
pub fn click(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    day: &str,
    visitor: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let new_visitor = repo.run(
        "INSERT OR IGNORE INTO link_visitors (day, visitor) VALUES (?, ?)",
        vec![day.into(), visitor.into()],
    )? > 0;
    repo.run("INSERT INTO link_days (day, clicks, visitors) VALUES (?, 1, ?)
         ON CONFLICT (day) DO UPDATE SET clicks = clicks + 1, visitors = visitors + excluded.visitors",
        vec![day.into(), i64::from(new_visitor).into()],
    )?;
    let oldest_kept = rules.zone.date_of(now) - Duration::days(VISITOR_DAYS_KEPT);
    repo.run(
        "DELETE FROM link_visitors WHERE day < ?",
        vec![date_key(oldest_kept).into()],
    )?;
    Ok(())
}

#[derive(Deserialize)]
struct ClickTotals {
    clicks: i64,
    visitors: i64,
}

#[derive(Deserialize)]
struct InviteeTotals {
    bound: i64,
    rewarded: i64,
    refused: i64,
}

pub fn summary(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    code: String,
    now: DateTime<Utc>,
) -> Result<ReferralSummaryReply, ApiError> {
    let today = rules.zone.day_key(now);
    let clicks = repo.rows::<ClickTotals>("SELECT COALESCE(SUM(clicks), 0) AS clicks, COALESCE(SUM(visitors), 0) AS visitors FROM link_days",
        vec![],
    )?;
    let clicks = clicks.first().ok_or(ApiError::Internal)?;
    let invitees = repo.rows::<InviteeTotals>(
        "SELECT COALESCE(SUM(state = 'bound'), 0) AS bound,
                COALESCE(SUM(state = 'bound' AND verified_ms IS NOT NULL), 0) AS rewarded,
                COALESCE(SUM(state = 'refused'), 0) AS refused
         FROM invitees",
        vec![],
    )?;
    let invitees = invitees.first().ok_or(ApiError::Internal)?;
    Ok(ReferralSummaryReply {
        code,
        clicks: clicks.clicks,
        unique_visitors: clicks.visitors,
        clicks_today: count(
            repo,
            "SELECT clicks AS n FROM link_days WHERE day = ?",
            vec![today.into()],
        )?,
        bound: invitees.bound,
        rewarded: invitees.rewarded,
        pending: invitees.bound - invitees.rewarded,
        refused: invitees.refused,
        points_earned: count(
            repo,
            "SELECT COALESCE(SUM(amount), 0) AS n FROM ledger WHERE source = 'referral' AND kind IN ('earn', 'clawback')",
            vec![],
        )?,
    })
}

// --- shared: tallies, rewards, commands to the inviter

/// Counts a fact in the program's tallies (through the outbox: exactly once, eventually).
fn tally(
    repo: &Repo<SqlStorage>,
    fact_id: &str,
    label: String,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let command = RegistryCommand::Record {
        fact_id: fact_id.to_owned(),
        label,
        now_ms: now.timestamp_millis(),
    };
    outbox::enqueue_command(
        &repo.sql,
        &format!("tally-{fact_id}"),
        REFERRALS_OBJECT,
        referral_registry::STATS_NAME,
        "referral.tally",
        &command,
        now.timestamp_millis(),
    )
}

/// A stage's reward (points and coupon) to whichever side it is for, once, reported to the
/// core and tallied. Runs in the recipient's object.
fn award_stage(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let reward = referral::reward(stage, &rules.referral);
    let recipient = if reward.to_inviter { inviter } else { invitee };
    let source_id = referral::reward_source_id(invitee, stage);
    grant(
        repo,
        rules,
        recipient,
        Source::Referral,
        &source_id,
        reward.points,
        now,
    )?;
    let coupon_id = match reward.coupon_fen {
        Some(value_fen) => {
            let claim_id = format!("referral.{source_id}");
            let coupon = NewCoupon {
                claim_id: &claim_id,
                campaign_id: "referral",
                terms: &CouponTerms::Fixed { value_fen },
                eligible_classes: None,
                expires: rules
                    .zone
                    .valid_through(now, rules.referral.coupon_valid_days),
                store_id: None,
            };
            Some(wallet::mint(repo, recipient, &coupon, now)?)
        }
        None => None,
    };
    let data = RewardedData::new(inviter, invitee, stage, reward.points, coupon_id, false);
    emit(
        repo,
        format!("ref-{source_id}"),
        "referral.rewarded",
        now,
        serde_json::to_value(data).map_err(|_| ApiError::Internal)?,
    )?;
    tally(
        repo,
        &format!("reward-{source_id}"),
        referral_registry::label("reward", Some(stage.as_str())),
        now,
    )?;
    Ok(reward.points)
}

/// What the invitee's object asks of the inviter's: a stage's reward, or taking it back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InviterCommand {
    Reward,
    Clawback,
}

/// Queues a command for the inviter's object (retried until it lands; keyed by invitee, stage
/// and kind, so queuing it again is a no-op).
fn queue_for_inviter(
    repo: &Repo<SqlStorage>,
    inviter: &str,
    invitee: &str,
    stage: Stage,
    what: InviterCommand,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let id = |raw: &str| MemberId::parse(raw).map_err(|_| ApiError::Internal);
    let (inviter_id, invitee_id, now_instant) = (id(inviter)?, id(invitee)?, Instant(now));
    let source_id = referral::reward_source_id(invitee, stage);
    let (command, key, kind) = match what {
        InviterCommand::Reward => (
            MemberCommand::ReferralReward(ReferralReward {
                inviter: inviter_id,
                invitee: invitee_id,
                stage,
                now: now_instant,
            }),
            format!("refcmd-{source_id}"),
            "referral.reward",
        ),
        InviterCommand::Clawback => (
            MemberCommand::ReferralClawback(ReferralClawback {
                inviter: inviter_id,
                invitee: invitee_id,
                stage,
                now: now_instant,
            }),
            format!("refcmd-{source_id}-clawback"),
            "referral.clawback",
        ),
    };
    outbox::enqueue_command(
        &repo.sql,
        &key,
        MEMBER_OBJECT,
        inviter,
        kind,
        &command,
        now.timestamp_millis(),
    )
}

// --- as an invitee

#[derive(Debug, Clone, Deserialize)]
pub struct BindingRow {
    pub event_id: String,
    pub inviter_id: String,
    pub code: String,
    pub device: Option<String>,
    pub state: String,
    pub created_ms: i64,
    pub first_order_id: Option<String>,
    pub first_order_paid_ms: Option<i64>,
    pub first_order_fen: Option<i64>,
    pub clawback_queued: i64,
}

pub fn binding(repo: &Repo<SqlStorage>) -> Result<Option<BindingRow>, ApiError> {
    Ok(repo.rows("SELECT event_id, inviter_id, code, device, state, created_ms, first_order_id, first_order_paid_ms, first_order_fen, clawback_queued FROM binding WHERE k = 1",
        vec![],
    )?
    .into_iter()
    .next())
}

fn refuse(
    repo: &Repo<SqlStorage>,
    invitee: &str,
    event_id: &str,
    inviter: Option<&str>,
    code: Option<&str>,
    refusal: Refusal,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    repo.run("INSERT OR IGNORE INTO referral_refusals (event_id, inviter_id, code, reason, at_ms) VALUES (?, ?, ?, ?, ?)",
        vec![event_id.into(), inviter.into(), code.into(), refusal.as_str().into(), now.timestamp_millis().into()],
    )?;
    tally(
        repo,
        &format!("decision-{invitee}-{event_id}"),
        referral_registry::label("refused", Some(refusal.as_str())),
        now,
    )
}

/// Queues the registration's device (if any) for the device registry.
fn report_device(
    repo: &Repo<SqlStorage>,
    event_id: &str,
    device: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(device) = device {
        repo.run(
            "INSERT OR IGNORE INTO device_claims (event_id, device, now_ms) VALUES (?, ?, ?)",
            vec![
                event_id.into(),
                device.into(),
                now.timestamp_millis().into(),
            ],
        )?;
    }
    Ok(())
}

/// A `member.registered` event, first time seen: records it, decides the invitee's side of
/// a referral, and leaves what needs other objects (device registry, the inviter's caps) as
/// pending rows for `referral_flow`.
pub fn register(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    invitee: &str,
    event_id: &str,
    registration: &Registration,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let earlier_reports = count(repo, "SELECT COUNT(*) AS n FROM registrations", vec![])?;
    repo.run(
        "INSERT OR IGNORE INTO registrations (event_id, received_ms) VALUES (?, ?)",
        vec![event_id.into(), now.timestamp_millis().into()],
    )?;
    let data = &registration.data;
    repo.set_registration(
        data.registered_at.0.timestamp_millis(),
        data.real_name_verified,
    )?;
    let device = registration.device.as_deref();
    if data.ref_code.is_none() {
        report_device(repo, event_id, device, now)?;
        return Ok(());
    }
    let inviter = registration.inviter.as_ref().map(MemberId::as_str);
    let code = registration.code.as_deref();
    let facts = InviteeFacts {
        first_registration: earlier_reports == 0,
        has_binding: binding(repo)?.is_some(),
        registered_at: data.registered_at.0,
        has_paid_order: !repo.paid_orders()?.is_empty(),
    };
    if let Err(refusal) = referral::check_invitee(invitee, inviter, &facts, now, &rules.referral) {
        report_device(repo, event_id, device, now)?;
        return refuse(repo, invitee, event_id, inviter, code, refusal, now);
    }
    repo.run("INSERT INTO binding (k, event_id, inviter_id, code, device, state, created_ms) VALUES (1, ?, ?, ?, ?, 'pending', ?)",
        vec![
            event_id.into(),
            inviter.into(),
            code.into(),
            device.into(),
            now.timestamp_millis().into(),
        ],
    )?;
    Ok(())
}

/// Work left for `referral_flow`: device registrations to report, and a binding to decide.
pub struct Pending {
    pub device_claims: Vec<DeviceClaim>,
    pub binding: Option<BindingRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceClaim {
    pub event_id: String,
    pub device: String,
    pub now_ms: i64,
}

pub fn pending(repo: &Repo<SqlStorage>) -> Result<Pending, ApiError> {
    Ok(Pending {
        device_claims: repo.rows("SELECT event_id, device, now_ms FROM device_claims", vec![])?,
        binding: binding(repo)?.filter(|row| row.state == "pending"),
    })
}

pub fn device_reported(repo: &Repo<SqlStorage>, event_id: &str) -> Result<(), ApiError> {
    repo.run(
        "DELETE FROM device_claims WHERE event_id = ?",
        vec![event_id.into()],
    )?;
    Ok(())
}

/// The binding's decision (device and caps checked elsewhere): bound with the invitee's
/// rewards, or refused with its reason. Once: only a pending binding is decided.
pub fn decide(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    invitee: &str,
    decision: Result<(), Refusal>,
) -> Result<(), ApiError> {
    let Some(row) = binding(repo)?.filter(|row| row.state == "pending") else {
        return Ok(());
    };
    // The business clock of the registration, so days and windows are the event's.
    let now = from_unix_millis(row.created_ms).ok_or(ApiError::Internal)?;
    if let Err(refusal) = decision {
        repo.run(
            "UPDATE binding SET state = 'refused', reason = ?, decided_ms = ? WHERE k = 1",
            vec![refusal.as_str().into(), now.timestamp_millis().into()],
        )?;
        return refuse(
            repo,
            invitee,
            &row.event_id,
            Some(&row.inviter_id),
            Some(&row.code),
            refusal,
            now,
        );
    }
    repo.run(
        "UPDATE binding SET state = 'bound', decided_ms = ? WHERE k = 1",
        vec![now.timestamp_millis().into()],
    )?;
    let inviter = row.inviter_id.as_str();
    emit(
        repo,
        format!("refb-{invitee}"),
        "referral.bound",
        now,
        json!({
            "inviter_id": inviter,
            "invitee_id": invitee,
            "code": row.code,
            "bound_at": Instant(now),
        }),
    )?;
    tally(
        repo,
        &format!("decision-{invitee}-{}", row.event_id),
        referral_registry::label("bound", None),
        now,
    )?;
    award_stage(repo, rules, inviter, invitee, Stage::Bound, now)?;
    // Stages the invitee reached while the binding was being decided.
    if repo.is_verified()? {
        queue_for_inviter(
            repo,
            inviter,
            invitee,
            Stage::Verified,
            InviterCommand::Reward,
            now,
        )?;
    }
    if row.first_order_id.is_some() {
        queue_for_inviter(
            repo,
            inviter,
            invitee,
            Stage::FirstOrder,
            InviterCommand::Reward,
            now,
        )?;
        after_refund(repo, rules, invitee, now)?;
    }
    Ok(())
}

/// `member.verified` for an invitee: the inviter's reward is released.
pub fn on_verified(
    repo: &Repo<SqlStorage>,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    match binding(repo)? {
        Some(row) if row.state == "bound" => queue_for_inviter(
            repo,
            &row.inviter_id,
            invitee,
            Stage::Verified,
            InviterCommand::Reward,
            now,
        ),
        _ => Ok(()),
    }
}

/// The invitee's first paid order (as the core flags it): the inviter's extra reward.
pub fn on_first_order(
    repo: &Repo<SqlStorage>,
    invitee: &str,
    order_id: &str,
    paid_at: DateTime<Utc>,
    amount_fen: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = binding(repo)? else {
        return Ok(());
    };
    if row.state == "refused" || row.first_order_id.is_some() {
        return Ok(());
    }
    repo.run("UPDATE binding SET first_order_id = ?, first_order_paid_ms = ?, first_order_fen = ? WHERE k = 1",
        vec![order_id.into(), paid_at.timestamp_millis().into(), amount_fen.into()],
    )?;
    if row.state == "bound" {
        queue_for_inviter(
            repo,
            &row.inviter_id,
            invitee,
            Stage::FirstOrder,
            InviterCommand::Reward,
            now,
        )?;
    }
    Ok(())
}

/// After a refund: if the first order is now refunded in full within the window, the
/// inviter's first-order reward is taken back (once).
pub fn after_refund(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(row) = binding(repo)? else {
        return Ok(());
    };
    let (Some(order_id), Some(paid_ms), Some(paid_fen)) = (
        row.first_order_id.as_deref(),
        row.first_order_paid_ms,
        row.first_order_fen,
    ) else {
        return Ok(());
    };
    if row.state != "bound" || row.clawback_queued != 0 {
        return Ok(());
    }
    let refunded_fen = repo
        .paid_order(order_id)?
        .map_or(0, |order| order.refunded_fen);
    let paid_at = from_unix_millis(paid_ms).ok_or(ApiError::Internal)?;
    if !referral::claws_back_first_order(paid_at, paid_fen, refunded_fen, now, &rules.referral) {
        return Ok(());
    }
    repo.run("UPDATE binding SET clawback_queued = 1 WHERE k = 1", vec![])?;
    queue_for_inviter(
        repo,
        &row.inviter_id,
        invitee,
        Stage::FirstOrder,
        InviterCommand::Clawback,
        now,
    )
}

// --- as an inviter

#[derive(Deserialize)]
struct InviteeRow {
    state: String,
    reason: Option<String>,
    verified_ms: Option<i64>,
    first_order_state: Option<String>,
    first_order_points: i64,
}

impl InviteeRow {
    fn first_order(&self) -> FirstOrderReward {
        match self.first_order_state.as_deref() {
            Some("granted") => FirstOrderReward::Granted {
                points: self.first_order_points,
            },
            Some(_) => FirstOrderReward::ClawedBack,
            None => FirstOrderReward::Open,
        }
    }
}

fn invitee_row(repo: &Repo<SqlStorage>, invitee: &str) -> Result<Option<InviteeRow>, ApiError> {
    Ok(repo
        .rows(
            "SELECT state, reason, verified_ms, first_order_state, first_order_points FROM invitees WHERE invitee_id = ?",
            vec![invitee.into()],
        )?
        .into_iter()
        .next())
}

/// May `invitee` be bound to this inviter? The caps are counted here, in the inviter's own
/// transaction, so concurrent invitees can never exceed them. The same invitee asking again
/// gets the first answer.
pub fn invite(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    now: DateTime<Utc>,
) -> Result<InviteReply, ApiError> {
    repo.ensure_profile(inviter, None, now.timestamp_millis())?;
    if let Some(row) = invitee_row(repo, invitee)? {
        let refusal = match row.reason {
            Some(reason) if row.state == "refused" => {
                Some(serde_json::from_value(json!(reason)).map_err(|_| ApiError::Internal)?)
            }
            _ => None,
        };
        return Ok(InviteReply { refusal });
    }
    let today = rules.zone.day_key(now);
    let month = YearMonth::of(rules.zone.date_of(now)).to_string();
    let bound_today = count(
        repo,
        "SELECT COUNT(*) AS n FROM invitees WHERE state = 'bound' AND day = ?",
        vec![today.as_str().into()],
    )?;
    let bound_this_month = count(
        repo,
        "SELECT COUNT(*) AS n FROM invitees WHERE state = 'bound' AND month = ?",
        vec![month.as_str().into()],
    )?;
    let decision =
        referral::check_caps(bound_today as u32, bound_this_month as u32, &rules.referral);
    repo.run("INSERT INTO invitees (invitee_id, state, reason, day, month, decided_ms) VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            invitee.into(),
            if decision.is_ok() { "bound" } else { "refused" }.into(),
            decision.err().map(Refusal::as_str).into(),
            today.into(),
            month.into(),
            now.timestamp_millis().into(),
        ],
    )?;
    Ok(InviteReply {
        refusal: decision.err(),
    })
}

fn bound_invitee(repo: &Repo<SqlStorage>, invitee: &str) -> Result<InviteeRow, ApiError> {
    invitee_row(repo, invitee)?
        .filter(|row| row.state == "bound")
        .ok_or(ApiError::NotFound)
}

/// A stage the invitee reached: the inviter's reward for it, once.
pub fn reward_inviter(
    repo: &Repo<SqlStorage>,
    rules: &Rules,
    inviter: &str,
    invitee: &str,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let row = bound_invitee(repo, invitee)?;
    match stage {
        Stage::Verified if row.verified_ms.is_none() => {
            repo.run(
                "UPDATE invitees SET verified_ms = ? WHERE invitee_id = ?",
                vec![now.timestamp_millis().into(), invitee.into()],
            )?;
            award_stage(repo, rules, inviter, invitee, stage, now)?;
        }
        Stage::FirstOrder if row.first_order().on_reward() == FirstOrderStep::Grant => {
            let points = award_stage(repo, rules, inviter, invitee, stage, now)?;
            repo.run(
                "UPDATE invitees SET first_order_state = 'granted', first_order_points = ? WHERE invitee_id = ?",
                vec![points.into(), invitee.into()],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// The first order was refunded in time: its reward goes back, once. Points already spent
/// become debt, settled from the next award.
pub fn clawback_inviter(
    repo: &Repo<SqlStorage>,
    inviter: &str,
    invitee: &str,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let row = bound_invitee(repo, invitee)?;
    if stage != Stage::FirstOrder {
        return Ok(());
    }
    let points = match row.first_order().on_clawback() {
        FirstOrderStep::TakeBack { points } => points,
        FirstOrderStep::Cancel => 0,
        FirstOrderStep::Grant | FirstOrderStep::Nothing => return Ok(()),
    };
    repo.run(
        "UPDATE invitees SET first_order_state = 'clawed_back' WHERE invitee_id = ?",
        vec![invitee.into()],
    )?;
    if row.first_order() == FirstOrderReward::Open {
        return Ok(()); // never granted, and now never will be
    }
    let source_id = referral::reward_source_id(invitee, stage);
    if points > 0 {
        repo.debit(
            EntryKind::Clawback,
            Source::Referral,
            &source_id,
            points,
            now,
        )?;
    }
    let data = RewardedData::new(inviter, invitee, stage, points, None, true);
    emit(
        repo,
        format!("ref-{source_id}-clawback"),
        "referral.rewarded",
        now,
        serde_json::to_value(data).map_err(|_| ApiError::Internal)?,
    )?;
    tally(
        repo,
        &format!("clawback-{source_id}"),
        referral_registry::label("clawback", Some(stage.as_str())),
        now,
    )
}
