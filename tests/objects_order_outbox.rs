//! Golden formats of every row the order object queues in its outbox. A queued row may wait
//! across a deploy: the code that delivers it must still read it, so a change of format here
//! is a migration, not an edit.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::objects::order::placement::{self, Begin};
use pharmedge::objects::order::protocol::PresentedCode;
use pharmedge::objects::order::{events, pickup};
use seam::order::*;
use seam::Sqlite;
use serde_json::{json, Value};

const READY_MS: i64 = T0 + 3_600_000;

/// Key, destination, kind and body of each queued row, by key.
fn queued(db: &Sqlite) -> Vec<(String, String, String, Value)> {
    let mut rows: Vec<_> = outbox(db)
        .into_iter()
        .map(|(key, target, kind, body)| {
            let body = serde_json::from_str(&body).expect("a JSON body");
            (key, target, kind, body)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn row(key: &str, target: &str, kind: &str, body: Value) -> (String, String, String, Value) {
    (key.into(), target.into(), kind.into(), body)
}

#[test]
fn an_accepted_ready_and_verified_order_queues_these_rows() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    placement::accept(&db, &place(T0), decided()).unwrap();
    let rules = rules();
    let settings = settings(&rules);
    let ready_at = at(READY_MS).0;
    events::event(&db, &settings, "ev-1", &ready(ORDER, READY_MS), ready_at).unwrap();
    let code = pickup::pickup_code(&db, &settings, MEMBER, ready_at).unwrap();
    let counter = clerk("clerk-1");
    let verified = pickup::verify(
        &db,
        &settings,
        &counter,
        &PresentedCode::Qr(code.qr),
        ready_at,
    );
    assert!(matches!(verified, Ok(Ok(_))));
    assert_eq!(
        queued(&db),
        vec![
            row(
                "ord-1",
                "orders",
                "order",
                json!({
                    "order_id": "ord-1",
                    "member_id": "mem-1",
                    "store_id": "store-1",
                    "fulfilment": "pickup",
                    "lines": [{
                        "sku": "sku-1",
                        "name": "维生素C",
                        "qty": 2,
                        "unit_price_fen": 500,
                        "drug_class": "otc_b",
                        "discount_fen": 100,
                        "catalog_version": 3
                    }],
                    "coupon_id": "cpn-1",
                    "subtotal_fen": 1000,
                    "discount_fen": 100,
                    "payable_fen": 900,
                    "prescription_id": null,
                    "catalog_versions": {"sku-1": 3},
                    "placed_at": "2026-11-24T02:00:00Z"
                })
            ),
            row(
                "pku-ord-1",
                "events",
                "pickup.verified",
                json!({
                    "id": "pku-ord-1",
                    "type": "pickup.verified",
                    "created_at": "2026-11-24T03:00:00Z",
                    "data": {
                        "order_id": "ord-1",
                        "member_id": "mem-1",
                        "store_id": "store-1",
                        "verified_at": "2026-11-24T03:00:00Z",
                        "verified_by": "clerk-1",
                        "verifier_role": "clerk",
                        "method": "qr"
                    }
                })
            ),
            row(
                "store-gone-ord-1",
                "object:STORE:store-1",
                "store.pickup_gone",
                json!({"op": "gone", "order_id": "ord-1"})
            ),
            row(
                "store-ready-ord-1",
                "object:STORE:store-1",
                "store.pickup_ready",
                json!({
                    "op": "ready",
                    "order_id": "ord-1",
                    "ready_at": "2026-11-24T03:00:00Z",
                    "pickup_deadline": "2026-12-01T03:00:00Z",
                    "line_count": 1,
                    "has_rx": false
                })
            ),
        ]
    );
}

#[test]
fn an_abandoned_placement_queues_its_coupon_release() {
    let db = order_db();
    assert!(matches!(
        placement::begin(&db, &place(T0)),
        Ok(Begin::Go { fresh: true })
    ));
    placement::abandon(&db, T0).unwrap();
    assert_eq!(
        queued(&db),
        vec![row(
            "release-ord-1-abandoned",
            "object:MEMBER:mem-1",
            "coupon.release",
            json!({
                "op": "release_coupon",
                "coupon_id": "cpn-1",
                "prescription_id": null,
                "order_id": "ord-1",
                "now": "2026-11-24T02:00:00Z"
            })
        )]
    );
}
