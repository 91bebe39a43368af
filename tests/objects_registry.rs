//! The referral registry's transactions over the seam, against real SQLite: a code or a
//! device bound once, first come first owner; tallies counting each fact once.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::objects::referral_registry::protocol::Owner;
use pharmedge::objects::referral_registry::repo::{self, Held, FACT_MEMORY_MS};
use pharmedge::objects::referral_registry::{code_shard, device_shard, label, MODULE};
use pharmedge::objects::schema::Tables;
use seam::Sqlite;
use std::collections::BTreeMap;

const T0: i64 = 1_795_485_600_000;

fn registry() -> Sqlite {
    let db = Sqlite::open();
    Tables::default()
        .ensure(&db, &[&MODULE])
        .expect("migrations");
    db
}

fn owned_by(member: &str) -> Owner {
    Owner {
        owner: Some(member.into()),
    }
}

#[test]
fn a_code_is_bound_once_and_a_collision_answers_the_first_owner() {
    let db = registry();
    assert_eq!(
        repo::owner(&db, Held::Code, "K7Q2").unwrap(),
        Owner { owner: None }
    );
    assert_eq!(
        repo::claim(&db, Held::Code, "K7Q2", "mem-1", T0).unwrap(),
        owned_by("mem-1")
    );
    assert_eq!(
        repo::claim(&db, Held::Code, "K7Q2", "mem-2", T0 + 1).unwrap(),
        owned_by("mem-1"),
        "a collision: the caller learns it is not theirs"
    );
    assert_eq!(
        repo::claim(&db, Held::Code, "K7Q2", "mem-1", T0 + 2).unwrap(),
        owned_by("mem-1"),
        "the owner's retry is answered the same"
    );
    assert_eq!(
        repo::owner(&db, Held::Code, "K7Q2").unwrap(),
        owned_by("mem-1")
    );
    assert_eq!(
        repo::owner(&db, Held::Code, "k7q2").unwrap(),
        Owner { owner: None }
    );
}

#[test]
fn codes_and_devices_are_separate_namespaces() {
    let db = registry();
    repo::claim(&db, Held::Device, "abc", "mem-1", T0).unwrap();
    assert_eq!(
        repo::owner(&db, Held::Code, "abc").unwrap(),
        Owner { owner: None }
    );
    assert_eq!(
        repo::claim(&db, Held::Code, "abc", "mem-2", T0).unwrap(),
        owned_by("mem-2")
    );
    assert_eq!(
        repo::claim(&db, Held::Device, "abc", "mem-2", T0).unwrap(),
        owned_by("mem-1"),
        "the first member a device registered"
    );
    assert_eq!(code_shard("K7Q2"), "code-K");
    assert_eq!(device_shard("f00d"), "device-f");
    assert_eq!(code_shard(""), "code-0");
}

#[test]
fn each_fact_is_tallied_once_under_its_label() {
    let db = registry();
    let bound = label("bound", None);
    let refused = label("refused", Some("self_referral"));
    repo::record(&db, "bind-1", &bound, T0).unwrap();
    repo::record(&db, "bind-1", &bound, T0 + 1).unwrap();
    repo::record(&db, "bind-2", &bound, T0 + 2).unwrap();
    repo::record(&db, "ref-1", &refused, T0).unwrap();
    repo::record(&db, "rew-1", &label("reward", Some("bound")), T0).unwrap();
    repo::record(&db, "claw-1", &label("clawback", Some("first_order")), T0).unwrap();
    repo::record(&db, "odd-1", "something.else", T0).unwrap();
    let stats = repo::stats(&db).unwrap();
    assert_eq!(stats.bound, 2, "a repeated delivery counts once");
    assert_eq!(stats.refused, BTreeMap::from([("self_referral".into(), 1)]));
    assert_eq!(stats.rewards, BTreeMap::from([("bound".into(), 1)]));
    assert_eq!(stats.clawbacks, BTreeMap::from([("first_order".into(), 1)]));
}

#[test]
fn facts_are_remembered_for_thirty_days() {
    let db = registry();
    repo::record(&db, "bind-1", "bound", T0).unwrap();
    repo::record(&db, "bind-1", "bound", T0 + FACT_MEMORY_MS).unwrap();
    assert_eq!(
        repo::stats(&db).unwrap().bound,
        1,
        "still remembered at 30 days"
    );
    repo::record(&db, "bind-1", "bound", T0 + FACT_MEMORY_MS + 1).unwrap();
    assert_eq!(repo::stats(&db).unwrap().bound, 2, "forgotten after");
}

#[test]
fn commands_cross_the_wire_as_before() {
    use pharmedge::objects::referral_registry::protocol::{ClaimCode, GetStats};
    use pharmedge::objects::referral_registry::RegistryCommand;
    let stats = serde_json::to_value(RegistryCommand::from(GetStats {})).unwrap();
    assert_eq!(stats, serde_json::json!({"op": "stats"}));
    let claim = RegistryCommand::from(ClaimCode {
        code: "K7Q2".into(),
        member_id: "mem-1".into(),
        now_ms: T0,
    });
    assert_eq!(
        serde_json::to_value(claim).unwrap(),
        serde_json::json!({"op": "claim_code", "code": "K7Q2", "member_id": "mem-1", "now_ms": T0})
    );
    let decoded: RegistryCommand = serde_json::from_str(r#"{"op":"stats"}"#).unwrap();
    assert!(matches!(decoded, RegistryCommand::Stats(_)));
}
