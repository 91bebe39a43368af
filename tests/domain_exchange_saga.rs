//! Points exchange in the domain: the claim saga holding the member's points (`Hold::Points`)
//! driven by scripted shards and a scripted member, so that the points and the unit move
//! together or not at all on every path; and the campaign's `cost_points` validation.

mod common;

use common::Lcg;
use pharmedge::domain::campaign::{CampaignConfig, ConfigRefusal, StockRefusal};
use pharmedge::domain::claim_saga::*;
use pharmedge::domain::coupon::CouponTerms;
use pharmedge::domain::exchange::{self, ExchangeRefusal, MAX_COST_POINTS};
use serde_json::json;

/// A shard: units left, whether it holds one for the claim, how its link behaves.
#[derive(Debug, Clone)]
struct Shard {
    remaining: i64,
    holds_unit: bool,
    closed: Option<StockRefusal>,
    down: bool,
}

impl Shard {
    fn with(remaining: i64) -> Self {
        Shard {
            remaining,
            holds_unit: false,
            closed: None,
            down: false,
        }
    }
}

/// The member's object: a balance, a hold, what was debited.
#[derive(Debug, Clone, Default)]
struct Member {
    balance: i64,
    held: i64,
    debited: i64,
    coupons: u32,
    /// Points that go between the hold and the issue (a make-up, an expiry).
    lost_meanwhile: i64,
    /// What went.
    lost: i64,
}

const COST: i64 = 5;

/// Runs one exchange to its end; the member already holds `COST` points (the first
/// transaction decided it could).
fn run(
    shards: &mut [Shard],
    member: &mut Member,
    known_dry: &[u32],
) -> (Vec<Step<&'static str>>, Outcome<&'static str>) {
    let order: Vec<u32> = (0..shards.len() as u32).collect();
    member.held += COST;
    let (mut saga, mut step) =
        ClaimSaga::start_holding(order, known_dry, vec![Hold::Points { cost: COST }]);
    let mut steps = Vec::new();
    for _ in 0..50 {
        steps.push(step.clone());
        let reply = match &step {
            Step::Take { shard } => {
                let shard = &mut shards[*shard as usize];
                if shard.down {
                    Reply::Unreachable
                } else if let Some(refusal) = shard.closed {
                    Reply::Closed(refusal)
                } else if shard.holds_unit {
                    Reply::Taken
                } else if shard.remaining == 0 {
                    Reply::Dry
                } else {
                    shard.remaining -= 1;
                    shard.holds_unit = true;
                    Reply::Taken
                }
            }
            Step::Release(Hold::Unit { shard }) => {
                let shard = &mut shards[*shard as usize];
                if shard.down {
                    Reply::Unreachable
                } else {
                    if shard.holds_unit {
                        shard.holds_unit = false;
                        shard.remaining += 1;
                    }
                    Reply::Released
                }
            }
            Step::Release(Hold::Points { cost }) => {
                member.held -= cost;
                Reply::Released
            }
            Step::Issue => {
                member.balance -= member.lost_meanwhile;
                member.lost += member.lost_meanwhile;
                // The issue's transaction: spend what is held, if the points are still there.
                if member.balance - (member.held - COST) >= COST {
                    member.balance -= COST;
                    member.debited += COST;
                    member.held -= COST;
                    member.coupons += 1;
                    Reply::Issued
                } else {
                    Reply::NotIssued("insufficient_points")
                }
            }
            Step::Finish(outcome) => return (steps, outcome.clone()),
        };
        step = saga.next(reply);
    }
    panic!("the saga did not end: {steps:?}");
}

fn rich() -> Member {
    Member {
        balance: 100,
        ..Member::default()
    }
}

#[test]
fn an_exchange_spends_the_held_points_with_the_coupon_and_releases_nothing() {
    let mut shards = vec![Shard::with(2)];
    let mut member = rich();
    let (steps, outcome) = run(&mut shards, &mut member, &[]);
    assert_eq!(outcome, Outcome::Issued);
    assert_eq!(
        steps,
        [
            Step::Take { shard: 0 },
            Step::Issue,
            Step::Finish(Outcome::Issued)
        ]
    );
    assert_eq!(
        (member.balance, member.held, member.debited, member.coupons),
        (95, 0, 5, 1)
    );
}

