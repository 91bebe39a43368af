//! The referral binding's states and `decide()`: every transition of both sides, repeats,
//! the clawback on a refund, and the inviter's caps.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pharmedge::domain::referral::{ReferralRules, Refusal, Stage};
use pharmedge::domain::referral_binding::*;

const INVITEE: &str = "m-invitee";
const INVITER: &str = "m-inviter";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).unwrap()
}

fn rules() -> ReferralRules {
    ReferralRules::default()
}

fn arrival(inviter: Option<&'static str>) -> Arrival<'static> {
    Arrival {
        invitee: INVITEE,
        inviter,
        first_registration: true,
        registered_at: t0(),
        has_paid_order: false,
        now: t0() + Duration::minutes(5),
    }
}

fn binding(state: BindingState) -> Binding {
    Binding {
        state,
        refusal: None,
        first_order: None,
        clawback_queued: false,
    }
}

fn order() -> FirstOrder {
    FirstOrder {
        order_id: "ord-1".into(),
        paid_at: t0() + Duration::days(1),
        amount_fen: 10_000,
    }
}

fn with_order(state: BindingState) -> Binding {
    Binding {
        first_order: Some(order()),
        ..binding(state)
    }
}

fn decided(
    decision: Result<(), Refusal>,
    verified: bool,
    refunded_fen: i64,
) -> InviteeEvent<'static> {
    InviteeEvent::Decided {
        decision,
        verified,
        refunded_fen,
        now: t0(),
    }
}

fn nothing<S>() -> Step<S> {
    Step {
        next: None,
        queue: Vec::new(),
    }
}

#[test]
fn a_registration_without_a_code_only_reports_its_device() {
    let step = decide(None, InviteeEvent::RegisteredWithoutCode, &rules());
    assert_eq!(step.next, None);
    assert_eq!(step.queue, vec![Queued::ReportDevice]);
}

#[test]
fn a_registration_with_a_code_is_pending_or_refused_in_the_rules_order() {
    let step = decide(
        None,
        InviteeEvent::Registered(arrival(Some(INVITER))),
        &rules(),
    );
    assert_eq!(step.next, Some(binding(BindingState::Pending)));
    assert!(
        step.queue.is_empty(),
        "the device waits for the pending binding"
    );

    let refused = |binding: Option<&Binding>, arrival: Arrival<'static>, refusal| {
        let step = decide(binding, InviteeEvent::Registered(arrival), &rules());
        assert_eq!(step.next, None, "no binding is kept for {refusal:?}");
        assert_eq!(
            step.queue,
            vec![Queued::ReportDevice, Queued::Refused(refusal)]
        );
    };
    refused(None, arrival(None), Refusal::UnknownCode);
    refused(None, arrival(Some(INVITEE)), Refusal::SelfReferral);
    for state in [
        BindingState::Pending,
        BindingState::Bound,
        BindingState::Refused,
    ] {
        refused(
            Some(&binding(state)),
            arrival(Some(INVITER)),
            Refusal::AlreadyBound,
        );
    }
    let late = Arrival {
        now: t0() + Duration::hours(rules().new_member_hours) + Duration::seconds(1),
        ..arrival(Some(INVITER))
    };
    refused(None, late, Refusal::NotNewMember);
    let again = Arrival {
        first_registration: false,
        ..arrival(Some(INVITER))
    };
    refused(None, again, Refusal::NotNewMember);
    let ordered = Arrival {
        has_paid_order: true,
        ..arrival(Some(INVITER))
    };
    refused(None, ordered, Refusal::NotNewMember);
    // Unknown code comes before everything else, a binding before newness.
    let stale_unknown = Arrival {
        first_registration: false,
        ..arrival(None)
    };
    refused(None, stale_unknown, Refusal::UnknownCode);
    refused(
        Some(&binding(BindingState::Bound)),
        again,
        Refusal::AlreadyBound,
    );
}

#[test]
fn a_pending_binding_is_decided_once() {
    let pending = binding(BindingState::Pending);
    for refusal in [
        Refusal::DeviceSeen,
        Refusal::InviterDailyCap,
        Refusal::InviterMonthlyCap,
    ] {
        let step = decide(Some(&pending), decided(Err(refusal), true, 0), &rules());
        assert_eq!(
            step.next,
            Some(Binding {
                state: BindingState::Refused,
                refusal: Some(refusal),
                ..pending.clone()
            })
        );
        assert_eq!(
            step.queue,
            vec![Queued::Refused(refusal)],
            "no reward queued"
        );
    }

    let step = decide(Some(&pending), decided(Ok(()), false, 0), &rules());
    assert_eq!(step.next, Some(binding(BindingState::Bound)));
    assert_eq!(
        step.queue,
        vec![Queued::Bound, Queued::Reward(Stage::Bound)]
    );

    // Decided again (the alarm ran the steps twice): nothing, either way.
    for state in [BindingState::Bound, BindingState::Refused] {
        for decision in [Ok(()), Err(Refusal::DeviceSeen)] {
            assert_eq!(
                decide(Some(&binding(state)), decided(decision, true, 0), &rules()),
                nothing()
            );
        }
    }
    assert_eq!(decide(None, decided(Ok(()), true, 0), &rules()), nothing());
}

