//! The member object's check-ins and points ledger, run natively against real SQLite through
//! the SQL seam: the same migrations, statements and all-or-nothing rule as in production.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pharmedge::domain::points::{EntryKind, Source};
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::checkins;
use pharmedge::objects::member::ledger;
use pharmedge::objects::member::protocol::MakeupReply;
use pharmedge::objects::member::repo::Repo;
use seam::member::*;
use seam::Sqlite;

fn checkin(repo: &Repo<Sqlite>, now: DateTime<Utc>) -> (u32, u32, i64, i64, bool) {
    let reply = tx(repo, || {
        checkins::checkin(repo, &rules(), &member(), now, checkins::Stored::Unknown)
    })
    .unwrap();
    (
        reply.streak,
        reply.cycle_day,
        reply.points_awarded,
        reply.bonus_points,
        reply.already_checked_in,
    )
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

fn makeup(
    repo: &Repo<Sqlite>,
    now: DateTime<Utc>,
    date: NaiveDate,
) -> Result<MakeupReply, ApiError> {
    let member = registered(day(1) - Duration::days(60));
    tx(repo, || {
        checkins::makeup(repo, &rules(), &member, now, date)
    })
}

fn date(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, n).unwrap()
}

#[test]
fn a_week_of_check_ins_builds_the_streak_with_its_bonuses_and_the_cycle_restarts() {
    let repo = member_db();
    let days: Vec<_> = (1..=8).map(|n| checkin(&repo, day(n))).collect();
    let streaks: Vec<(u32, u32, i64)> = days.iter().map(|d| (d.0, d.1, d.3)).collect();
    assert_eq!(
        streaks,
        vec![
            (1, 1, 0),
            (2, 2, 0),
            (3, 3, 10),
            (4, 4, 0),
            (5, 5, 0),
            (6, 6, 0),
            (7, 7, 30),
            (8, 1, 0)
        ]
    );
    assert!(days.iter().all(|d| d.2 == 5 && !d.4));
    assert_eq!(balance(&repo), 8 * 5 + 10 + 30);
    // Each day reported once, with its award.
    let kinds = kinds(&repo);
    assert_eq!(kinds.len(), 16);
    assert_eq!(kinds.iter().filter(|k| *k == "checkin.recorded").count(), 8);
    // A missed day starts the streak over.
    assert_eq!(checkin(&repo, day(10)).0, 1);
}

#[test]
fn a_check_in_repeated_the_same_day_awards_once_and_answers_the_same_result() {
    let repo = member_db();
    let first = checkin(&repo, day(1));
    assert_eq!(first, (1, 1, 5, 0, false));
    for minutes in 1..=20 {
        let again = checkin(&repo, day(1) + Duration::minutes(minutes));
        assert_eq!(again, (1, 1, 5, 0, true));
    }
    assert_eq!(balance(&repo), 5);
    assert_eq!(kinds(&repo), vec!["points.awarded", "checkin.recorded"]);
    // The business day turns at 16:00Z (midnight in Shanghai).
    let next_day = at("2026-04-01T16:00:00Z");
    assert!(!checkin(&repo, next_day).4);
}

#[test]
fn a_make_up_costs_its_points_counts_and_mends_the_streak() {
    let repo = member_db();
    grant(&repo, "seed", 100, day(1));
    checkin(&repo, day(1));
    checkin(&repo, day(3));
    let made = makeup(&repo, day(3), date(2)).unwrap();
    assert_eq!(made.cost_points, 20);
    assert_eq!(made.streak, 3, "days 1, 2 (made up) and 3");
    // Day 3 was checked in on a streak of 1 (no bonus); the make-up awards nothing.
    assert_eq!(made.balance, 100 + 5 + 5 - 20);
    let month = tx(&repo, || {
        checkins::month(&repo, &rules(), &member(), day(3), "")
    })
    .unwrap();
    assert_eq!(month.makeups_used, 1);
    assert_eq!(month.makeups_left, 1);
    assert_eq!(month.makeup_days.len(), 1);
    // Reported to the core with its cost.
    let (_, _, _, body) = queued(&repo)
        .into_iter()
        .find(|(key, ..)| key == "chk-mem-1-2026-04-02")
        .expect("the make-up's event");
    assert_eq!(body["data"]["makeup"], true);
    assert_eq!(body["data"]["cost_points"], 20);
}

#[test]
fn make_ups_are_refused_for_today_other_months_made_days_the_limit_and_a_short_balance() {
    let repo = member_db();
    // Too few points first: nothing written.
    let short = makeup(&repo, day(10), date(5)).unwrap_err();
    assert_eq!(
        short,
        ApiError::InsufficientPoints {
            balance: 0,
            required: 20
        }
    );
    assert_eq!(repo.days_desc().unwrap(), Vec::<NaiveDate>::new());
    grant(&repo, "seed", 100, day(1));
    let reason = |error: ApiError| match error {
        ApiError::MakeupNotAllowed { reason, .. } => reason,
        other => panic!("expected a make-up refusal, got {other:?}"),
    };
    assert_eq!(
        reason(makeup(&repo, day(10), date(10)).unwrap_err()),
        "not_in_past"
    );
    let march = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    assert_eq!(
        reason(makeup(&repo, day(10), march).unwrap_err()),
        "other_month"
    );
    checkin(&repo, day(4));
    assert_eq!(
        makeup(&repo, day(10), date(4)).unwrap_err(),
        ApiError::AlreadyCheckedIn {
            date: "2026-04-04".into()
        }
    );
    makeup(&repo, day(10), date(5)).unwrap();
    makeup(&repo, day(10), date(6)).unwrap();
    assert_eq!(
        makeup(&repo, day(10), date(7)).unwrap_err(),
        ApiError::MakeupLimit { limit: 2 }
    );
    assert_eq!(balance(&repo), 100 + 5 - 40);
}

