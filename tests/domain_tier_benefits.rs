//! Tier benefits: member prices never on Rx, rounded to the fen; multipliers combined as documented.

mod common;

use common::{line, Lcg, ALL_CLASSES};
use pharmedge::domain::order_lines::DrugClass;
use pharmedge::domain::tier::Tier;
use pharmedge::domain::tier_benefits::*;

#[test]
fn a_silver_member_pays_ninety_percent_on_otc_and_list_on_rx() {
    let lines = [
        line(DrugClass::OtcB, 2, 3990),
        line(DrugClass::Rx, 1, 12800),
    ];
    let priced = price_for_tier(&lines, Tier::Silver, &MemberPrices::default());
    assert_eq!(priced[0].unit_price_fen, 3591);
    assert_eq!(priced[0].member_discount_fen, 2 * (3990 - 3591));
    assert_eq!(
        priced[1].unit_price_fen, 12800,
        "never on prescription drugs"
    );
    assert_eq!(priced[1].member_discount_fen, 0);
}

#[test]
fn member_prices_round_half_up_to_the_fen() {
    assert_eq!(member_unit_price(1990, 95), 1891); // 1890.5
    assert_eq!(member_unit_price(1, 88), 1); // 0.88
    assert_eq!(member_unit_price(0, 88), 0);
    assert_eq!(member_unit_price(-5, 88), 0, "never below zero");
    assert_eq!(
        member_unit_price(1000, 150),
        1000,
        "never above the list price"
    );
}

#[test]
fn randomized_carts_keep_the_member_price_invariants() {
    let mut rng = Lcg::new(20261124);
    for _ in 0..2_000 {
        let cart = rng.cart(&ALL_CLASSES);
        let tier = [Tier::Member, Tier::Bronze, Tier::Silver, Tier::Gold][rng.below(4) as usize];
        let priced = price_for_tier(&cart, tier, &MemberPrices::default());
        assert_eq!(priced.len(), cart.len());
        for (line, priced) in cart.iter().zip(&priced) {
            assert!(priced.unit_price_fen >= 0 && priced.unit_price_fen <= line.unit_price_fen);
            if matches!(line.drug_class, DrugClass::Rx | DrugClass::Special) || tier == Tier::Member
            {
                assert_eq!(
                    priced.unit_price_fen, line.unit_price_fen,
                    "{line:?} {tier:?}"
                );
            }
            assert_eq!(
                priced.member_discount_fen,
                (line.unit_price_fen - priced.unit_price_fen) * line.qty
            );
        }
    }
}

#[test]
fn multipliers_take_the_higher_unless_configured_to_multiply() {
    // Member day ×2: a regular member earns ×2; a gold member (×2 already) still ×2.
    assert_eq!(order_multiplier(1, &[2], Combine::Higher), 2);
    assert_eq!(order_multiplier(2, &[2], Combine::Higher), 2);
    assert_eq!(order_multiplier(2, &[2], Combine::Product), 4);
    // The 16th: no campaign in force.
    assert_eq!(order_multiplier(1, &[], Combine::Higher), 1);
    assert_eq!(order_multiplier(2, &[], Combine::Product), 2);
    // Two promotions at once: the highest, never their product.
    assert_eq!(order_multiplier(1, &[2, 3], Combine::Product), 3);
    assert_eq!(
        order_multiplier(0, &[0, -1], Combine::Higher),
        1,
        "never below 1"
    );
}

#[test]
fn birthday_month_doubles_for_bronze_and_above_and_the_bonus_comes_once() {
    assert_eq!(birthday_multiplier(Tier::Bronze, Some(11), 11), 2);
    assert_eq!(birthday_multiplier(Tier::Member, Some(11), 11), 1);
    assert_eq!(birthday_multiplier(Tier::Gold, Some(10), 11), 1);
    assert_eq!(birthday_multiplier(Tier::Gold, None, 11), 1);
    assert_eq!(birthday_bonus(19_899, false), 0);
    assert_eq!(birthday_bonus(19_900, false), 200);
    assert_eq!(birthday_bonus(50_000, true), 0, "once a year");
}
