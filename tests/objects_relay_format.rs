//! Replies the worker hands on without decoding (`objects::relay`): the object writes a reply
//! through a `serde_json::Value` (keys sorted), the response must be the text the reply type
//! writes (declaration order, flattened fields in place, skipped `None`s left out), as it was
//! when the worker decoded the reply and wrote it again. Each relayed type, populated and
//! sparse, written both ways.

use pharmedge::domain::catalog::SaleStatus;
use pharmedge::domain::order::Fulfilment;
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::objects::catalog::protocol::{
    AdminStopView, AdminView, AuditEntry, ItemView, PushReply, StopsView,
};
use pharmedge::objects::member::protocol::{
    CouponView, CouponsReply, EventReply, LedgerEntry, LedgerReply,
};
use pharmedge::objects::order::protocol::{OrderView, PickupCodeReply, PickupView, WaitingPickup};
use pharmedge::objects::relay::Relayed;
use pharmedge::objects::store::ListReply;

mod relay_support;
use relay_support::{at, relays_as_written};

fn line(sku: &str, class: DrugClass) -> OrderLine {
    OrderLine {
        sku: sku.into(),
        name: format!("药 \"{sku}\""),
        qty: 2,
        unit_price_fen: 1250,
        drug_class: class,
    }
}

#[test]
fn orders_relay_as_written() {
    let full = OrderView {
        order_id: "o-1".into(),
        status: "ready".into(),
        store_id: Some("s-1".into()),
        fulfilment: Some(Fulfilment::Pickup),
        lines: vec![line("A1", DrugClass::Rx), line("B2", DrugClass::OtcA)],
        coupon_id: Some("c-1".into()),
        subtotal_fen: Some(5000),
        discount_fen: Some(500),
        payable_fen: Some(4500),
        placed_at: Some(at("2026-11-24T10:00:00Z")),
        updated_at: at("2026-11-24T11:00:00Z"),
        reason: Some("out of stock: {\"a\": [1, 2]}, \\".into()),
        pickup: Some(PickupView {
            ready_at: Some(at("2026-11-24T11:00:00Z")),
            pickup_deadline: Some(at("2026-11-27T11:00:00Z")),
            verified_at: Some(at("2026-11-25T09:00:00Z")),
            verified_by: Some("staff-1".into()),
        }),
    };
    relays_as_written(&full);
    let sparse = OrderView {
        store_id: None,
        fulfilment: None,
        lines: vec![],
        coupon_id: None,
        subtotal_fen: None,
        discount_fen: None,
        payable_fen: None,
        placed_at: None,
        reason: None,
        pickup: None,
        ..full
    };
    relays_as_written(&sparse);
    let waiting = |order_id: &str| WaitingPickup {
        order_id: order_id.into(),
        ready_at: at("2026-11-24T11:00:00Z"),
        pickup_deadline: at("2026-11-27T11:00:00Z"),
        line_count: 3,
        has_rx: true,
    };
    relays_as_written(&ListReply {
        pickups: vec![waiting("o-1"), waiting("o-2")],
    });
    relays_as_written(&ListReply { pickups: vec![] });
    let code = PickupCodeReply {
        order_id: "o-1".into(),
        store_id: "s-1".into(),
        qr: "PX1|o-1|123456".into(),
        short_code: "123456".into(),
        valid_for_s: 45,
        refresh_in_s: 15,
        expires_at: at("2026-11-27T11:00:00Z"),
    };
    relays_as_written(&code);
    // The QR page reads its text from the relayed reply.
    let object = serde_json::to_value(&code).unwrap().to_string();
    let value = Relayed::<PickupCodeReply>::from_reply(&object)
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(value["qr"], "PX1|o-1|123456");
}