#[test]
fn a_make_up_before_registration_is_refused() {
    let repo = member_db();
    grant(&repo, "seed", 100, day(1));
    let member = registered(day(5));
    let refused = tx(&repo, || {
        checkins::makeup(&repo, &rules(), &member, day(10), date(3))
    })
    .unwrap_err();
    assert!(
        matches!(&refused, ApiError::MakeupNotAllowed { reason, .. } if reason == "before_registration"),
        "{refused:?}"
    );
}

#[test]
fn lots_expire_on_their_own_date_and_the_expiry_is_written_once() {
    let repo = member_db();
    grant(&repo, "a", 30, day(1));
    grant(&repo, "b", 20, day(11));
    let ttl = Duration::days(rules().points.ttl_days);
    // The day before the first lot's end: all there.
    tx(&repo, || {
        ledger::prepare(&repo, &member(), day(1) + ttl - Duration::seconds(1))
    })
    .unwrap();
    assert_eq!(balance(&repo), 50);
    for _ in 0..3 {
        tx(&repo, || ledger::prepare(&repo, &member(), day(1) + ttl)).unwrap();
    }
    assert_eq!(balance(&repo), 20);
    let page = tx(&repo, || {
        ledger::page(&repo, &member(), day(1) + ttl, None, 50)
    })
    .unwrap();
    let expiries: Vec<i64> = page
        .entries
        .iter()
        .filter(|e| e.kind == "expire")
        .map(|e| e.amount)
        .collect();
    assert_eq!(expiries, vec![-30]);
}

#[test]
fn a_debit_never_takes_the_balance_below_zero_the_rest_is_debt_settled_by_the_next_award() {
    let repo = member_db();
    grant(&repo, "a", 10, day(1));
    let debited = tx(&repo, || {
        repo.debit(EntryKind::Clawback, Source::Refund, "r-1", 25, day(2))
    })
    .unwrap();
    assert!(debited);
    assert_eq!((balance(&repo), debt(&repo)), (0, 15));
    // The same debit again takes nothing.
    let again = tx(&repo, || {
        repo.debit(EntryKind::Clawback, Source::Refund, "r-1", 25, day(2))
    })
    .unwrap();
    assert!(!again);
    assert_eq!((balance(&repo), debt(&repo)), (0, 15));
    grant(&repo, "b", 20, day(3));
    assert_eq!((balance(&repo), debt(&repo)), (5, 0));
    // Spends take the soonest-expiring lot first.
    grant(&repo, "c", 7, day(4));
    tx(&repo, || {
        repo.debit(EntryKind::Spend, Source::Makeup, "m-1", 6, day(5))
    })
    .unwrap();
    let lots: Vec<i64> = repo
        .open_lots()
        .unwrap()
        .iter()
        .map(|l| l.remaining)
        .collect();
    assert_eq!(lots, vec![6]);
}

#[test]
fn the_ledger_pages_newest_first_with_a_cursor() {
    let repo = member_db();
    for n in 1..=5 {
        grant(&repo, &format!("g{n}"), n, day(1));
    }
    let first = tx(&repo, || ledger::page(&repo, &member(), day(1), None, 2)).unwrap();
    let amounts: Vec<i64> = first.entries.iter().map(|e| e.amount).collect();
    assert_eq!(amounts, vec![5, 4]);
    let cursor: i64 = first.next_cursor.expect("more").parse().unwrap();
    let rest = tx(&repo, || {
        ledger::page(&repo, &member(), day(1), Some(cursor), 10)
    })
    .unwrap();
    let amounts: Vec<i64> = rest.entries.iter().map(|e| e.amount).collect();
    assert_eq!(amounts, vec![3, 2, 1]);
    assert_eq!(rest.next_cursor, None);
    assert_eq!(rest.entries[0].source, "campaign");
    assert_eq!(rest.entries[0].kind, "earn");
}

#[test]
fn a_member_who_only_checks_in_reads_me_and_coupons_without_creating_wallet_or_order_tables() {
    use pharmedge::objects::member::me::{self, Held};
    use pharmedge::objects::member::repo::POINTS;
    use pharmedge::objects::outbox;
    use pharmedge::objects::schema::Tables;
    use pharmedge::objects::seam::Sql;
    // What a check-in creates, and nothing else.
    let repo = Repo::new(Sqlite::open());
    Tables::default()
        .ensure(&repo.sql, &[&POINTS, &outbox::MODULE])
        .unwrap();
    checkin(&repo, day(1));
    let held = Held {
        wallet: false,
        orders: false,
    };
    let summary = tx(&repo, || {
        me::summary(&repo, &rules(), &member(), day(1), held)
    })
    .unwrap();
    assert_eq!(summary.points.balance, 5);
    assert_eq!(summary.coupons.available, 0);
    assert_eq!(summary.tier.spend_fen, 0);
    assert_eq!(summary.checkin.streak, 1);
    assert!(summary.checkin.checked_in_today);
    let listed = tx(&repo, || me::coupons(&repo, &member(), day(1), None, held)).unwrap();
    assert!(listed.coupons.is_empty());
    let created: Vec<(String,)> = repo
        .sql
        .rows(
            "SELECT name FROM sqlite_master WHERE name IN ('coupons', 'claims', 'paid_orders', 'seen_events')",
            Vec::new(),
        )
        .unwrap();
    assert!(created.is_empty(), "{created:?}");
}
