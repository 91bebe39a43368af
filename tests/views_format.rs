//! Views that used `#[serde(flatten)]` to read: each is written exactly as before (the same text,
//! key for key, as API.md's answers show) and read back from that text, from a
//! `serde_json::Value` (sorted keys) and with its keys in any order.

use pharmedge::objects::campaign::views::AdminCampaign;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// `text` decodes, re-encodes to exactly `text`, and decodes the same from sorted keys.
fn exact<T: Serialize + DeserializeOwned>(text: &str) -> T {
    let decoded: T = serde_json::from_str(text)
        .unwrap_or_else(|err| panic!("{text}\n no longer decodes: {err}"));
    assert_eq!(serde_json::to_string(&decoded).unwrap(), text);
    let sorted: serde_json::Value = serde_json::from_str(text).unwrap();
    let again: T = serde_json::from_str(&sorted.to_string()).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
    let again: T = serde_json::from_value(sorted).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
    decoded
}

const CONFIG: &str = r#""id":"flash-1","name":"周三秒杀","kind":"flash_sale","starts_at":"2026-06-03T12:00:00Z","ends_at":"2026-06-03T13:00:00Z","stock":500,"coupon":{"type":"threshold","value_fen":2000,"min_spend_fen":19900,"valid_days":30},"limits":{"per_member":1},"audience":{},"rules_text":"每人限领1张""#;

#[test]
fn the_admin_campaign_view_keeps_its_text() {
    let text = format!(
        r#"{{{CONFIG},"status":"active","set_status":"active","shard_count":1,"revision":2,"stats":{{"issued":3,"remaining":497,"claims_rejected":{{"sold_out":1}}}},"audit":[{{"at":"2026-06-01T00:00:00Z","actor":"mkt-1","action":"patch","before":{{"stock":400}},"after":{{"stock":500}}}}]}}"#
    );
    let view: AdminCampaign = exact(&text);
    assert_eq!((view.revision, view.config.stock), (2, 500));
    let scheduled = format!(
        r#"{{{CONFIG},"shards":2,"status":"ended","set_status":"paused","shard_count":2,"revision":9,"stats":{{"issued":0,"remaining":500,"claims_rejected":{{}}}},"audit":[],"occurrences":[{{"key":"2026-12-09","starts_at":"2026-12-09T12:00:00Z","ends_at":"2026-12-09T13:00:00Z","state":"next","total":500,"issued":0,"remaining":500,"ready":false}}]}}"#
    );
    let view: AdminCampaign = exact(&scheduled);
    assert_eq!((view.shard_count, view.config.shards), (2, Some(2)));
    assert_eq!(view.occurrences.len(), 1);
}

