//! Order lines and drug classes, shared by points, coupons and orders.

use serde::{Deserialize, Serialize};

/// Regulatory class of a product line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugClass {
    /// Prescription drug: never discounted, earns no points, needs a prescription.
    Rx,
    /// Class-A OTC (甲类非处方药).
    OtcA,
    /// Class-B OTC (乙类非处方药).
    OtcB,
    /// Health products (保健品).
    Health,
    /// Medical devices.
    Device,
    /// Everything else (regular goods, 常备药 without a class).
    Other,
    /// Special-management drugs: never sold online.
    Special,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub unit_price_fen: i64,
    pub drug_class: DrugClass,
}

pub const MAX_LINES: usize = 100;
pub const MAX_QTY: i64 = 999;
pub const MAX_UNIT_PRICE_FEN: i64 = 10_000_000;

/// Whether any line is a prescription drug (needs a prescription, and a pharmacist at pickup).
pub fn has_rx(lines: &[OrderLine]) -> bool {
    lines.iter().any(|line| line.drug_class == DrugClass::Rx)
}

/// Whether an order's goods need a pharmacist at the counter: a prescription line, or a
/// prescription the order took. The core's ready lines replace the accepted ones; an order
/// that took a prescription stays an Rx order whatever they say.
pub fn needs_pharmacist(took_prescription: bool, lines: &[OrderLine]) -> bool {
    took_prescription || has_rx(lines)
}

impl OrderLine {
    /// Line total in fen; bounded by validation so it cannot overflow.
    pub fn total_fen(&self) -> i64 {
        self.qty * self.unit_price_fen
    }

    /// Checks the bounds a line must respect; returns the name of the offending field.
    pub fn validate(&self) -> Result<(), &'static str> {
        // Characters, not bytes, as the OpenAPI `maxLength` counts them.
        let sku_len = self.sku.chars().count();
        if sku_len == 0 || sku_len > 64 || self.sku.chars().any(char::is_control) {
            return Err("sku");
        }
        if self.name.chars().count() > 200 || self.name.chars().any(char::is_control) {
            return Err("name");
        }
        if !(1..=MAX_QTY).contains(&self.qty) {
            return Err("qty");
        }
        if !(0..=MAX_UNIT_PRICE_FEN).contains(&self.unit_price_fen) {
            return Err("unit_price_fen");
        }
        Ok(())
    }
}

/// Validates a whole list; the error names the field as `lines[i].field`.
pub fn validate_lines(lines: &[OrderLine]) -> Result<(), String> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(format!("lines: between 1 and {MAX_LINES} lines"));
    }
    for (index, line) in lines.iter().enumerate() {
        line.validate()
            .map_err(|field| format!("lines[{index}].{field}: out of range"))?;
    }
    Ok(())
}
