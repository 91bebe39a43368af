//! The one application error type, and its single mapping to HTTP: status, stable `code`,
//! title, and the RFC 9457 problem body. Pure, so the mapping is tested natively.

use serde_json::{json, Map, Value};

pub const PROBLEM_BASE: &str = "https://pharmedge.dev/problems/";

super::error_serde::api_errors! {
    #[derive(Debug, Clone, PartialEq)]
    pub enum ApiError {
        InvalidRequest = "invalid_request" {
            detail: String,
        },
        Unauthenticated = "unauthenticated",
        InvalidToken = "invalid_token" {
            detail: String,
        },
        Forbidden = "forbidden" {
            detail: String,
        },
        InvalidSignature = "invalid_signature" {
            detail: String,
        },
        NotFound = "not_found",
        MethodNotAllowed = "method_not_allowed" {
            allow: Vec<String>,
        },
        PayloadTooLarge = "payload_too_large" {
            limit_bytes: usize,
        },
        UnsupportedMediaType = "unsupported_media_type",
        RateLimited = "rate_limited" {
            retry_after_s: u32,
        },
        IdempotencyKeyReused = "idempotency_key_reused",
        UnknownEvent = "unknown_event" {
            detail: String,
        },
        AlreadyCheckedIn = "already_checked_in" {
            date: String,
        },
        MakeupNotAllowed = "makeup_not_allowed" {
            reason: String,
            detail: String,
        },
        InsufficientPoints = "insufficient_points" {
            balance: i64,
            required: i64,
        },
        MakeupLimit = "makeup_limit" {
            limit: u32,
        },
        /// A request with the same Idempotency-Key is still being processed.
        RequestInProgress = "request_in_progress",
        CampaignNotFound = "campaign_not_found",
        CampaignExists = "campaign_exists",
        InvalidCampaign = "invalid_campaign" {
            detail: String,
        },
        NonCompliantReward = "non_compliant_reward" {
            detail: String,
        },
        InvalidTransition = "invalid_transition" {
            detail: String,
        },
        /// If-Match names another revision: someone changed it first.
        PreconditionFailed = "precondition_failed" {
            current_etag: String,
        },
        /// A change that a blind retry would apply twice, sent without Idempotency-Key or If-Match.
        PreconditionRequired = "precondition_required" {
            detail: String,
        },
        CampaignNotStarted = "campaign_not_started" {
            /// A scheduled campaign's next occurrence (issue 13), when a claim came between two.
            next_occurrence: Option<Value>,
        },
        CampaignEnded = "campaign_ended",
        CampaignPaused = "campaign_paused",
        SoldOut = "sold_out",
        ClaimLimitReached = "claim_limit_reached" {
            limit: String,
        },
        NotEligible = "not_eligible" {
            reason: String,
        },
        InvalidPosterSignature = "invalid_poster_signature",
        OrderNotFound = "order_not_found",
        RestrictedDrug = "restricted_drug" {
            detail: String,
        },
        /// In an order (`line` given) 422; a SKU looked up by path 404.
        UnknownSku = "unknown_sku" {
            detail: String,
            line: Option<usize>,
        },
        SkuStopped = "sku_stopped" {
            detail: String,
        },
        QuantityLimit = "quantity_limit" {
            detail: String,
            max: i64,
        },
        /// The member saw another price: `lines` are the order's lines at today's prices.
        PriceChanged = "price_changed" {
            lines: Vec<serde_json::Value>,
        },
        PrescriptionRequired = "prescription_required",
        PrescriptionInvalid = "prescription_invalid" {
            reason: String,
            detail: String,
        },
        CouponUnavailable = "coupon_unavailable" {
            detail: String,
        },
        CouponNotApplicable = "coupon_not_applicable" {
            detail: String,
        },
        InvalidCode = "invalid_code",
        CodeExpired = "code_expired",
        WrongStore = "wrong_store",
        AlreadyPickedUp = "already_picked_up" {
            verified_at: String,
            verified_by: String,
        },
        NotReady = "not_ready" {
            order_status: String,
        },
        PharmacistRequired = "pharmacist_required",
        PickupExpired = "pickup_expired",
        /// A points exchange over the tier's monthly cap on the face value exchanged.
        ExchangeCapReached = "exchange_cap_reached" {
            cap_fen: i64,
            used_fen: i64,
        },
        /// The member was erased (PIPL): nothing is kept or created for that id any more.
        MemberErased = "member_erased",
        /// A dependency (a Durable Object, storage) failed; safe to retry.
        Unavailable = "unavailable",
        /// A bug. Internals are logged, never shown.
        Internal = "internal",
    }
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

    /// The stable machine code, as an owned string.
    pub fn code(&self) -> String {
        self.code_name().to_owned()
    }

    /// The RFC 9457 problem: the standard members, plus the variant's own fields
    /// (e.g. `reason`, `balance`) so clients can act on them.
    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let code = self.code_name();
        let mut body = Map::new();
        body.insert("type".into(), json!(format!("{PROBLEM_BASE}{code}")));
        body.insert("title".into(), json!(self.title()));
        body.insert("status".into(), json!(status));
        body.insert("code".into(), json!(code));
        body.insert("detail".into(), json!(self.detail()));
        for (key, value) in self.fields() {
            body.entry(key).or_insert(value);
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
