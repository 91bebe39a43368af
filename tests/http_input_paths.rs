//! `parse_json` names the field of an error by scanning the text before the parser's position
//! (src/domain/json_path.rs) instead of tracking the path while parsing. Checked here against
//! the tracker it replaced (serde_path_to_error, a dev-dependency only): for every body type
//! and thousands of broken bodies made from valid ones, the same refusal word for word.

// serde_path_to_error, the reference, is a native dev-dependency only.
#![cfg(not(target_arch = "wasm32"))]

use pharmedge::domain::campaign::CampaignConfig;
use pharmedge::domain::catalog::CatalogBatch;
use pharmedge::domain::events::{
    CoreEvent, Envelope, EventError, MemberRegistered, OrderPaid, OrderReady, PrescriptionApproved,
};
use pharmedge::http::bodies::{CampaignPatch, PlaceOrderBody, VerifyBody};
use pharmedge::http::error::ApiError;
use pharmedge::http::json::parse_json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The refusal the path tracker gave (the code parse_json had before), or None if it parsed.
fn tracked<T: DeserializeOwned>(text: &str) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let err = serde_path_to_error::deserialize::<_, T>(&mut deserializer).err()?;
    let path = err.path().to_string();
    let inner = err.into_inner();
    Some(if inner.is_eof() || (inner.is_syntax() && path == ".") {
        format!("malformed JSON: {inner}")
    } else if inner.is_syntax() {
        format!("{path}: malformed JSON: {inner}")
    } else if path == "." {
        format!("body: {inner}")
    } else {
        format!("{path}: {inner}")
    })
}

/// Every variant of `valid` with one value replaced, one key added, or one key removed.
fn broken(valid: &Value) -> Vec<Value> {
    let replacements = [
        json!("x"),
        json!(-1),
        json!(1.5),
        json!(99999999999999999999u128 as f64),
        json!({}),
        json!([]),
        json!([1]),
        json!({"k": 1}),
        Value::Null,
        json!(true),
        json!(""),
        json!(0),
    ];
    let mut out = Vec::new();
    for replacement in &replacements {
        out.push(replacement.clone());
    }
    match valid {
        Value::Object(fields) => {
            for (name, field) in fields {
                for inner in broken(field) {
                    let mut copy = fields.clone();
                    copy.insert(name.clone(), inner);
                    out.push(Value::Object(copy));
                }
                let mut without = fields.clone();
                without.remove(name);
                out.push(Value::Object(without));
            }
            let mut extra = fields.clone();
            extra.insert("zz_unknown".into(), json!(1));
            out.push(Value::Object(extra));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                for inner in broken(item) {
                    let mut copy = items.clone();
                    copy[index] = inner;
                    out.push(Value::Array(copy));
                }
            }
            out.push(Value::Array(Vec::new()));
        }
        _ => {}
    }
    out
}

/// Compares both on every broken body (pretty-printed too: positions on several lines).
fn same_refusals<T: DeserializeOwned + Serialize + std::fmt::Debug>(valid: Value) -> usize {
    assert!(
        parse_json::<T>(valid.to_string().as_bytes()).is_ok(),
        "{valid}"
    );
    let mut compared = 0;
    for body in broken(&valid) {
        for text in [
            body.to_string(),
            serde_json::to_string_pretty(&body).unwrap(),
        ] {
            if !text.starts_with('{') {
                continue;
            }
            let Some(expected) = tracked::<T>(&text) else {
                continue;
            };
            match parse_json::<T>(text.as_bytes()) {
                Err(ApiError::InvalidRequest { detail }) => assert_eq!(detail, expected, "{text}"),
                other => panic!("{text}: expected {expected}, got {other:?}"),
            }
            compared += 1;
        }
    }
    compared
}

#[test]
fn every_body_type_names_the_same_field_as_the_path_tracker() {
    let mut compared = 0;
    compared += same_refusals::<PlaceOrderBody>(json!({
        "store_id": "s-1", "fulfilment": "pickup",
        "lines": [{"sku": "a", "qty": 1, "unit_price_fen": 100}, {"sku": "b", "qty": 2}],
        "coupon_id": "c-1"
    }));
    compared += same_refusals::<CampaignConfig>(json!({
        "id": "c", "name": "n", "kind": "coupon", "starts_at": "2027-01-01T00:00:00Z",
        "ends_at": "2027-02-01T00:00:00Z", "stock": 10, "shards": 2,
        "coupon": {"type": "fixed", "value_fen": 100, "valid_days": 7},
        "limits": {"per_member": 1}, "rules_text": "r"
    }));
    compared += same_refusals::<CatalogBatch>(json!({
        "batch_id": "b-1",
        "items": [
            {"sku": "a", "name": "n", "drug_class": "otc_b", "price_fen": 1990, "version": 1, "status": "on_sale"},
            {"sku": "b", "name": "m", "drug_class": "rx", "price_fen": 10, "version": 2, "status": "stopped", "max_qty_per_order": 3}
        ]
    }));
    compared +=
        same_refusals::<CampaignPatch>(json!({"add_stock": 5, "ends_at": "2027-02-01T00:00:00Z"}));
    compared += same_refusals::<VerifyBody>(json!({"code": "abc"}));
    compared += same_refusals::<Envelope>(json!({
        "id": "e-1", "type": "order.paid", "created_at": "2027-01-01T00:00:00Z",
        "data": {"order_id": "o-1", "member_id": "m-1", "amount_fen": 100}
    }));
    assert!(compared > 1000, "only {compared} bodies compared");
}

