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

mod order_lines_at_member_prices {
    use super::*;
    use pharmedge::domain::catalog::PricedLine;
    use pharmedge::domain::tier_pricing::*;

    fn priced(class: DrugClass, qty: i64, unit: i64) -> PricedLine {
        PricedLine {
            line: line(class, qty, unit),
            catalog_version: 1,
        }
    }

    #[test]
    fn a_silver_order_shows_list_member_price_and_discount_per_line_never_on_rx() {
        let lines = [
            priced(DrugClass::OtcB, 2, 3_990),
            priced(DrugClass::Rx, 1, 12_800),
        ];
        let accepted =
            accepted_lines_for_tier(&lines, Tier::Silver, &MemberPrices::default(), 0, None);
        assert_eq!(accepted[0].line.unit_price_fen, 3_990, "list price kept");
        assert_eq!(accepted[0].member_unit_price_fen, Some(3_591));
        assert_eq!(accepted[0].member_discount_fen, Some(2 * 399));
        assert_eq!(accepted[1].member_unit_price_fen, Some(12_800));
        assert_eq!(accepted[1].member_discount_fen, Some(0));
        assert_eq!(member_discount_total(&accepted), 798);
    }

    #[test]
    fn the_coupon_is_shared_over_member_priced_totals_and_never_exceeds_a_line() {
        let lines = [
            priced(DrugClass::OtcB, 1, 10_000),
            priced(DrugClass::Health, 1, 10_000),
        ];
        // Gold: 88.00 each; a discount of the whole member subtotal.
        let accepted =
            accepted_lines_for_tier(&lines, Tier::Gold, &MemberPrices::default(), 17_600, None);
        let shares: Vec<i64> = accepted.iter().map(|l| l.discount_fen).collect();
        assert_eq!(shares, vec![8_800, 8_800]);
    }

    #[test]
    fn member_lines_change_only_the_unit_price_of_eligible_lines() {
        let mut rng = Lcg::new(13);
        for _ in 0..500 {
            let cart: Vec<_> = (0..4)
                .map(|_| {
                    let class = ALL_CLASSES[rng.below(ALL_CLASSES.len() as u64) as usize];
                    line(class, 1 + rng.below(5) as i64, rng.below(100_000) as i64)
                })
                .collect();
            for tier in [Tier::Member, Tier::Bronze, Tier::Silver, Tier::Gold] {
                for (before, after) in
                    cart.iter()
                        .zip(member_lines(&cart, tier, &MemberPrices::default()))
                {
                    assert_eq!(
                        (&before.sku, before.qty, before.drug_class),
                        (&after.sku, after.qty, after.drug_class)
                    );
                    assert!(
                        after.unit_price_fen >= 0 && after.unit_price_fen <= before.unit_price_fen
                    );
                    if matches!(before.drug_class, DrugClass::Rx | DrugClass::Special)
                        || tier == Tier::Member
                    {
                        assert_eq!(after.unit_price_fen, before.unit_price_fen);
                    }
                }
            }
        }
    }
}