#[test]
fn sold_out_gives_the_points_hold_back_untouched() {
    let mut shards = vec![Shard::with(0), Shard::with(0)];
    let mut member = rich();
    let (steps, outcome) = run(&mut shards, &mut member, &[]);
    assert_eq!(outcome, Outcome::SoldOut);
    assert_eq!(
        steps,
        [
            Step::Take { shard: 0 },
            Step::Take { shard: 1 },
            Step::Release(Hold::Points { cost: COST }),
            Step::Finish(Outcome::SoldOut)
        ]
    );
    assert_eq!((member.balance, member.held, member.debited), (100, 0, 0));
    // Every shard known dry: no call, and still the hold goes back.
    let (steps, _) = run(&mut shards, &mut member, &[0, 1]);
    assert_eq!(
        steps,
        [
            Step::Release(Hold::Points { cost: COST }),
            Step::Finish(Outcome::SoldOut)
        ]
    );
    assert_eq!(member.held, 0);
}

#[test]
fn a_unit_taken_for_points_that_went_meanwhile_goes_back_then_the_hold() {
    let mut shards = vec![Shard::with(1)];
    let mut member = Member {
        balance: 5,
        lost_meanwhile: 1,
        ..Member::default()
    };
    let (steps, outcome) = run(&mut shards, &mut member, &[]);
    assert_eq!(outcome, Outcome::NotIssued("insufficient_points"));
    assert_eq!(
        steps[2..],
        [
            Step::Release(Hold::Unit { shard: 0 }),
            Step::Release(Hold::Points { cost: COST }),
            Step::Finish(Outcome::NotIssued("insufficient_points"))
        ],
        "last held, first given back"
    );
    assert_eq!((shards[0].remaining, shards[0].holds_unit), (1, false));
    assert_eq!((member.debited, member.held, member.coupons), (0, 0, 0));
}

#[test]
fn a_shard_without_answer_or_closed_ends_the_exchange_with_the_points_untouched() {
    let mut shards = vec![Shard::with(3)];
    shards[0].down = true;
    let mut member = rich();
    let (steps, outcome) = run(&mut shards, &mut member, &[]);
    assert_eq!(outcome, Outcome::Unavailable);
    assert_eq!(
        steps[1..3],
        [
            Step::Release(Hold::Unit { shard: 0 }),
            Step::Release(Hold::Points { cost: COST })
        ]
    );
    shards[0].down = false;
    shards[0].closed = Some(StockRefusal::CampaignPaused);
    let (steps, outcome) = run(&mut shards, &mut member, &[]);
    assert_eq!(outcome, Outcome::Closed(StockRefusal::CampaignPaused));
    assert_eq!(steps[1], Step::Release(Hold::Points { cost: COST }));
    assert_eq!((member.balance, member.held, member.debited), (100, 0, 0));
}

#[test]
fn seeded_worlds_debit_exactly_when_a_coupon_is_issued() {
    for seed in 0..500 {
        let mut random = Lcg::new(seed);
        let count = 1 + random.below(4) as usize;
        let mut shards: Vec<Shard> = (0..count)
            .map(|_| {
                let mut shard = Shard::with(random.below(3) as i64);
                shard.down = random.below(6) == 0;
                if random.below(10) == 0 {
                    shard.closed = Some(StockRefusal::CampaignEnded);
                }
                shard
            })
            .collect();
        let mut member = Member {
            balance: 5 + random.below(3) as i64,
            lost_meanwhile: random.below(3) as i64,
            ..Member::default()
        };
        let start = member.balance;
        let (steps, outcome) = run(&mut shards, &mut member, &[]);
        let context = format!("seed {seed}: {steps:?} {member:?}");
        let units_held = shards.iter().filter(|s| s.holds_unit).count() as u32;
        assert_eq!(member.held, 0, "the hold is spent or given back: {context}");
        assert_eq!(
            member.balance,
            start - member.lost - member.debited,
            "{context}"
        );
        if outcome == Outcome::Issued {
            assert_eq!(
                (member.debited, member.coupons, units_held),
                (COST, 1, 1),
                "{context}"
            );
        } else {
            assert_eq!((member.debited, member.coupons), (0, 0), "{context}");
            // A shard that did not answer may still hold the unit (see `unreleased`).
            let unanswered = shards.iter().filter(|s| s.down).count() as u32;
            assert!(units_held <= unanswered, "{context}");
        }
    }
}

