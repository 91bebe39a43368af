//! The fuzz targets' bodies, shared by the libFuzzer binaries (tests/fuzz/fuzz_targets) and
//! the root package's `tests/fuzz_corpus.rs`, which replays every committed seed through
//! them. Each takes arbitrary bytes and panics only on a bug: a panic in the code under test,
//! or a broken invariant asserted here.

use pharmedge::domain::campaign::{split_stock, CampaignConfig};
use pharmedge::domain::catalog::{check_requests, CatalogBatch};
use pharmedge::domain::events::{is_valid_event_id, CoreEvent, Envelope};
use pharmedge::domain::pickup::{self, Binding, CodeRefusal};
use pharmedge::domain::referral::{normalize_code, CODE_LEN};
use pharmedge::http::bodies::{
    CampaignPatch, CatalogStatusBody, CheckinBody, ClaimBody, LinkBody, MakeupBody, PlaceOrderBody,
    VerifyBody,
};
use pharmedge::http::error::ApiError;
use pharmedge::http::json::{is_json_content_type, parse_json};
use pharmedge::http::jwt;
use pharmedge::http::signature::{self, SignatureError};
use serde::de::DeserializeOwned;
use serde::Serialize;

mod catalog;
pub use catalog::{catalog_pricing, pricing_input};

/// The secrets and clock the targets (and the seeds in tests/fuzz/corpus) are made with.
pub const MEMBER_SECRET: &[u8] = b"fuzz-member-secret-0123456789abcdef";
pub const STAFF_SECRET: &[u8] = b"fuzz-staff-secret-0123456789abcdef";
pub const CORE_SECRETS: [&[u8]; 2] = [b"fuzz-core-secret-current-0123456789", b"fuzz-core-old"];
pub const PICKUP_SECRET: &[u8] = b"fuzz-pickup-secret-0123456789abcdef";
pub const NOW_SECS: i64 = 1_800_000_000;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A bearer token as received: verified as a member's and as a staff member's.
pub fn jwt_token(data: &[u8]) {
    let Some(token) = text(data) else { return };
    let claims = jwt::verify(token, MEMBER_SECRET, NOW_SECS);
    if let Ok(claims) = &claims {
        let exp = claims["exp"]
            .as_i64()
            .expect("accepted without an integer exp");
        assert!(
            NOW_SECS <= exp.saturating_add(jwt::LEEWAY_SECS),
            "accepted an expired token"
        );
    }
    let member = jwt::verify_member(token, MEMBER_SECRET, NOW_SECS);
    assert!(
        member.is_err() || claims.is_ok(),
        "member accepted, token refused"
    );
    let _ = jwt::verify_staff(token, STAFF_SECRET, NOW_SECS);
}

/// `<header JSON>\n<claims JSON>`, signed here with the right secret, so the fuzzer reaches
/// the header and claims parsing behind the signature check.
pub fn jwt_signed(data: &[u8]) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (header, claims) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    for secret in [MEMBER_SECRET, STAFF_SECRET] {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
        mac.update(signing_input.as_bytes());
        let token = format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        let verified = jwt::verify(&token, secret, NOW_SECS);
        if verified.is_ok() {
            let header: serde_json::Value =
                serde_json::from_slice(header).expect("accepted a header that is not JSON");
            assert!(
                header.is_object(),
                "accepted a header that is not an object"
            );
            assert_eq!(header["alg"], "HS256", "accepted another algorithm");
            assert!(header.get("crit").is_none(), "accepted a crit header");
        }
        let _ = jwt::verify_member(&token, MEMBER_SECRET, NOW_SECS);
        let _ = jwt::verify_staff(&token, STAFF_SECRET, NOW_SECS);
    }
}

/// `<Core-Signature value>\n<raw body>`: verified against both secrets of a rotation; and
/// the body signed here must verify. Poster signatures are read from the same header text.
pub fn core_signature(data: &[u8]) {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (header, body) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let Some(header) = text(header) else { return };
    let verdict = signature::verify(Some(header), &CORE_SECRETS, body, NOW_SECS);
    if verdict.is_ok() {
        assert!(header.contains("v1="), "accepted without a v1 entry");
    }
    let skew = i64::try_from(body.len() % 601).expect("small") - 300;
    let signed = signature::sign(CORE_SECRETS[1], NOW_SECS + skew, body);
    assert_eq!(
        signature::verify(Some(&signed), &CORE_SECRETS, body, NOW_SECS),
        Ok(()),
        "a fresh signature of this body did not verify"
    );
    assert_eq!(
        signature::verify(Some(&signed), &CORE_SECRETS[..1], body, NOW_SECS),
        Err(SignatureError::Mismatch),
        "a signature under a secret not configured verified"
    );
    let _ = signature::verify_poster_signature(PICKUP_SECRET, "camp-1", "store-1", header);
}

