//! The referral side of the member object against real SQLite: a binding once, the
//! refusals recorded and rewarding nothing, the inviter's caps, the share link and its taps.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::referral::{ReferralRules, Refusal};
use pharmedge::domain::rules::Rules;
use pharmedge::objects::member::referral;
use pharmedge::objects::seam::{Sql, Transact};
use seam::referral::*;

#[test]
fn a_registration_with_a_code_binds_once_and_rewards_the_invitee_once() {
    let rules = Rules::default();
    let (inviter, invitee, mut devices) = bound_pair(&rules);
    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 0)));
    let reward = rules.referral.invitee_points;
    assert_eq!(
        referral_entries(&invitee),
        vec![(reward, "earn".into(), format!("{INVITEE}.bound"))]
    );
    assert_eq!(coupons(&invitee).len(), 1, "the invitee's coupon");
    assert!(
        coupons(&invitee)[0].1.contains("2000"),
        "{:?}",
        coupons(&invitee)
    );
    assert_eq!(
        count(
            &inviter,
            "SELECT COUNT(*) FROM invitees WHERE state = 'bound'"
        ),
        1
    );
    assert!(
        referral_entries(&inviter).is_empty(),
        "nothing for the inviter yet"
    );
    let queued = keys(&invitee);

    // The same event again, the steps run again, and a second registration with a code.
    let again = registered(INVITEE, Some(CODE), Some(INVITER), Some("dev-1"), T0);
    let reply = event(
        &invitee,
        &rules,
        INVITEE,
        "evt-reg",
        again.clone(),
        T0 + HOUR,
    );
    assert!(reply.duplicate);
    finish(&invitee, &inviter, &mut devices, &rules);
    event(&invitee, &rules, INVITEE, "evt-reg-2", again, T0 + HOUR);
    finish(&invitee, &inviter, &mut devices, &rules);

    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 0)));
    assert_eq!(referral_entries(&invitee).len(), 1, "rewarded once");
    assert_eq!(coupons(&invitee).len(), 1);
    assert_eq!(
        count(
            &invitee,
            "SELECT COUNT(*) FROM referral_refusals WHERE event_id = 'evt-reg-2' AND reason = 'already_bound'"
        ),
        1,
        "the second binding attempt is refused and recorded"
    );
    let new_rows: Vec<_> = keys(&invitee)
        .into_iter()
        .filter(|key| !queued.contains(key))
        .collect();
    assert_eq!(
        new_rows,
        vec![format!("tally-decision-{INVITEE}-evt-reg-2")]
    );
    // Asked again, the inviter answers the same and counts the invitee once.
    let reply = inviter
        .sql
        .atomically(|| referral::invite(&inviter, &rules, INVITER, INVITEE, at(T0 + DAY)))
        .unwrap();
    assert_eq!(reply.refusal, None);
    assert_eq!(count(&inviter, "SELECT COUNT(*) FROM invitees"), 1);
}

/// Registers `invitee` with a code and runs the remaining steps; answers the binding state.
fn attempt(
    invitee: &Member,
    inviter: &Member,
    devices: &mut Devices,
    rules: &Rules,
    who: (&str, Option<&str>),
    device: Option<&str>,
    registered_ms: i64,
) -> Option<(String, Option<String>, i64)> {
    let (member_id, owner) = (who.0, who.1);
    let registration = registered(member_id, Some(CODE), owner, device, registered_ms);
    event(
        invitee,
        rules,
        member_id,
        "evt-reg",
        registration,
        T0 + 60_000,
    );
    finish(invitee, inviter, devices, rules);
    binding_state(invitee)
}

fn refusals(member: &Member) -> Vec<(String, Option<String>, String)> {
    member
        .sql
        .rows(
            "SELECT event_id, inviter_id, reason FROM referral_refusals",
            Vec::new(),
        )
        .unwrap()
}

