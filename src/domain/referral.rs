//! Referral (推荐): share codes, the binding rules and the staged rewards. Pure.
//!
//! A share code is 8 characters of Crockford base32 (no I, L, O or U, so nothing reads as
//! something else) taken from an HMAC of the member id: stable, short, and neither guessable
//! from the member id nor revealing it. Visitors and devices are only ever kept as keyed
//! hashes.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const CODE_LEN: usize = 8;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn keyed_digest(secret: &[u8], domain: &str, parts: &[&str]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(domain.as_bytes());
    for part in parts {
        mac.update(b"\n");
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// The member's `attempt`-th candidate code (attempt 0 unless an earlier one was taken by
/// another member, which the code registry decides).
pub fn candidate_code(secret: &[u8], member_id: &str, attempt: u32) -> String {
    let digest = keyed_digest(
        secret,
        "referral.code.v1",
        &[member_id, &attempt.to_string()],
    );
    // 40 bits, 5 per character.
    let bits = digest[..5]
        .iter()
        .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
    (0..CODE_LEN)
        .map(|i| ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char)
        .collect()
}

/// Reads a code as typed, pasted or tapped: case does not matter, hyphens are ignored, `I`
/// and `L` read as `1` and `O` as `0`; the code is the first 8 characters, and whatever
/// follows them (punctuation or text a chat app glued on, a `/`) is ignored. `None` when
/// fewer than 8 code characters come first.
pub fn normalize_code(raw: &str) -> Option<String> {
    let mut code = String::with_capacity(CODE_LEN);
    for c in raw.chars() {
        if code.len() == CODE_LEN {
            break;
        }
        let c = match c.to_ascii_uppercase() {
            '-' => continue,
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            break;
        }
        code.push(c);
    }
    (code.len() == CODE_LEN).then_some(code)
}

/// A link visitor for the unique-visitor count: IP and user agent under a key, per business
/// day, so visitors cannot be followed from one day to the next and the IP is never kept.
pub fn visitor_hash(secret: &[u8], day: &str, ip: &str, user_agent: &str) -> String {
    super::ids::hex(&keyed_digest(secret, "referral.visitor.v1", &[day, ip, user_agent])[..16])
}

/// The rate-limit key of one client tapping one share link: IP and user agent under a key,
/// so the limiter never sees them. Not the IP alone: behind a carrier's NAT a whole group
/// chat can share one address.
pub fn tap_limit_key(secret: &[u8], code: &str, ip: &str, user_agent: &str) -> String {
    super::ids::hex(&keyed_digest(secret, "referral.tap.v1", &[code, ip, user_agent])[..16])
}

/// A device id as kept for the "device seen before" rule.
pub fn device_hash(secret: &[u8], device_id: &str) -> String {
    super::ids::hex(&keyed_digest(secret, "referral.device.v1", &[device_id])[..16])
}

/// Why a referral was not bound. Every refusal is recorded with one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// No member has this code.
    UnknownCode,
    /// The invitee's own code.
    SelfReferral,
    /// The invitee was already a member (an earlier registration, an old registration date,
    /// or orders before it).
    NotNewMember,
    /// The invitee has (or is getting) a binding already: one binding per invitee, ever.
    AlreadyBound,
    /// The device registered another member before.
    DeviceSeen,
    InviterDailyCap,
    InviterMonthlyCap,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownCode => "unknown_code",
            Refusal::SelfReferral => "self_referral",
            Refusal::NotNewMember => "not_new_member",
            Refusal::AlreadyBound => "already_bound",
            Refusal::DeviceSeen => "device_seen",
            Refusal::InviterDailyCap => "inviter_daily_cap",
            Refusal::InviterMonthlyCap => "inviter_monthly_cap",
        }
    }
}

/// The reward stages, each granted at most once per invitee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The invitee, when bound.
    Bound,
    /// The inviter, when the invitee is real-name verified.
    Verified,
    /// The inviter's extra, on the invitee's first paid order.
    FirstOrder,
}

impl Stage {
    /// Whether this stage rewards the inviter (else the invitee).
    pub fn to_inviter(self) -> bool {
        self != Stage::Bound
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Bound => "bound",
            Stage::Verified => "verified",
            Stage::FirstOrder => "first_order",
        }
    }
}

