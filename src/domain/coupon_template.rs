//! The coupon a campaign issues, as marketing writes it: the terms of one of three types plus
//! how long it is valid and what it may discount.
//!
//! Read through a closed wire shape: a key the pharmacy does not know is refused, not ignored.
//! A mistyped `eligible_class` would otherwise publish a coupon that discounts everything it
//! was meant to exclude. (serde cannot deny unknown keys on a struct that flattens an
//! internally tagged enum, hence the explicit wire struct.)

use super::coupon::CouponTerms;
use super::coupon_wire::{CouponType, TermsWire};
use super::order_lines::DrugClass;
use super::time::Instant;
use serde::{Deserialize, Serialize};

/// The coupon a campaign issues: its terms plus how long it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CouponTemplateWire")]
pub struct CouponTemplate {
    #[serde(flatten)]
    pub terms: CouponTerms,
    /// Valid for this many business days, the day of the claim being the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<i64>,
    /// Or valid until this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Instant>,
    /// Product classes the coupon may discount; Rx and special are never allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_classes: Option<Vec<DrugClass>>,
}

/// Every key a coupon may carry. Keys another type does not use are accepted and ignored
/// (as documented), so one form can switch type without clearing fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CouponTemplateWire {
    #[serde(rename = "type")]
    coupon_type: CouponType,
    #[serde(default)]
    value_fen: Option<i64>,
    #[serde(default)]
    percent: Option<i64>,
    #[serde(default)]
    min_spend_fen: Option<i64>,
    #[serde(default)]
    max_discount_fen: Option<i64>,
    #[serde(default)]
    valid_days: Option<i64>,
    #[serde(default)]
    valid_until: Option<Instant>,
    #[serde(default)]
    eligible_classes: Option<Vec<DrugClass>>,
}

impl TryFrom<CouponTemplateWire> for CouponTemplate {
    type Error = String;

    fn try_from(wire: CouponTemplateWire) -> Result<Self, String> {
        let terms = TermsWire {
            coupon_type: wire.coupon_type,
            value_fen: wire.value_fen,
            percent: wire.percent,
            min_spend_fen: wire.min_spend_fen,
            max_discount_fen: wire.max_discount_fen,
        }
        .try_into()?;
        Ok(Self {
            terms,
            valid_days: wire.valid_days,
            valid_until: wire.valid_until,
            eligible_classes: wire.eligible_classes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<CouponTemplate, String> {
        serde_json::from_str(json).map_err(|err| err.to_string())
    }

    #[test]
    fn round_trips_every_type() {
        for json in [
            r#"{"type":"fixed","value_fen":990,"valid_days":7}"#,
            r#"{"type":"threshold","value_fen":1000,"min_spend_fen":5000,"valid_days":3,"eligible_classes":["otc_b"]}"#,
            r#"{"type":"percent","percent":12,"max_discount_fen":2000,"min_spend_fen":0,"valid_until":"2026-12-01T00:00:00Z"}"#,
        ] {
            let template = parse(json).unwrap();
            let written = serde_json::to_string(&template).unwrap();
            assert_eq!(parse(&written).unwrap(), template, "{json}");
        }
    }

    #[test]
    fn refuses_unknown_keys_without_reading_their_values() {
        // A mistyped restriction must not silently widen the coupon.
        let err =
            parse(r#"{"type":"fixed","value_fen":990,"valid_days":7,"eligible_class":["otc_b"]}"#)
                .unwrap_err();
        assert!(err.contains("unknown field `eligible_class`"), "{err}");
        // The value of an unknown key is never converted (f64::MAX written as an integer).
        let huge = format!(r#"{{"type":"fixed","x":{}}}"#, "9".repeat(400));
        assert!(parse(&huge).unwrap_err().contains("unknown field `x`"));
    }

    #[test]
    fn names_a_missing_term_and_ignores_another_type_s_fields() {
        let err = parse(r#"{"type":"threshold","value_fen":1000,"valid_days":3}"#).unwrap_err();
        assert!(err.contains("missing field `min_spend_fen`"), "{err}");
        let fixed =
            parse(r#"{"type":"fixed","value_fen":990,"percent":12,"valid_days":1}"#).unwrap();
        assert_eq!(fixed.terms, CouponTerms::Fixed { value_fen: 990 });
        assert!(parse(r#"{"type":"bogo","valid_days":1}"#).is_err());
    }
}