#[test]
fn member_replies_relay_as_written() {
    let entry = |id, expires_at| LedgerEntry {
        id,
        amount: -30,
        kind: "spend".into(),
        source: "exchange".into(),
        source_id: "x-1".into(),
        created_at: at("2026-11-24T10:00:00Z"),
        expires_at,
    };
    relays_as_written(&LedgerReply {
        entries: vec![entry(2, Some(at("2027-11-24T10:00:00Z"))), entry(1, None)],
        next_cursor: Some("1".into()),
    });
    relays_as_written(&LedgerReply {
        entries: vec![],
        next_cursor: None,
    });
    let coupon = |store_id: Option<&str>, terms: serde_json::Value| -> CouponView {
        let mut view = serde_json::json!({
            "coupon_id": "cp-1", "campaign_id": "camp-1", "status": "available",
            "claimed_at": "2026-11-24T10:00:00Z", "valid_from": "2026-11-24T10:00:00Z",
            "expires_at": "2026-12-24T10:00:00Z",
        });
        view.as_object_mut()
            .unwrap()
            .extend(terms.as_object().unwrap().clone());
        if let Some(store) = store_id {
            view["store_id"] = store.into();
        }
        serde_json::from_value(view).unwrap()
    };
    let percent = serde_json::json!({"type": "percent", "percent": 90, "min_spend_fen": 0,
        "max_discount_fen": 2000});
    let amount = serde_json::json!({"type": "amount", "value_fen": 500, "min_spend_fen": 3000});
    let coupons = CouponsReply {
        coupons: vec![coupon(Some("s-1"), percent), coupon(None, amount)],
    };
    // Both shapes of terms are there: the flattened keys and the left-out ones.
    let text = serde_json::to_string(&coupons).unwrap();
    assert!(text.contains(r#""percent":90"#) && text.contains(r#""value_fen":500"#));
    assert!(text.contains(r#""store_id":"s-1""#));
    relays_as_written(&coupons);
    relays_as_written(&CouponsReply { coupons: vec![] });
    for (accepted, duplicate) in [(true, false), (false, true)] {
        relays_as_written(&EventReply {
            accepted,
            duplicate,
        });
    }
}

#[test]
fn catalog_replies_relay_as_written() {
    relays_as_written(&PushReply {
        accepted: true,
        duplicate: false,
        items: 3,
        applied: 2,
    });
    let item = ItemView {
        sku: "A1".into(),
        name: "药".into(),
        drug_class: DrugClass::OtcB,
        price_fen: 1250,
        category: Some("cold".into()),
        status: SaleStatus::Stopped,
        max_qty_per_order: Some(5),
        version: 7,
    };
    let audit = AuditEntry {
        at: at("2026-11-24T10:00:00Z"),
        by: "admin-1".into(),
        reason: "recall".into(),
        before: SaleStatus::OnSale,
        after: SaleStatus::Stopped,
    };
    let full = AdminView {
        item: item.clone(),
        stops: StopsView {
            core: true,
            admin: Some(AdminStopView {
                reason: "recall".into(),
                by: "admin-1".into(),
                at: at("2026-11-24T10:00:00Z"),
            }),
        },
        audit: vec![audit.clone(), audit],
    };
    relays_as_written(&full);
    relays_as_written(&AdminView {
        item: ItemView {
            category: None,
            max_qty_per_order: None,
            ..item
        },
        stops: StopsView {
            core: false,
            admin: None,
        },
        audit: vec![],
    });
}

#[test]
fn what_is_not_json_is_refused() {
    for text in [
        "",
        "{",
        r#"{"order_id":}"#,
        r#"{"order_id":"o-1""#,
        "[1,2]x",
        "nul l",
    ] {
        assert!(Relayed::<OrderView>::from_reply(text).is_err(), "{text}");
    }
}

#[test]
fn a_value_reply_is_handed_on_unchanged() {
    let kept = r#"{"a":{"z":1,"b":[{"y":2,"c":3}]},"order_id":"o-1"}"#;
    let relayed = Relayed::<serde_json::Value>::from_reply(kept).unwrap();
    assert_eq!(relayed.into_text(), kept);
}
