//! Erasure (PIPL) against real SQLite: `member.erased` empties every table of the member's
//! object except the outbox rows still owed, leaves a tombstone, and every later command is
//! answered from it (events acknowledged with no effect, the member's requests 410); the
//! referral registries drop the member's codes and device hashes and nobody else's.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::ids::OrderId;
use pharmedge::domain::rules::Rules;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::erasure::{self, MemberFootprint};
use pharmedge::objects::member::protocol::{
    ApplyEvent, Erase, GetFootprint, GetSummary, MemberCommand, MemberContext, ReleaseCoupon,
};
use pharmedge::objects::member::{checkins, prescriptions};
use pharmedge::objects::referral_registry::repo::{self as registry, Held};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::{Sql, Transact};
use seam::referral::*;
use seam::Sqlite;

fn footprint(member: &Member) -> MemberFootprint {
    erasure::footprint(&member.sql).unwrap()
}

fn erase(member: &Member, event_id: &str) -> (bool, bool) {
    Tables::default()
        .ensure(&member.sql, &[&erasure::MODULE])
        .unwrap();
    let reply = member
        .sql
        .atomically(|| erasure::erase(&member.sql, event_id, T0 + DAY))
        .unwrap();
    (reply.accepted, reply.duplicate)
}

/// The invitee of a bound referral who also checked in: rows in most tables, and outbox rows
/// owed to the core and to the inviter's object.
fn a_busy_member(rules: &Rules) -> Member {
    let (_inviter, invitee, _devices) = bound_pair(rules);
    Tables::default()
        .ensure(&invitee.sql, &[&prescriptions::MODULE])
        .unwrap();
    let context = MemberContext {
        member_id: id(INVITEE),
        registered_at_s: None,
    };
    invitee
        .sql
        .atomically(|| {
            checkins::checkin(
                &invitee,
                rules,
                &context,
                at(T0 + HOUR),
                checkins::Stored::Unknown,
            )
        })
        .unwrap();
    invitee
}

fn late_paid() -> MemberCommand {
    MemberCommand::Event(ApplyEvent {
        member_id: id(INVITEE),
        event_id: "evt-late-paid".into(),
        event: paid(INVITEE, "ord-late", 50_000, T0 + 2 * DAY, true),
        now: Instant::from_millis(T0 + 2 * DAY),
        multiplier: None,
    })
}

#[test]
fn erasure_empties_every_table_but_the_owed_outbox_and_leaves_a_tombstone() {
    let rules = Rules::default();
    let member = a_busy_member(&rules);
    let before = footprint(&member);
    assert!(!before.erased);
    for table in [
        "profile",
        "checkins",
        "ledger",
        "coupons",
        "binding",
        "registrations",
        "seen_events",
    ] {
        assert!(
            before.tables[table] > 0,
            "{table} has rows before: {before:?}"
        );
    }
    let owed = keys(&member);
    assert!(!owed.is_empty(), "events owed to the core and the inviter");

    assert_eq!(erase(&member, "evt-erase"), (true, false));

    let after = footprint(&member);
    assert!(after.erased);
    for (table, rows) in &after.tables {
        match table.as_str() {
            "erasure" => assert_eq!(*rows, 1, "the tombstone"),
            "outbox" => assert_eq!(*rows as usize, owed.len(), "what was owed is still owed"),
            _ => assert_eq!(*rows, 0, "{table} still holds rows: {after:?}"),
        }
    }
    assert_eq!(
        keys(&member),
        owed,
        "the same rows, to be delivered as before"
    );
    let tombstone: Vec<(String, i64)> = member
        .sql
        .rows("SELECT event_id, erased_ms FROM erasure", vec![])
        .unwrap();
    assert_eq!(
        tombstone,
        vec![("evt-erase".into(), T0 + DAY)],
        "no member data in it"
    );

    // The same event again is a duplicate; another erasure changes nothing.
    assert_eq!(erase(&member, "evt-erase"), (true, true));
    assert_eq!(erase(&member, "evt-erase-2"), (true, false));
    assert_eq!(footprint(&member), after);
}