fn config(kind: &str, cost: Option<i64>, value_fen: i64) -> CampaignConfig {
    let mut raw = json!({
        "id": "pts-1", "name": "积分兑换", "kind": kind,
        "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-05-01T00:00:00Z",
        "stock": 50,
        "coupon": {"type": "fixed", "value_fen": value_fen, "valid_days": 30},
        "limits": {"per_member": 5},
        "rules_text": "100积分兑换10元券"
    });
    if let Some(cost) = cost {
        raw["cost_points"] = json!(cost);
    }
    serde_json::from_value(raw).unwrap()
}

fn refused(config: &CampaignConfig) -> String {
    match config.validate() {
        Err(ConfigRefusal::Invalid(detail)) => detail,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn cost_points_is_required_for_an_exchange_refused_elsewhere_and_bounded() {
    assert_eq!(
        config("points_exchange", Some(100), 1_000).validate(),
        Ok(())
    );
    assert_eq!(
        config("points_exchange", Some(MAX_COST_POINTS), 1_000).validate(),
        Ok(())
    );
    assert!(refused(&config("points_exchange", None, 1_000)).starts_with("cost_points: required"));
    for bad in [0, -5, MAX_COST_POINTS + 1] {
        assert!(
            refused(&config("points_exchange", Some(bad), 1_000))
                .starts_with("cost_points: from 1"),
            "{bad}"
        );
    }
    for kind in ["coupon", "flash_sale", "store_poster"] {
        assert_eq!(config(kind, None, 1_000).validate(), Ok(()));
        assert!(
            refused(&config(kind, Some(100), 1_000)).starts_with("cost_points: only"),
            "{kind}"
        );
    }
    // Worth more than any tier's monthly cap (gold: 200 yuan): nobody could ever take it.
    assert_eq!(
        config("points_exchange", Some(100), 20_000).validate(),
        Ok(())
    );
    assert!(refused(&config("points_exchange", Some(100), 20_001)).starts_with("coupon: worth"));
    // The stored form keeps cost_points; other kinds' configs are unchanged.
    let stored = serde_json::to_value(config("points_exchange", Some(100), 1_000)).unwrap();
    assert_eq!(stored["cost_points"], 100);
    let plain = serde_json::to_value(config("coupon", None, 1_000)).unwrap();
    assert!(plain.get("cost_points").is_none());
}

#[test]
fn the_last_check_at_issue_and_the_face_value_against_the_cap() {
    assert_eq!(exchange::may_spend(5, 5), Ok(()));
    assert_eq!(
        exchange::may_spend(4, 5),
        Err(ExchangeRefusal::InsufficientPoints {
            balance: 4,
            required: 5
        })
    );
    assert_eq!(
        exchange::may_spend(-3, 5),
        Err(ExchangeRefusal::InsufficientPoints {
            balance: 0,
            required: 5
        })
    );
    assert_eq!(
        exchange::face_value_fen(&CouponTerms::Fixed { value_fen: 990 }),
        990
    );
    assert_eq!(
        exchange::face_value_fen(&CouponTerms::Threshold {
            value_fen: 2_000,
            min_spend_fen: 19_900
        }),
        2_000
    );
    assert_eq!(
        exchange::face_value_fen(&CouponTerms::Percent {
            percent: 12,
            max_discount_fen: 3_000,
            min_spend_fen: 0
        }),
        3_000
    );
}
