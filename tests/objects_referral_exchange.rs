//! The exchange between an invitee's object and the inviter's, through the invitee's outbox,
//! against real SQLite: each stage rewarded once however often a command is delivered, the
//! first order's reward clawed back on a full refund within the window (in either order),
//! and what the inviter sees.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::referral::Stage;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::time::Instant;
use pharmedge::objects::member::protocol::{MemberCommand, ReferralClawback, ReferralReward};
use pharmedge::objects::member::referral;
use pharmedge::objects::seam::Transact;
use seam::referral::*;

fn first_order(rules: &Rules) -> i64 {
    rules.referral.first_order_points
}

#[test]
fn each_stage_rewards_the_inviter_once_however_often_it_is_delivered() {
    let rules = Rules::default();
    let (inviter, invitee, _) = bound_pair(&rules);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ver",
        verified(INVITEE),
        T0 + HOUR,
    );
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-pay",
        paid(INVITEE, "ord-1", 10_000, T0 + DAY, true),
        T0 + DAY,
    );
    for _ in 0..3 {
        assert_eq!(deliver(&invitee, &inviter, INVITER, &rules), 2);
    }
    assert_eq!(
        referral_entries(&inviter),
        vec![
            (
                first_order(&rules),
                "earn".into(),
                format!("{INVITEE}.first_order")
            ),
            (
                rules.referral.inviter_points,
                "earn".into(),
                format!("{INVITEE}.verified")
            ),
        ],
        "delivered in key order"
    );
    assert_eq!(
        coupons(&inviter).len(),
        1,
        "the verification's coupon, once"
    );
    assert!(coupons(&inviter)[0].1.contains("3000"));
    // A second "first" order, and the same events again, queue nothing new.
    let queued = keys(&invitee).len();
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-pay-2",
        paid(INVITEE, "ord-2", 5_000, T0 + DAY, true),
        T0 + DAY,
    );
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ver-2",
        verified(INVITEE),
        T0 + DAY,
    );
    let new_rows: Vec<_> = keys(&invitee)
        .into_iter()
        .filter(|key| key.starts_with("refcmd-") || key.starts_with("ref-"))
        .collect();
    assert_eq!(
        new_rows.len(),
        3,
        "bound reward, two commands: {new_rows:?}"
    );
    assert!(
        keys(&invitee).len() > queued,
        "the order's own points are queued"
    );
    deliver(&invitee, &inviter, INVITER, &rules);
    assert_eq!(referral_entries(&inviter).len(), 2);

    let summary = inviter
        .sql
        .atomically(|| referral::summary(&inviter, &rules, CODE.into(), at(T0 + DAY)))
        .unwrap();
    assert_eq!(
        (
            summary.bound,
            summary.rewarded,
            summary.pending,
            summary.refused
        ),
        (1, 1, 0, 0)
    );
    assert_eq!(
        summary.points_earned,
        rules.referral.inviter_points + first_order(&rules)
    );
}

#[test]
fn a_full_refund_in_the_window_claws_the_first_order_reward_back_once() {
    let rules = Rules::default();
    let (inviter, invitee, _) = bound_pair(&rules);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-pay",
        paid(INVITEE, "ord-1", 10_000, T0 + DAY, true),
        T0 + DAY,
    );
    deliver(&invitee, &inviter, INVITER, &rules);
    // A partial refund keeps it; the rest, within the window, takes it back.
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ref-1",
        refunded(INVITEE, "ord-1", 4_000),
        T0 + 2 * DAY,
    );
    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 0)));
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ref-2",
        refunded(INVITEE, "ord-1", 6_000),
        T0 + 3 * DAY,
    );
    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 1)));
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ref-3",
        refunded(INVITEE, "ord-1", 1),
        T0 + 3 * DAY,
    );
    for _ in 0..2 {
        deliver(&invitee, &inviter, INVITER, &rules);
    }
    let source = format!("{INVITEE}.first_order");
    assert_eq!(
        referral_entries(&inviter),
        vec![
            (first_order(&rules), "earn".into(), source.clone()),
            (-first_order(&rules), "clawback".into(), source),
        ]
    );
    let clawbacks = keys(&invitee)
        .into_iter()
        .filter(|key| key.ends_with("-clawback"))
        .count();
    assert_eq!(clawbacks, 1, "queued once");
    let summary = inviter
        .sql
        .atomically(|| referral::summary(&inviter, &rules, CODE.into(), at(T0 + 3 * DAY)))
        .unwrap();
    assert_eq!(summary.points_earned, 0);
}

