//! The inviter's side of a referral: the caps, each reward once, the clawback in either
//! order; and both sides together under retries in every delivery order.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pharmedge::domain::referral::{FirstOrderReward, ReferralRules, Refusal, Stage};
use pharmedge::domain::referral_binding::*;
use pharmedge::domain::referral_inviter::*;

const INVITEE: &str = "m-invitee";
const INVITER: &str = "m-inviter";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap()
}

fn rules() -> ReferralRules {
    ReferralRules::default()
}

fn nothing<S>() -> Step<S> {
    Step {
        next: None,
        queue: Vec::new(),
    }
}

fn order() -> FirstOrder {
    FirstOrder {
        order_id: "ord-1".into(),
        paid_at: t0() + Duration::days(1),
        amount_fen: 10_000,
    }
}

fn invite(bound_today: u32, bound_this_month: u32) -> InviterEvent {
    InviterEvent::Invite {
        bound_today,
        bound_this_month,
    }
}

const FRESH: InviteeRecord = InviteeRecord::Bound {
    verified: false,
    first_order: FirstOrderReward::Open,
};

#[test]
fn the_inviter_caps_per_day_then_per_month_and_answers_the_same_again() {
    let rules = ReferralRules {
        daily_cap: 2,
        monthly_cap: 5,
        ..rules()
    };
    let answer = |today, month| {
        let step = decide_inviter(None, invite(today, month), &rules).unwrap();
        assert!(step.queue.is_empty());
        step.next.expect("a new invitee is recorded")
    };
    assert_eq!(answer(0, 0), FRESH);
    assert_eq!(answer(1, 4), FRESH, "one under both caps");
    assert_eq!(
        answer(2, 2),
        InviteeRecord::Refused(Refusal::InviterDailyCap)
    );
    assert_eq!(
        answer(1, 5),
        InviteeRecord::Refused(Refusal::InviterMonthlyCap)
    );
    assert_eq!(
        answer(2, 5),
        InviteeRecord::Refused(Refusal::InviterDailyCap)
    );
    assert_eq!(FRESH.refusal(), None);
    assert_eq!(
        InviteeRecord::Refused(Refusal::InviterMonthlyCap).refusal(),
        Some(Refusal::InviterMonthlyCap)
    );
    // Asked again, whatever the counts now: the record stays, so does its answer.
    for record in [FRESH, InviteeRecord::Refused(Refusal::InviterDailyCap)] {
        for (today, month) in [(0, 0), (9, 99)] {
            assert_eq!(
                decide_inviter(Some(record), invite(today, month), &rules),
                Ok(nothing())
            );
        }
    }
}

#[test]
fn the_inviter_is_rewarded_once_per_stage_and_the_first_order_clawed_back_once() {
    let rules = rules();
    let step = decide_inviter(Some(FRESH), InviterEvent::Reward(Stage::Verified), &rules).unwrap();
    let verified = InviteeRecord::Bound {
        verified: true,
        first_order: FirstOrderReward::Open,
    };
    assert_eq!(step.next, Some(verified));
    assert_eq!(step.queue, vec![Queued::Reward(Stage::Verified)]);
    assert_eq!(
        decide_inviter(
            Some(verified),
            InviterEvent::Reward(Stage::Verified),
            &rules
        ),
        Ok(nothing())
    );

    let step = decide_inviter(
        Some(verified),
        InviterEvent::Reward(Stage::FirstOrder),
        &rules,
    )
    .unwrap();
    let granted = InviteeRecord::Bound {
        verified: true,
        first_order: FirstOrderReward::Granted {
            points: rules.first_order_points,
        },
    };
    assert_eq!(step.next, Some(granted));
    assert_eq!(step.queue, vec![Queued::Reward(Stage::FirstOrder)]);
    assert_eq!(
        decide_inviter(
            Some(granted),
            InviterEvent::Reward(Stage::FirstOrder),
            &rules
        ),
        Ok(nothing())
    );

    let step = decide_inviter(
        Some(granted),
        InviterEvent::Clawback(Stage::FirstOrder),
        &rules,
    )
    .unwrap();
    let clawed = InviteeRecord::Bound {
        verified: true,
        first_order: FirstOrderReward::ClawedBack,
    };
    assert_eq!(step.next, Some(clawed));
    assert_eq!(
        step.queue,
        vec![Queued::TakeBack {
            stage: Stage::FirstOrder,
            points: rules.first_order_points
        }]
    );
    for event in [
        InviterEvent::Clawback(Stage::FirstOrder),
        InviterEvent::Reward(Stage::FirstOrder),
        InviterEvent::Reward(Stage::Verified),
    ] {
        assert_eq!(decide_inviter(Some(clawed), event, &rules), Ok(nothing()));
    }
    // The invitee's own stage and stages without a clawback change nothing here.
    for event in [
        InviterEvent::Reward(Stage::Bound),
        InviterEvent::Clawback(Stage::Bound),
        InviterEvent::Clawback(Stage::Verified),
    ] {
        assert_eq!(decide_inviter(Some(granted), event, &rules), Ok(nothing()));
    }
}

