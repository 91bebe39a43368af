//! Member prices on an order's lines (issue 13): the tier's price on eligible lines
//! (`tier_benefits::member_priced`: never Rx, never special), shown per line and forwarded.
//! The tier is the member object's (its tier spend as of the placement), never the client's.
//!
//! A coupon applies to the member-priced subtotal: `subtotal_fen` is what the lines cost at
//! the member's prices, and `payable_fen = subtotal_fen - discount_fen` still holds.

use super::catalog::PricedLine;
use super::order::{allocate_discount_for, AcceptedLine};
use super::order_lines::{DrugClass, OrderLine};
use super::tier::Tier;
use super::tier_benefits::{price_for_tier, MemberPrices};

/// `lines` as a member of `tier` pays them: the unit price of each eligible line at the
/// member price (rounded half up to the fen, never below zero, never above the list price).
pub fn member_lines(lines: &[OrderLine], tier: Tier, prices: &MemberPrices) -> Vec<OrderLine> {
    lines
        .iter()
        .zip(price_for_tier(lines, tier, prices))
        .map(|(line, priced)| OrderLine {
            unit_price_fen: priced.unit_price_fen,
            ..line.clone()
        })
        .collect()
}

/// The accepted lines for a member of `tier`: `unit_price_fen` stays the catalogue's list
/// price (what `price_changed` compares with), `member_unit_price_fen` is what the member
/// pays, `member_discount_fen` the difference over the quantity, and `discount_fen` the
/// line's share of the coupon's discount over the member-priced totals.
pub fn accepted_lines_for_tier(
    priced: &[PricedLine],
    tier: Tier,
    prices: &MemberPrices,
    discount_fen: i64,
    classes: Option<&[DrugClass]>,
) -> Vec<AcceptedLine> {
    let list: Vec<OrderLine> = priced.iter().map(|p| p.line.clone()).collect();
    let member = member_lines(&list, tier, prices);
    let shares = allocate_discount_for(&member, discount_fen, classes);
    priced
        .iter()
        .zip(member)
        .zip(shares)
        .map(|((priced, member), discount_fen)| AcceptedLine {
            line: priced.line.clone(),
            discount_fen,
            catalog_version: priced.catalog_version,
            member_unit_price_fen: Some(member.unit_price_fen),
            member_discount_fen: Some(
                (priced.line.unit_price_fen - member.unit_price_fen) * priced.line.qty,
            ),
        })
        .collect()
}

/// The whole order's member discount (the sum of its lines').
pub fn member_discount_total(lines: &[AcceptedLine]) -> i64 {
    lines
        .iter()
        .map(|line| line.member_discount_fen.unwrap_or(0))
        .sum()
}
