//! ApiError's JSON form (`{"code": .., ...fields}`), kept in idempotency records and sent
//! between objects: every variant written and read back exactly as before it was written by
//! hand, in any key order.

use pharmedge::http::error::ApiError;
use serde_json::json;

fn samples() -> Vec<(ApiError, &'static str)> {
    let d = || "why".to_owned();
    vec![
        (
            ApiError::InvalidRequest { detail: d() },
            r#"{"code":"invalid_request","detail":"why"}"#,
        ),
        (ApiError::Unauthenticated, r#"{"code":"unauthenticated"}"#),
        (
            ApiError::InvalidToken { detail: d() },
            r#"{"code":"invalid_token","detail":"why"}"#,
        ),
        (
            ApiError::Forbidden { detail: d() },
            r#"{"code":"forbidden","detail":"why"}"#,
        ),
        (
            ApiError::InvalidSignature { detail: d() },
            r#"{"code":"invalid_signature","detail":"why"}"#,
        ),
        (ApiError::NotFound, r#"{"code":"not_found"}"#),
        (
            ApiError::MethodNotAllowed {
                allow: vec!["GET".into(), "POST".into()],
            },
            r#"{"code":"method_not_allowed","allow":["GET","POST"]}"#,
        ),
        (
            ApiError::PayloadTooLarge { limit_bytes: 65536 },
            r#"{"code":"payload_too_large","limit_bytes":65536}"#,
        ),
        (
            ApiError::UnsupportedMediaType,
            r#"{"code":"unsupported_media_type"}"#,
        ),
        (
            ApiError::RateLimited { retry_after_s: 7 },
            r#"{"code":"rate_limited","retry_after_s":7}"#,
        ),
        (
            ApiError::IdempotencyKeyReused,
            r#"{"code":"idempotency_key_reused"}"#,
        ),
        (
            ApiError::UnknownEvent { detail: d() },
            r#"{"code":"unknown_event","detail":"why"}"#,
        ),
        (
            ApiError::AlreadyCheckedIn {
                date: "2026-04-01".into(),
            },
            r#"{"code":"already_checked_in","date":"2026-04-01"}"#,
        ),
        (
            ApiError::MakeupNotAllowed {
                reason: "future".into(),
                detail: d(),
            },
            r#"{"code":"makeup_not_allowed","reason":"future","detail":"why"}"#,
        ),
        (
            ApiError::InsufficientPoints {
                balance: -3,
                required: 20,
            },
            r#"{"code":"insufficient_points","balance":-3,"required":20}"#,
        ),
        (
            ApiError::MakeupLimit { limit: 2 },
            r#"{"code":"makeup_limit","limit":2}"#,
        ),
        (
            ApiError::RequestInProgress,
            r#"{"code":"request_in_progress"}"#,
        ),
        (
            ApiError::CampaignNotFound,
            r#"{"code":"campaign_not_found"}"#,
        ),
        (ApiError::CampaignExists, r#"{"code":"campaign_exists"}"#),
        (
            ApiError::InvalidCampaign { detail: d() },
            r#"{"code":"invalid_campaign","detail":"why"}"#,
        ),
        (
            ApiError::NonCompliantReward { detail: d() },
            r#"{"code":"non_compliant_reward","detail":"why"}"#,
        ),
        (
            ApiError::InvalidTransition { detail: d() },
            r#"{"code":"invalid_transition","detail":"why"}"#,
        ),
        (
            ApiError::PreconditionFailed {
                current_etag: "\"r3\"".into(),
            },
            r#"{"code":"precondition_failed","current_etag":"\"r3\""}"#,
        ),
        (
            ApiError::PreconditionRequired { detail: d() },
            r#"{"code":"precondition_required","detail":"why"}"#,
        ),
        (
            ApiError::CampaignNotStarted {
                next_occurrence: None,
            },
            r#"{"code":"campaign_not_started"}"#,
        ),
        (
            ApiError::CampaignNotStarted {
                next_occurrence: Some(json!({"starts_at": "2026-04-02T00:00:00Z", "n": 2})),
            },
            r#"{"code":"campaign_not_started","next_occurrence":{"n":2,"starts_at":"2026-04-02T00:00:00Z"}}"#,
        ),
        (ApiError::CampaignEnded, r#"{"code":"campaign_ended"}"#),
        (ApiError::CampaignPaused, r#"{"code":"campaign_paused"}"#),
        (ApiError::SoldOut, r#"{"code":"sold_out"}"#),
        (
            ApiError::ClaimLimitReached {
                limit: "per_member".into(),
            },
            r#"{"code":"claim_limit_reached","limit":"per_member"}"#,
        ),
        (
            ApiError::NotEligible {
                reason: "tier".into(),
            },
            r#"{"code":"not_eligible","reason":"tier"}"#,
        ),
        (
            ApiError::InvalidPosterSignature,
            r#"{"code":"invalid_poster_signature"}"#,
        ),
        (ApiError::OrderNotFound, r#"{"code":"order_not_found"}"#),
        (
            ApiError::RestrictedDrug { detail: d() },
            r#"{"code":"restricted_drug","detail":"why"}"#,
        ),
        (
            ApiError::UnknownSku {
                detail: d(),
                line: None,
            },
            r#"{"code":"unknown_sku","detail":"why"}"#,
        ),
        (
            ApiError::UnknownSku {
                detail: d(),
                line: Some(3),
            },
            r#"{"code":"unknown_sku","detail":"why","line":3}"#,
        ),
        (
            ApiError::SkuStopped { detail: d() },
            r#"{"code":"sku_stopped","detail":"why"}"#,
        ),
        (
            ApiError::QuantityLimit {
                detail: d(),
                max: 5,
            },
            r#"{"code":"quantity_limit","detail":"why","max":5}"#,
        ),
        (
            ApiError::PriceChanged {
                lines: vec![json!({"sku": "s-1", "unit_price_fen": 1200}), json!(null)],
            },
            r#"{"code":"price_changed","lines":[{"sku":"s-1","unit_price_fen":1200},null]}"#,
        ),
        (
            ApiError::PrescriptionRequired,
            r#"{"code":"prescription_required"}"#,
        ),
        (
            ApiError::PrescriptionInvalid {
                reason: "expired".into(),
                detail: d(),
            },
            r#"{"code":"prescription_invalid","reason":"expired","detail":"why"}"#,
        ),
        (
            ApiError::CouponUnavailable { detail: d() },
            r#"{"code":"coupon_unavailable","detail":"why"}"#,
        ),
        (
            ApiError::CouponNotApplicable { detail: d() },
            r#"{"code":"coupon_not_applicable","detail":"why"}"#,
        ),
        (ApiError::InvalidCode, r#"{"code":"invalid_code"}"#),
        (ApiError::CodeExpired, r#"{"code":"code_expired"}"#),
        (ApiError::WrongStore, r#"{"code":"wrong_store"}"#),
        (
            ApiError::AlreadyPickedUp {
                verified_at: "2026-04-01T02:00:00Z".into(),
                verified_by: "staff-1".into(),
            },
            r#"{"code":"already_picked_up","verified_at":"2026-04-01T02:00:00Z","verified_by":"staff-1"}"#,
        ),
        (
            ApiError::NotReady {
                order_status: "paid".into(),
            },
            r#"{"code":"not_ready","order_status":"paid"}"#,
        ),
        (
            ApiError::PharmacistRequired,
            r#"{"code":"pharmacist_required"}"#,
        ),
        (ApiError::PickupExpired, r#"{"code":"pickup_expired"}"#),
        (
            ApiError::ExchangeCapReached {
                cap_fen: 5000,
                used_fen: 4800,
            },
            r#"{"code":"exchange_cap_reached","cap_fen":5000,"used_fen":4800}"#,
        ),
        (ApiError::MemberErased, r#"{"code":"member_erased"}"#),
        (ApiError::Unavailable, r#"{"code":"unavailable"}"#),
        (ApiError::Internal, r#"{"code":"internal"}"#),
    ]
}

#[test]
fn every_variant_is_written_as_before() {
    for (error, text) in samples() {
        assert_eq!(serde_json::to_string(&error).unwrap(), text);
    }
}

#[test]
fn every_variant_reads_back_in_any_key_order() {
    for (error, text) in samples() {
        assert_eq!(
            serde_json::from_str::<ApiError>(text).unwrap(),
            error,
            "{text}"
        );
        // A Value sorts its keys: `code` is no longer first.
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            serde_json::from_value::<ApiError>(value.clone()).unwrap(),
            error
        );
        let sorted = serde_json::to_string(&value).unwrap();
        assert_eq!(
            serde_json::from_str::<ApiError>(&sorted).unwrap(),
            error,
            "{sorted}"
        );
    }
}

#[test]
fn the_code_is_the_serde_tag() {
    for (error, text) in samples() {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(error.code(), value["code"].as_str().unwrap());
    }
}

#[test]
fn unknown_fields_are_ignored_and_bad_ones_refused() {
    let read: ApiError =
        serde_json::from_str(r#"{"code":"not_ready","order_status":"paid","extra":[1]}"#).unwrap();
    assert_eq!(
        read,
        ApiError::NotReady {
            order_status: "paid".into()
        }
    );
    let read: ApiError = serde_json::from_str(r#"{"code":"sold_out","detail":"x"}"#).unwrap();
    assert_eq!(read, ApiError::SoldOut);
    // An optional field may be null, as the derive read it.
    let read: ApiError =
        serde_json::from_str(r#"{"code":"unknown_sku","detail":"x","line":null}"#).unwrap();
    assert_eq!(
        read,
        ApiError::UnknownSku {
            detail: "x".into(),
            line: None
        }
    );
    let read: ApiError =
        serde_json::from_str(r#"{"code":"campaign_not_started","next_occurrence":null}"#).unwrap();
    assert_eq!(
        read,
        ApiError::CampaignNotStarted {
            next_occurrence: None
        }
    );
    for text in [
        r#"{"code":"no_such_code"}"#,
        r#"{"detail":"x"}"#,
        r#"{"code":"not_ready"}"#,
        r#"{"code":"not_ready","order_status":7}"#,
        r#"{"code":"insufficient_points","balance":"3","required":5}"#,
        r#"{"code":"payload_too_large","limit_bytes":-1}"#,
        r#"{"code":"rate_limited","retry_after_s":4294967296}"#,
        r#"{"code":"unknown_sku","detail":"x","line":"1"}"#,
        r#"{"code":7}"#,
        r#""sold_out""#,
    ] {
        assert!(
            serde_json::from_str::<ApiError>(text).is_err(),
            "{text} decoded"
        );
    }
}
