//! Refusals decided by the domain, as API errors: each domain refusal type maps here once.

use super::error::ApiError;

impl From<crate::domain::campaign::StockRefusal> for ApiError {
    fn from(refusal: crate::domain::campaign::StockRefusal) -> Self {
        use crate::domain::campaign::StockRefusal;
        match refusal {
            StockRefusal::CampaignNotStarted => ApiError::CampaignNotStarted {
                next_occurrence: None,
            },
            StockRefusal::CampaignEnded => ApiError::CampaignEnded,
            StockRefusal::CampaignPaused => ApiError::CampaignPaused,
            StockRefusal::SoldOut => ApiError::SoldOut,
        }
    }
}

impl From<crate::domain::campaign_patch::PatchRefusal> for ApiError {
    fn from(refusal: crate::domain::campaign_patch::PatchRefusal) -> Self {
        use crate::domain::campaign_patch::PatchRefusal;
        match refusal {
            PatchRefusal::Empty => ApiError::invalid("body: give status, ends_at or add_stock"),
            PatchRefusal::Transition(detail) => ApiError::InvalidTransition { detail },
            PatchRefusal::Invalid(detail) => ApiError::InvalidCampaign { detail },
        }
    }
}

impl From<crate::domain::order::OrderRefusal> for ApiError {
    fn from(refusal: crate::domain::order::OrderRefusal) -> Self {
        use crate::domain::coupon::NotApplicable;
        use crate::domain::order::OrderRefusal;
        match refusal {
            OrderRefusal::Invalid(detail) => ApiError::invalid(detail),
            OrderRefusal::RestrictedDrug { line } => ApiError::RestrictedDrug {
                detail: format!("lines[{line}] is a special-management drug, not sold online"),
            },
            OrderRefusal::PrescriptionRequired => ApiError::PrescriptionRequired,
            OrderRefusal::CouponNotApplicable(NotApplicable::NoEligibleLines) => {
                ApiError::CouponNotApplicable {
                    detail: "no line of this order may be discounted".into(),
                }
            }
            OrderRefusal::CouponNotApplicable(NotApplicable::BelowMinimumSpend {
                eligible_fen,
                min_spend_fen,
            }) => ApiError::CouponNotApplicable {
                detail: format!(
                    "eligible lines total {eligible_fen} fen, the coupon needs {min_spend_fen}"
                ),
            },
        }
    }
}

impl From<crate::domain::pickup::VerifyRefusal> for ApiError {
    fn from(refusal: crate::domain::pickup::VerifyRefusal) -> Self {
        use crate::domain::pickup::VerifyRefusal;
        use crate::domain::time::{from_unix_millis, rfc3339};
        match refusal {
            VerifyRefusal::InvalidCode => ApiError::InvalidCode,
            VerifyRefusal::CodeExpired => ApiError::CodeExpired,
            VerifyRefusal::WrongStore => ApiError::WrongStore,
            VerifyRefusal::AlreadyPickedUp {
                verified_at_ms,
                verified_by,
            } => ApiError::AlreadyPickedUp {
                verified_at: rfc3339(from_unix_millis(verified_at_ms).unwrap_or_default()),
                verified_by,
            },
            VerifyRefusal::NotReady { status } => ApiError::NotReady {
                order_status: status.into(),
            },
            VerifyRefusal::PickupExpired => ApiError::PickupExpired,
            VerifyRefusal::PharmacistRequired => ApiError::PharmacistRequired,
        }
    }
}

impl From<crate::domain::catalog::LineRefusal> for ApiError {
    fn from(refusal: crate::domain::catalog::LineRefusal) -> Self {
        use crate::domain::catalog::LineRefusal;
        match refusal {
            LineRefusal::Invalid(detail) => ApiError::invalid(detail),
            LineRefusal::UnknownSku { line } => ApiError::UnknownSku {
                detail: format!("lines[{line}].sku is not in the catalogue"),
                line: Some(line),
            },
            LineRefusal::Restricted { line } => ApiError::RestrictedDrug {
                detail: format!("lines[{line}] is a special-management drug, not sold online"),
            },
            LineRefusal::Stopped { line } => ApiError::SkuStopped {
                detail: format!("lines[{line}].sku is stopped from sale"),
            },
            LineRefusal::QuantityLimit { line, max } => ApiError::QuantityLimit {
                detail: format!("lines[{line}]: at most {max} of this product per order"),
                max,
            },
            LineRefusal::PriceChanged { current } => ApiError::PriceChanged {
                lines: current
                    .iter()
                    .filter_map(|line| serde_json::to_value(line).ok())
                    .collect(),
            },
        }
    }
}

impl From<crate::domain::prescription::PrescriptionProblem> for ApiError {
    fn from(problem: crate::domain::prescription::PrescriptionProblem) -> Self {
        use crate::domain::prescription::PrescriptionProblem as P;
        let detail = match problem {
            P::Unknown => "no approved prescription of yours has this id",
            P::Expired => "the prescription has expired",
            P::Used => "the prescription was used by another order",
            P::NotCovered => "the prescription does not cover these products or quantities",
            P::Revoked => "the prescription was revoked",
        };
        ApiError::PrescriptionInvalid {
            reason: problem.as_str().into(),
            detail: detail.into(),
        }
    }
}

impl From<crate::domain::exchange::ExchangeRefusal> for ApiError {
    fn from(refusal: crate::domain::exchange::ExchangeRefusal) -> Self {
        use crate::domain::exchange::ExchangeRefusal;
        match refusal {
            ExchangeRefusal::InsufficientPoints { balance, required } => {
                ApiError::InsufficientPoints { balance, required }
            }
            ExchangeRefusal::OverTierCap { cap_fen, used_fen } => {
                ApiError::ExchangeCapReached { cap_fen, used_fen }
            }
        }
    }
}
