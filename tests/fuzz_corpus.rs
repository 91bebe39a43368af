//! Every committed fuzz seed (tests/fuzz/corpus/<target>/*) run through the same target
//! functions the fuzzer runs, so a regression shows up in `cargo test` without the fuzzer.
//! The generated seeds are written by `cargo test --test fuzz_corpus -- --ignored write_seeds`.

#[path = "fuzz/src/lib.rs"]
mod targets;

use pharmedge::domain::campaign::CampaignConfig;
use pharmedge::domain::catalog::{check_requests, price_lines, CatalogBatch, LineRefusal};
use pharmedge::domain::events::{CoreEvent, Envelope};
use pharmedge::domain::pickup::{self, Binding};
use pharmedge::http::bodies::{
    CampaignPatch, CatalogStatusBody, CheckinBody, ClaimBody, MakeupBody, PlaceOrderBody,
    VerifyBody,
};
use pharmedge::http::json::parse_json;
use pharmedge::http::{jwt, signature};
use serde_json::json;
use std::path::{Path, PathBuf};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 8] = [
    ("jwt_token", targets::jwt_token),
    ("jwt_signed", targets::jwt_signed),
    ("core_signature", targets::core_signature),
    ("pickup_code", targets::pickup_code),
    ("share_code", targets::share_code),
    ("content_type", targets::content_type),
    ("json_bodies", targets::json_bodies),
    ("catalog_pricing", targets::catalog_pricing),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target)
}

#[test]
fn every_committed_seed_runs_clean_through_its_target() {
    for (name, target) in TARGETS {
        let dir = corpus_dir(name);
        let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.expect("readable corpus entry").path())
            .collect();
        seeds.sort();
        assert!(seeds.len() >= 3, "{name}: at least three seeds");
        for seed in seeds {
            let data = std::fs::read(&seed).expect("readable seed");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panics", seed.display());
        }
    }
}

/// Seeds that must stay meaningful: the valid ones are still accepted (a seed corpus of
/// tokens the verifier refuses would only ever explore the refusal path).
#[test]
fn the_valid_seeds_are_still_accepted() {
    let token = std::fs::read_to_string(corpus_dir("jwt_token").join("member_valid")).unwrap();
    assert!(jwt::verify_member(&token, targets::MEMBER_SECRET, targets::NOW_SECS).is_ok());
    let staff = std::fs::read_to_string(corpus_dir("jwt_token").join("staff_valid")).unwrap();
    assert!(jwt::verify_staff(&staff, targets::STAFF_SECRET, targets::NOW_SECS).is_ok());
    let signed = std::fs::read(corpus_dir("core_signature").join("valid_event")).unwrap();
    let split = signed.iter().position(|&b| b == b'\n').unwrap();
    let header = std::str::from_utf8(&signed[..split]).unwrap();
    let verdict = signature::verify(
        Some(header),
        &targets::CORE_SECRETS,
        &signed[split + 1..],
        targets::NOW_SECS,
    );
    assert_eq!(verdict, Ok(()));
    let bodies = corpus_dir("json_bodies");
    let read = |name: &str| std::fs::read(bodies.join(name)).unwrap();
    parse_json::<CheckinBody>(&read("checkin")).unwrap();
    parse_json::<MakeupBody>(&read("makeup")).unwrap();
    parse_json::<ClaimBody>(&read("claim_poster")).unwrap();
    for name in ["order", "order_rx"] {
        let placed: PlaceOrderBody = parse_json(&read(name)).unwrap();
        check_requests(&placed.lines).unwrap();
    }
    for name in ["verify_qr", "verify_short"] {
        parse_json::<VerifyBody>(&read(name)).unwrap();
    }
    parse_json::<CampaignPatch>(&read("patch")).unwrap();
    let batch: CatalogBatch = parse_json(&read("catalog")).unwrap();
    batch.validate().unwrap();
    parse_json::<CatalogStatusBody>(&read("catalog_status"))
        .unwrap()
        .check()
        .unwrap();
    let config: CampaignConfig = parse_json(&read("campaign")).unwrap();
    config.validate().unwrap();
    let envelope: Envelope = parse_json(&read("event")).unwrap();
    CoreEvent::parse(&envelope.event_type, envelope.data).unwrap();
    for name in ["array", "overflow"] {
        assert!(parse_json::<PlaceOrderBody>(&read(name)).is_err());
    }
}

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), data).unwrap();
}

