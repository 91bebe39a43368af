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
    CampaignNotStarted {
        /// A scheduled campaign's next occurrence (issue 13), when a claim came between two.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_occurrence: Option<Value>,
    },
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
    /// In an order (`line` given) 422; a SKU looked up by path 404.
    UnknownSku {
        detail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
    },
    SkuStopped {
        detail: String,
    },
    QuantityLimit {
        detail: String,
        max: i64,
    },
    /// The member saw another price: `lines` are the order's lines at today's prices.
    PriceChanged {
        lines: Vec<serde_json::Value>,
    },
    PrescriptionRequired,
    PrescriptionInvalid {
        reason: String,
        detail: String,
    },
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
    /// A points exchange over the tier's monthly cap on the face value exchanged.
    ExchangeCapReached {
        cap_fen: i64,
        used_fen: i64,
    },
    /// The member was erased (PIPL): nothing is kept or created for that id any more.
    MemberErased,
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
            ApiError::NotFound
            | ApiError::CampaignNotFound
            | ApiError::OrderNotFound
            | ApiError::UnknownSku { line: None, .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::AlreadyCheckedIn { .. }
            | ApiError::InsufficientPoints { .. }
            | ApiError::RequestInProgress
            | ApiError::CampaignExists
            | ApiError::InvalidTransition { .. }
            | ApiError::CampaignNotStarted { .. }
            | ApiError::CampaignEnded
            | ApiError::CampaignPaused
            | ApiError::SoldOut
            | ApiError::ClaimLimitReached { .. }
            | ApiError::CouponUnavailable { .. }
            | ApiError::PriceChanged { .. }
            | ApiError::AlreadyPickedUp { .. }
            | ApiError::NotReady { .. }
            | ApiError::ExchangeCapReached { .. } => 409,
            ApiError::CodeExpired | ApiError::PickupExpired | ApiError::MemberErased => 410,
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
            | ApiError::UnknownSku { .. }
            | ApiError::SkuStopped { .. }
            | ApiError::QuantityLimit { .. }
            | ApiError::PrescriptionRequired
            | ApiError::PrescriptionInvalid { .. }
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
                | ApiError::CampaignNotStarted { .. }
                | ApiError::PreconditionFailed { .. }
                | ApiError::InvalidTransition { .. }
                | ApiError::InvalidCampaign { .. }
                | ApiError::InvalidRequest { .. }
                // Orders: what the catalogue, the prescription or the coupon said of this cart.
                | ApiError::UnknownSku { .. }
                | ApiError::RestrictedDrug { .. }
                | ApiError::SkuStopped { .. }
                | ApiError::QuantityLimit { .. }
                | ApiError::PriceChanged { .. }
                | ApiError::PrescriptionRequired
                | ApiError::PrescriptionInvalid { .. }
                | ApiError::CouponUnavailable { .. }
                | ApiError::CouponNotApplicable { .. }
                // Points exchanges: what the member's points and monthly cap said.
                | ApiError::InsufficientPoints { .. }
                | ApiError::ExchangeCapReached { .. }
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
