//! Orders placed at the edge, pure: compliance first, then totals in integer fen.
//!
//! Compliance: special-management drugs are never sold online (`restricted_drug`); Rx lines
//! need a prescription id (`prescription_required`). Totals: the coupon's discount comes from
//! `CouponTerms::discount`, so it never touches Rx or special lines and never exceeds the
//! eligible subtotal.

use super::coupon::{CouponTerms, NotApplicable};
use super::order_lines::{validate_lines, DrugClass, OrderLine};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRefusal {
    /// 400 invalid_request, naming the field.
    Invalid(String),
    /// 422 restricted_drug: the index of the first special-management line.
    RestrictedDrug { line: usize },
    /// 422 prescription_required.
    PrescriptionRequired,
    /// 422 coupon_not_applicable.
    CouponNotApplicable(NotApplicable),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub subtotal_fen: i64,
    pub discount_fen: i64,
    pub payable_fen: i64,
}

/// Checks an order in the order a pharmacist would: the lines themselves, what may not be sold
/// at all, what needs a prescription, then what the coupon takes off.
pub fn price(
    lines: &[OrderLine],
    prescription_id: Option<&str>,
    coupon: Option<&CouponTerms>,
) -> Result<Totals, OrderRefusal> {
    validate_lines(lines).map_err(OrderRefusal::Invalid)?;
    if let Some(line) = lines
        .iter()
        .position(|line| line.drug_class == DrugClass::Special)
    {
        return Err(OrderRefusal::RestrictedDrug { line });
    }
    let has_rx = lines.iter().any(|line| line.drug_class == DrugClass::Rx);
    if has_rx && prescription_id.is_none_or(|id| id.trim().is_empty()) {
        return Err(OrderRefusal::PrescriptionRequired);
    }
    let subtotal_fen: i64 = lines.iter().map(OrderLine::total_fen).sum();
    let discount_fen = match coupon {
        None => 0,
        Some(terms) => {
            terms
                .discount(lines)
                .map_err(OrderRefusal::CouponNotApplicable)?
                .discount_fen
        }
    };
    Ok(Totals {
        subtotal_fen,
        discount_fen,
        payable_fen: subtotal_fen - discount_fen,
    })
}