#[test]
fn after_erasure_events_are_acknowledged_and_ignored_and_the_member_is_gone() {
    let rules = Rules::default();
    let member = a_busy_member(&rules);
    let tables = Tables::default();
    // Not erased: nothing is screened.
    assert_eq!(
        erasure::answer_if_erased(&member.sql, &tables, &late_paid()).unwrap(),
        None
    );
    erase(&member, "evt-erase");
    let tables = Tables::default();
    let erased = footprint(&member);

    let answer = erasure::answer_if_erased(&member.sql, &tables, &late_paid()).unwrap();
    assert_eq!(
        answer,
        Some(serde_json::json!({"accepted": true, "duplicate": false}))
    );
    let summary = MemberCommand::Summary(GetSummary {
        member: MemberContext {
            member_id: id(INVITEE),
            registered_at_s: None,
        },
        now: Instant::from_millis(T0 + 2 * DAY),
    });
    assert_eq!(
        erasure::answer_if_erased(&member.sql, &tables, &summary),
        Err(ApiError::MemberErased)
    );
    let release = MemberCommand::ReleaseCoupon(ReleaseCoupon {
        coupon_id: Some("cpn-1".into()),
        prescription_id: None,
        order_id: OrderId::parse("ord-1").unwrap(),
        now: Instant::from_millis(T0 + 2 * DAY),
    });
    assert_eq!(
        erasure::answer_if_erased(&member.sql, &tables, &release).unwrap(),
        Some(serde_json::json!({"released": false, "prescription_returned": false})),
        "an order's release is acknowledged, not dead-lettered"
    );
    for command in [
        MemberCommand::Footprint(GetFootprint {}),
        MemberCommand::Erase(Erase {
            member_id: id(INVITEE),
            event_id: "evt-erase".into(),
            now: Instant::from_millis(T0),
        }),
    ] {
        assert_eq!(
            erasure::answer_if_erased(&member.sql, &tables, &command).unwrap(),
            None
        );
    }
    assert_eq!(footprint(&member), erased, "nothing was written");
}

#[test]
fn the_registries_forget_the_member_s_codes_and_devices_and_nobody_else_s() {
    let db = Sqlite::open();
    Tables::default()
        .ensure(&db, &[&pharmedge::objects::referral_registry::MODULE])
        .unwrap();
    registry::claim(&db, Held::Code, "AAAA1111", "mem-gone", T0).unwrap();
    registry::claim(&db, Held::Code, "AAAA2222", "mem-kept", T0).unwrap();
    registry::claim(&db, Held::Device, "a1b2", "mem-gone", T0).unwrap();
    registry::claim(&db, Held::Device, "a1b3", "mem-kept", T0).unwrap();
    let held = registry::holdings(&db, "mem-gone").unwrap();
    assert_eq!(
        (held.codes, held.devices),
        (vec!["AAAA1111".to_owned()], vec!["a1b2".to_owned()])
    );

    let dropped = registry::forget(&db, "mem-gone").unwrap();
    assert_eq!(dropped.codes, vec!["AAAA1111".to_owned()]);
    let left = registry::holdings(&db, "mem-gone").unwrap();
    assert!(left.codes.is_empty() && left.devices.is_empty());
    assert_eq!(
        registry::owner(&db, Held::Code, "AAAA1111").unwrap().owner,
        None
    );
    assert_eq!(
        registry::owner(&db, Held::Code, "AAAA2222").unwrap().owner,
        Some("mem-kept".into())
    );
    assert_eq!(
        registry::owner(&db, Held::Device, "a1b3").unwrap().owner,
        Some("mem-kept".into())
    );
    // Again: nothing left, nothing else touched.
    assert_eq!(
        registry::forget(&db, "mem-gone").unwrap(),
        Default::default()
    );
}
