//! Replies the worker hands on without decoding (`objects::relay`), continued: the check-in
//! and member replies, and the campaigns' public view, populated and sparse, written both ways
//! (see tests/objects_relay_format.rs).

mod relay_support;

mod checkins {
    use super::relay_support::{at, relays_as_written};
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
    use super::relay_support::{at, relays_as_written};
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
