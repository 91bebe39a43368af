//! Replies the worker hands on without decoding (`objects::relay`): the object writes a reply
//! through a `serde_json::Value` (keys sorted), the response must be the text the reply type
//! writes (declaration order, flattened fields in place, skipped `None`s left out), as it was
//! when the worker decoded the reply and wrote it again. Each relayed type, populated and
//! sparse, written both ways.

use pharmedge::domain::catalog::SaleStatus;
use pharmedge::domain::order::Fulfilment;
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::time::{parse_instant, Instant};
use pharmedge::objects::catalog::protocol::{
    AdminStopView, AdminView, AuditEntry, ItemView, PushReply, StopsView,
};
use pharmedge::objects::member::protocol::{
    CouponView, CouponsReply, EventReply, LedgerEntry, LedgerReply,
};
use pharmedge::objects::order::protocol::{OrderView, PickupCodeReply, PickupView, WaitingPickup};
use pharmedge::objects::relay::{reorder_compact, KeyOrder, Relayed};
use pharmedge::objects::store::ListReply;
use serde::Serialize;

fn at(text: &str) -> Instant {
    Instant(parse_instant(text).unwrap())
}

/// The object's text (through a `Value`), relayed, is the type's own text.
fn relays_as_written<R: Serialize + KeyOrder>(reply: &R) {
    let own = serde_json::to_string(reply).unwrap();
    let object = serde_json::to_value(reply).unwrap().to_string();
    let relayed = Relayed::<R>::from_reply(&object).unwrap().into_text();
    assert_eq!(relayed, own);
    // On the object's compact text, without a `Value`.
    let mut compact = String::new();
    assert_eq!(reorder_compact(&object, &R::KEYS, &mut compact), Some(()));
    assert_eq!(compact, own);
    // Another spelling of the same reply (whitespace): read through a `Value`, the same text.
    let spaced = serde_json::to_string_pretty(&serde_json::to_value(reply).unwrap()).unwrap();
    let relayed = Relayed::<R>::from_reply(&spaced).unwrap().into_text();
    assert_eq!(relayed, own);
}

fn line(sku: &str, class: DrugClass) -> OrderLine {
    OrderLine {
        sku: sku.into(),
        name: format!("药 \"{sku}\""),
        qty: 2,
        unit_price_fen: 1250,
        drug_class: class,
    }
}

#[test]
fn orders_relay_as_written() {
    let full = OrderView {
        order_id: "o-1".into(),
        status: "ready".into(),
        store_id: Some("s-1".into()),
        fulfilment: Some(Fulfilment::Pickup),
        lines: vec![line("A1", DrugClass::Rx), line("B2", DrugClass::OtcA)],
        coupon_id: Some("c-1".into()),
        subtotal_fen: Some(5000),
        discount_fen: Some(500),
        payable_fen: Some(4500),
        placed_at: Some(at("2026-11-24T10:00:00Z")),
        updated_at: at("2026-11-24T11:00:00Z"),
        reason: Some("out of stock: {\"a\": [1, 2]}, \\".into()),
        pickup: Some(PickupView {
            ready_at: Some(at("2026-11-24T11:00:00Z")),
            pickup_deadline: Some(at("2026-11-27T11:00:00Z")),
            verified_at: Some(at("2026-11-25T09:00:00Z")),
            verified_by: Some("staff-1".into()),
        }),
    };
    relays_as_written(&full);
    let sparse = OrderView {
        store_id: None,
        fulfilment: None,
        lines: vec![],
        coupon_id: None,
        subtotal_fen: None,
        discount_fen: None,
        payable_fen: None,
        placed_at: None,
        reason: None,
        pickup: None,
        ..full
    };
    relays_as_written(&sparse);
    let waiting = |order_id: &str| WaitingPickup {
        order_id: order_id.into(),
        ready_at: at("2026-11-24T11:00:00Z"),
        pickup_deadline: at("2026-11-27T11:00:00Z"),
        line_count: 3,
        has_rx: true,
    };
    relays_as_written(&ListReply {
        pickups: vec![waiting("o-1"), waiting("o-2")],
    });
    relays_as_written(&ListReply { pickups: vec![] });
    let code = PickupCodeReply {
        order_id: "o-1".into(),
        store_id: "s-1".into(),
        qr: "PX1|o-1|123456".into(),
        short_code: "123456".into(),
        valid_for_s: 45,
        refresh_in_s: 15,
        expires_at: at("2026-11-27T11:00:00Z"),
    };
    relays_as_written(&code);
    // The QR page reads its text from the relayed reply.
    let object = serde_json::to_value(&code).unwrap().to_string();
    let value = Relayed::<PickupCodeReply>::from_reply(&object)
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(value["qr"], "PX1|o-1|123456");
}

