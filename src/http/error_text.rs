//! The human half of each problem: its title and its detail. The codes and statuses, which
//! clients act on, are in `error.rs`.

use super::error::ApiError;

impl ApiError {
    pub(super) fn title(&self) -> &'static str {
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
            ApiError::CampaignNotStarted { .. } => "The campaign has not started",
            ApiError::CampaignEnded => "The campaign has ended",
            ApiError::CampaignPaused => "The campaign is paused",
            ApiError::SoldOut => "Sold out",
            ApiError::ClaimLimitReached { .. } => "Claim limit reached",
            ApiError::NotEligible { .. } => "Not eligible for this campaign",
            ApiError::InvalidPosterSignature => "The poster link is not valid",
            ApiError::OrderNotFound => "No such order",
            ApiError::RestrictedDrug { .. } => "This drug cannot be sold online",
            ApiError::PrescriptionRequired => "A prescription is required",
            ApiError::PrescriptionInvalid { .. } => "The prescription cannot be used",
            ApiError::UnknownSku { .. } => "Not in the catalogue",
            ApiError::SkuStopped { .. } => "This product is not on sale",
            ApiError::QuantityLimit { .. } => "Over the quantity allowed per order",
            ApiError::PriceChanged { .. } => "The price has changed",
            ApiError::CouponUnavailable { .. } => "The coupon cannot be used",
            ApiError::CouponNotApplicable { .. } => "The coupon does not apply to this order",
            ApiError::InvalidCode => "The pickup code is not valid",
            ApiError::CodeExpired => "The pickup code has expired",
            ApiError::WrongStore => "The order is for another store",
            ApiError::AlreadyPickedUp { .. } => "Already picked up",
            ApiError::NotReady { .. } => "The order is not ready for pickup",
            ApiError::PharmacistRequired => "A pharmacist must hand over this order",
            ApiError::PickupExpired => "The pickup deadline has passed",
            ApiError::ExchangeCapReached { .. } => "Monthly points exchange limit reached",
            ApiError::MemberErased => "This member's data was erased",
            ApiError::Unavailable => "Temporarily unavailable",
            ApiError::Internal => "Internal error",
        }
    }

    pub(super) fn detail(&self) -> String {
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
            | ApiError::UnknownSku { detail, .. }
            | ApiError::SkuStopped { detail }
            | ApiError::QuantityLimit { detail, .. }
            | ApiError::PrescriptionInvalid { detail, .. }
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
            ApiError::CampaignNotStarted {
                next_occurrence: Some(_),
            } => "claims open at next_occurrence.starts_at".into(),
            ApiError::CampaignNotStarted { .. } => "claims open at starts_at".into(),
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
            ApiError::ExchangeCapReached { cap_fen, used_fen } => format!(
                "your tier may exchange goods worth {cap_fen} fen a month; {used_fen} fen used"
            ),
            ApiError::MemberErased => "the member's edge data was deleted at their request".into(),
            ApiError::PriceChanged { .. } => {
                "review the order at the current prices in `lines` and send it again".into()
            }
            ApiError::Unavailable => "please retry shortly".into(),
            ApiError::Internal => "something went wrong on our side".into(),
        }
    }
}
