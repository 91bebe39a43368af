//! An order object's database and the commands its tests send, as the worker would.
#![allow(dead_code)]

use super::Sqlite;
use pharmedge::domain::catalog::LineRequest;
use pharmedge::domain::events::{OrderReady, OrderStatusChange};
use pharmedge::domain::ids::{MemberId, OrderId, StaffId, StoreId};
use pharmedge::domain::order::{AcceptedLine, Fulfilment, Totals};
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::rules::{PickupRules, Rules};
use pharmedge::domain::time::Instant;
use pharmedge::objects::order::placement::Decided;
use pharmedge::objects::order::protocol::{Counter, OrderEvent, PlaceOrder};
use pharmedge::objects::order::{PickupSettings, MODULES};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;

pub const ORDER: &str = "ord-1";
pub const MEMBER: &str = "mem-1";
pub const STORE: &str = "store-1";
pub const SECRET: &[u8] = b"pickup-signing-secret-for-tests";
/// 2026-11-24T02:00:00Z.
pub const T0: i64 = 1_795_485_600_000;

/// A new order object's database, migrated the way the object migrates it.
pub fn order_db() -> Sqlite {
    let db = Sqlite::open();
    Tables::default().ensure(&db, MODULES).expect("migrations");
    db
}

pub fn at(ms: i64) -> Instant {
    Instant::from_millis(ms)
}

pub fn rules() -> PickupRules {
    Rules::default().pickup
}

pub fn settings(rules: &PickupRules) -> PickupSettings<'_> {
    PickupSettings {
        rules,
        secret: SECRET,
    }
}

/// A keyed placement of two units of one OTC SKU with a coupon.
pub fn place(now_ms: i64) -> PlaceOrder {
    PlaceOrder {
        order_id: OrderId::parse(ORDER).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        store_id: StoreId::parse(STORE).unwrap(),
        fulfilment: Fulfilment::Pickup,
        lines: vec![LineRequest {
            sku: "sku-1".into(),
            qty: 2,
            unit_price_fen: None,
        }],
        coupon_id: Some("cpn-1".into()),
        prescription_id: None,
        body_hash: "body-1".into(),
        keyed: true,
        now: at(now_ms),
        attribution: None,
    }
}

pub fn line() -> OrderLine {
    OrderLine {
        sku: "sku-1".into(),
        name: "维生素C".into(),
        qty: 2,
        unit_price_fen: 500,
        drug_class: DrugClass::OtcB,
    }
}

/// What the catalogue and the member's wallet said: 1000 fen, 100 off.
pub fn decided() -> Decided {
    Decided {
        lines: vec![AcceptedLine {
            line: line(),
            discount_fen: 100,
            catalog_version: 3,
            member_unit_price_fen: None,
            member_discount_fen: None,
        }],
        prescription_id: None,
        totals: Totals {
            subtotal_fen: 1000,
            discount_fen: 100,
            payable_fen: 900,
        },
        tier: None,
    }
}

pub fn change(order_id: &str) -> OrderStatusChange {
    OrderStatusChange {
        order_id: OrderId::parse(order_id).unwrap(),
        reason: None,
    }
}

pub fn ready(order_id: &str, ready_ms: i64) -> OrderEvent {
    OrderEvent::ReadyForPickup(OrderReady {
        order_id: OrderId::parse(order_id).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        store_id: StoreId::parse(STORE).unwrap(),
        lines: vec![line()],
        ready_at: at(ready_ms),
        pickup_deadline: None,
    })
}

pub fn clerk(staff: &str) -> Counter {
    Counter {
        staff_id: StaffId::parse(staff).unwrap(),
        store_id: StoreId::parse(STORE).unwrap(),
        is_pharmacist: false,
    }
}

/// The stored state of the order's row, if it has one.
pub fn state(db: &Sqlite) -> Option<String> {
    let row: Option<(String,)> = db
        .row("SELECT status FROM order_row WHERE k = 1", Vec::new())
        .unwrap();
    row.map(|(status,)| status)
}

/// The outbox rows: key, target, kind, body.
pub fn outbox(db: &Sqlite) -> Vec<(String, String, String, String)> {
    db.rows(
        "SELECT key, target, kind, body FROM outbox ORDER BY created_ms, key",
        Vec::new(),
    )
    .unwrap()
}

pub fn outbox_keys(db: &Sqlite) -> Vec<String> {
    outbox(db).into_iter().map(|row| row.0).collect()
}