#[test]
fn a_clawback_before_its_reward_cancels_it() {
    let rules = rules();
    let step = decide_inviter(
        Some(FRESH),
        InviterEvent::Clawback(Stage::FirstOrder),
        &rules,
    )
    .unwrap();
    let cancelled = InviteeRecord::Bound {
        verified: false,
        first_order: FirstOrderReward::ClawedBack,
    };
    assert_eq!(step.next, Some(cancelled));
    assert!(step.queue.is_empty(), "nothing was granted, nothing taken");
    assert_eq!(
        decide_inviter(
            Some(cancelled),
            InviterEvent::Reward(Stage::FirstOrder),
            &rules
        ),
        Ok(nothing())
    );
    // The verification's reward is not affected.
    let step = decide_inviter(
        Some(cancelled),
        InviterEvent::Reward(Stage::Verified),
        &rules,
    )
    .unwrap();
    assert_eq!(step.queue, vec![Queued::Reward(Stage::Verified)]);
}

#[test]
fn rewards_for_an_invitee_not_bound_here_are_refused() {
    for record in [None, Some(InviteeRecord::Refused(Refusal::InviterDailyCap))] {
        for event in [
            InviterEvent::Reward(Stage::Verified),
            InviterEvent::Reward(Stage::FirstOrder),
            InviterEvent::Clawback(Stage::FirstOrder),
        ] {
            assert_eq!(decide_inviter(record, event, &rules()), Err(NotBound));
        }
    }
}

/// Every order of delivery of `commands`, each delivered twice (an outbox retries).
fn deliveries(commands: &[InviterEvent]) -> Vec<Vec<InviterEvent>> {
    fn permute(
        rest: &mut Vec<InviterEvent>,
        done: &mut Vec<InviterEvent>,
        out: &mut Vec<Vec<InviterEvent>>,
    ) {
        if rest.is_empty() {
            out.push(done.clone());
            return;
        }
        for i in 0..rest.len() {
            if rest[..i].contains(&rest[i]) {
                continue; // the same command in the same place: the same order
            }
            let next = rest.remove(i);
            done.push(next);
            permute(rest, done, out);
            done.pop();
            rest.insert(i, next);
        }
    }
    let mut twice: Vec<_> = commands.iter().flat_map(|c| [*c, *c]).collect();
    let mut out = Vec::new();
    permute(&mut twice, &mut Vec::new(), &mut out);
    out
}

#[test]
fn whatever_is_retried_in_whatever_order_each_reward_is_granted_once() {
    let rules = rules();
    // The invitee's side, every event twice: what it queues for the inviter.
    let events = [
        InviteeEvent::Registered(Arrival {
            invitee: INVITEE,
            inviter: Some(INVITER),
            first_registration: true,
            registered_at: t0(),
            has_paid_order: false,
            now: t0(),
        }),
        InviteeEvent::Decided {
            decision: Ok(()),
            verified: false,
            refunded_fen: 0,
            now: t0(),
        },
        InviteeEvent::Verified,
        InviteeEvent::FirstOrderPaid(order()),
        InviteeEvent::Refunds {
            refunded_fen: 10_000,
            now: order().paid_at + Duration::days(1),
        },
    ];
    let mut state: Option<Binding> = None;
    let mut queued = Vec::new();
    for event in events.iter().flat_map(|e| [e.clone(), e.clone()]) {
        let step = decide(state.as_ref(), event, &rules);
        if let Some(next) = step.next {
            state = Some(next);
        }
        queued.extend(step.queue);
    }
    let count = |item: Queued| queued.iter().filter(|q| **q == item).count();
    assert_eq!(count(Queued::Reward(Stage::Bound)), 1, "{queued:?}");
    assert_eq!(count(Queued::Bound), 1);
    assert_eq!(
        count(Queued::Inviter(ToInviter::Reward, Stage::FirstOrder)),
        1
    );
    assert_eq!(
        count(Queued::Inviter(ToInviter::Clawback, Stage::FirstOrder)),
        1
    );
    // A repeated `member.verified` queues the same keyed command again: one row.
    assert!(count(Queued::Inviter(ToInviter::Reward, Stage::Verified)) >= 1);

    // The inviter's side: every order of every command, each twice.
    let commands = [
        InviterEvent::Reward(Stage::Verified),
        InviterEvent::Reward(Stage::FirstOrder),
        InviterEvent::Clawback(Stage::FirstOrder),
    ];
    let orders = deliveries(&commands);
    assert_eq!(orders.len(), 90);
    for order in orders {
        let mut record = FRESH;
        let mut effects = Vec::new();
        for event in &order {
            let step = decide_inviter(Some(record), *event, &rules).unwrap();
            record = step.next.unwrap_or(record);
            effects.extend(step.queue);
        }
        let granted = effects
            .iter()
            .filter(|q| **q == Queued::Reward(Stage::FirstOrder))
            .count();
        let taken = effects
            .iter()
            .filter(|q| matches!(q, Queued::TakeBack { .. }))
            .count();
        assert_eq!(
            effects
                .iter()
                .filter(|q| **q == Queued::Reward(Stage::Verified))
                .count(),
            1,
            "{order:?}"
        );
        assert!(granted <= 1 && taken == granted, "{order:?}: {effects:?}");
        assert_eq!(
            record,
            InviteeRecord::Bound {
                verified: true,
                first_order: FirstOrderReward::ClawedBack
            },
            "{order:?}"
        );
    }
}
