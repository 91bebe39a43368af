//! The one error-to-HTTP mapping, and the route matcher's 404/405 distinction.

use pharmedge::http::error::ApiError;
use pharmedge::http::router::{resolve, Match, Route};

#[test]
fn problems_carry_status_code_type_and_variant_fields() {
    let problem = ApiError::MakeupNotAllowed {
        reason: "other_month".into(),
        detail: "x".into(),
    }
    .to_problem();
    assert_eq!(problem.status, 422);
    assert_eq!(problem.body["code"], "makeup_not_allowed");
    assert_eq!(
        problem.body["type"],
        "https://pharmedge.dev/problems/makeup_not_allowed"
    );
    assert_eq!(problem.body["reason"], "other_month");
    let limited = ApiError::RateLimited { retry_after_s: 7 }.to_problem();
    assert_eq!(
        (limited.status, limited.headers.clone()),
        (429, vec![("Retry-After", "7".to_string())])
    );
    let allow = ApiError::MethodNotAllowed {
        allow: vec!["GET".into(), "POST".into()],
    }
    .to_problem();
    assert_eq!(allow.headers, vec![("Allow", "GET, POST".to_string())]);
}

#[test]
fn internal_errors_reveal_nothing() {
    let problem = ApiError::Internal.to_problem();
    assert_eq!(problem.status, 500);
    assert_eq!(
        problem.body.as_object().unwrap().len(),
        5,
        "only the standard members"
    );
}

#[test]
fn every_status_matches_its_code_family() {
    let samples = [
        (ApiError::invalid("x"), 400, "invalid_request"),
        (ApiError::Unauthenticated, 401, "unauthenticated"),
        (
            ApiError::InvalidToken { detail: "x".into() },
            401,
            "invalid_token",
        ),
        (
            ApiError::InvalidSignature { detail: "x".into() },
            401,
            "invalid_signature",
        ),
        (
            ApiError::PayloadTooLarge { limit_bytes: 1 },
            413,
            "payload_too_large",
        ),
        (
            ApiError::UnsupportedMediaType,
            415,
            "unsupported_media_type",
        ),
        (
            ApiError::UnknownEvent { detail: "x".into() },
            422,
            "unknown_event",
        ),
        (
            ApiError::InsufficientPoints {
                balance: 1,
                required: 2,
            },
            409,
            "insufficient_points",
        ),
        (ApiError::MakeupLimit { limit: 2 }, 429, "makeup_limit"),
        (ApiError::OrderNotFound, 404, "order_not_found"),
        (ApiError::PrescriptionRequired, 422, "prescription_required"),
        (ApiError::InvalidCode, 422, "invalid_code"),
        (ApiError::CodeExpired, 410, "code_expired"),
        (ApiError::WrongStore, 403, "wrong_store"),
        (ApiError::PharmacistRequired, 403, "pharmacist_required"),
        (ApiError::PickupExpired, 410, "pickup_expired"),
        (
            ApiError::NotReady {
                order_status: "accepted".into(),
            },
            409,
            "not_ready",
        ),
    ];
    for (error, status, code) in samples {
        assert_eq!((error.status(), error.code()), (status, code.to_string()));
    }
}

#[test]
fn the_matcher_tells_404_from_405_and_binds_params() {
    let table = [
        Route {
            method: "GET",
            pattern: "/v1/campaigns/{id}",
            handler: 1,
        },
        Route {
            method: "POST",
            pattern: "/v1/campaigns/{id}/claims",
            handler: 2,
        },
        Route {
            method: "GET",
            pattern: "/v1/me",
            handler: 3,
        },
    ];
    match resolve(&table, "GET", "/v1/campaigns/c-1") {
        Match::Found(handler, params) => assert_eq!((*handler, params.get("id")), (1, Some("c-1"))),
        _ => panic!("expected a match"),
    }
    assert!(
        matches!(resolve(&table, "DELETE", "/v1/me"), Match::WrongMethod(ref m) if m == &["GET"])
    );
    assert!(matches!(
        resolve(&table, "GET", "/v1/campaigns/"),
        Match::NotFound
    ));
    assert!(matches!(resolve(&table, "GET", "/v1/me/"), Match::NotFound));
    assert!(matches!(
        resolve(&table, "GET", "/v1/campaigns/a/claims/b"),
        Match::NotFound
    ));
}

