//! Golden format of an order placed at member prices: the stored 202 answer and the row
//! queued for the core's `/orders` carry the same lines, each with its list price, member
//! price and member discount, and the tier they were priced at.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::catalog::PricedLine;
use pharmedge::domain::order::Totals;
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::tier::Tier;
use pharmedge::domain::tier_benefits::MemberPrices;
use pharmedge::domain::tier_pricing::accepted_lines_for_tier;
use pharmedge::objects::order::placement::{self, Begin, Decided};
use seam::order::*;
use serde_json::Value;

/// A silver member's order: 2 x 39.90 OTC at 90 % and an Rx line at its list price.
fn silver_decided() -> Decided {
    let priced = [
        PricedLine {
            line: OrderLine {
                sku: "otc-1".into(),
                name: "感冒灵".into(),
                qty: 2,
                unit_price_fen: 3_990,
                drug_class: DrugClass::OtcB,
            },
            catalog_version: 1,
        },
        PricedLine {
            line: OrderLine {
                sku: "rx-1".into(),
                name: "处方药".into(),
                qty: 1,
                unit_price_fen: 12_800,
                drug_class: DrugClass::Rx,
            },
            catalog_version: 2,
        },
    ];
    let subtotal_fen = 2 * 3_591 + 12_800;
    Decided {
        lines: accepted_lines_for_tier(&priced, Tier::Silver, &MemberPrices::default(), 0, None),
        prescription_id: Some("rx-9".into()),
        totals: Totals {
            subtotal_fen,
            discount_fen: 0,
            payable_fen: subtotal_fen,
        },
        tier: Some(Tier::Silver),
    }
}

const LINES: &str = r#"[{"sku":"otc-1","name":"感冒灵","qty":2,"unit_price_fen":3990,"drug_class":"otc_b","discount_fen":0,"catalog_version":1,"member_unit_price_fen":3591,"member_discount_fen":798},{"sku":"rx-1","name":"处方药","qty":1,"unit_price_fen":12800,"drug_class":"rx","discount_fen":0,"catalog_version":2,"member_unit_price_fen":12800,"member_discount_fen":0}]"#;

const FORWARDED: &str = r#"{"catalog_versions":{"otc-1":1,"rx-1":2},"coupon_id":"cpn-1","discount_fen":0,"fulfilment":"pickup","lines":[{"catalog_version":1,"discount_fen":0,"drug_class":"otc_b","member_discount_fen":798,"member_unit_price_fen":3591,"name":"感冒灵","qty":2,"sku":"otc-1","unit_price_fen":3990},{"catalog_version":2,"discount_fen":0,"drug_class":"rx","member_discount_fen":0,"member_unit_price_fen":12800,"name":"处方药","qty":1,"sku":"rx-1","unit_price_fen":12800}],"member_discount_fen":798,"member_id":"mem-1","order_id":"ord-1","payable_fen":19982,"placed_at":"2026-11-24T02:00:00Z","prescription_id":"rx-9","store_id":"store-1","subtotal_fen":19982,"tier":"silver"}"#;

#[test]
fn a_member_priced_order_is_answered_and_forwarded_with_the_same_lines() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    let answer = placement::accept(&db, &place(T0), silver_decided()).unwrap();
    let lines: Value = serde_json::from_str(LINES).unwrap();
    assert_eq!(answer["lines"], lines);
    assert_eq!(answer["tier"], "silver");
    assert_eq!(answer["member_discount_fen"], 798);
    let rows = outbox(&db);
    let (_, _, kind, body) = rows.iter().find(|row| row.2 == "order").unwrap();
    assert_eq!(kind, "order");
    // The stored text itself: a queued row must still read the same after a deploy.
    assert_eq!(body, FORWARDED);
    let forwarded: Value = serde_json::from_str(body).unwrap();
    assert_eq!(forwarded["lines"], answer["lines"]);
    assert_eq!(forwarded["tier"], "silver");
    assert_eq!(forwarded["member_discount_fen"], 798);
    assert_eq!(forwarded["subtotal_fen"], answer["subtotal_fen"]);
    assert_eq!(forwarded["payable_fen"], 2 * 3_591 + 12_800);
}