#[test]
fn refusals_are_recorded_tallied_and_reward_nothing() {
    let rules = Rules::default();
    let inviter = member_db();
    let mut devices = Devices::default();
    let cases: [(&str, Option<&str>, i64, Refusal); 3] = [
        ("mem-a", None, T0, Refusal::UnknownCode),
        (INVITER, Some(INVITER), T0, Refusal::SelfReferral),
        (
            "mem-old",
            Some(INVITER),
            T0 - 4 * DAY,
            Refusal::NotNewMember,
        ),
    ];
    for (member_id, owner, registered_ms, refusal) in cases {
        let invitee = member_db();
        let state = attempt(
            &invitee,
            &inviter,
            &mut devices,
            &rules,
            (member_id, owner),
            Some("dev-x"),
            registered_ms,
        );
        assert_eq!(state, None, "no binding for {refusal:?}");
        assert_eq!(
            refusals(&invitee),
            vec![(
                "evt-reg".into(),
                owner.map(str::to_owned),
                refusal.as_str().into()
            )]
        );
        assert!(referral_entries(&invitee).is_empty());
        assert!(coupons(&invitee).is_empty());
        let tally = format!("tally-decision-{member_id}-evt-reg");
        let rows = outbox_rows(&invitee);
        let row = rows.iter().find(|row| row.0 == tally).expect("tallied");
        assert!(
            row.3.contains(&format!("refused.{}", refusal.as_str())),
            "{row:?}"
        );
    }
    // The device registered the first of them: reused by a new member, the binding is
    // refused after it was pending.
    let invitee = member_db();
    let state = attempt(
        &invitee,
        &inviter,
        &mut devices,
        &rules,
        ("mem-b", Some(INVITER)),
        Some("dev-x"),
        T0,
    );
    assert_eq!(
        state,
        Some(("refused".into(), Some("device_seen".into()), 0))
    );
    assert_eq!(
        refusals(&invitee),
        vec![("evt-reg".into(), Some(INVITER.into()), "device_seen".into())]
    );
    assert!(referral_entries(&invitee).is_empty());
    assert_eq!(
        count(&inviter, "SELECT COUNT(*) FROM invitees"),
        0,
        "the inviter was never asked"
    );
}

#[test]
fn a_member_registered_before_is_not_new_whatever_the_second_registration_says() {
    let rules = Rules::default();
    let (inviter, invitee) = (member_db(), member_db());
    let without_code = registered(INVITEE, None, None, None, T0);
    event(&invitee, &rules, INVITEE, "evt-reg-1", without_code, T0);
    let with_code = registered(INVITEE, Some(CODE), Some(INVITER), None, T0);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-reg-2",
        with_code,
        T0 + 60_000,
    );
    finish(&invitee, &inviter, &mut Devices::default(), &rules);
    assert_eq!(binding_state(&invitee), None);
    assert_eq!(
        refusals(&invitee),
        vec![(
            "evt-reg-2".into(),
            Some(INVITER.into()),
            "not_new_member".into()
        )]
    );
    assert!(referral_entries(&invitee).is_empty());
}

#[test]
fn the_inviters_caps_hold_per_day_then_per_month() {
    let rules = Rules {
        referral: ReferralRules {
            daily_cap: 2,
            monthly_cap: 3,
            ..ReferralRules::default()
        },
        ..Rules::default()
    };
    let inviter = member_db();
    let ask = |invitee: &str, at_ms: i64| {
        inviter
            .sql
            .atomically(|| referral::invite(&inviter, &rules, INVITER, invitee, at(at_ms)))
            .unwrap()
            .refusal
    };
    assert_eq!(ask("mem-1", T0), None);
    assert_eq!(ask("mem-2", T0), None);
    assert_eq!(ask("mem-3", T0), Some(Refusal::InviterDailyCap));
    assert_eq!(
        ask("mem-3", T0 + DAY),
        Some(Refusal::InviterDailyCap),
        "the first answer stands"
    );
    assert_eq!(ask("mem-4", T0 + DAY), None, "a new day");
    assert_eq!(ask("mem-5", T0 + DAY), Some(Refusal::InviterMonthlyCap));
    // Refusals count for no cap: one bound today, so the month is what refuses.
    assert_eq!(ask("mem-6", T0 + DAY), Some(Refusal::InviterMonthlyCap));
    assert_eq!(ask("mem-1", T0 + DAY), None, "bound stays bound");
    assert_eq!(
        count(
            &inviter,
            "SELECT COUNT(*) FROM invitees WHERE state = 'bound'"
        ),
        3
    );
    // A refused invitee is refused for good: its binding is refused and rewards nothing.
    let invitee = member_db();
    let mut devices = Devices::default();
    let state = attempt(
        &invitee,
        &inviter,
        &mut devices,
        &rules,
        ("mem-5", Some(INVITER)),
        None,
        T0 + DAY,
    );
    assert_eq!(
        state,
        Some(("refused".into(), Some("inviter_monthly_cap".into()), 0))
    );
    assert!(referral_entries(&invitee).is_empty());
}

