//! An order's attribution against real SQLite: kept with the order and forwarded in the
//! core's `/orders` body (golden: a queued row may wait across a deploy); a body's
//! attribution is strict (unknown keys and malformed values refused, naming the field).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::attribution::Attribution;
use pharmedge::objects::order::attribution;
use pharmedge::objects::order::placement::{self, Begin};
use pharmedge::objects::schema::Tables;
use seam::order::*;
use serde_json::{json, Value};

fn tagged() -> Attribution {
    Attribution {
        utm_source: Some("poster".into()),
        utm_medium: Some("qr".into()),
        utm_campaign: Some("wed-flash".into()),
        store_id: Some("store-7".into()),
    }
}

#[test]
fn an_attributed_order_keeps_its_attribution_and_forwards_it_to_the_core() {
    let db = order_db();
    Tables::default()
        .ensure(&db, &[&attribution::MODULE])
        .unwrap();
    let place = pharmedge::objects::order::protocol::PlaceOrder {
        attribution: Some(tagged()),
        ..place(T0)
    };
    assert!(matches!(
        placement::begin(&db, &place),
        Ok(Begin::Go { fresh: true })
    ));
    placement::accept(&db, &place, decided()).unwrap();
    assert_eq!(attribution::kept(&db).unwrap(), Some(tagged()));
    let (_, _, _, body) = outbox(&db)
        .into_iter()
        .find(|row| row.2 == "order")
        .expect("the order for the core");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["attribution"],
        json!({"utm_source": "poster", "utm_medium": "qr", "utm_campaign": "wed-flash", "store_id": "store-7"})
    );
}

#[test]
fn an_order_without_attribution_forwards_none_and_holds_no_table_for_it() {
    let db = order_db();
    placement::begin(&db, &place(T0)).unwrap();
    placement::accept(&db, &place(T0), decided()).unwrap();
    let (_, _, _, body) = outbox(&db)
        .into_iter()
        .find(|row| row.2 == "order")
        .unwrap();
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body.get("attribution").is_none(), "{body}");
}

#[test]
fn the_stored_attribution_format_is_golden() {
    let text = r#"{"utm_source":"poster","utm_medium":"qr","utm_campaign":"wed-flash","store_id":"store-7"}"#;
    let decoded: Attribution = serde_json::from_str(text).unwrap();
    assert_eq!(decoded, tagged());
    assert_eq!(serde_json::to_string(&decoded).unwrap(), text);
    assert_eq!(
        serde_json::to_string(&Attribution::default()).unwrap(),
        "{}"
    );
}

#[test]
fn a_body_s_attribution_is_strict() {
    assert!(tagged().check().is_ok());
    let unknown = serde_json::from_str::<Attribution>(r#"{"utm_source":"a","gclid":"x"}"#);
    assert!(unknown.is_err(), "unknown keys are refused");
    for (field, bad) in [
        (
            "utm_source",
            Attribution {
                utm_source: Some("双十一".into()),
                ..tagged()
            },
        ),
        (
            "utm_medium",
            Attribution {
                utm_medium: Some(String::new()),
                ..tagged()
            },
        ),
        (
            "utm_campaign",
            Attribution {
                utm_campaign: Some("x".repeat(65)),
                ..tagged()
            },
        ),
        (
            "store_id",
            Attribution {
                store_id: Some("store 7".into()),
                ..tagged()
            },
        ),
    ] {
        let error = bad.check().unwrap_err();
        assert!(
            error.starts_with(&format!("attribution.{field}:")),
            "{error}"
        );
    }
}
