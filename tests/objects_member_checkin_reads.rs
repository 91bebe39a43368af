//! What a check-in reads, natively against real SQLite: a repeat answered from the day's row
//! (and the balance read with it) must still see a lot that expired since; a first check-in
//! of the day computes its balance from the lots it read (net of a settled debt) and its
//! streak from the latest run of days only; `GET /v1/me` reads its balance, what expires and
//! the streak the same way.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use chrono::{DateTime, Duration, Utc};
use pharmedge::domain::points::{EntryKind, Source};
use pharmedge::objects::member::me::{self, Held};
use pharmedge::objects::member::protocol::CheckinReply;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{checkins, ledger};
use seam::member::*;
use seam::Sqlite;

fn checkin(repo: &Repo<Sqlite>, now: DateTime<Utc>) -> CheckinReply {
    tx(repo, || {
        checkins::checkin(repo, &rules(), &member(), now, checkins::Stored::Unknown)
    })
    .unwrap()
}

fn grant(repo: &Repo<Sqlite>, source_id: &str, amount: i64, now: DateTime<Utc>) {
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        ledger::grant(
            repo,
            &rules(),
            MEMBER,
            Source::Campaign,
            source_id,
            amount,
            now,
        )
    })
    .unwrap();
}

/// The `balance` the last `points.awarded` event carried.
fn last_awarded_balance(repo: &Repo<Sqlite>) -> i64 {
    let (_, _, _, body) = queued(repo)
        .into_iter()
        .rev()
        .find(|(_, _, kind, _)| kind == "points.awarded")
        .expect("a points.awarded event");
    body["data"]["balance"].as_i64().unwrap()
}

#[test]
fn a_repeat_after_a_lot_expired_answers_the_balance_without_it_and_expires_it_once() {
    let repo = member_db();
    let ttl = Duration::days(rules().points.ttl_days);
    // A lot of 30 granted an hour after the business day's 10:00; it ends that hour on
    // the same business day, ttl days later.
    grant(&repo, "seed", 30, day(1) + Duration::hours(1));
    let morning = day(1) + ttl;
    let first = checkin(&repo, morning);
    assert!(!first.already_checked_in);
    assert_eq!(first.balance, 30 + 5);
    let before_expiry = checkin(&repo, morning + Duration::minutes(59));
    assert_eq!(
        (before_expiry.balance, before_expiry.already_checked_in),
        (35, true)
    );
    for minutes in [60, 90, 120] {
        let repeat = checkin(&repo, morning + Duration::minutes(minutes));
        assert!(repeat.already_checked_in);
        assert_eq!(repeat.balance, 5, "the expired lot is gone from the answer");
        assert_eq!(balance(&repo), 5);
    }
    let expiries = tx(&repo, || {
        ledger::page(&repo, &member(), morning + Duration::hours(3), None, 50)
    })
    .unwrap()
    .entries
    .iter()
    .filter(|entry| entry.kind == "expire")
    .map(|entry| entry.amount)
    .collect::<Vec<_>>();
    assert_eq!(expiries, vec![-30]);
}

#[test]
fn a_check_in_reports_the_balance_its_lots_hold_after_a_debt_is_settled() {
    let repo = member_db();
    grant(&repo, "a", 12, day(1));
    let first = checkin(&repo, day(1));
    assert_eq!((first.balance, last_awarded_balance(&repo)), (17, 17));
    // A clawback beyond the balance: 17 taken, 8 owed.
    tx(&repo, || {
        repo.debit(EntryKind::Clawback, Source::Refund, "r-1", 25, day(1))
    })
    .unwrap();
    assert_eq!((balance(&repo), debt(&repo)), (0, 8));
    // The next day's 5 points go to the debt: nothing is added to the lots.
    let second = checkin(&repo, day(2));
    assert_eq!((second.points_awarded, second.balance), (5, 0));
    assert_eq!(last_awarded_balance(&repo), 0);
    assert_eq!((balance(&repo), debt(&repo)), (0, 3));
    // The day after (a streak of 3: 5 + a bonus of 10), 3 settle the rest and 12 stay.
    let third = checkin(&repo, day(3));
    assert_eq!((third.points_awarded, third.bonus_points), (5, 10));
    assert_eq!((third.balance, last_awarded_balance(&repo)), (12, 12));
    assert_eq!((balance(&repo), debt(&repo)), (12, 0));
}

#[test]
fn the_streak_counts_the_latest_run_including_a_day_made_up_inside_it() {
    let repo = member_db();
    grant(&repo, "seed", 100, day(1));
    for n in [1, 2, 4, 5] {
        checkin(&repo, day(n));
    }
    assert_eq!(checkin(&repo, day(6)).streak, 3, "days 4, 5 and 6");
    // Day 3 made up: the run now reaches back to day 1, beyond the stored streaks.
    let member = registered(day(1) - Duration::days(60));
    let made = tx(&repo, || {
        checkins::makeup(&repo, &rules(), &member, day(6), day(3).date_naive())
    })
    .unwrap();
    assert_eq!(made.streak, 6);
    let seventh = checkin(&repo, day(7));
    assert_eq!((seventh.streak, seventh.bonus_points), (7, 30));
    // A missed day starts over, however long the run before it.
    assert_eq!(checkin(&repo, day(9)).streak, 1);
    assert_eq!(checkin(&repo, day(10)).streak, 2);
}

#[test]
fn the_summary_answers_balance_expiring_and_streak_from_one_read_of_each() {
    let repo = member_db();
    let ttl = Duration::days(rules().points.ttl_days);
    let held = Held {
        wallet: false,
        orders: false,
    };
    grant(&repo, "a", 30, day(1) + Duration::hours(1));
    for n in [1, 2, 4, 5] {
        checkin(&repo, day(n));
    }
    grant(&repo, "b", 20, day(5));
    let summary = |now| tx(&repo, || me::summary(&repo, &rules(), &member(), now, held)).unwrap();
    let fifth = summary(day(5));
    assert_eq!(fifth.points.balance, 30 + 20 + 4 * 5);
    assert!(
        fifth.points.expiring.is_empty(),
        "nothing ends within 30 days"
    );
    assert_eq!(fifth.checkin.streak, 2);
    assert!(fifth.checkin.checked_in_today);
    // Past the first lot's end (and day 1's check-in lot's): both expired, gone from all of it.
    let later = summary(day(1) + ttl + Duration::hours(2));
    assert_eq!(later.points.balance, 20 + 3 * 5);
    let expiring: Vec<(i64, DateTime<Utc>)> = later
        .points
        .expiring
        .iter()
        .map(|e| (e.amount, e.expires_at.0))
        .collect();
    assert_eq!(
        expiring,
        vec![(5, day(2) + ttl), (5, day(4) + ttl), (25, day(5) + ttl)]
    );
    assert_eq!(later.checkin.streak, 0);
    assert!(!later.checkin.checked_in_today);
    assert_eq!(balance(&repo), 35);
}
