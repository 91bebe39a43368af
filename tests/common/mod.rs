//! Shared by the native tests. Each test file uses only part of it.
#![allow(dead_code)]

use pharmedge::domain::order_lines::{DrugClass, OrderLine};

/// An order line with a placeholder sku and name (they never matter to the rules).
/// Every drug class, for carts that may hold anything.
pub const ALL_CLASSES: [DrugClass; 7] = [
    DrugClass::Rx,
    DrugClass::OtcA,
    DrugClass::OtcB,
    DrugClass::Health,
    DrugClass::Device,
    DrugClass::Other,
    DrugClass::Special,
];

pub fn line(class: DrugClass, qty: i64, unit_price_fen: i64) -> OrderLine {
    OrderLine {
        sku: "sku-1".into(),
        name: "维生素C".into(),
        qty,
        unit_price_fen,
        drug_class: class,
    }
}

/// A small deterministic generator (an LCG), so property tests are reproducible.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

impl Lcg {
    /// A random cart: 1 to 8 lines of the given classes, 1 to 10 of each, up to 1,000 yuan each.
    pub fn cart(&mut self, classes: &[DrugClass]) -> Vec<OrderLine> {
        (0..1 + self.below(8))
            .map(|_| {
                let class = classes[self.below(classes.len() as u64) as usize];
                line(class, 1 + self.below(10) as i64, self.below(100_000) as i64)
            })
            .collect()
    }
}
