//! The dead-letter registry's transactions over the seam, against real SQLite: recorded,
//! listed oldest first, replayed once per Idempotency-Key and audited, listed again when the
//! origin could not be reached, and never forgotten when the letter died again meanwhile.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::dead_letters::protocol::Begun;
use pharmedge::objects::dead_letters::{letter_id, repo, DeadLetter, ReplayRequest, MODULE};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Transact;
use seam::Sqlite;

const T0: i64 = 1_795_485_600_000;

fn registry() -> Sqlite {
    let db = Sqlite::open();
    Tables::default()
        .ensure(&db, &[&MODULE])
        .expect("migrations");
    db
}

fn letter(key: &str, attempts: i64) -> DeadLetter {
    DeadLetter {
        id: letter_id("object-1", key),
        kind: "order".into(),
        attempts,
        last_error: "core answered 422".into(),
        first_attempt_at: Instant::from_millis(T0),
        key: key.into(),
        origin_binding: "ORDER".into(),
        origin_id: "object-1".into(),
    }
}

fn asked(id: &str, key: Option<&str>) -> ReplayRequest {
    ReplayRequest {
        id: id.into(),
        actor: "admin-1".into(),
        idempotency_key: key.map(str::to_owned),
    }
}

/// The whole replay as the worker runs it, the origin taking the row back in between.
fn replay(db: &Sqlite, request: &ReplayRequest, now_ms: i64) -> Result<Begun, ApiError> {
    let begun = db.atomically(|| repo::begin_replay(db, request))?;
    if let Begun::Start { letter } = &begun {
        db.atomically(|| repo::end_replay(db, request, letter, now_ms))?;
    }
    Ok(begun)
}

#[test]
fn letters_are_recorded_once_by_id_and_listed_oldest_first() {
    let db = registry();
    repo::record(&db, &letter("ord-2", 40), T0 + 2).unwrap();
    repo::record(&db, &letter("ord-1", 1), T0 + 1).unwrap();
    // The same row dying again replaces its letter, keeps one entry.
    repo::record(&db, &letter("ord-2", 41), T0 + 3).unwrap();
    let listed = repo::list(&db, 10).unwrap();
    assert_eq!(listed, vec![letter("ord-1", 1), letter("ord-2", 41)]);
    assert_eq!(repo::list(&db, 1).unwrap().len(), 1, "bounded");
    assert_ne!(letter_id("object-1", "k"), letter_id("object-2", "k"));
}

#[test]
fn a_letter_is_replayed_exactly_once_per_key_and_audited() {
    let db = registry();
    let dead = letter("ord-1", 3);
    repo::record(&db, &dead, T0).unwrap();
    let request = asked(&dead.id, Some("idem-1"));
    assert_eq!(
        replay(&db, &request, T0 + 10).unwrap(),
        Begun::Start {
            letter: dead.clone()
        }
    );
    assert!(
        repo::list(&db, 10).unwrap().is_empty(),
        "forgotten once replayed"
    );
    assert_eq!(
        replay(&db, &request, T0 + 20).unwrap(),
        Begun::Repeat,
        "the same key repeats, replays nothing"
    );
    assert_eq!(
        replay(&db, &asked(&dead.id, Some("idem-2")), T0 + 30),
        Err(ApiError::NotFound),
        "another key finds nothing left to replay"
    );
    let audit = repo::replays(&db, 10).unwrap();
    assert_eq!(audit.len(), 1, "audited once");
    assert_eq!(
        (
            audit[0].id.as_str(),
            audit[0].kind.as_str(),
            audit[0].actor.as_str()
        ),
        (dead.id.as_str(), "order", "admin-1")
    );
    assert_eq!(
        (audit[0].at, audit[0].key.as_str()),
        (Instant::from_millis(T0 + 10), "ord-1")
    );
}

#[test]
fn a_key_that_replayed_one_letter_is_refused_for_another() {
    let db = registry();
    let first = letter("ord-1", 3);
    let second = letter("ord-2", 3);
    repo::record(&db, &first, T0).unwrap();
    repo::record(&db, &second, T0).unwrap();
    replay(&db, &asked(&first.id, Some("idem-1")), T0).unwrap();
    assert_eq!(
        replay(&db, &asked(&second.id, Some("idem-1")), T0),
        Err(ApiError::IdempotencyKeyReused)
    );
    assert_eq!(repo::list(&db, 10).unwrap(), vec![second]);
}

#[test]
fn an_unreachable_origin_lists_the_letter_again() {
    let db = registry();
    let dead = letter("ord-1", 3);
    repo::record(&db, &dead, T0).unwrap();
    let request = asked(&dead.id, Some("idem-1"));
    assert!(matches!(
        repo::begin_replay(&db, &request),
        Ok(Begun::Start { .. })
    ));
    assert!(
        repo::list(&db, 10).unwrap().is_empty(),
        "hidden while replaying"
    );
    repo::abort_replay(&db, &dead.id).unwrap();
    assert_eq!(repo::list(&db, 10).unwrap(), vec![dead.clone()]);
    assert!(
        repo::replays(&db, 10).unwrap().is_empty(),
        "nothing audited"
    );
    assert!(
        matches!(replay(&db, &request, T0 + 5), Ok(Begun::Start { .. })),
        "the same key may try again"
    );
}

#[test]
fn a_letter_that_died_again_during_its_replay_is_kept() {
    let db = registry();
    let dead = letter("ord-1", 3);
    repo::record(&db, &dead, T0).unwrap();
    let request = asked(&dead.id, None);
    let Ok(Begun::Start { letter: begun }) = repo::begin_replay(&db, &request) else {
        panic!("starts");
    };
    // Replayed at its origin, delivered, refused again, reported before the end.
    repo::record(&db, &letter("ord-1", 1), T0 + 5).unwrap();
    repo::end_replay(&db, &request, &begun, T0 + 6).unwrap();
    assert_eq!(repo::list(&db, 10).unwrap(), vec![letter("ord-1", 1)]);
    // Unkeyed replays are each audited.
    replay(&db, &request, T0 + 7).unwrap();
    assert_eq!(repo::replays(&db, 10).unwrap().len(), 2);
    assert_eq!(
        repo::replays(&db, 10).unwrap()[0].at,
        Instant::from_millis(T0 + 7),
        "newest first"
    );
}