#[test]
fn a_refund_after_the_window_keeps_the_reward() {
    let rules = Rules::default();
    let (inviter, invitee, _) = bound_pair(&rules);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-pay",
        paid(INVITEE, "ord-1", 10_000, T0 + DAY, true),
        T0 + DAY,
    );
    let late = T0 + DAY + rules.referral.refund_window_days * DAY + 1;
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ref",
        refunded(INVITEE, "ord-1", 10_000),
        late,
    );
    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 0)));
    deliver(&invitee, &inviter, INVITER, &rules);
    assert_eq!(referral_entries(&inviter).len(), 1);
}

#[test]
fn spent_points_clawed_back_become_debt_and_a_clawback_first_cancels_the_reward() {
    let rules = Rules::default();
    let inviter = member_db();
    inviter
        .sql
        .atomically(|| referral::invite(&inviter, &rules, INVITER, INVITEE, at(T0)))
        .unwrap();
    let command = |clawback: bool| {
        let (inviter, invitee) = (id(INVITER), id(INVITEE));
        let (stage, now) = (Stage::FirstOrder, Instant::from_millis(T0 + DAY));
        if clawback {
            MemberCommand::ReferralClawback(ReferralClawback {
                inviter,
                invitee,
                stage,
                now,
            })
        } else {
            MemberCommand::ReferralReward(ReferralReward {
                inviter,
                invitee,
                stage,
                now,
            })
        }
    };
    // Granted, then spent: the clawback leaves a debt.
    deliver_one(&inviter, &command(false), &rules);
    inviter.sql.raw("UPDATE ledger SET remaining = 0");
    deliver_one(&inviter, &command(true), &rules);
    deliver_one(&inviter, &command(true), &rules);
    let debt = inviter.profile().unwrap().unwrap().points_debt;
    assert_eq!(debt, first_order(&rules));

    // Another invitee's clawback arrives before its reward: nothing granted, ever.
    inviter
        .sql
        .atomically(|| referral::invite(&inviter, &rules, INVITER, "mem-other", at(T0)))
        .unwrap();
    let (other, stage, now) = (id("mem-other"), Stage::FirstOrder, Instant::from_millis(T0));
    let clawback = MemberCommand::ReferralClawback(ReferralClawback {
        inviter: id(INVITER),
        invitee: other.clone(),
        stage,
        now,
    });
    let reward = MemberCommand::ReferralReward(ReferralReward {
        inviter: id(INVITER),
        invitee: other,
        stage,
        now,
    });
    deliver_one(&inviter, &clawback, &rules);
    deliver_one(&inviter, &reward, &rules);
    let others: Vec<_> = referral_entries(&inviter)
        .into_iter()
        .filter(|entry| entry.2.starts_with("mem-other"))
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn rewards_for_an_invitee_the_inviter_never_bound_are_refused() {
    let rules = Rules::default();
    let inviter = member_db();
    inviter.ensure_profile(INVITER, None, T0).unwrap();
    let outcome = inviter.sql.atomically(|| {
        referral::reward_inviter(
            &inviter,
            &rules,
            INVITER,
            "mem-stranger",
            Stage::Verified,
            at(T0),
        )
    });
    assert_eq!(outcome, Err(pharmedge::http::error::ApiError::NotFound));
    assert!(referral_entries(&inviter).is_empty());
}

#[test]
fn stages_reached_while_pending_reach_the_inviter_once_bound() {
    let rules = Rules::default();
    let (inviter, invitee) = (member_db(), member_db());
    let registration = registered(INVITEE, Some(CODE), Some(INVITER), None, T0);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-reg",
        registration,
        T0 + 60_000,
    );
    // Before the steps finish: verified, first order paid and fully refunded.
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ver",
        verified(INVITEE),
        T0 + HOUR,
    );
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-pay",
        paid(INVITEE, "ord-1", 10_000, T0 + HOUR, true),
        T0 + HOUR,
    );
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ref",
        refunded(INVITEE, "ord-1", 10_000),
        T0 + 2 * HOUR,
    );
    assert_eq!(binding_state(&invitee), Some(("pending".into(), None, 0)));
    assert_eq!(
        deliver(&invitee, &inviter, INVITER, &rules),
        0,
        "nothing yet"
    );
    finish(&invitee, &inviter, &mut Devices::default(), &rules);
    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 1)));
    assert_eq!(deliver(&invitee, &inviter, INVITER, &rules), 3);
    let source = format!("{INVITEE}.first_order");
    assert_eq!(
        referral_entries(&inviter),
        vec![
            (first_order(&rules), "earn".into(), source.clone()),
            (-first_order(&rules), "clawback".into(), source),
            (
                rules.referral.inviter_points,
                "earn".into(),
                format!("{INVITEE}.verified")
            ),
        ]
    );
}
