//! Prescriptions approved by a pharmacist in the core: which Rx items a member may order,
//! once, before they expire. The member's object holds them; an order consumes one
//! atomically with its placement, and a rejected or cancelled order gives it back.

use super::order_lines::{DrugClass, OrderLine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrescribedItem {
    pub sku: String,
    pub qty: i64,
}

/// Where a prescription stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PrescriptionState {
    Approved,
    /// Consumed by an accepted order.
    Used {
        order_id: String,
    },
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    pub id: String,
    pub items: Vec<PrescribedItem>,
    pub expires_at_ms: i64,
    pub state: PrescriptionState,
}

/// `prescription_invalid` reasons (API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionProblem {
    Unknown,
    Expired,
    Used,
    NotCovered,
    Revoked,
}

impl PrescriptionProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            PrescriptionProblem::Unknown => "unknown",
            PrescriptionProblem::Expired => "expired",
            PrescriptionProblem::Used => "used",
            PrescriptionProblem::NotCovered => "not_covered",
            PrescriptionProblem::Revoked => "revoked",
        }
    }
}

/// Rx quantities by SKU, all lines of a SKU together.
pub fn rx_quantities(lines: &[OrderLine]) -> BTreeMap<&str, i64> {
    let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
    for line in lines.iter().filter(|line| line.drug_class == DrugClass::Rx) {
        *wanted.entry(line.sku.as_str()).or_default() += line.qty;
    }
    wanted
}

/// Whether `prescription` lets `order_id` have these lines now. A repeat of the order that
/// already consumed it is allowed (a retried placement).
pub fn check(
    prescription: Option<&Prescription>,
    lines: &[OrderLine],
    order_id: &str,
    now_ms: i64,
) -> Result<(), PrescriptionProblem> {
    let prescription = prescription.ok_or(PrescriptionProblem::Unknown)?;
    match &prescription.state {
        PrescriptionState::Revoked => return Err(PrescriptionProblem::Revoked),
        PrescriptionState::Used { order_id: user } if user != order_id => {
            return Err(PrescriptionProblem::Used)
        }
        _ => {}
    }
    if now_ms >= prescription.expires_at_ms {
        return Err(PrescriptionProblem::Expired);
    }
    let covered = rx_quantities(lines).into_iter().all(|(sku, qty)| {
        prescription
            .items
            .iter()
            .filter(|item| item.sku == sku)
            .map(|item| item.qty)
            .sum::<i64>()
            >= qty
    });
    if covered {
        Ok(())
    } else {
        Err(PrescriptionProblem::NotCovered)
    }
}

/// What an order's end does to the prescription it consumed: only the order that used it
/// gives it back, and a revoked one stays revoked.
pub fn give_back(state: &PrescriptionState, order_id: &str) -> Option<PrescriptionState> {
    match state {
        PrescriptionState::Used { order_id: user } if user == order_id => {
            Some(PrescriptionState::Approved)
        }
        _ => None,
    }
}