/// The ledger `source_id` of a stage's points: unique per invitee and stage, so the ledger's
/// uniqueness on source + source id makes each award (and its clawback) happen once.
pub fn reward_source_id(invitee_id: &str, stage: Stage) -> String {
    format!("{invitee_id}.{}", stage.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferralRules {
    pub invitee_points: i64,
    pub invitee_coupon_fen: i64,
    pub inviter_points: i64,
    pub inviter_coupon_fen: i64,
    pub first_order_points: i64,
    /// Reward coupons are valid this many days from the award.
    pub coupon_valid_days: i64,
    /// Bindings per inviter per business day / month.
    pub daily_cap: u32,
    pub monthly_cap: u32,
    /// A registration reported later than this after it happened is not a new member's.
    pub new_member_hours: i64,
    /// A full refund of the first order within this many days of payment claws back the
    /// inviter's first-order reward.
    pub refund_window_days: i64,
}

impl Default for ReferralRules {
    /// Seed 004: invitee 50 points + 20 yuan no-threshold coupon; inviter 100 points + 30
    /// yuan coupon, plus 50 points on the invitee's first order. Caps per DESIGN.md.
    fn default() -> Self {
        Self {
            invitee_points: 50,
            invitee_coupon_fen: 2_000,
            inviter_points: 100,
            inviter_coupon_fen: 3_000,
            first_order_points: 50,
            coupon_valid_days: 30,
            daily_cap: 20,
            monthly_cap: 100,
            new_member_hours: 72,
            refund_window_days: 7,
        }
    }
}

/// What a stage gives, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reward {
    pub to_inviter: bool,
    pub points: i64,
    /// A no-threshold coupon of this value, if any.
    pub coupon_fen: Option<i64>,
}

pub fn reward(stage: Stage, rules: &ReferralRules) -> Reward {
    let coupon = |fen: i64| (fen > 0).then_some(fen);
    match stage {
        Stage::Bound => Reward {
            to_inviter: stage.to_inviter(),
            points: rules.invitee_points,
            coupon_fen: coupon(rules.invitee_coupon_fen),
        },
        Stage::Verified => Reward {
            to_inviter: stage.to_inviter(),
            points: rules.inviter_points,
            coupon_fen: coupon(rules.inviter_coupon_fen),
        },
        Stage::FirstOrder => Reward {
            to_inviter: stage.to_inviter(),
            points: rules.first_order_points,
            coupon_fen: None,
        },
    }
}

/// What the invitee's own object knows when a registration with a code arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteeFacts {
    /// No registration of this member was reported before this one.
    pub first_registration: bool,
    /// A binding exists (pending or bound) or an earlier attempt was decided.
    pub has_binding: bool,
    pub registered_at: DateTime<Utc>,
    pub has_paid_order: bool,
}

/// The invitee's side of the rules, in order: the code must name someone, not the invitee,
/// the invitee must not have a binding, and must be new.
pub fn check_invitee(
    invitee_id: &str,
    inviter_id: Option<&str>,
    facts: &InviteeFacts,
    now: DateTime<Utc>,
    rules: &ReferralRules,
) -> Result<(), Refusal> {
    let inviter_id = inviter_id.ok_or(Refusal::UnknownCode)?;
    if inviter_id == invitee_id {
        return Err(Refusal::SelfReferral);
    }
    if facts.has_binding {
        return Err(Refusal::AlreadyBound);
    }
    let stale = now - facts.registered_at > Duration::hours(rules.new_member_hours);
    if !facts.first_registration || stale || facts.has_paid_order {
        return Err(Refusal::NotNewMember);
    }
    Ok(())
}

/// A device may bind only the member it first registered.
pub fn check_device(first_member: Option<&str>, invitee_id: &str) -> Result<(), Refusal> {
    match first_member {
        Some(owner) if owner != invitee_id => Err(Refusal::DeviceSeen),
        _ => Ok(()),
    }
}

/// The inviter's caps, with the bindings already made today and this month.
pub fn check_caps(
    bound_today: u32,
    bound_this_month: u32,
    rules: &ReferralRules,
) -> Result<(), Refusal> {
    if bound_today >= rules.daily_cap {
        return Err(Refusal::InviterDailyCap);
    }
    if bound_this_month >= rules.monthly_cap {
        return Err(Refusal::InviterMonthlyCap);
    }
    Ok(())
}

/// Whether a refund takes the first-order reward back: refunded in full, within the window.
pub fn claws_back_first_order(
    paid_at: DateTime<Utc>,
    paid_fen: i64,
    refunded_total_fen: i64,
    refunded_at: DateTime<Utc>,
    rules: &ReferralRules,
) -> bool {
    refunded_total_fen >= paid_fen
        && refunded_at - paid_at <= Duration::days(rules.refund_window_days)
}

/// The inviter's first-order reward for one invitee. Its reward and its clawback travel as
/// separate commands and may arrive in either order; each arrives at least once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstOrderReward {
    /// Neither has arrived.
    Open,
    Granted {
        points: i64,
    },
    /// Taken back, or cancelled by a clawback that came first.
    ClawedBack,
}

/// What to do when a command arrives, and the state after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstOrderStep {
    Grant,
    /// Take back this many points.
    TakeBack {
        points: i64,
    },
    /// Record the new state only (a clawback that came before its reward).
    Cancel,
    Nothing,
}

impl FirstOrderReward {
    pub fn on_reward(self) -> FirstOrderStep {
        match self {
            FirstOrderReward::Open => FirstOrderStep::Grant,
            _ => FirstOrderStep::Nothing,
        }
    }

    pub fn on_clawback(self) -> FirstOrderStep {
        match self {
            FirstOrderReward::Open => FirstOrderStep::Cancel,
            FirstOrderReward::Granted { points } => FirstOrderStep::TakeBack { points },
            FirstOrderReward::ClawedBack => FirstOrderStep::Nothing,
        }
    }
}

/// The data of a `referral.rewarded` event (a clawback has negative points).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RewardedData<'a> {
    pub member_id: &'a str,
    pub role: &'static str,
    pub inviter_id: &'a str,
    pub invitee_id: &'a str,
    pub stage: Stage,
    pub points: i64,
    pub coupon_id: Option<String>,
    pub clawback: bool,
}

impl<'a> RewardedData<'a> {
    /// A stage's reward, or (`clawback`) its reversal, as reported to the core.
    pub fn new(
        inviter_id: &'a str,
        invitee_id: &'a str,
        stage: Stage,
        points: i64,
        coupon_id: Option<String>,
        clawback: bool,
    ) -> Self {
        let to_inviter = stage.to_inviter();
        Self {
            member_id: if to_inviter { inviter_id } else { invitee_id },
            role: if to_inviter { "inviter" } else { "invitee" },
            inviter_id,
            invitee_id,
            stage,
            points: if clawback { -points } else { points },
            coupon_id,
            clawback,
        }
    }
}
