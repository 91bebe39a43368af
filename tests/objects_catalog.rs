//! The catalogue authority's transactions over the seam, against real SQLite: a batch applied
//! once per id (a repeat answers the same, another body is refused), price changes by
//! version only, stop-sale by the core and by an admin as separate facts, the audit trail,
//! what an order's check sees, and what KV still needs.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::catalog::{CatalogBatch, CatalogItem, SaleStatus};
use pharmedge::domain::order_lines::DrugClass;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::catalog::protocol::{AdminView, Known, PushReply};
use pharmedge::objects::catalog::repo::{Repo, BATCH_MEMORY_MS, MODULE};
use pharmedge::objects::schema::Tables;
use seam::Sqlite;

const T0: i64 = 1_795_485_600_000;

fn authority() -> Sqlite {
    let db = Sqlite::open();
    Tables::default()
        .ensure(&db, &[&MODULE])
        .expect("migrations");
    db
}

fn item(sku: &str, price_fen: i64, version: i64, status: SaleStatus) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: "维生素C".into(),
        drug_class: DrugClass::OtcB,
        price_fen,
        version,
        category: None,
        status,
        max_qty_per_order: None,
    }
}

fn batch(id: &str, items: Vec<CatalogItem>) -> CatalogBatch {
    CatalogBatch {
        batch_id: id.into(),
        items,
    }
}

fn reply(duplicate: bool, items: usize, applied: usize) -> PushReply {
    PushReply {
        accepted: true,
        duplicate,
        items,
        applied,
    }
}

fn known(sku: &str, version: Option<i64>) -> Known {
    Known {
        sku: sku.into(),
        version,
    }
}

fn admin(db: &Sqlite, sku: &str) -> AdminView {
    Repo { sql: db }.admin(sku).unwrap()
}

#[test]
fn a_batch_is_applied_once_per_id_and_a_reused_id_is_refused() {
    let db = authority();
    let repo = Repo { sql: &db };
    let first = batch("b-1", vec![item("sku-1", 500, 1, SaleStatus::OnSale)]);
    assert_eq!(repo.push(&first, "hash-1", T0).unwrap(), reply(false, 1, 1));
    assert_eq!(
        repo.push(&first, "hash-1", T0 + 1).unwrap(),
        reply(true, 1, 1),
        "a repeat answers as the first time"
    );
    let other = batch("b-1", vec![item("sku-1", 900, 2, SaleStatus::OnSale)]);
    assert_eq!(
        repo.push(&other, "hash-2", T0 + 2),
        Err(ApiError::IdempotencyKeyReused)
    );
    assert_eq!(
        admin(&db, "sku-1").item.price_fen,
        500,
        "nothing of it applied"
    );
    // Past the memory of batch ids, the id is new again.
    assert_eq!(
        repo.push(&other, "hash-2", T0 + BATCH_MEMORY_MS + 1)
            .unwrap(),
        reply(false, 1, 1)
    );
}

#[test]
fn a_price_changes_only_with_a_newer_version() {
    let db = authority();
    let repo = Repo { sql: &db };
    repo.push(
        &batch("b-1", vec![item("sku-1", 500, 2, SaleStatus::OnSale)]),
        "h1",
        T0,
    )
    .unwrap();
    let late = batch(
        "b-2",
        vec![
            item("sku-1", 400, 1, SaleStatus::OnSale),
            item("sku-2", 100, 1, SaleStatus::OnSale),
        ],
    );
    assert_eq!(repo.push(&late, "h2", T0).unwrap(), reply(false, 2, 1));
    let same = batch("b-3", vec![item("sku-1", 450, 2, SaleStatus::OnSale)]);
    assert_eq!(repo.push(&same, "h3", T0).unwrap(), reply(false, 1, 0));
    assert_eq!(admin(&db, "sku-1").item.price_fen, 500);
    let newer = batch("b-4", vec![item("sku-1", 600, 3, SaleStatus::OnSale)]);
    assert_eq!(repo.push(&newer, "h4", T0).unwrap(), reply(false, 1, 1));
    let view = admin(&db, "sku-1");
    assert_eq!((view.item.price_fen, view.item.version), (600, 3));
}