#[test]
#[ignore = "writes the seed corpus; run by hand after changing a target's format"]
fn write_seeds() {
    use targets::*;
    let exp = NOW_SECS + 3600;
    let member = json!({"sub": "m-1", "exp": exp, "iat": NOW_SECS, "reg": NOW_SECS - 86400, "rn": true, "dev": "dev-1"});
    write(
        "jwt_token",
        "member_valid",
        jwt::sign(&member, MEMBER_SECRET),
    );
    let staff = json!({"sub": "clerk-1", "role": "clerk", "store": "store-1", "exp": exp});
    write("jwt_token", "staff_valid", jwt::sign(&staff, STAFF_SECRET));
    write(
        "jwt_token",
        "expired",
        jwt::sign(&json!({"sub": "m-1", "exp": NOW_SECS - 120}), MEMBER_SECRET),
    );
    write(
        "jwt_token",
        "alg_none",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtLTEiLCJleHAiOjE4MDAwMDM2MDB9.",
    );
    write(
        "jwt_signed",
        "member",
        format!("{{\"alg\":\"HS256\",\"typ\":\"JWT\"}}\n{member}"),
    );
    write(
        "jwt_signed",
        "staff_kid",
        format!("{{\"alg\":\"HS256\",\"kid\":\"k1\"}}\n{staff}"),
    );
    write(
        "jwt_signed",
        "crit",
        format!("{{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}}\n{member}"),
    );
    write(
        "jwt_signed",
        "nbf_float_exp",
        "{\"alg\":\"HS256\"}\n{\"sub\":\"m-1\",\"exp\":1.8e9,\"nbf\":1}",
    );
    let event = r#"{"id":"evt-1","type":"order.paid","created_at":"2027-01-15T08:00:00Z","data":{"order_id":"o-1","member_id":"m-1","amount_fen":3980,"paid_at":"2027-01-15T08:00:00Z","lines":[{"sku":"sku-1","name":"维生素C","qty":2,"unit_price_fen":1990,"drug_class":"otc_b"}]}}"#;
    let sig = signature::sign(CORE_SECRETS[0], NOW_SECS, event.as_bytes());
    write("core_signature", "valid_event", format!("{sig}\n{event}"));
    let rotated = format!("{sig},v1={}", "ab".repeat(32));
    write("core_signature", "rotation", format!("{rotated}\n{event}"));
    write(
        "core_signature",
        "stale",
        format!("t=1,v1={}\n{{}}", "00".repeat(32)),
    );
    write(
        "core_signature",
        "poster",
        signature::poster_signature(PICKUP_SECRET, "camp-1", "store-1"),
    );
    let now_step = pickup::step_of(NOW_SECS);
    let binding = Binding {
        order_id: "ord_1",
        member_id: "mem-1",
        store_id: "store-1",
    };
    write(
        "pickup_code",
        "qr_current",
        pickup::qr_text(PICKUP_SECRET, &binding, now_step),
    );
    write(
        "pickup_code",
        "qr_stale",
        pickup::qr_text(PICKUP_SECRET, &binding, now_step - 5),
    );
    let order_secret = pickup::order_totp_secret(PICKUP_SECRET, "ord_1");
    write(
        "pickup_code",
        "short_current",
        pickup::short_code(&order_secret, now_step),
    );
    write("pickup_code", "short_wrong", "000000");
    write("pickup_code", "step_bytes", now_step.to_le_bytes());
    for (name, code) in [
        ("plain", "7K3M9QX2"),
        ("typed", "7k3m-9qx2"),
        ("glued", "7K3M9QX2，快来"),
        ("lookalikes", "ILO0ilo0"),
    ] {
        write("share_code", name, code);
    }
    for (name, value) in [
        ("plain", "application/json"),
        ("charset", "application/json; charset=UTF-8"),
        ("quoted", "Application/JSON;charset=\"utf-8\""),
        ("jsonx", "application/jsonx"),
        ("plus_json", "application/problem+json"),
        ("latin1", "application/json; charset=latin1"),
    ] {
        write("content_type", name, value);
    }
    let bodies = [
        ("checkin", "{}".to_string()),
        ("makeup", r#"{"date":"2027-01-10"}"#.to_string()),
        ("claim_poster", r#"{"store_id":"store-1","poster_sig":"0123456789abcdef0123456789abcdef"}"#.to_string()),
        ("order", r#"{"store_id":"store-1","fulfilment":"pickup","lines":[{"sku":"sku-1","qty":2,"unit_price_fen":1990}],"coupon_id":"cpn_1"}"#.to_string()),
        ("order_rx", r#"{"store_id":"store-1","fulfilment":"delivery","lines":[{"sku":"rx-1","qty":1}],"prescription_id":"rx_9"}"#.to_string()),
        ("verify_qr", format!("{{\"code\":\"{}\"}}", pickup::qr_text(PICKUP_SECRET, &binding, now_step))),
        ("verify_short", r#"{"order_id":"ord_1","short_code":"123456"}"#.to_string()),
        ("patch", r#"{"status":"paused","ends_at":"2027-02-01T00:00:00Z","add_stock":100}"#.to_string()),
        ("campaign", r#"{"id":"camp-1","name":"新客满减","kind":"coupon","starts_at":"2027-01-01T00:00:00Z","ends_at":"2027-02-01T00:00:00Z","stock":2000,"coupon":{"type":"threshold","value_fen":1000,"min_spend_fen":5000,"valid_days":7},"limits":{"per_member":1,"per_member_per_day":1},"audience":{"new_members_within_days":30,"tiers":["silver"]},"rules_text":"每人限领一张","shards":2}"#.to_string()),
        ("event", event.to_string()),
        ("array", r#"["store-1","pickup",[]]"#.to_string()),
        ("overflow", r#"{"store_id":"s","fulfilment":"pickup","lines":[{"sku":"a","qty":99999999999999999999,"unit_price_fen":355.0}]}"#.to_string()),
        ("catalog", r#"{"batch_id":"b-1","items":[{"sku":"sku-1","name":"维生素C","drug_class":"otc_b","price_fen":1990,"version":1,"status":"on_sale","max_qty_per_order":5},{"sku":"rx-1","name":"阿莫西林","drug_class":"rx","price_fen":3500,"version":2,"category":"抗生素","status":"stopped"}]}"#.to_string()),
        ("catalog_status", r#"{"status":"stopped","reason":"药监局通知 CR-22"}"#.to_string()),
    ];
    for (name, body) in bodies {
        write("json_bodies", name, body);
    }
    for (name, seed, _) in pricing_seeds() {
        write("catalog_pricing", name, seed);
    }
}

/// A catalogue item in the `catalog_pricing` input: class index (0 rx .. 6 special), flags
/// (`% 5 == 0` stopped, `% 3 == 0` limited to `1 + max`), price in fen, version.
fn pricing_item(class: u8, flags: u8, price_fen: u32, version: u8, max: u8) -> Vec<u8> {
    let mut item = vec![class, flags, 4];
    item.extend(price_fen.to_le_bytes());
    item.push(version);
    if flags.is_multiple_of(3) {
        item.push(max);
    }
    item
}

/// A line: which item (`items` = unknown), quantity 1 to 12, and the price shown (`None`: not
/// sent, `Some(None)`: the catalogue's, `Some(Some(p))`: p).
fn pricing_line(pick: u8, qty: u8, shown: Option<Option<u32>>) -> Vec<u8> {
    let mut line = vec![pick, 2, qty - 1];
    match shown {
        None => line.push(2),
        Some(None) => line.push(0),
        Some(Some(price)) => {
            line.extend([1, 4]);
            line.extend(price.to_le_bytes());
        }
    }
    line
}

fn pricing_seed(items: &[Vec<u8>], lines: &[Vec<u8>], discount: &[u8]) -> Vec<u8> {
    let mut seed = vec![items.len() as u8 - 1];
    seed.extend(items.concat());
    seed.push(lines.len() as u8);
    seed.extend(lines.concat());
    seed.extend(discount);
    seed
}

/// The `catalog_pricing` seeds, each with the outcome it reaches (so each stays meaningful).
fn pricing_seeds() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let coupon = |fen: u32| [[1].as_slice(), &fen.to_le_bytes()].concat();
    let cart = [
        pricing_item(2, 1, 1990, 3, 0),
        pricing_item(0, 1, 3500, 1, 0),
        pricing_item(3, 1, 9000, 7, 0),
    ];
    let cart_lines = [
        pricing_line(0, 2, Some(None)),
        pricing_line(1, 1, None),
        pricing_line(2, 1, None),
    ];
    vec![
        (
            "priced_with_coupon",
            pricing_seed(&cart, &cart_lines, &coupon(1_000)),
            "priced",
        ),
        (
            "discount_over_total",
            pricing_seed(
                &cart,
                &cart_lines,
                &[0, 255, 255, 255, 255, 255, 255, 255, 127],
            ),
            "priced",
        ),
        (
            "negative_discount",
            pricing_seed(&cart, &cart_lines, &[0, 0, 0, 0, 0, 0, 0, 0, 128]),
            "priced",
        ),
        (
            "rx_only",
            pricing_seed(&cart[1..2], &[pricing_line(0, 3, None)], &coupon(500)),
            "priced",
        ),
        (
            "restricted",
            pricing_seed(
                &[pricing_item(6, 1, 2000, 1, 0)],
                &[pricing_line(0, 1, None)],
                &coupon(0),
            ),
            "restricted",
        ),
        (
            "stopped",
            pricing_seed(
                &[pricing_item(2, 5, 990, 2, 0)],
                &[pricing_line(0, 1, None)],
                &coupon(0),
            ),
            "stopped",
        ),
        (
            "split_over_limit",
            pricing_seed(
                &[pricing_item(2, 3, 500, 1, 4)],
                &[pricing_line(0, 3, None), pricing_line(0, 3, None)],
                &coupon(100),
            ),
            "quantity_limit",
        ),
        (
            "price_changed",
            pricing_seed(&cart, &[pricing_line(0, 1, Some(Some(1)))], &coupon(100)),
            "price_changed",
        ),
        (
            "unknown_sku",
            pricing_seed(
                &cart,
                &[pricing_line(0, 1, None), pricing_line(3, 1, None)],
                &coupon(100),
            ),
            "unknown_sku",
        ),
        (
            "no_lines",
            pricing_seed(&cart, &[], &coupon(100)),
            "invalid",
        ),
    ]
}

#[test]
fn each_pricing_seed_reaches_its_outcome() {
    for (name, seed, outcome) in pricing_seeds() {
        let committed = std::fs::read(corpus_dir("catalog_pricing").join(name)).unwrap();
        assert_eq!(committed, seed, "{name}: regenerate with write_seeds");
        let input = targets::pricing_input(&seed);
        let held = |sku: &str| input.items.iter().find(|item| item.sku == sku);
        let reached = match price_lines(&input.requests, held) {
            Ok(_) => "priced",
            Err(LineRefusal::Invalid(_)) => "invalid",
            Err(LineRefusal::UnknownSku { .. }) => "unknown_sku",
            Err(LineRefusal::Restricted { .. }) => "restricted",
            Err(LineRefusal::Stopped { .. }) => "stopped",
            Err(LineRefusal::QuantityLimit { .. }) => "quantity_limit",
            Err(LineRefusal::PriceChanged { .. }) => "price_changed",
        };
        assert_eq!(reached, outcome, "{name}");
    }
}

/// What the fuzzer found, kept fixed (the inputs are also seeds: `regress_*`).
#[test]
fn fuzz_findings_stay_fixed() {
    // A QR whose step is near i64::MIN overflowed `now_step - step` (a panic in debug builds).
    let binding = Binding {
        order_id: "ord_1",
        member_id: "mem-1",
        store_id: "store-1",
    };
    for step in [i64::MIN, i64::MIN + 1, i64::MAX] {
        let qr = pickup::qr_text(targets::PICKUP_SECRET, &binding, step);
        let scanned = pickup::parse_qr(&qr).unwrap();
        let verdict = pickup::verify_qr(targets::PICKUP_SECRET, &scanned, &binding, 60_000_000);
        assert!(verdict.is_err(), "step {step}");
    }
    // A header that is not UTF-8 inside an ignored field (`kid`) was accepted.
    let crash = std::fs::read(corpus_dir("jwt_signed").join("regress_kid_not_utf8")).unwrap();
    let header = &crash[..crash.iter().position(|&b| b == b'\n').unwrap()];
    assert!(std::str::from_utf8(header).is_err());
    targets::jwt_signed(&crash);
}
