//! Seeded random runs of a member's points and check-ins (awards, clawbacks into debt,
//! make-ups filling gaps, check-ins and repeats, `GET /v1/me`), with time jumping onto lot
//! expiries and business midnights to the millisecond. After every check-in and summary, what
//! it answered must equal what the full path computes from scratch at the same instant: the
//! balance after every due lot expired, the streak from every day checked in (review of
//! issue 12's check-in reads: the repeat from the day's row, the balance from the lots read,
//! the streak from the latest run).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pharmedge::domain::checkin;
use pharmedge::domain::points::{self, EntryKind, Source};
use pharmedge::domain::time::date_key;
use pharmedge::objects::member::me::{self, Held};
use pharmedge::objects::member::protocol::MemberContext;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{checkins, ledger};
use seam::member::*;
use seam::Sqlite;

/// A small deterministic generator (64-bit LCG), so a failing seed can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below.max(1)
    }
}

/// The full path's view at `now`: every due lot expired, then the balance, every day
/// checked in (newest first), and the open lots.
fn reference(
    repo: &Repo<Sqlite>,
    who: &MemberContext,
    now: DateTime<Utc>,
) -> (i64, Vec<NaiveDate>, Vec<points::Lot>) {
    tx(repo, || {
        ledger::prepare(repo, who, now)?;
        Ok::<_, pharmedge::http::error::ApiError>((
            repo.balance()?,
            repo.days_desc()?,
            repo.open_lots()?,
        ))
    })
    .unwrap()
}

/// Where time goes next: a jump, or exactly onto (or 1 ms around) a lot's expiry or a
/// business midnight (16:00 UTC in Shanghai).
fn next_time(rng: &mut Lcg, repo: &Repo<Sqlite>, now: DateTime<Utc>) -> DateTime<Utc> {
    let nudge = Duration::milliseconds(rng.next(3) as i64 - 1);
    let later = match rng.next(6) {
        0 => {
            let lots = repo.open_lots().unwrap();
            match lots.iter().find(|lot| lot.expires_at > now) {
                Some(lot) => lot.expires_at + nudge,
                None => now + Duration::days(rng.next(40) as i64),
            }
        }
        1 => {
            let midnight = (now + Duration::hours(8))
                .date_naive()
                .and_hms_opt(16, 0, 0);
            let midnight = midnight.unwrap().and_utc();
            let midnight = if midnight <= now {
                midnight + Duration::days(1)
            } else {
                midnight
            };
            midnight + nudge
        }
        2 => now + Duration::days(rng.next(5) as i64 + 1),
        3 => now + Duration::days(rng.next(60) as i64 + 20),
        _ => now + Duration::minutes(rng.next(24 * 60) as i64),
    };
    later.max(now)
}

fn run(seed: u64, steps: usize) -> (usize, usize, usize) {
    let mut rng = Lcg(seed);
    let repo = member_db();
    let rules = rules();
    let who = registered(day(1) - Duration::days(400));
    let mut now = day(1);
    let (mut checks, mut repeats, mut summaries) = (0, 0, 0);
    for step in 0..steps {
        now = next_time(&mut rng, &repo, now);
        let today = rules.zone.date_of(now);
        let at = format!("seed {seed} step {step} at {now:?}");
        match rng.next(10) {
            0 | 1 => {
                let amount = rng.next(60) as i64 + 1;
                tx(&repo, || {
                    ledger::prepare(&repo, &who, now)?;
                    ledger::grant(
                        &repo,
                        &rules,
                        MEMBER,
                        Source::Campaign,
                        &format!("g{step}"),
                        amount,
                        now,
                    )
                })
                .unwrap();
            }
            2 => {
                let amount = rng.next(80) as i64 + 1;
                tx(&repo, || {
                    ledger::prepare(&repo, &who, now)?;
                    repo.debit(
                        EntryKind::Clawback,
                        Source::Refund,
                        &format!("c{step}"),
                        amount,
                        now,
                    )?;
                    Ok::<_, pharmedge::http::error::ApiError>(())
                })
                .unwrap();
            }
            3 => {
                // A make-up of a day of this month (refusals are fine: only reads are checked).
                let back = rng.next(10) as i64 + 1;
                let date = today - Duration::days(back);
                let _ = tx(&repo, || checkins::makeup(&repo, &rules, &who, now, date));
            }
            4 => {
                let summary = tx(&repo, || {
                    me::summary(
                        &repo,
                        &rules,
                        &who,
                        now,
                        Held {
                            wallet: false,
                            orders: false,
                        },
                    )
                })
                .unwrap();
                let (balance, days, lots) = reference(&repo, &who, now);
                assert_eq!(summary.points.balance, balance, "summary balance, {at}");
                assert_eq!(
                    summary.checkin.streak,
                    checkin::current_streak(today, &days),
                    "summary streak, {at}"
                );
                assert_eq!(
                    summary.checkin.checked_in_today,
                    days.contains(&today),
                    "{at}"
                );
                let horizon = now + Duration::days(30);
                let soon: i64 = lots
                    .iter()
                    .filter(|lot| lot.expires_at <= horizon)
                    .map(|lot| lot.remaining)
                    .sum();
                let listed: i64 = summary.points.expiring.iter().map(|e| e.amount).sum();
                assert_eq!(listed, soon, "expiring, {at}");
                summaries += 1;
            }
            _ => {
                let before = repo.days_desc().unwrap();
                let reply = tx(&repo, || {
                    checkins::checkin(&repo, &rules, &who, now, checkins::Stored::Unknown)
                })
                .unwrap();
                // Nothing due may be left unexpired by the command itself.
                let left = points::expired(&repo.open_lots().unwrap(), now);
                assert!(left.is_empty(), "lots left unexpired: {left:?}, {at}");
                let (balance, days, _) = reference(&repo, &who, now);
                assert_eq!(reply.balance, balance, "check-in balance, {at}");
                assert!(days.contains(&today), "{at}");
                match checkin::plan_checkin(today, &before, &rules.checkin) {
                    Some(plan) => {
                        assert!(!reply.already_checked_in, "{at}");
                        assert_eq!(reply.streak, plan.streak, "streak, {at}");
                        assert_eq!(reply.bonus_points, plan.bonus_points, "{at}");
                        checks += 1;
                    }
                    None => {
                        assert!(reply.already_checked_in, "{at}");
                        let row = repo.checkin(&date_key(today)).unwrap().unwrap();
                        assert_eq!(reply.streak, row.streak, "{at}");
                        repeats += 1;
                    }
                }
            }
        }
    }
    (checks, repeats, summaries)
}

#[test]
fn check_in_and_summary_reads_equal_the_full_path_in_random_runs() {
    let (mut checks, mut repeats, mut summaries) = (0, 0, 0);
    for seed in 1..=60 {
        let (c, r, s) = run(seed, 150);
        checks += c;
        repeats += r;
        summaries += s;
    }
    // The runs reached every path often enough to mean something.
    assert!(
        checks > 500 && repeats > 300 && summaries > 300,
        "{checks} {repeats} {summaries}"
    );
    eprintln!("first check-ins {checks}, repeats {repeats}, summaries {summaries}");
}