#[test]
fn what_the_invitee_did_while_pending_reaches_the_inviter_when_bound() {
    let step = decide(
        Some(&with_order(BindingState::Pending)),
        decided(Ok(()), true, 0),
        &rules(),
    );
    assert_eq!(step.next, Some(with_order(BindingState::Bound)));
    assert_eq!(
        step.queue,
        vec![
            Queued::Bound,
            Queued::Reward(Stage::Bound),
            Queued::Inviter(ToInviter::Reward, Stage::Verified),
            Queued::Inviter(ToInviter::Reward, Stage::FirstOrder),
        ]
    );
    // The first order was refunded in full while pending: its reward goes back at once.
    let step = decide(
        Some(&with_order(BindingState::Pending)),
        decided(Ok(()), false, order().amount_fen),
        &rules(),
    );
    assert_eq!(
        step.next,
        Some(Binding {
            clawback_queued: true,
            ..with_order(BindingState::Bound)
        })
    );
    assert_eq!(
        step.queue,
        vec![
            Queued::Bound,
            Queued::Reward(Stage::Bound),
            Queued::Inviter(ToInviter::Reward, Stage::FirstOrder),
            Queued::Inviter(ToInviter::Clawback, Stage::FirstOrder),
        ]
    );
}

#[test]
fn verification_rewards_the_inviter_of_a_bound_invitee_only() {
    let step = decide(
        Some(&binding(BindingState::Bound)),
        InviteeEvent::Verified,
        &rules(),
    );
    assert_eq!(step.next, None);
    assert_eq!(
        step.queue,
        vec![Queued::Inviter(ToInviter::Reward, Stage::Verified)]
    );
    for binding in [
        None,
        Some(binding(BindingState::Pending)),
        Some(binding(BindingState::Refused)),
    ] {
        assert_eq!(
            decide(binding.as_ref(), InviteeEvent::Verified, &rules()),
            nothing()
        );
    }
}

#[test]
fn the_first_order_is_recorded_once_and_rewarded_when_bound() {
    let paid = || InviteeEvent::FirstOrderPaid(order());
    let step = decide(Some(&binding(BindingState::Bound)), paid(), &rules());
    assert_eq!(step.next, Some(with_order(BindingState::Bound)));
    assert_eq!(
        step.queue,
        vec![Queued::Inviter(ToInviter::Reward, Stage::FirstOrder)]
    );
    let step = decide(Some(&binding(BindingState::Pending)), paid(), &rules());
    assert_eq!(step.next, Some(with_order(BindingState::Pending)));
    assert!(step.queue.is_empty(), "rewarded when bound");
    // Another "first" order, no binding, or a refused one: nothing.
    let other = InviteeEvent::FirstOrderPaid(FirstOrder {
        order_id: "ord-2".into(),
        ..order()
    });
    assert_eq!(
        decide(Some(&with_order(BindingState::Bound)), other, &rules()),
        nothing()
    );
    assert_eq!(decide(None, paid(), &rules()), nothing());
    assert_eq!(
        decide(Some(&binding(BindingState::Refused)), paid(), &rules()),
        nothing()
    );
}

#[test]
fn a_full_refund_within_the_window_claws_back_once() {
    let window = Duration::days(rules().refund_window_days);
    let refund = |refunded_fen, after: Duration| InviteeEvent::Refunds {
        refunded_fen,
        now: order().paid_at + after,
    };
    let bound = with_order(BindingState::Bound);
    let step = decide(Some(&bound), refund(10_000, window), &rules());
    let clawed = Binding {
        clawback_queued: true,
        ..bound.clone()
    };
    assert_eq!(step.next, Some(clawed.clone()));
    assert_eq!(
        step.queue,
        vec![Queued::Inviter(ToInviter::Clawback, Stage::FirstOrder)]
    );
    // Once: another refund event after it queues nothing.
    assert_eq!(
        decide(Some(&clawed), refund(10_000, Duration::hours(1)), &rules()),
        nothing()
    );
    // Partial, late, not bound (yet), or no first order: nothing.
    assert_eq!(
        decide(Some(&bound), refund(9_999, Duration::hours(1)), &rules()),
        nothing()
    );
    assert_eq!(
        decide(
            Some(&bound),
            refund(10_000, window + Duration::seconds(1)),
            &rules()
        ),
        nothing()
    );
    for state in [BindingState::Pending, BindingState::Refused] {
        assert_eq!(
            decide(
                Some(&with_order(state)),
                refund(10_000, Duration::hours(1)),
                &rules()
            ),
            nothing()
        );
    }
    assert_eq!(
        decide(
            Some(&binding(BindingState::Bound)),
            refund(10_000, Duration::hours(1)),
            &rules()
        ),
        nothing()
    );
    assert_eq!(
        decide(None, refund(10_000, Duration::hours(1)), &rules()),
        nothing()
    );
}