#[test]
fn the_share_link_keeps_its_first_code_and_counts_taps_and_visitors_per_day() {
    let rules = Rules::default();
    let member = member_db();
    let link = |code: &str| {
        member
            .sql
            .atomically(|| referral::set_link(&member, code, at(T0)))
            .unwrap()
    };
    assert_eq!(link(CODE), CODE);
    assert_eq!(link("ZZZZZZZZ"), CODE, "the first code stays");
    let tap = |day: &str, visitor: &str, at_ms: i64| {
        member
            .sql
            .atomically(|| referral::click(&member, &rules, day, visitor, at(at_ms)))
            .unwrap()
    };
    tap("2026-11-20", "v1", T0 - 4 * DAY);
    tap("2026-11-20", "v2", T0 - 4 * DAY);
    tap("2026-11-24", "v1", T0);
    // The day's first visitor forgets the visitors of days past the two kept.
    assert_eq!(count(&member, "SELECT COUNT(*) FROM link_visitors"), 1);
    tap("2026-11-24", "v1", T0);
    tap("2026-11-24", "v2", T0);
    let summary = member
        .sql
        .atomically(|| referral::summary(&member, &rules, CODE.into(), at(T0)))
        .unwrap();
    assert_eq!(
        (
            summary.clicks,
            summary.unique_visitors,
            summary.clicks_today
        ),
        (5, 4, 3)
    );
    // Visitors of days past the two kept are forgotten; their counts stay.
    assert_eq!(
        count(
            &member,
            "SELECT COUNT(*) FROM link_visitors WHERE day = '2026-11-20'"
        ),
        0
    );
    assert_eq!(count(&member, "SELECT COUNT(*) FROM link_visitors"), 2);
}

#[test]
fn a_refusal_is_stored_under_the_name_it_is_tallied_and_answered_with() {
    use pharmedge::objects::seam::{FromValue, Value};
    let all = [
        Refusal::UnknownCode,
        Refusal::SelfReferral,
        Refusal::NotNewMember,
        Refusal::AlreadyBound,
        Refusal::DeviceSeen,
        Refusal::InviterDailyCap,
        Refusal::InviterMonthlyCap,
    ];
    for refusal in all {
        let stored = Value::from(refusal);
        assert_eq!(stored, Value::Text(refusal.as_str().into()));
        assert_eq!(
            serde_json::to_value(refusal).unwrap(),
            serde_json::json!(refusal.as_str())
        );
        assert_eq!(Refusal::from_value(stored), Ok(refusal));
    }
    let odd = Value::Text("too_popular".into());
    assert_eq!(Refusal::from_value(odd.clone()), Err(odd));
}

#[test]
fn steps_that_fail_are_run_again_with_the_same_outcome() {
    use pharmedge::http::error::ApiError;
    let rules = Rules::default();
    let (inviter, invitee) = (member_db(), member_db());
    let mut devices = Devices::default();
    let registration = registered(INVITEE, Some(CODE), Some(INVITER), Some("dev-1"), T0);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-reg",
        registration,
        T0 + 60_000,
    );
    // The inviter's object is unavailable: the binding waits, the device is claimed.
    let failed = try_finish(&invitee, &inviter, &mut devices, &rules, 1);
    assert_eq!(failed, Err(ApiError::Unavailable));
    assert_eq!(binding_state(&invitee), Some(("pending".into(), None, 0)));
    assert_eq!(devices.0.get("dev-1").map(String::as_str), Some(INVITEE));
    assert!(referral_entries(&invitee).is_empty());
    // The alarm runs the steps again; once they are done, again changes nothing.
    assert_eq!(
        try_finish(&invitee, &inviter, &mut devices, &rules, 0),
        Ok(true)
    );
    assert_eq!(
        try_finish(&invitee, &inviter, &mut devices, &rules, 0),
        Ok(false)
    );
    assert_eq!(binding_state(&invitee), Some(("bound".into(), None, 0)));
    assert_eq!(referral_entries(&invitee).len(), 1);
    assert_eq!(count(&inviter, "SELECT COUNT(*) FROM invitees"), 1);
    // A registration without a code only reports its device, once.
    let other = member_db();
    let plain = registered("mem-plain", None, None, Some("dev-2"), T0);
    event(&other, &rules, "mem-plain", "evt-plain", plain, T0);
    assert_eq!(count(&other, "SELECT COUNT(*) FROM device_claims"), 1);
    assert_eq!(
        try_finish(&other, &inviter, &mut devices, &rules, 0),
        Ok(false)
    );
    assert_eq!(count(&other, "SELECT COUNT(*) FROM device_claims"), 0);
    assert_eq!(
        devices.0.get("dev-2").map(String::as_str),
        Some("mem-plain")
    );
}