#[test]
fn an_admin_stop_is_audited_kept_through_pushes_and_lifted() {
    let db = authority();
    let repo = Repo { sql: &db };
    repo.push(
        &batch("b-1", vec![item("sku-1", 500, 1, SaleStatus::OnSale)]),
        "h1",
        T0,
    )
    .unwrap();
    let stopped = repo
        .set_stop("sku-1", true, "recall", "admin-1", T0 + 10)
        .unwrap();
    assert_eq!(stopped.item.status, SaleStatus::Stopped);
    let stop = stopped.stops.admin.clone().expect("an admin stop");
    assert_eq!(
        (stop.reason.as_str(), stop.by.as_str()),
        ("recall", "admin-1")
    );
    assert!(!stopped.stops.core);
    // A repeated stop keeps who stopped it first; both are on the trail.
    let again = repo
        .set_stop("sku-1", true, "again", "admin-2", T0 + 20)
        .unwrap();
    assert_eq!(again.stops.admin.unwrap().by, "admin-1");
    // A routine push of a newer version does not lift an admin's stop.
    repo.push(
        &batch("b-2", vec![item("sku-1", 550, 2, SaleStatus::OnSale)]),
        "h2",
        T0 + 30,
    )
    .unwrap();
    let pushed = admin(&db, "sku-1");
    assert_eq!(
        (pushed.item.status, pushed.item.price_fen),
        (SaleStatus::Stopped, 550)
    );
    let lifted = repo
        .set_stop("sku-1", false, "cleared", "admin-3", T0 + 40)
        .unwrap();
    assert_eq!(lifted.item.status, SaleStatus::OnSale);
    assert_eq!(lifted.stops.admin, None);
    let trail: Vec<_> = lifted
        .audit
        .iter()
        .map(|entry| {
            (
                entry.at,
                entry.by.as_str(),
                entry.reason.as_str(),
                entry.before,
                entry.after,
            )
        })
        .collect();
    assert_eq!(
        trail,
        vec![
            (
                Instant::from_millis(T0 + 40),
                "admin-3",
                "cleared",
                SaleStatus::Stopped,
                SaleStatus::OnSale
            ),
            (
                Instant::from_millis(T0 + 20),
                "admin-2",
                "again",
                SaleStatus::Stopped,
                SaleStatus::Stopped
            ),
            (
                Instant::from_millis(T0 + 10),
                "admin-1",
                "recall",
                SaleStatus::OnSale,
                SaleStatus::Stopped
            ),
        ],
        "newest first"
    );
}

#[test]
fn lifting_an_admin_stop_never_sells_what_the_core_stopped() {
    let db = authority();
    let repo = Repo { sql: &db };
    repo.push(
        &batch("b-1", vec![item("sku-1", 500, 1, SaleStatus::Stopped)]),
        "h1",
        T0,
    )
    .unwrap();
    repo.set_stop("sku-1", true, "recall", "admin-1", T0)
        .unwrap();
    let lifted = repo
        .set_stop("sku-1", false, "cleared", "admin-1", T0 + 1)
        .unwrap();
    assert!(lifted.stops.core);
    assert_eq!(lifted.item.status, SaleStatus::Stopped);
    assert_eq!(
        (lifted.audit[0].before, lifted.audit[0].after),
        (SaleStatus::Stopped, SaleStatus::Stopped)
    );
    assert!(matches!(
        repo.set_stop("sku-none", true, "recall", "admin-1", T0),
        Err(ApiError::UnknownSku { .. })
    ));
    assert!(matches!(
        repo.admin("sku-none"),
        Err(ApiError::UnknownSku { .. })
    ));
}

#[test]
fn a_check_sends_the_item_only_to_a_stale_copy_and_always_the_current_status() {
    let db = authority();
    let repo = Repo { sql: &db };
    repo.push(
        &batch(
            "b-1",
            vec![
                item("sku-1", 500, 2, SaleStatus::OnSale),
                item("sku-2", 100, 1, SaleStatus::Stopped),
            ],
        ),
        "h1",
        T0,
    )
    .unwrap();
    repo.set_stop("sku-1", true, "recall", "admin-1", T0)
        .unwrap();
    let checked = repo
        .check(&[
            known("sku-1", Some(2)),
            known("sku-2", None),
            known("sku-9", Some(1)),
        ])
        .unwrap()
        .items;
    assert_eq!(checked.len(), 2, "an unknown SKU is absent");
    assert_eq!(
        (
            checked[0].sku.as_str(),
            checked[0].version,
            checked[0].status
        ),
        ("sku-1", 2, SaleStatus::Stopped),
        "an admin's stop is seen by the next order"
    );
    assert_eq!(checked[0].item, None, "the caller's copy is current");
    assert_eq!(checked[1].status, SaleStatus::Stopped, "the core's stop");
    let sent = checked[1]
        .item
        .clone()
        .expect("no copy held: the item is sent");
    assert_eq!((sent.price_fen, sent.status), (100, SaleStatus::Stopped));
    let stale = repo.check(&[known("sku-1", Some(1))]).unwrap().items;
    let sent = stale[0].item.clone().expect("an older copy gets the item");
    assert_eq!(
        sent.status,
        SaleStatus::Stopped,
        "as effective, stops applied"
    );
}

#[test]
fn kv_is_told_each_change_until_it_holds_the_latest() {
    let db = authority();
    let repo = Repo { sql: &db };
    repo.push(
        &batch("b-1", vec![item("sku-1", 500, 1, SaleStatus::OnSale)]),
        "h1",
        T0,
    )
    .unwrap();
    let round = repo.unsynced(100).unwrap();
    assert_eq!(round.len(), 1);
    assert_eq!((round[0].sku.as_str(), round[0].generation), ("sku-1", 1));
    // A change while KV is being written: the older generation does not settle it.
    repo.set_stop("sku-1", true, "recall", "admin-1", T0)
        .unwrap();
    repo.synced("sku-1", 1).unwrap();
    let round = repo.unsynced(100).unwrap();
    assert_eq!(round[0].generation, 2);
    assert_eq!(round[0].effective.status, SaleStatus::Stopped);
    repo.synced("sku-1", 2).unwrap();
    repo.synced("sku-1", 1).unwrap();
    assert!(repo.unsynced(100).unwrap().is_empty(), "never moves back");
}
