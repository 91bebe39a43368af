//! Input strictness on issue 10's inputs (issue 9's style, next to tests/http_input.rs): the
//! catalogue push, an admin's stop-sale, order lines that may name nothing the pharmacy
//! decides, and prescription events. Every refusal is 400 invalid_request naming the field.

use pharmedge::domain::catalog::{CatalogBatch, MAX_BATCH_ITEMS};
use pharmedge::domain::events::{CoreEvent, EventError};
use pharmedge::http::bodies::{CatalogStatusBody, PlaceOrderBody};
use pharmedge::http::error::ApiError;
use pharmedge::http::json::parse_json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

fn refusal<T: DeserializeOwned + Serialize + std::fmt::Debug>(body: &str) -> String {
    match parse_json::<T>(body.as_bytes()) {
        Err(ApiError::InvalidRequest { detail }) => detail,
        other => panic!("{body}: expected 400 invalid_request, got {other:?}"),
    }
}

fn catalog_item(sku: &str) -> serde_json::Value {
    json!({"sku": sku, "name": "维生素C 片", "drug_class": "otc_b", "price_fen": 1990, "version": 1, "status": "on_sale"})
}

/// What a batch answers: the parse error or the validation error (both 400 invalid_request).
fn batch_refusal(body: &str) -> String {
    match parse_json::<CatalogBatch>(body.as_bytes()) {
        Err(ApiError::InvalidRequest { detail }) => detail,
        Err(other) => panic!("{body}: expected 400 invalid_request, got {other:?}"),
        Ok(batch) => batch
            .validate()
            .expect_err(&format!("{body}: should be refused")),
    }
}

fn batch_with(items: Vec<serde_json::Value>) -> String {
    json!({"batch_id": "b-1", "items": items}).to_string()
}

fn with_field(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut item = catalog_item("sku-1");
    item[field] = value;
    item
}