#[test]
fn a_broken_admin_campaign_view_is_refused() {
    for text in [
        format!(r#"{{{CONFIG},"status":"active","set_status":"active","shard_count":1,"revision":2,"audit":[]}}"#),
        format!(r#"{{{CONFIG},"status":"active","set_status":"active","shard_count":1,"revision":"2","stats":{{"issued":0,"remaining":0,"claims_rejected":{{}}}},"audit":[]}}"#),
        r#"{"status":"active","set_status":"active","shard_count":1,"revision":2,"stats":{"issued":0,"remaining":0,"claims_rejected":{}},"audit":[]}"#.to_owned(),
        "[]".to_owned(),
    ] {
        assert!(serde_json::from_str::<AdminCampaign>(&text).is_err(), "{text}");
    }
}

mod coupon_terms {
    use super::exact;
    use pharmedge::domain::coupon::{CouponTerms, StoredTerms};
    use pharmedge::domain::order_lines::DrugClass;
    use serde::Deserialize;

    /// What `CouponTerms` was before `coupon_wire`: serde's internally tagged derive.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Reference {
        Fixed {
            value_fen: i64,
        },
        Threshold {
            value_fen: i64,
            min_spend_fen: i64,
        },
        Percent {
            percent: i64,
            max_discount_fen: i64,
            #[serde(default)]
            min_spend_fen: i64,
        },
    }

    fn same(ours: &CouponTerms, reference: &Reference) -> bool {
        match (*ours, reference) {
            (CouponTerms::Fixed { value_fen }, Reference::Fixed { value_fen: v }) => {
                value_fen == *v
            }
            (
                CouponTerms::Threshold {
                    value_fen,
                    min_spend_fen,
                },
                Reference::Threshold {
                    value_fen: v,
                    min_spend_fen: m,
                },
            ) => (value_fen, min_spend_fen) == (*v, *m),
            (
                CouponTerms::Percent {
                    percent,
                    max_discount_fen,
                    min_spend_fen,
                },
                Reference::Percent {
                    percent: p,
                    max_discount_fen: x,
                    min_spend_fen: m,
                },
            ) => (percent, max_discount_fen, min_spend_fen) == (*p, *x, *m),
            _ => false,
        }
    }

    #[test]
    fn terms_read_as_the_derive_read_them() {
        for text in [
            r#"{"type":"fixed","value_fen":990}"#,
            r#"{"value_fen":990,"type":"fixed"}"#,
            r#"{"type":"fixed","value_fen":990,"percent":12,"extra":[1]}"#,
            r#"{"type":"threshold","value_fen":1000,"min_spend_fen":5000}"#,
            r#"{"min_spend_fen":5000,"type":"threshold","value_fen":1000}"#,
            r#"{"type":"percent","percent":12,"max_discount_fen":2000}"#,
            r#"{"type":"percent","percent":12,"max_discount_fen":2000,"min_spend_fen":100}"#,
            r#"{"type":"threshold","value_fen":1000}"#,
            r#"{"type":"percent","percent":12}"#,
            r#"{"type":"fixed"}"#,
            r#"{"type":"bogo","value_fen":1}"#,
            r#"{"value_fen":1}"#,
            r#"{"type":"fixed","value_fen":"990"}"#,
            r#"{"type":"fixed","value_fen":9.5}"#,
            r#"[]"#,
        ] {
            let ours = serde_json::from_str::<CouponTerms>(text);
            let reference = serde_json::from_str::<Reference>(text);
            match (&ours, &reference) {
                (Ok(ours), Ok(reference)) => assert!(same(ours, reference), "{text}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{text}: {ours:?} vs the derive's {reference:?}"),
            }
        }
        let err = serde_json::from_str::<CouponTerms>(r#"{"type":"threshold","value_fen":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `min_spend_fen`"), "{err}");
    }

    #[test]
    fn stored_terms_keep_their_text() {
        let fixed: StoredTerms = exact(r#"{"type":"fixed","value_fen":990}"#);
        assert_eq!(fixed.terms, CouponTerms::Fixed { value_fen: 990 });
        assert_eq!(fixed.eligible_classes, None);
        let threshold: StoredTerms = exact(
            r#"{"type":"threshold","value_fen":1000,"min_spend_fen":5000,"eligible_classes":["otc_b","health"]}"#,
        );
        assert_eq!(
            threshold.eligible_classes,
            Some(vec![DrugClass::OtcB, DrugClass::Health])
        );
        let percent: StoredTerms =
            exact(r#"{"type":"percent","percent":12,"max_discount_fen":2000,"min_spend_fen":0}"#);
        assert_eq!(percent.terms.min_spend_fen(), 0);
        for text in [
            r#"{"type":"percent","percent":12,"eligible_classes":[]}"#,
            r#"{"type":"fixed","value_fen":1,"eligible_classes":["aspirin"]}"#,
            r#"{"eligible_classes":null}"#,
        ] {
            assert!(serde_json::from_str::<StoredTerms>(text).is_err(), "{text}");
        }
    }
}

mod flattened_views {
    use super::exact;
    use pharmedge::domain::catalog::PricedLine;
    use pharmedge::domain::order::AcceptedLine;
    use pharmedge::objects::campaign::views::PublicCoupon;
    use pharmedge::objects::catalog::protocol::AdminView;
    use pharmedge::objects::member::protocol::{CouponView, Reserved};

    #[test]
    fn a_wallet_coupon_keeps_its_text() {
        // API.md: {coupon_id, campaign_id, type, value_fen|percent, min_spend_fen,
        // max_discount_fen, status, claimed_at, valid_from, expires_at, store_id?}
        let fixed: CouponView = exact(
            r#"{"coupon_id":"c-1","campaign_id":"flash-1","type":"fixed","value_fen":990,"min_spend_fen":0,"status":"available","claimed_at":"2026-11-24T02:00:00Z","valid_from":"2026-11-24T02:00:00Z","expires_at":"2026-12-24T02:00:00Z"}"#,
        );
        assert_eq!((fixed.terms.value_fen, fixed.store_id), (Some(990), None));
        let percent: CouponView = exact(
            r#"{"coupon_id":"c-2","campaign_id":"poster-1","type":"percent","percent":12,"min_spend_fen":100,"max_discount_fen":2000,"status":"locked","claimed_at":"2026-11-24T02:00:00Z","valid_from":"2026-11-25T00:00:00Z","expires_at":"2026-12-24T02:00:00Z","store_id":"store-1"}"#,
        );
        assert_eq!(percent.terms.coupon_type, "percent");
        assert!(serde_json::from_str::<CouponView>(
            r#"{"coupon_id":"c-1","campaign_id":"f","type":"fixed","status":"available","claimed_at":"2026-11-24T02:00:00Z","valid_from":"2026-11-24T02:00:00Z","expires_at":"2026-12-24T02:00:00Z"}"#
        )
        .is_err(), "min_spend_fen is required");
    }

    #[test]
    fn a_published_coupon_keeps_its_text() {
        let days: PublicCoupon =
            exact(r#"{"type":"threshold","value_fen":2000,"min_spend_fen":19900,"valid_days":30}"#);
        assert_eq!(days.valid_days, Some(30));
        let until: PublicCoupon = exact(
            r#"{"type":"percent","percent":12,"min_spend_fen":0,"max_discount_fen":2000,"valid_until":"2026-12-01T00:00:00Z"}"#,
        );
        assert!(until.valid_until.is_some());
    }

    #[test]
    fn a_reservation_keeps_its_text() {
        let reserved: Reserved = exact(
            r#"{"subtotal_fen":3980,"discount_fen":990,"payable_fen":2990,"eligible_classes":["otc_b"],"tier":"gold"}"#,
        );
        assert_eq!(reserved.totals.payable_fen, 2990);
        // Objects from before the classes and tiers answer without them.
        let old: Reserved =
            serde_json::from_str(r#"{"subtotal_fen":3980,"discount_fen":0,"payable_fen":3980}"#)
                .unwrap();
        assert!(old.eligible_classes.is_none() && old.tier.is_none());
    }

    #[test]
    fn an_admin_catalogue_item_keeps_its_text() {
        let view: AdminView = exact(
            r#"{"sku":"sku-1","name":"维生素C","drug_class":"otc_b","price_fen":500,"category":"维生素","status":"stopped","max_qty_per_order":5,"version":3,"stops":{"core":false,"admin":{"reason":"recall","by":"admin-1","at":"2026-11-24T02:00:00Z"}},"audit":[{"at":"2026-11-24T02:00:00Z","by":"admin-1","reason":"recall","before":"on_sale","after":"stopped"}]}"#,
        );
        assert_eq!(view.item.version, 3);
        let bare: AdminView = exact(
            r#"{"sku":"sku-2","name":"阿莫西林","drug_class":"rx","price_fen":1200,"category":null,"status":"on_sale","max_qty_per_order":null,"version":1,"stops":{"core":false,"admin":null},"audit":[]}"#,
        );
        assert_eq!(bare.item.category, None);
    }

    #[test]
    fn order_lines_keep_their_text() {
        let accepted: AcceptedLine = exact(
            r#"{"sku":"sku-1","name":"维生素C","qty":2,"unit_price_fen":1990,"drug_class":"otc_b","discount_fen":500,"catalog_version":3,"member_unit_price_fen":1890,"member_discount_fen":200}"#,
        );
        assert_eq!(accepted.line.qty, 2);
        let before_tiers: AcceptedLine = exact(
            r#"{"sku":"sku-1","name":"维生素C","qty":2,"unit_price_fen":1990,"drug_class":"otc_b","discount_fen":0,"catalog_version":3}"#,
        );
        assert_eq!(before_tiers.member_unit_price_fen, None);
        let priced: PricedLine = exact(
            r#"{"sku":"sku-1","name":"维生素C","qty":1,"unit_price_fen":1990,"drug_class":"rx","catalog_version":7}"#,
        );
        assert_eq!(priced.catalog_version, 7);
        assert!(serde_json::from_str::<PricedLine>(
            r#"{"sku":"sku-1","name":"x","qty":1,"drug_class":"rx","catalog_version":7}"#
        )
        .is_err());
    }
}