#[test]
fn a_trailing_rest_parameter_takes_the_rest_of_the_path() {
    let table = [Route {
        method: "GET",
        pattern: "/r/{code*}",
        handler: 1,
    }];
    for (path, rest) in [
        ("/r/AB12CD34", "AB12CD34"),
        ("/r/AB12CD34/", "AB12CD34/"),
        ("/r/AB12CD34/extra/bits", "AB12CD34/extra/bits"),
        ("/r/ab12cd34%E3%80%82", "ab12cd34%E3%80%82"),
    ] {
        match resolve(&table, "GET", path) {
            Match::Found(_, params) => assert_eq!(params.get("code"), Some(rest), "{path}"),
            _ => panic!("{path} should match"),
        }
    }
    assert!(matches!(resolve(&table, "GET", "/r/"), Match::NotFound));
    assert!(matches!(resolve(&table, "GET", "/r"), Match::NotFound));
    assert!(matches!(
        resolve(&table, "POST", "/r/AB12CD34"),
        Match::WrongMethod(_)
    ));
}

#[test]
fn refusals_map_once_to_their_codes() {
    use pharmedge::domain::coupon::NotApplicable;
    use pharmedge::domain::order::OrderRefusal;
    use pharmedge::domain::pickup::VerifyRefusal;
    let picked = ApiError::from(VerifyRefusal::AlreadyPickedUp {
        verified_at_ms: 1_800_000_000_000,
        verified_by: "clerk-1".into(),
    });
    let problem = picked.to_problem();
    assert_eq!(problem.status, 409);
    assert_eq!(problem.body["code"], "already_picked_up");
    assert_eq!(problem.body["verified_at"], "2027-01-15T08:00:00Z");
    assert_eq!(problem.body["verified_by"], "clerk-1");
    let restricted = ApiError::from(OrderRefusal::RestrictedDrug { line: 2 });
    assert_eq!(restricted.code(), "restricted_drug");
    assert!(restricted.to_problem().body["detail"]
        .as_str()
        .unwrap()
        .contains("lines[2]"));
    let below = ApiError::from(OrderRefusal::CouponNotApplicable(
        NotApplicable::BelowMinimumSpend {
            eligible_fen: 100,
            min_spend_fen: 19_900,
        },
    ));
    assert_eq!(
        (below.status(), below.code()),
        (422, "coupon_not_applicable".to_string())
    );
    assert_eq!(
        ApiError::from(VerifyRefusal::NotReady {
            status: "cancelled"
        })
        .to_problem()
        .body["order_status"],
        "cancelled"
    );
}

/// The one rule for what a keyed request keeps as its answer (claims, campaign PATCH, orders): a
/// decided refusal yes; anything worth retrying, or about the key or the caller, never.
#[test]
fn only_decided_refusals_are_kept_as_a_keys_answer() {
    let kept = [
        ApiError::SoldOut,
        ApiError::CampaignPaused,
        ApiError::CampaignEnded,
        ApiError::CampaignNotStarted {
            next_occurrence: None,
        },
        ApiError::ClaimLimitReached {
            limit: "per_member".into(),
        },
        ApiError::NotEligible {
            reason: "not_a_new_member".into(),
        },
        ApiError::PreconditionFailed {
            current_etag: "\"r2\"".into(),
        },
        ApiError::InvalidTransition { detail: "x".into() },
        ApiError::InvalidCampaign { detail: "x".into() },
        ApiError::invalid("x"),
        ApiError::UnknownSku {
            detail: "x".into(),
            line: Some(0),
        },
        ApiError::SkuStopped { detail: "x".into() },
        ApiError::RestrictedDrug { detail: "x".into() },
        ApiError::QuantityLimit {
            detail: "x".into(),
            max: 5,
        },
        ApiError::PriceChanged { lines: vec![] },
        ApiError::PrescriptionRequired,
        ApiError::PrescriptionInvalid {
            reason: "used".into(),
            detail: "x".into(),
        },
        ApiError::CouponUnavailable { detail: "x".into() },
        ApiError::CouponNotApplicable { detail: "x".into() },
    ];
    for error in &kept {
        assert!(
            error.is_final_refusal(),
            "{error:?} is the request's answer"
        );
    }
    let retried = [
        ApiError::Unavailable,
        ApiError::Internal,
        ApiError::RequestInProgress,
        ApiError::RateLimited { retry_after_s: 10 },
        ApiError::IdempotencyKeyReused,
        ApiError::CampaignNotFound,
        ApiError::PreconditionRequired { detail: "x".into() },
        ApiError::Unauthenticated,
    ];
    for error in &retried {
        assert!(!error.is_final_refusal(), "{error:?} is not kept");
    }
}
