//! The one application error type, and its single mapping to HTTP: status, stable `code`,
//! title, and the RFC 9457 problem body. Pure, so the mapping is tested natively.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const PROBLEM_BASE: &str = "https://pharmedge.dev/problems/";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ApiError {
    InvalidRequest {
        detail: String,
    },
    Unauthenticated,
    InvalidToken {
        detail: String,
    },
    Forbidden {
        detail: String,
    },
    InvalidSignature {
        detail: String,
    },
    NotFound,
    MethodNotAllowed {
        allow: Vec<String>,
    },
    PayloadTooLarge {
        limit_bytes: usize,
    },
    UnsupportedMediaType,
    RateLimited {
        retry_after_s: u32,
    },
    IdempotencyKeyReused,
    UnknownEvent {
        detail: String,
    },
    AlreadyCheckedIn {
        date: String,
    },
    MakeupNotAllowed {
        reason: String,
        detail: String,
    },
    InsufficientPoints {
        balance: i64,
        required: i64,
    },
    MakeupLimit {
        limit: u32,
    },
    /// A request with the same Idempotency-Key is still being processed.
    RequestInProgress,
    CampaignNotFound,
    CampaignExists,
    InvalidCampaign {
        detail: String,
    },
    NonCompliantReward {
        detail: String,
    },
    InvalidTransition {
        detail: String,
    },
    /// If-Match names another revision: someone changed it first.
    PreconditionFailed {
        current_etag: String,
    },
    /// A change that a blind retry would apply twice, sent without Idempotency-Key or If-Match.
    PreconditionRequired {
        detail: String,
    },
    CampaignNotStarted,
    CampaignEnded,
    CampaignPaused,
    SoldOut,
    ClaimLimitReached {
        limit: String,
    },
    NotEligible {
        reason: String,
    },
    InvalidPosterSignature,
    OrderNotFound,
    RestrictedDrug {
        detail: String,
    },
    PrescriptionRequired,
    CouponUnavailable {
        detail: String,
    },
    CouponNotApplicable {
        detail: String,
    },
    InvalidCode,
    CodeExpired,
    WrongStore,
    AlreadyPickedUp {
        verified_at: String,
        verified_by: String,
    },
    NotReady {
        order_status: String,
    },
    PharmacistRequired,
    PickupExpired,
    /// A dependency (a Durable Object, storage) failed; safe to retry.
    Unavailable,
    /// A bug. Internals are logged, never shown.
    Internal,
}