/// A scanned QR text or a typed 6-digit code, checked against the order it names; and a
/// genuine QR for a step taken from the input, verified at a fixed clock.
pub fn pickup_code(data: &[u8]) {
    let now_step = pickup::step_of(NOW_SECS);
    let order_secret = pickup::order_totp_secret(PICKUP_SECRET, "ord_1");
    if let Some(typed) = text(data) {
        if pickup::verify_short_code(&order_secret, typed, now_step).is_ok() {
            assert!(typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()));
        }
        if let Ok(scanned) = pickup::parse_qr(typed) {
            let binding = Binding {
                order_id: &scanned.order_id,
                member_id: "mem-1",
                store_id: "store-1",
            };
            let _ = pickup::verify_qr(PICKUP_SECRET, &scanned, &binding, now_step);
        }
    }
    if let Some(bytes) = data.get(..8) {
        let step = i64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        let binding = Binding {
            order_id: "ord_1",
            member_id: "mem-1",
            store_id: "store-1",
        };
        let genuine = pickup::qr_text(PICKUP_SECRET, &binding, step);
        let scanned = pickup::parse_qr(&genuine).expect("our own QR text parses");
        assert_eq!(scanned.step, step);
        let verdict = pickup::verify_qr(PICKUP_SECRET, &scanned, &binding, now_step);
        let expected = match now_step.checked_sub(step) {
            Some(0 | 1) => Ok(()),
            Some(delta) if delta > 1 => Err(CodeRefusal::Expired),
            _ => Err(CodeRefusal::Invalid),
        };
        assert_eq!(verdict, expected, "step {step}");
    }
}

/// A share code as it arrives in /r/{code} or in `member.registered`'s `ref_code`.
pub fn share_code(data: &[u8]) {
    let Some(raw) = text(data) else { return };
    if let Some(code) = normalize_code(raw) {
        assert_eq!(code.len(), CODE_LEN);
        assert!(code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        assert_eq!(
            normalize_code(&code).as_deref(),
            Some(code.as_str()),
            "not stable"
        );
    }
}

/// A `Content-Type` header value.
pub fn content_type(data: &[u8]) {
    let Some(value) = text(data) else { return };
    if is_json_content_type(value) {
        let essence = value.split(';').next().unwrap_or_default().trim();
        assert!(
            essence.eq_ignore_ascii_case("application/json"),
            "{value:?}"
        );
        assert!(!value.to_ascii_lowercase().contains("+json"), "{value:?}");
    }
}

/// Parses as the handlers do; a refusal is always a 400 `invalid_request`, and nothing but a
/// JSON object is ever accepted.
fn body<T: DeserializeOwned + Serialize>(data: &[u8]) -> Option<T> {
    match parse_json::<T>(data) {
        Ok(value) => {
            let first = data.iter().find(|b| !b" \t\r\n".contains(b));
            assert_eq!(first, Some(&b'{'), "accepted a body that is not an object");
            Some(value)
        }
        Err(ApiError::InvalidRequest { detail }) => {
            assert!(!detail.is_empty());
            None
        }
        Err(other) => panic!("a body refused with {other:?}, not invalid_request"),
    }
}

/// A request body, read as the body of every write endpoint, then checked as its handler
/// checks it (natively where the check is pure).
pub fn json_bodies(data: &[u8]) {
    let _ = body::<CheckinBody>(data);
    let _ = body::<LinkBody>(data);
    let _ = body::<MakeupBody>(data);
    let _ = body::<ClaimBody>(data);
    let _ = body::<VerifyBody>(data);
    let _ = body::<CampaignPatch>(data);
    if let Some(placed) = body::<PlaceOrderBody>(data) {
        let _ = check_requests(&placed.lines);
    }
    if let Some(batch) = body::<CatalogBatch>(data) {
        // All or nothing: a batch either validates whole or names one field of one item.
        if let Err(detail) = batch.validate() {
            assert!(detail.starts_with("items") || detail.starts_with("batch_id"));
        }
    }
    if let Some(status) = body::<CatalogStatusBody>(data) {
        let _ = status.check();
    }
    if let Some(config) = body::<CampaignConfig>(data) {
        if config.validate().is_ok() {
            let shards = config.shard_count();
            let split = split_stock(config.stock, shards);
            assert_eq!(split.iter().sum::<i64>(), config.stock);
        }
    }
    if let Some(envelope) = body::<Envelope>(data) {
        let _ = is_valid_event_id(&envelope.id);
        let _ = CoreEvent::parse(&envelope.event_type, envelope.data);
    }
}
