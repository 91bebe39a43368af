//! Input strictness (issue 9, item 5): one content-type rule, bodies that must be JSON
//! objects, numbers out of range named by field, and token headers and signatures that are
//! refused rather than guessed at.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use pharmedge::domain::campaign::CampaignConfig;
use pharmedge::domain::events::Envelope;
use pharmedge::http::bodies::{
    CampaignPatch, CheckinBody, ClaimBody, LinkBody, MakeupBody, PlaceOrderBody, VerifyBody,
};
use pharmedge::http::error::ApiError;
use pharmedge::http::json::{is_json_content_type, parse_json};
use pharmedge::http::jwt::{self, JwtError};
use pharmedge::http::signature::{self, SignatureError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

#[test]
fn only_application_json_with_an_optional_utf8_charset_is_json() {
    for accepted in [
        "application/json",
        "Application/JSON",
        " application/json ",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "application/json; Charset=\"utf-8\"",
        "application/json;",
    ] {
        assert!(
            is_json_content_type(accepted),
            "{accepted:?} should be accepted"
        );
    }
    for refused in [
        "",
        "application/jsonx",
        "application/json-patch+json",
        "application/problem+json",
        "application/vnd.api+json",
        "text/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
        "application/json; charset=utf-16",
        "application/json; charset=utf-8; charset=utf-8",
        "application/json; boundary=x",
        "application/json; charset",
        "application/json, text/plain",
        "application/json\u{0}",
    ] {
        assert!(
            !is_json_content_type(refused),
            "{refused:?} should be refused"
        );
    }
}

fn refusal<T: DeserializeOwned + Serialize + std::fmt::Debug>(body: &str) -> String {
    match parse_json::<T>(body.as_bytes()) {
        Err(ApiError::InvalidRequest { detail }) => detail,
        other => panic!("{body}: expected 400 invalid_request, got {other:?}"),
    }
}

#[test]
fn a_body_that_is_not_a_json_object_is_refused_for_every_body_type() {
    // Each of these was accepted before: serde reads a struct from an array, and an
    // all-optional struct from `[]`.
    assert!(refusal::<PlaceOrderBody>(
        r#"["store-1","pickup",[{"sku":"a","qty":1,"unit_price_fen":1}]]"#
    )
    .contains("body: a JSON object is required"));
    assert!(refusal::<ClaimBody>("[]").contains("body: a JSON object is required"));
    assert!(refusal::<MakeupBody>(r#"["2027-01-10"]"#).contains("body: a JSON object is required"));
    for body in [
        "[]", "[1]", "1", "-0.5", "\"x\"", "null", "true", "false", "  []  ",
    ] {
        let expected = "body: a JSON object is required";
        assert_eq!(refusal::<CheckinBody>(body), expected, "{body}");
        assert_eq!(refusal::<LinkBody>(body), expected, "{body}");
        assert_eq!(refusal::<ClaimBody>(body), expected, "{body}");
        assert_eq!(refusal::<MakeupBody>(body), expected, "{body}");
        assert_eq!(refusal::<PlaceOrderBody>(body), expected, "{body}");
        assert_eq!(refusal::<VerifyBody>(body), expected, "{body}");
        assert_eq!(refusal::<CampaignPatch>(body), expected, "{body}");
        assert_eq!(refusal::<CampaignConfig>(body), expected, "{body}");
        assert_eq!(refusal::<Envelope>(body), expected, "{body}");
    }
    // Malformed input is still reported as malformed, not as the wrong kind.
    for body in ["[", "nul", "{", "", "   ", "{}}", "[] x"] {
        assert!(
            refusal::<ClaimBody>(body).contains("malformed JSON"),
            "{body}"
        );
    }
    // Structs inside the body too: each named by its path.
    let line = r#"["sku-1",1,100]"#;
    let order = format!(r#"{{"store_id":"s","fulfilment":"pickup","lines":[{line}]}}"#);
    assert_eq!(
        refusal::<PlaceOrderBody>(&order),
        "lines[0]: a JSON object is required"
    );
    let campaign = |limits: &str, extra: &str| {
        format!(
            r#"{{"id":"c","name":"n","kind":"coupon","starts_at":"2027-01-01T00:00:00Z","ends_at":"2027-02-01T00:00:00Z","stock":10,"coupon":{{"type":"fixed","value_fen":100,"valid_days":7}},"limits":{limits},"rules_text":"r"{extra}}}"#
        )
    };
    assert_eq!(
        refusal::<CampaignConfig>(&campaign("[1]", "")),
        "limits: a JSON object is required"
    );
    assert_eq!(
        refusal::<CampaignConfig>(&campaign(r#"{"per_member":1}"#, r#","audience":[]"#)),
        "audience: a JSON object is required"
    );
    assert_eq!(
        refusal::<CampaignConfig>(&campaign(r#"{"per_member":1}"#, r#","gift":["g"]"#)),
        "gift: a JSON object is required"
    );
    assert!(parse_json::<CampaignConfig>(campaign(r#"{"per_member":1}"#, "").as_bytes()).is_ok());
    // And objects still parse, with surrounding whitespace.
    assert!(parse_json::<ClaimBody>(b" \n{}\t").is_ok());
    assert!(parse_json::<CheckinBody>(b"{}").is_ok());
}

#[test]
fn numbers_out_of_a_fields_range_are_400_naming_the_field() {
    let order = |qty: &str, price: &str| {
        format!(
            r#"{{"store_id":"s","fulfilment":"pickup","lines":[{{"sku":"a","qty":{qty},"unit_price_fen":{price}}}]}}"#
        )
    };
    for (qty, price, field) in [
        ("99999999999999999999", "1", "lines[0].qty"),
        ("9223372036854775808", "1", "lines[0].qty"),
        ("-9223372036854775809", "1", "lines[0].qty"),
        ("1", "355.0", "lines[0].unit_price_fen"),
        ("1", "1e3", "lines[0].unit_price_fen"),
        ("1.5", "1", "lines[0].qty"),
        ("\"1\"", "1", "lines[0].qty"),
    ] {
        let detail = refusal::<PlaceOrderBody>(&order(qty, price));
        assert!(detail.starts_with(field), "{qty}/{price}: {detail}");
    }
    // What the pharmacy decides is refused in a line, named (the client decides nothing).
    for field in [
        r#""drug_class":"otc_b""#,
        r#""name":"b""#,
        r#""drug_class":{}"#,
    ] {
        let body = order("1", "1").replace(r#""qty":1"#, &format!(r#""qty":1,{field}"#));
        let detail = refusal::<PlaceOrderBody>(&body);
        assert!(detail.starts_with("lines[0]"), "{body}: {detail}");
        let name = field.split('"').nth(1).unwrap();
        assert!(detail.contains(name), "{body}: {detail}");
    }
    let patch = refusal::<CampaignPatch>(r#"{"add_stock": 9223372036854775808}"#);
    assert!(patch.starts_with("add_stock"), "{patch}");
    let patch = refusal::<CampaignPatch>(r#"{"add_stock": 355.0}"#);
    assert!(patch.starts_with("add_stock"), "{patch}");
    let limits = refusal::<CampaignConfig>(
        r#"{"id":"c","name":"n","kind":"coupon","starts_at":"2027-01-01T00:00:00Z","ends_at":"2027-02-01T00:00:00Z","stock":10,"coupon":{"type":"fixed","value_fen":100,"valid_days":7},"limits":{"per_member":4294967296},"rules_text":"r"}"#,
    );
    assert!(limits.starts_with("limits.per_member"), "{limits}");
}

const SECRET: &[u8] = b"member-secret-for-tests-0000000000";
const NOW: i64 = 1_800_000_000;

/// A token with this exact header text, correctly signed (so only the header can be refused).
fn signed_with_header(header: &str) -> String {
    let claims = json!({"sub": "m1", "exp": NOW + 600});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn a_token_header_with_crit_is_refused_whatever_it_lists() {
    for header in [
        r#"{"alg":"HS256","crit":["exp"]}"#,
        r#"{"alg":"HS256","typ":"JWT","crit":["b64"],"b64":false}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":null}"#,
        r#"{"crit":"x","alg":"HS256"}"#,
    ] {
        let verdict = jwt::verify_member(&signed_with_header(header), SECRET, NOW);
        assert!(
            matches!(verdict, Err(JwtError::UnsupportedHeader(reason)) if reason.contains("crit")),
            "{header}: {verdict:?}"
        );
    }
}

#[test]
fn token_headers_are_read_strictly() {
    let cases = [
        (r#"{"alg":"hs256"}"#, JwtError::UnsupportedAlgorithm),
        (r#"{"alg":"HS256 "}"#, JwtError::UnsupportedAlgorithm),
        (r#"{"alg":"HS256","alg":"HS256"}"#, JwtError::Malformed),
        (r#"{"alg":"none","alg":"HS256"}"#, JwtError::Malformed),
        (r#"["HS256"]"#, JwtError::Malformed),
        (r#"{"alg":["HS256"]}"#, JwtError::Malformed),
        (r#"{"typ":"JWT"}"#, JwtError::Malformed),
        (
            r#"{"alg":"HS256","typ":"at+jwt"}"#,
            JwtError::UnsupportedHeader("token typ must be JWT"),
        ),
        (
            r#"{"alg":"HS256","typ":"JWS"}"#,
            JwtError::UnsupportedHeader("token typ must be JWT"),
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(
            jwt::verify_member(&signed_with_header(header), SECRET, NOW),
            Err(expected),
            "{header}"
        );
    }
    for header in [
        r#"{"alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"alg":"HS256","typ":"jwt","kid":"k1"}"#,
        r#" {"typ":"JWT","alg":"HS256"}"#,
    ] {
        let verdict = jwt::verify_member(&signed_with_header(header), SECRET, NOW);
        assert!(verdict.is_ok(), "{header}: {verdict:?}");
    }
}

#[test]
fn claims_that_are_not_an_object_are_malformed() {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
        URL_SAFE_NO_PAD.encode(r#"["m1",1800000600]"#)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(input.as_bytes());
    let token = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(jwt::verify(&token, SECRET, NOW), Err(JwtError::Malformed));
}

#[test]
fn signature_timestamps_are_plain_digits_once_and_never_overflow() {
    let secrets: [&[u8]; 1] = [b"core-secret"];
    let body = b"{}";
    let good = signature::sign(secrets[0], NOW, body);
    let mac = good.split_once(",v1=").unwrap().1;
    for header in [
        format!("t=+{NOW},v1={mac}"),
        format!("t=-{NOW},v1={mac}"),
        format!("t= {NOW},v1={mac}"),
        format!("t={NOW},t={NOW},v1={mac}"),
        format!("t=,v1={mac}"),
        format!("t=99999999999999999999,v1={mac}"),
    ] {
        assert_eq!(
            signature::verify(Some(&header), &secrets, body, NOW),
            Err(SignatureError::Malformed),
            "{header}"
        );
    }
    // Extreme timestamps are stale, never an overflow (a panic in a debug build).
    for now in [i64::MIN, i64::MAX] {
        assert_eq!(
            signature::verify(Some(&good), &secrets, body, now),
            Err(SignatureError::Stale)
        );
    }
    let far = format!("t={},v1={mac}", i64::MAX);
    assert_eq!(
        signature::verify(Some(&far), &secrets, body, -NOW),
        Err(SignatureError::Stale)
    );
    assert_eq!(signature::verify(Some(&good), &secrets, body, NOW), Ok(()));
}

/// Found by schemathesis: an unknown field carrying a number no f64 can hold (1e400) made the
/// nested-struct check fail as a 500. It is a 400 naming the field, like any unknown field.
#[test]
fn a_number_too_big_for_any_float_in_an_unknown_field_is_a_400() {
    let body = r#"{"store_id":"s1","fulfilment":"pickup","lines":[{"sku":"a","qty":1,"unit_price_fen":1,"x":1e400}]}"#;
    let detail = refusal::<PlaceOrderBody>(body);
    assert!(
        detail.starts_with("lines[0]") && detail.contains('x'),
        "{detail}"
    );
}
