//! Coupons (优惠券): the three templates and the discount they give on a list of order lines.
//!
//! Compliance first: Rx and special-management lines are never discounted, and a threshold
//! (满减) counts only the lines the coupon may discount. Money is integer fen; a percent
//! discount is rounded down to the fen (the member never gets a fraction of a fen) and capped.

use super::order_lines::{DrugClass, OrderLine};
use serde::{Deserialize, Serialize};

/// What a coupon takes off, as configured on its campaign.
/// Read through `coupon_wire::TermsWire` (one pass, no buffering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    try_from = "super::coupon_wire::TermsWire"
)]
pub enum CouponTerms {
    /// No threshold: `value_fen` off (e.g. 9.9 yuan).
    Fixed { value_fen: i64 },
    /// 满 X 减 Y: `value_fen` off when the eligible lines reach `min_spend_fen`.
    Threshold { value_fen: i64, min_spend_fen: i64 },
    /// `percent` off the eligible lines (12 = 12 % off = 8.8折), at most `max_discount_fen`,
    /// from `min_spend_fen` (0 = no threshold).
    Percent {
        percent: i64,
        max_discount_fen: i64,
        #[serde(default)]
        min_spend_fen: i64,
    },
}

/// A coupon's terms as members see them, on a campaign's rules and on each coupon in a wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsView {
    #[serde(rename = "type")]
    pub coupon_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_fen: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<i64>,
    pub min_spend_fen: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_discount_fen: Option<i64>,
}

/// Lines any coupon may discount: never Rx or special-management drugs.
pub fn discountable(class: DrugClass) -> bool {
    !matches!(class, DrugClass::Rx | DrugClass::Special)
}

/// Lines this coupon may discount: `discountable`, and within the campaign's
/// `eligible_classes` when it names them. The classes are the catalogue's.
pub fn eligible(class: DrugClass, classes: Option<&[DrugClass]>) -> bool {
    discountable(class) && classes.is_none_or(|classes| classes.contains(&class))
}

