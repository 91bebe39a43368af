//! How coupon terms are read: as plain structs with every key a coupon may carry. serde's
//! decoder for the internally tagged `CouponTerms` (and for it flattened into `StoredTerms`)
//! buffers the map first, with a deserializer over the buffer per variant; a struct is read
//! in one pass. Keys another type does not use are ignored, as serde's derive ignored them.

use super::coupon::{CouponTerms, StoredTerms};
use super::order_lines::DrugClass;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CouponType {
    Fixed,
    Threshold,
    Percent,
}

/// A coupon's terms as written: `{"type": .., ...the type's fields}`.
#[derive(Deserialize)]
pub struct TermsWire {
    #[serde(rename = "type")]
    pub(crate) coupon_type: CouponType,
    #[serde(default)]
    pub(crate) value_fen: Option<i64>,
    #[serde(default)]
    pub(crate) percent: Option<i64>,
    #[serde(default)]
    pub(crate) min_spend_fen: Option<i64>,
    #[serde(default)]
    pub(crate) max_discount_fen: Option<i64>,
}

fn required(value: Option<i64>, field: &str) -> Result<i64, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

impl TryFrom<TermsWire> for CouponTerms {
    type Error = String;

    fn try_from(wire: TermsWire) -> Result<Self, String> {
        Ok(match wire.coupon_type {
            CouponType::Fixed => CouponTerms::Fixed {
                value_fen: required(wire.value_fen, "value_fen")?,
            },
            CouponType::Threshold => CouponTerms::Threshold {
                value_fen: required(wire.value_fen, "value_fen")?,
                min_spend_fen: required(wire.min_spend_fen, "min_spend_fen")?,
            },
            CouponType::Percent => CouponTerms::Percent {
                percent: required(wire.percent, "percent")?,
                max_discount_fen: required(wire.max_discount_fen, "max_discount_fen")?,
                min_spend_fen: wire.min_spend_fen.unwrap_or(0),
            },
        })
    }
}

/// A wallet's stored terms: the terms' keys and `eligible_classes` side by side.
#[derive(Deserialize)]
pub struct StoredTermsWire {
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
    eligible_classes: Option<Vec<DrugClass>>,
}

impl TryFrom<StoredTermsWire> for StoredTerms {
    type Error = String;

    fn try_from(wire: StoredTermsWire) -> Result<Self, String> {
        let terms = TermsWire {
            coupon_type: wire.coupon_type,
            value_fen: wire.value_fen,
            percent: wire.percent,
            min_spend_fen: wire.min_spend_fen,
            max_discount_fen: wire.max_discount_fen,
        };
        Ok(StoredTerms {
            terms: terms.try_into()?,
            eligible_classes: wire.eligible_classes,
        })
    }
}