#[test]
fn member_replies_relay_as_written() {
    let entry = |id, expires_at| LedgerEntry {
        id,
        amount: -30,
        kind: "spend".into(),
        source: "exchange".into(),
        source_id: "x-1".into(),
        created_at: at("2026-11-24T10:00:00Z"),
        expires_at,
    };
    relays_as_written(&LedgerReply {
        entries: vec![entry(2, Some(at("2027-11-24T10:00:00Z"))), entry(1, None)],
        next_cursor: Some("1".into()),
    });
    relays_as_written(&LedgerReply {
        entries: vec![],
        next_cursor: None,
    });
    let coupon = |store_id: Option<&str>, terms: serde_json::Value| -> CouponView {
        let mut view = serde_json::json!({
            "coupon_id": "cp-1", "campaign_id": "camp-1", "status": "available",
            "claimed_at": "2026-11-24T10:00:00Z", "valid_from": "2026-11-24T10:00:00Z",
            "expires_at": "2026-12-24T10:00:00Z",
        });
        view.as_object_mut()
            .unwrap()
            .extend(terms.as_object().unwrap().clone());
        if let Some(store) = store_id {
            view["store_id"] = store.into();
        }
        serde_json::from_value(view).unwrap()
    };
    let percent = serde_json::json!({"type": "percent", "percent": 90, "min_spend_fen": 0,
        "max_discount_fen": 2000});
    let amount = serde_json::json!({"type": "amount", "value_fen": 500, "min_spend_fen": 3000});
    let coupons = CouponsReply {
        coupons: vec![coupon(Some("s-1"), percent), coupon(None, amount)],
    };
    // Both shapes of terms are there: the flattened keys and the left-out ones.
    let text = serde_json::to_string(&coupons).unwrap();
    assert!(text.contains(r#""percent":90"#) && text.contains(r#""value_fen":500"#));
    assert!(text.contains(r#""store_id":"s-1""#));
    relays_as_written(&coupons);
    relays_as_written(&CouponsReply { coupons: vec![] });
    for (accepted, duplicate) in [(true, false), (false, true)] {
        relays_as_written(&EventReply {
            accepted,
            duplicate,
        });
    }
}

#[test]
fn catalog_replies_relay_as_written() {
    relays_as_written(&PushReply {
        accepted: true,
        duplicate: false,
        items: 3,
        applied: 2,
    });
    let item = ItemView {
        sku: "A1".into(),
        name: "药".into(),
        drug_class: DrugClass::OtcB,
        price_fen: 1250,
        category: Some("cold".into()),
        status: SaleStatus::Stopped,
        max_qty_per_order: Some(5),
        version: 7,
    };
    let audit = AuditEntry {
        at: at("2026-11-24T10:00:00Z"),
        by: "admin-1".into(),
        reason: "recall".into(),
        before: SaleStatus::OnSale,
        after: SaleStatus::Stopped,
    };
    let full = AdminView {
        item: item.clone(),
        stops: StopsView {
            core: true,
            admin: Some(AdminStopView {
                reason: "recall".into(),
                by: "admin-1".into(),
                at: at("2026-11-24T10:00:00Z"),
            }),
        },
        audit: vec![audit.clone(), audit],
    };
    relays_as_written(&full);
    relays_as_written(&AdminView {
        item: ItemView {
            category: None,
            max_qty_per_order: None,
            ..item
        },
        stops: StopsView {
            core: false,
            admin: None,
        },
        audit: vec![],
    });
}

#[test]
fn what_is_not_json_is_refused() {
    for text in [
        "",
        "{",
        r#"{"order_id":}"#,
        r#"{"order_id":"o-1""#,
        "[1,2]x",
        "nul l",
    ] {
        assert!(Relayed::<OrderView>::from_reply(text).is_err(), "{text}");
    }
}

#[test]
fn a_value_reply_is_handed_on_unchanged() {
    let kept = r#"{"a":{"z":1,"b":[{"y":2,"c":3}]},"order_id":"o-1"}"#;
    let relayed = Relayed::<serde_json::Value>::from_reply(kept).unwrap();
    assert_eq!(relayed.into_text(), kept);
}

mod checkins {
    use super::{at, relays_as_written};
    use pharmedge::domain::attribution::Bucket;
    use pharmedge::domain::ids::MemberId;
    use pharmedge::domain::time::{parse_date, BusinessDate};
    use pharmedge::objects::member::protocol::*;
    use pharmedge::objects::relay::Relayed;

    fn day(text: &str) -> BusinessDate {
        BusinessDate(parse_date(text).unwrap())
    }

    #[test]
    fn checkin_replies_relay_as_written_and_say_whether_repeated() {
        for already_checked_in in [false, true] {
            let reply = CheckinReply {
                date: day("2026-11-24"),
                streak: 3,
                cycle_day: 3,
                points_awarded: 10,
                bonus_points: 5,
                balance: 120,
                already_checked_in,
            };
            relays_as_written(&reply);
            let object = serde_json::to_value(&reply).unwrap().to_string();
            let relayed = Relayed::<CheckinReply>::from_reply(&object).unwrap();
            assert_eq!(relayed.already_checked_in(), already_checked_in);
        }
        relays_as_written(&ReferralSummaryReply {
            code: "ABCD2345".into(),
            clicks: 10,
            unique_visitors: 7,
            clicks_today: 1,
            bound: 3,
            rewarded: 2,
            pending: 1,
            refused: 0,
            points_earned: 400,
        });
        relays_as_written(&MakeupReply {
            date: day("2026-11-20"),
            cost_points: 20,
            streak: 5,
            balance: 100,
        });
    }

    #[test]
    fn month_and_summary_relay_as_written() {
        let month = MonthReply {
            month: "2026-11".into(),
            days: vec![day("2026-11-01"), day("2026-11-02")],
            makeup_days: vec![day("2026-11-03")],
            makeups_used: 1,
            makeups_left: 2,
            streak: 2,
            checked_in_today: false,
            today: day("2026-11-24"),
            next_checkin: Some(NextCheckin {
                date: day("2026-11-24"),
                streak: 3,
                points: 10,
                bonus_points: 0,
            }),
            bonuses_ahead: vec![
                BonusAheadReply {
                    date: day("2026-11-28"),
                    streak: 7,
                    bonus_points: 50,
                },
                BonusAheadReply {
                    date: day("2026-12-05"),
                    streak: 14,
                    bonus_points: 100,
                },
            ],
            makeup_dates: vec![day("2026-11-03")],
            rules: CheckinRulesReply {
                base_points: 10,
                cycle_days: 7,
                makeup_cost_points: 20,
                makeups_per_month: 3,
            },
        };
        relays_as_written(&month);
        relays_as_written(&MonthReply {
            next_checkin: None,
            bonuses_ahead: vec![],
            days: vec![],
            ..month
        });
        let summary = SummaryReply {
            member_id: MemberId::parse("m-1").unwrap(),
            tier: TierReply {
                name: "silver".into(),
                spend_fen: 100_000,
                next: Some("gold".into()),
                to_next_fen: 50_000,
            },
            points: PointsSummary {
                balance: 120,
                debt: 0,
                expiring: vec![Expiring {
                    amount: 30,
                    expires_at: at("2027-01-01T00:00:00Z"),
                }],
            },
            checkin: CheckinSummary {
                streak: 3,
                checked_in_today: true,
            },
            coupons: CouponSummary { available: 2 },
            ab: AbReply {
                experiment: Bucket::B,
            },
        };
        relays_as_written(&summary);
        relays_as_written(&SummaryReply {
            tier: TierReply {
                name: "gold".into(),
                spend_fen: 900_000,
                next: None,
                to_next_fen: 0,
            },
            ..summary
        });
    }
}

mod campaigns {
    use super::{at, relays_as_written};
    use pharmedge::domain::campaign::{Audience, CampaignKind, Limits, Status};
    use pharmedge::domain::coupon::TermsView;
    use pharmedge::domain::ids::CampaignId;
    use pharmedge::domain::tier::Tier;
    use pharmedge::domain::tier_benefits::Combine;
    use pharmedge::objects::campaign::views::{
        status_and_kind, NextOccurrence, PublicCampaign, PublicCoupon, StockView,
    };

    fn campaign(status: Status, kind: CampaignKind) -> PublicCampaign {
        PublicCampaign {
            id: CampaignId::parse("camp-1").unwrap(),
            name: "双十一 \"满减\"".into(),
            kind,
            starts_at: at("2026-11-01T00:00:00Z"),
            ends_at: at("2026-11-30T00:00:00Z"),
            status,
            coupon: PublicCoupon {
                terms: TermsView {
                    coupon_type: "percent".into(),
                    value_fen: Some(100),
                    percent: Some(90),
                    min_spend_fen: 1000,
                    max_discount_fen: Some(2000),
                },
                valid_days: Some(7),
                valid_until: Some(at("2026-12-31T00:00:00Z")),
            },
            limits: Limits {
                per_member: 2,
                per_member_per_day: Some(1),
            },
            audience: Audience {
                new_members_within_days: Some(30),
                first_order_only: true,
                tiers: Some(vec![Tier::Silver, Tier::Gold]),
            },
            rules_text: "每人限领 2 张".into(),
            stock: StockView {
                total: 100,
                remaining: 42,
            },
            next_occurrence: Some(NextOccurrence {
                starts_at: at("2026-11-25T00:00:00Z"),
                ends_at: at("2026-11-26T00:00:00Z"),
                stock: StockView {
                    total: 10,
                    remaining: 10,
                },
            }),
            cost_points: Some(500),
            multiplier: Some(2),
            combine: Some(Combine::Product),
        }
    }

    #[test]
    fn public_campaigns_relay_as_written() {
        let full = campaign(Status::Active, CampaignKind::StorePoster);
        relays_as_written(&full);
        let sparse = PublicCampaign {
            coupon: PublicCoupon {
                terms: TermsView {
                    coupon_type: "amount".into(),
                    value_fen: Some(500),
                    percent: None,
                    min_spend_fen: 0,
                    max_discount_fen: None,
                },
                valid_days: None,
                valid_until: None,
            },
            limits: Limits {
                per_member: 1,
                per_member_per_day: None,
            },
            audience: Audience::default(),
            next_occurrence: None,
            cost_points: None,
            multiplier: None,
            combine: None,
            ..full
        };
        relays_as_written(&sparse);
    }

    #[test]
    fn the_entry_page_reads_status_and_kind_as_written() {
        let kinds = [
            CampaignKind::Coupon,
            CampaignKind::FlashSale,
            CampaignKind::StorePoster,
            CampaignKind::PointsExchange,
            CampaignKind::PointsMultiplier,
        ];
        let statuses = [
            Status::Scheduled,
            Status::Active,
            Status::Paused,
            Status::Ended,
        ];
        for kind in kinds {
            for status in statuses {
                let view = serde_json::to_value(campaign(status, kind)).unwrap();
                assert_eq!(status_and_kind(&view), Some((status, kind)));
            }
        }
        assert_eq!(
            status_and_kind(&serde_json::json!({"status": "open", "kind": "coupon"})),
            None
        );
    }
}