#[test]
fn a_catalogue_batch_is_refused_whole_naming_the_item_and_field() {
    let good = batch_with(vec![catalog_item("sku-1"), catalog_item("sku-2")]);
    let batch = parse_json::<CatalogBatch>(good.as_bytes()).expect("a good batch parses");
    assert_eq!(batch.validate(), Ok(()));
    assert_eq!(
        batch_refusal(&format!("[{good}]")),
        "body: a JSON object is required"
    );
    let many: Vec<_> = (0..=MAX_BATCH_ITEMS)
        .map(|n| catalog_item(&format!("sku-{n}")))
        .collect();
    assert_eq!(
        batch_refusal(&batch_with(many[..MAX_BATCH_ITEMS + 1].to_vec())),
        "items: from 1 to 1000 items"
    );
    let full = parse_json::<CatalogBatch>(batch_with(many[..MAX_BATCH_ITEMS].to_vec()).as_bytes())
        .expect("1,000 items parse");
    assert_eq!(full.validate(), Ok(()), "1,000 items are a batch");
    assert_eq!(
        batch_refusal(&batch_with(vec![])),
        "items: from 1 to 1000 items"
    );
    // Integers outside their type or range, named by item and field.
    for (field, raw) in [
        ("price_fen", "9223372036854775808"),
        ("price_fen", "99999999999999999999"),
        ("price_fen", "1990.0"),
        ("version", "9223372036854775808"),
        ("version", "-9223372036854775809"),
        ("max_qty_per_order", "1e3"),
    ] {
        let body = batch_with(vec![catalog_item("sku-0"), with_field(field, json!(0))])
            .replace(&format!("\"{field}\":0"), &format!("\"{field}\":{raw}"));
        let detail = batch_refusal(&body);
        assert!(
            detail.starts_with(&format!("items[1].{field}")),
            "{field}={raw}: {detail}"
        );
    }
    for (field, value) in [
        ("price_fen", json!(10_000_001)),
        ("price_fen", json!(-1)),
        ("version", json!(-1)),
        ("name", json!("")),
        ("name", json!("阿莫西林\u{0}胶囊")),
        ("name", json!("line\nbreak")),
        ("name", json!("\u{85}")),
        ("name", json!("药".repeat(201))),
        ("category", json!("")),
        ("category", json!("c".repeat(101))),
        ("max_qty_per_order", json!(0)),
        ("max_qty_per_order", json!(1000)),
        ("sku", json!("sku 1")),
    ] {
        let body = batch_with(vec![
            catalog_item("sku-0"),
            with_field(field, value.clone()),
        ]);
        assert_eq!(
            batch_refusal(&body),
            format!("items[1].{field}: out of range"),
            "{field}={value}"
        );
    }
    // The largest legal values are accepted, and null is the same as absent.
    let edge = batch_with(vec![
        with_field("name", json!("药".repeat(200))),
        json!({"sku": "s".repeat(64), "name": " ", "drug_class": "special", "price_fen": 10_000_000,
               "version": i64::MAX, "category": null, "status": "stopped", "max_qty_per_order": null}),
    ]);
    let batch = parse_json::<CatalogBatch>(edge.as_bytes()).expect("edge values parse");
    assert_eq!(batch.validate(), Ok(()));
    // Unknown fields, enums and a SKU twice in one batch.
    let detail = batch_refusal(&batch_with(vec![with_field("stock", json!(3))]));
    assert!(
        detail.starts_with("items[0]") && detail.contains("unknown field `stock`"),
        "{detail}"
    );
    let detail = batch_refusal(&batch_with(vec![with_field("drug_class", json!("otc"))]));
    assert!(detail.starts_with("items[0].drug_class"), "{detail}");
    let detail = batch_refusal(&batch_with(vec![with_field("status", json!("paused"))]));
    assert!(detail.starts_with("items[0].status"), "{detail}");
    assert_eq!(
        batch_refusal(&batch_with(vec![
            catalog_item("sku-1"),
            catalog_item("sku-2"),
            catalog_item("sku-1")
        ])),
        "items[2].sku: sku-1 twice in one batch"
    );
    let detail = batch_refusal(r#"{"batch_id":"b","items":[],"signature":"x"}"#);
    assert!(detail.contains("unknown field `signature`"), "{detail}");
    assert!(batch_refusal(r#"{"batch_id":"b c","items":[]}"#).starts_with("batch_id"));
}

fn status_body(body: &str) -> Result<(), String> {
    match parse_json::<CatalogStatusBody>(body.as_bytes()) {
        Ok(parsed) => parsed.check(),
        Err(ApiError::InvalidRequest { detail }) => Err(detail),
        Err(other) => panic!("{body}: expected 400 invalid_request, got {other:?}"),
    }
}

#[test]
fn an_admin_stop_needs_a_known_status_and_a_real_reason() {
    assert_eq!(
        status_body(r#"{"status":"stopped","reason":"药监局通知 2026-07"}"#),
        Ok(())
    );
    assert_eq!(
        status_body(r#"{"status":"on_sale","reason":"恢复销售"}"#),
        Ok(())
    );
    let detail = status_body(r#"{"status":"paused","reason":"x"}"#).unwrap_err();
    assert!(detail.starts_with("status"), "{detail}");
    let detail =
        status_body(r#"{"status":"stopped","reason":"x","by":"someone-else"}"#).unwrap_err();
    assert!(detail.contains("unknown field `by`"), "{detail}");
    assert!(status_body(r#"{"status":"stopped"}"#)
        .unwrap_err()
        .contains("reason"));
    let long = "理".repeat(200);
    assert_eq!(
        status_body(&format!(r#"{{"status":"stopped","reason":"{long}"}}"#)),
        Ok(())
    );
    for reason in [
        String::new(),
        "   ".into(),
        "\u{3000}\u{a0}".into(),
        "a\u{7}b".into(),
        "line\nbreak".into(),
        "理".repeat(201),
        // Counted as sent: white space around does not make a long reason short.
        format!(" {}", "理".repeat(200)),
    ] {
        let body = json!({"status": "stopped", "reason": reason}).to_string();
        let detail = status_body(&body).unwrap_err();
        assert!(detail.starts_with("reason"), "{reason:?}: {detail}");
    }
}

#[test]
fn an_order_line_is_sku_quantity_and_seen_price_only() {
    let order = |line: &str| {
        format!(
            r#"{{"store_id":"store-1","fulfilment":"pickup","lines":[{{"sku":"a","qty":1}},{line}]}}"#
        )
    };
    assert!(parse_json::<PlaceOrderBody>(
        order(r#"{"sku":"b","qty":2,"unit_price_fen":null}"#).as_bytes()
    )
    .is_ok());
    for field in [
        "drug_class",
        "name",
        "price_fen",
        "discount_fen",
        "catalog_version",
    ] {
        let line = format!(r#"{{"sku":"b","qty":1,"{field}":"x"}}"#);
        let detail = refusal::<PlaceOrderBody>(&order(&line));
        assert!(
            detail.starts_with("lines[1]") && detail.contains(&format!("unknown field `{field}`")),
            "{field}: {detail}"
        );
    }
    let detail = refusal::<PlaceOrderBody>(&order(r#"{"sku":"b","qty":9223372036854775808}"#));
    assert!(detail.starts_with("lines[1].qty"), "{detail}");
}

fn prescription_refusal(event_type: &str, data: serde_json::Value) -> String {
    match CoreEvent::parse(event_type, data.clone()) {
        Err(EventError::Invalid(detail)) => detail,
        other => panic!("{data}: expected 400, got {other:?}"),
    }
}

#[test]
fn prescription_events_are_checked_field_by_field() {
    let approved = |items: serde_json::Value, expires_at: &str| {
        json!({"prescription_id": "rx-1", "member_id": "m-1", "items": items,
               "approved_by": "pharmacist-1", "expires_at": expires_at})
    };
    let later = "2026-08-01T00:00:00Z";
    assert!(CoreEvent::parse(
        "prescription.approved",
        approved(json!([{"sku": "amoxicillin", "qty": 2}]), later)
    )
    .is_ok());
    let cases = [
        (
            approved(json!([]), later),
            "data.items: from 1 to 100 items",
        ),
        (
            approved(json!([{"sku": "a", "qty": 0}]), later),
            "data.items[0].qty: from 1 to 999",
        ),
        (
            approved(json!([{"sku": "a", "qty": 1000}]), later),
            "data.items[0].qty: from 1 to 999",
        ),
        (
            approved(json!([{"sku": "a b", "qty": 1}]), later),
            "data.items[0].sku: must match [A-Za-z0-9_-]{1,64}",
        ),
    ];
    for (data, expected) in cases {
        assert_eq!(
            prescription_refusal("prescription.approved", data),
            expected
        );
    }
    for expires_at in ["tomorrow", "2026-08-01", "2026-13-01T00:00:00Z", ""] {
        let detail = prescription_refusal(
            "prescription.approved",
            approved(json!([{"sku": "a", "qty": 1}]), expires_at),
        );
        assert!(
            detail.starts_with("data.expires_at"),
            "{expires_at}: {detail}"
        );
    }
    let detail = prescription_refusal(
        "prescription.approved",
        approved(json!([{"sku": "a", "qty": 1, "drug_class": "rx"}]), later),
    );
    assert!(
        detail.starts_with("data.items[0]") && detail.contains("drug_class"),
        "{detail}"
    );
    let detail = prescription_refusal(
        "prescription.approved",
        approved(json!([{"sku": "a", "qty": 9223372036854775808_u64}]), later),
    );
    assert!(detail.starts_with("data.items[0].qty"), "{detail}");
    let detail = prescription_refusal(
        "prescription.revoked",
        json!({"prescription_id": "", "member_id": "m-1"}),
    );
    assert!(detail.starts_with("data.prescription_id"), "{detail}");
    let detail = prescription_refusal("prescription.revoked", json!({"prescription_id": "rx-1"}));
    assert!(detail.contains("member_id"), "{detail}");
}