/// A coupon as a wallet keeps it: its terms and the classes it may discount. Rows written
/// before the classes were kept parse with `eligible_classes: None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "super::coupon_wire::StoredTermsWire")]
pub struct StoredTerms {
    #[serde(flatten)]
    pub terms: CouponTerms,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_classes: Option<Vec<DrugClass>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotApplicable {
    /// Nothing in the cart may be discounted (only Rx or special lines).
    NoEligibleLines,
    /// The eligible lines do not reach the threshold.
    BelowMinimumSpend {
        eligible_fen: i64,
        min_spend_fen: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    pub eligible_subtotal_fen: i64,
    pub discount_fen: i64,
}

pub fn eligible_subtotal(lines: &[OrderLine]) -> i64 {
    eligible_subtotal_for(lines, None)
}

pub fn eligible_subtotal_for(lines: &[OrderLine], classes: Option<&[DrugClass]>) -> i64 {
    lines
        .iter()
        .filter(|line| eligible(line.drug_class, classes))
        .map(OrderLine::total_fen)
        .sum()
}

impl CouponTerms {
    pub fn min_spend_fen(&self) -> i64 {
        match *self {
            CouponTerms::Fixed { .. } => 0,
            CouponTerms::Threshold { min_spend_fen, .. }
            | CouponTerms::Percent { min_spend_fen, .. } => min_spend_fen,
        }
    }

    /// The terms as published to members: `{type, value_fen|percent, min_spend_fen, max_discount_fen}`.
    pub fn view(&self) -> TermsView {
        let (coupon_type, value_fen, percent, max_discount_fen) = match *self {
            CouponTerms::Fixed { value_fen } => ("fixed", Some(value_fen), None, None),
            CouponTerms::Threshold { value_fen, .. } => ("threshold", Some(value_fen), None, None),
            CouponTerms::Percent {
                percent,
                max_discount_fen,
                ..
            } => ("percent", None, Some(percent), Some(max_discount_fen)),
        };
        TermsView {
            coupon_type: coupon_type.to_owned(),
            value_fen,
            percent,
            min_spend_fen: self.min_spend_fen(),
            max_discount_fen,
        }
    }

    /// The discount on `lines`: 0 <= discount <= eligible subtotal, always.
    pub fn discount(&self, lines: &[OrderLine]) -> Result<Discount, NotApplicable> {
        self.discount_for(lines, None)
    }

    /// The discount on the lines of `classes` (all discountable ones when `None`); a
    /// threshold counts only those lines.
    pub fn discount_for(
        &self,
        lines: &[OrderLine],
        classes: Option<&[DrugClass]>,
    ) -> Result<Discount, NotApplicable> {
        let eligible = eligible_subtotal_for(lines, classes);
        if eligible <= 0 {
            return Err(NotApplicable::NoEligibleLines);
        }
        let min_spend_fen = self.min_spend_fen();
        if eligible < min_spend_fen {
            return Err(NotApplicable::BelowMinimumSpend {
                eligible_fen: eligible,
                min_spend_fen,
            });
        }
        let raw = match *self {
            CouponTerms::Fixed { value_fen } | CouponTerms::Threshold { value_fen, .. } => {
                value_fen
            }
            CouponTerms::Percent {
                percent,
                max_discount_fen,
                ..
            } => {
                let off = (i128::from(eligible) * i128::from(percent) / 100) as i64;
                off.min(max_discount_fen)
            }
        };
        Ok(Discount {
            eligible_subtotal_fen: eligible,
            discount_fen: raw.clamp(0, eligible),
        })
    }

    /// Checks the template's own numbers; names the field on failure.
    pub fn validate(&self) -> Result<(), String> {
        const MAX_VALUE_FEN: i64 = 1_000_000; // 10,000 yuan
        match *self {
            CouponTerms::Fixed { value_fen } => {
                if !(1..=MAX_VALUE_FEN).contains(&value_fen) {
                    return Err("coupon.value_fen: from 1 to 1000000".into());
                }
            }
            CouponTerms::Threshold {
                value_fen,
                min_spend_fen,
            } => {
                if !(1..=MAX_VALUE_FEN).contains(&value_fen) {
                    return Err("coupon.value_fen: from 1 to 1000000".into());
                }
                if min_spend_fen <= value_fen || min_spend_fen > 100 * MAX_VALUE_FEN {
                    return Err("coupon.min_spend_fen: must be more than value_fen".into());
                }
            }
            CouponTerms::Percent {
                percent,
                max_discount_fen,
                min_spend_fen,
            } => {
                if !(1..=99).contains(&percent) {
                    return Err("coupon.percent: from 1 to 99".into());
                }
                if !(1..=MAX_VALUE_FEN).contains(&max_discount_fen) {
                    return Err("coupon.max_discount_fen: required, from 1 to 1000000".into());
                }
                if !(0..=100 * MAX_VALUE_FEN).contains(&min_spend_fen) {
                    return Err("coupon.min_spend_fen: out of range".into());
                }
            }
        }
        Ok(())
    }
}

/// Where a coupon is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    Available,
    Locked,
    Redeemed,
    Expired,
}

impl CouponStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponStatus::Available => "available",
            CouponStatus::Locked => "locked",
            CouponStatus::Redeemed => "redeemed",
            CouponStatus::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "available" => Some(CouponStatus::Available),
            "locked" => Some(CouponStatus::Locked),
            "redeemed" => Some(CouponStatus::Redeemed),
            "expired" => Some(CouponStatus::Expired),
            _ => None,
        }
    }
}

/// A coupon's lifecycle decisions. `locked_by` is the order holding the lock, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Do it.
    Apply,
    /// Already in the target state for this order: a retry, nothing to do.
    AlreadyDone,
    /// Not allowed from the current state.
    Refused,
}

/// available -> locked by an order.
pub fn lock(status: CouponStatus, locked_by: Option<&str>, order_id: &str) -> Transition {
    match status {
        CouponStatus::Available => Transition::Apply,
        CouponStatus::Locked if locked_by == Some(order_id) => Transition::AlreadyDone,
        _ => Transition::Refused,
    }
}

/// locked (by this order) or available -> redeemed. The core's word that the order was paid
/// with the coupon is final, so an available coupon can be redeemed too.
pub fn redeem(
    status: CouponStatus,
    locked_by: Option<&str>,
    order_id: &str,
    redeemed_by: Option<&str>,
) -> Transition {
    match status {
        CouponStatus::Available => Transition::Apply,
        CouponStatus::Locked if locked_by == Some(order_id) => Transition::Apply,
        CouponStatus::Redeemed if redeemed_by == Some(order_id) => Transition::AlreadyDone,
        _ => Transition::Refused,
    }
}

/// locked (by this order) -> available again. Only the lock's own order can release it, and
/// only once; a redeemed coupon is never released.
pub fn release(status: CouponStatus, locked_by: Option<&str>, order_id: &str) -> Transition {
    match status {
        CouponStatus::Locked if locked_by == Some(order_id) => Transition::Apply,
        _ => Transition::AlreadyDone,
    }
}