/// Everything needed to write the response.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn invalid(detail: impl Into<String>) -> Self {
        ApiError::InvalidRequest {
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidRequest { .. } => 400,
            ApiError::Unauthenticated
            | ApiError::InvalidToken { .. }
            | ApiError::InvalidSignature { .. } => 401,
            ApiError::Forbidden { .. }
            | ApiError::NotEligible { .. }
            | ApiError::InvalidPosterSignature
            | ApiError::WrongStore
            | ApiError::PharmacistRequired => 403,
            ApiError::NotFound | ApiError::CampaignNotFound | ApiError::OrderNotFound => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::AlreadyCheckedIn { .. }
            | ApiError::InsufficientPoints { .. }
            | ApiError::RequestInProgress
            | ApiError::CampaignExists
            | ApiError::InvalidTransition { .. }
            | ApiError::CampaignNotStarted
            | ApiError::CampaignEnded
            | ApiError::CampaignPaused
            | ApiError::SoldOut
            | ApiError::ClaimLimitReached { .. }
            | ApiError::CouponUnavailable { .. }
            | ApiError::AlreadyPickedUp { .. }
            | ApiError::NotReady { .. } => 409,
            ApiError::CodeExpired | ApiError::PickupExpired => 410,
            ApiError::PreconditionFailed { .. } => 412,
            ApiError::PreconditionRequired { .. } => 428,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::IdempotencyKeyReused
            | ApiError::UnknownEvent { .. }
            | ApiError::MakeupNotAllowed { .. }
            | ApiError::InvalidCampaign { .. }
            | ApiError::NonCompliantReward { .. }
            | ApiError::RestrictedDrug { .. }
            | ApiError::PrescriptionRequired
            | ApiError::CouponNotApplicable { .. }
            | ApiError::InvalidCode => 422,
            ApiError::RateLimited { .. } | ApiError::MakeupLimit { .. } => 429,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }

    /// Whether this refusal is the final answer of its request: a repeat with the same
    /// Idempotency-Key and body gets it again, whatever changes later (a top-up, a resume, a
    /// new revision). What is worth retrying (429, 503, a request still in progress) and what
    /// is about the key or the caller (422 key reused, 401, 403 by role) is not.
    pub fn is_final_refusal(&self) -> bool {
        matches!(
            self,
            ApiError::NotEligible { .. }
                | ApiError::ClaimLimitReached { .. }
                | ApiError::SoldOut
                | ApiError::CampaignPaused
                | ApiError::CampaignEnded
                | ApiError::CampaignNotStarted
                | ApiError::PreconditionFailed { .. }
                | ApiError::InvalidTransition { .. }
                | ApiError::InvalidCampaign { .. }
                | ApiError::InvalidRequest { .. }
        )
    }

    /// The stable machine code (the serde tag).
    pub fn code(&self) -> String {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("internal")
                .to_owned(),
            _ => "internal".to_owned(),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest { .. } => "The request is invalid",
            ApiError::Unauthenticated => "Authentication is required",
            ApiError::InvalidToken { .. } => "The token is not valid",
            ApiError::Forbidden { .. } => "Not allowed",
            ApiError::InvalidSignature { .. } => "The signature is not valid",
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed { .. } => "Method not allowed",
            ApiError::PayloadTooLarge { .. } => "The body is too large",
            ApiError::UnsupportedMediaType => "The body must be application/json",
            ApiError::RateLimited { .. } => "Too many requests",
            ApiError::IdempotencyKeyReused => "Idempotency key reused with a different body",
            ApiError::UnknownEvent { .. } => "Unknown event type",
            ApiError::AlreadyCheckedIn { .. } => "Already checked in",
            ApiError::MakeupNotAllowed { .. } => "Make-up check-in not allowed",
            ApiError::InsufficientPoints { .. } => "Not enough points",
            ApiError::MakeupLimit { .. } => "Make-up check-ins used up this month",
            ApiError::RequestInProgress => "A request with this Idempotency-Key is in progress",
            ApiError::CampaignNotFound => "No such campaign",
            ApiError::CampaignExists => "A campaign with this id exists",
            ApiError::InvalidCampaign { .. } => "The campaign configuration is invalid",
            ApiError::NonCompliantReward { .. } => "The reward is not compliant",
            ApiError::InvalidTransition { .. } => "That status change is not allowed",
            ApiError::PreconditionFailed { .. } => "The campaign changed since you read it",
            ApiError::PreconditionRequired { .. } => "Send an Idempotency-Key or If-Match",
            ApiError::CampaignNotStarted => "The campaign has not started",
            ApiError::CampaignEnded => "The campaign has ended",
            ApiError::CampaignPaused => "The campaign is paused",
            ApiError::SoldOut => "Sold out",
            ApiError::ClaimLimitReached { .. } => "Claim limit reached",
            ApiError::NotEligible { .. } => "Not eligible for this campaign",
            ApiError::InvalidPosterSignature => "The poster link is not valid",
            ApiError::OrderNotFound => "No such order",
            ApiError::RestrictedDrug { .. } => "This drug cannot be sold online",
            ApiError::PrescriptionRequired => "A prescription is required",
            ApiError::CouponUnavailable { .. } => "The coupon cannot be used",
            ApiError::CouponNotApplicable { .. } => "The coupon does not apply to this order",
            ApiError::InvalidCode => "The pickup code is not valid",
            ApiError::CodeExpired => "The pickup code has expired",
            ApiError::WrongStore => "The order is for another store",
            ApiError::AlreadyPickedUp { .. } => "Already picked up",
            ApiError::NotReady { .. } => "The order is not ready for pickup",
            ApiError::PharmacistRequired => "A pharmacist must hand over this order",
            ApiError::PickupExpired => "The pickup deadline has passed",
            ApiError::Unavailable => "Temporarily unavailable",
            ApiError::Internal => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::InvalidRequest { detail }
            | ApiError::InvalidToken { detail }
            | ApiError::Forbidden { detail }
            | ApiError::InvalidSignature { detail }
            | ApiError::UnknownEvent { detail }
            | ApiError::MakeupNotAllowed { detail, .. }
            | ApiError::InvalidCampaign { detail }
            | ApiError::NonCompliantReward { detail }
            | ApiError::InvalidTransition { detail }
            | ApiError::PreconditionRequired { detail }
            | ApiError::RestrictedDrug { detail }
            | ApiError::CouponUnavailable { detail }
            | ApiError::CouponNotApplicable { detail } => detail.clone(),
            ApiError::Unauthenticated => "send Authorization: Bearer <token>".into(),
            ApiError::NotFound => "no such resource".into(),
            ApiError::MethodNotAllowed { allow } => format!("allowed: {}", allow.join(", ")),
            ApiError::PayloadTooLarge { limit_bytes } => format!("limit is {limit_bytes} bytes"),
            ApiError::UnsupportedMediaType => "send Content-Type: application/json".into(),
            ApiError::RateLimited { retry_after_s } => format!("retry after {retry_after_s} s"),
            ApiError::IdempotencyKeyReused => {
                "this Idempotency-Key was used with a different request".into()
            }
            ApiError::AlreadyCheckedIn { date } => format!("{date} is already checked in"),
            ApiError::InsufficientPoints { balance, required } => {
                format!("balance {balance}, required {required}")
            }
            ApiError::MakeupLimit { limit } => format!("at most {limit} per month"),
            ApiError::RequestInProgress => "retry in a moment for the first answer".into(),
            ApiError::CampaignNotFound => "no campaign with this id".into(),
            ApiError::PreconditionFailed { current_etag } => {
                format!("If-Match does not match the current ETag {current_etag}: read it again")
            }
            ApiError::CampaignExists => "campaign ids are unique".into(),
            ApiError::CampaignNotStarted => "claims open at starts_at".into(),
            ApiError::CampaignEnded => "claims closed at ends_at".into(),
            ApiError::CampaignPaused => "claims are paused by the operator".into(),
            ApiError::SoldOut => "no coupons left".into(),
            ApiError::ClaimLimitReached { limit } => format!("limit reached: {limit}"),
            ApiError::NotEligible { reason } => format!("not eligible: {reason}"),
            ApiError::InvalidPosterSignature => "the store poster signature does not match".into(),
            ApiError::OrderNotFound => "no order with this id for this member".into(),
            ApiError::PrescriptionRequired => {
                "prescription drugs need a prescription_id from an approved prescription".into()
            }
            ApiError::InvalidCode => "the code is malformed, forged or for another order".into(),
            ApiError::CodeExpired => "ask the member to refresh the code".into(),
            ApiError::WrongStore => "this order is to be picked up at another store".into(),
            ApiError::AlreadyPickedUp {
                verified_at,
                verified_by,
            } => format!("picked up at {verified_at}, verified by {verified_by}"),
            ApiError::NotReady { order_status } => format!("the order is {order_status}"),
            ApiError::PharmacistRequired => "the order has prescription drugs".into(),
            ApiError::PickupExpired => "the order was not picked up in time".into(),
            ApiError::Unavailable => "please retry shortly".into(),
            ApiError::Internal => "something went wrong on our side".into(),
        }
    }

    /// The RFC 9457 problem: the standard members, plus the variant's own fields
    /// (e.g. `reason`, `balance`) so clients can act on them.
    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let code = self.code();
        let mut body = Map::new();
        body.insert("type".into(), json!(format!("{PROBLEM_BASE}{code}")));
        body.insert("title".into(), json!(self.title()));
        body.insert("status".into(), json!(status));
        body.insert("code".into(), json!(code));
        body.insert("detail".into(), json!(self.detail()));
        if let Ok(Value::Object(fields)) = serde_json::to_value(self) {
            for (key, value) in fields {
                body.entry(key).or_insert(value);
            }
        }
        let mut headers = Vec::new();
        match self {
            ApiError::MethodNotAllowed { allow } => headers.push(("Allow", allow.join(", "))),
            ApiError::RateLimited { retry_after_s } => {
                headers.push(("Retry-After", retry_after_s.to_string()))
            }
            ApiError::MakeupLimit { .. } => headers.push(("Retry-After", "86400".into())),
            ApiError::Unavailable | ApiError::RequestInProgress => {
                headers.push(("Retry-After", "1".into()))
            }
            ApiError::Unauthenticated | ApiError::InvalidToken { .. } => {
                headers.push(("WWW-Authenticate", "Bearer".into()))
            }
            _ => {}
        }
        Problem {
            status,
            body: Value::Object(body),
            headers,
        }
    }
}