#[test]
fn a_refused_id_or_instant_is_named_by_its_field_not_by_the_object_around_it() {
    // Checked after the string was read, these were placed at the end of the object.
    let order = r#"{"store_id":"s 1","fulfilment":"pickup","lines":[{"sku":"a","qty":1}]}"#;
    let detail = match parse_json::<PlaceOrderBody>(order.as_bytes()) {
        Err(ApiError::InvalidRequest { detail }) => detail,
        other => panic!("{other:?}"),
    };
    assert!(
        detail.starts_with("store_id: invalid id \"s 1\""),
        "{detail}"
    );
    let patch = r#"{"ends_at":"tomorrow","add_stock":1}"#;
    let detail = match parse_json::<CampaignPatch>(patch.as_bytes()) {
        Err(ApiError::InvalidRequest { detail }) => detail,
        other => panic!("{other:?}"),
    };
    assert!(
        detail.starts_with("ends_at: \"tomorrow\" is not an RFC 3339 instant"),
        "{detail}"
    );
}

#[test]
fn keys_with_escapes_and_text_on_several_lines_are_named_like_the_tracker() {
    for text in [
        "{\"store_id\":\"s\",\"fulfilment\":\"pickup\",\"lines\":[{\"sku\":\"a\",\"q\\u0074y\":\"1\"}]}",
        "{\n  \"store_id\": \"s\",\n  \"fulfilment\": \"pickup\",\n  \"lines\": [\n    {\"sku\": \"a\", \"qty\": 1.5}\n  ]\n}",
        "{\"store_id\":\"s\\\"}\",\"fulfilment\":\"x\",\"lines\":[]}",
        "{\"store_id\":\"s\",\"fulfilment\":\"pickup\",\"lines\":[{\"sku\":\"a\",\"qty\":1},{\"sku\":\"b\",\"qty\":",
        "{\"store_id\":\"s 1\",\"fulfilment\":\"pickup\",\"lines\":[]}",
        "{\"store_id\":\"s\",\"fulfilment\":{\"pickup\":1},\"lines\":[]}",
    ] {
        let expected = tracked::<PlaceOrderBody>(text).expect(text);
        match parse_json::<PlaceOrderBody>(text.as_bytes()) {
            Err(ApiError::InvalidRequest { detail }) => assert_eq!(detail, expected, "{text}"),
            other => panic!("{text}: expected {expected}, got {other:?}"),
        }
    }
}

/// A core event's `data` refusal as the path tracker gave it (domain::events had this code).
fn tracked_data<T: DeserializeOwned>(value: &Value) -> Option<String> {
    let err = serde_path_to_error::deserialize::<_, T>(value.clone()).err()?;
    let path = err.path().to_string();
    let inner = err.into_inner();
    Some(match path.as_str() {
        "." => format!("data: {inner}"),
        _ => format!("data.{path}: {inner}"),
    })
}

/// Compares `CoreEvent::parse` with the tracker on every broken `data` of one event type.
fn same_data_refusals<T: DeserializeOwned>(event_type: &str, valid: Value) -> usize {
    assert!(
        CoreEvent::parse(event_type, valid.clone()).is_ok(),
        "{valid}"
    );
    let mut compared = 0;
    let mut enum_shapes = 0;
    for data in broken(&valid) {
        if !data.is_object() {
            continue;
        }
        let Some(expected) = tracked_data::<T>(&data) else {
            continue;
        };
        match CoreEvent::parse(event_type, data.clone()) {
            Err(EventError::Invalid(detail)) => match detail.split_once(": malformed JSON: ") {
                // An enum given a number, bool, array or a map not of one key: a syntax error
                // to serde_json's text parser, worded as request bodies word it, at the same
                // field the tracker named.
                Some((field, _)) => {
                    assert_eq!(Some(field), expected.split(": ").next(), "{data}");
                    assert!(
                        expected.contains("expected string or map")
                            || expected.contains("expected map with a single key"),
                        "{data}: {expected}"
                    );
                    enum_shapes += 1;
                }
                None => assert_eq!(detail, expected, "{data}"),
            },
            other => panic!("{data}: expected {expected}, got {other:?}"),
        }
        compared += 1;
    }
    assert!(enum_shapes < compared / 4, "{enum_shapes} of {compared}");
    compared
}

#[test]
fn every_core_event_payload_names_the_same_field_as_the_path_tracker() {
    let line =
        json!({"sku": "a", "name": "n", "qty": 2, "unit_price_fen": 50, "drug_class": "otc_a"});
    let mut compared = 0;
    compared += same_data_refusals::<MemberRegistered>(
        "member.registered",
        json!({"member_id": "m-1", "registered_at": "2027-01-01T00:00:00+08:00",
               "ref_code": "r", "device_id": "d", "real_name_verified": true}),
    );
    compared += same_data_refusals::<OrderPaid>(
        "order.paid",
        json!({"order_id": "o-1", "member_id": "m-1", "paid_at": "2027-01-01T00:00:00Z",
               "amount_fen": 100, "insurance_fen": 10, "lines": [line],
               "coupon_id": "c", "first_order": true}),
    );
    compared += same_data_refusals::<OrderReady>(
        "order.ready_for_pickup",
        json!({"order_id": "o-1", "member_id": "m-1", "store_id": "s-1", "lines": [line],
               "ready_at": "2027-01-01T00:00:00Z", "pickup_deadline": "2027-01-02T00:00:00Z"}),
    );
    compared += same_data_refusals::<PrescriptionApproved>(
        "prescription.approved",
        json!({"prescription_id": "rx-1", "member_id": "m-1",
               "items": [{"sku": "a", "qty": 1}], "approved_by": "dr",
               "expires_at": "2099-01-01T00:00:00Z"}),
    );
    assert!(compared > 300, "only {compared} payloads compared");
}
