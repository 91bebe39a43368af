//! Tokens and signatures: HS256 only, time claims with leeway, t=..,v1=.. signatures.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pharmedge::http::jwt::{self, JwtError, Role};
use pharmedge::http::signature::{self, SignatureError};
use serde_json::json;

const SECRET: &[u8] = b"member-secret-for-tests-0000000000";
const NOW: i64 = 1_800_000_000;

fn token(claims: serde_json::Value) -> String {
    jwt::sign(&claims, SECRET)
}

fn forge(header: &str, claims: serde_json::Value, signature: &str) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature
    )
}

#[test]
fn a_good_member_token_verifies() {
    let claims = jwt::verify_member(
        &token(json!({"sub": "m1", "exp": NOW + 60, "reg": 1, "rn": true})),
        SECRET,
        NOW,
    )
    .unwrap();
    assert_eq!(claims.sub.as_str(), "m1");
    assert_eq!(claims.reg, Some(1));
    assert!(claims.rn);
}

#[test]
fn every_bad_token_variant_is_refused_with_its_reason() {
    let good_claims = json!({"sub": "m1", "exp": NOW + 600});
    let valid = token(good_claims.clone());
    let signature = valid.rsplit('.').next().unwrap();
    let cases: Vec<(String, JwtError)> = vec![
        (
            forge(r#"{"alg":"none","typ":"JWT"}"#, good_claims.clone(), ""),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            forge(
                r#"{"alg":"RS256","typ":"JWT"}"#,
                good_claims.clone(),
                signature,
            ),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            forge(r#"{"alg":"hs256"}"#, good_claims.clone(), signature),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            jwt::sign(&good_claims, b"another-secret-entirely-000000000"),
            JwtError::BadSignature,
        ),
        (
            token(json!({"sub": "m1", "exp": NOW - 61})),
            JwtError::Expired,
        ),
        (
            token(json!({"sub": "m1", "exp": NOW + 600, "nbf": NOW + 61})),
            JwtError::NotYetValid,
        ),
        (
            token(json!({"sub": "m1"})),
            JwtError::InvalidClaims("exp is required and must be an integer"),
        ),
        ("garbage".into(), JwtError::Malformed),
        ("a.b.c.d".into(), JwtError::Malformed),
        (format!("{valid}x"), JwtError::BadSignature),
        ("x".repeat(5000), JwtError::Malformed),
    ];
    for (index, (candidate, expected)) in cases.into_iter().enumerate() {
        assert_eq!(
            jwt::verify(&candidate, SECRET, NOW).unwrap_err(),
            expected,
            "case {index}"
        );
    }
    // A signature over other claims does not carry over (tampered payload).
    let tampered = forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        json!({"sub": "admin", "exp": NOW + 600}),
        signature,
    );
    assert_eq!(
        jwt::verify(&tampered, SECRET, NOW).unwrap_err(),
        JwtError::BadSignature
    );
}

#[test]
fn leeway_is_sixty_seconds() {
    assert!(jwt::verify(&token(json!({"sub": "m", "exp": NOW - 60})), SECRET, NOW).is_ok());
    assert!(jwt::verify(
        &token(json!({"sub": "m", "exp": NOW + 10, "nbf": NOW + 60})),
        SECRET,
        NOW
    )
    .is_ok());
}

#[test]
fn member_tokens_need_a_valid_sub() {
    for claims in [
        json!({"exp": NOW + 60}),
        json!({"sub": 5, "exp": NOW + 60}),
        json!({"sub": "a b", "exp": NOW + 60}),
    ] {
        assert!(matches!(
            jwt::verify_member(&token(claims), SECRET, NOW),
            Err(JwtError::InvalidClaims(_))
        ));
    }
}

#[test]
fn staff_tokens_need_a_role_and_store_staff_a_store() {
    let ok = jwt::verify_staff(
        &token(json!({"sub": "s1", "role": "clerk", "store": "st1", "exp": NOW + 60})),
        SECRET,
        NOW,
    )
    .unwrap();
    assert_eq!((ok.role, ok.store.unwrap().as_str()), (Role::Clerk, "st1"));
    assert!(jwt::verify_staff(
        &token(json!({"sub": "s1", "role": "marketing", "exp": NOW + 60})),
        SECRET,
        NOW
    )
    .is_ok());
    assert!(jwt::verify_staff(
        &token(json!({"sub": "s1", "role": "clerk", "exp": NOW + 60})),
        SECRET,
        NOW
    )
    .is_err());
    assert!(jwt::verify_staff(
        &token(json!({"sub": "s1", "role": "root", "exp": NOW + 60})),
        SECRET,
        NOW
    )
    .is_err());
}

#[test]
fn signatures_verify_with_rotation_and_refuse_tampering_and_replay() {
    let body = br#"{"id":"e1"}"#;
    let header = signature::sign(b"current-secret", NOW, body);
    let secrets: [&[u8]; 2] = [b"current-secret", b"previous-secret"];
    assert_eq!(
        signature::verify(Some(&header), &secrets, body, NOW),
        Ok(())
    );
    // signed with the previous secret during a rotation
    let old = signature::sign(b"previous-secret", NOW, body);
    assert_eq!(signature::verify(Some(&old), &secrets, body, NOW), Ok(()));
    // several v1 entries: one matching is enough
    let v1 = header.split("v1=").nth(1).unwrap();
    let multi = format!("t={NOW},v1={},v1={v1}", "00".repeat(32));
    assert_eq!(signature::verify(Some(&multi), &secrets, body, NOW), Ok(()));
    assert_eq!(
        signature::verify(Some(&header), &secrets, br#"{"id":"e2"}"#, NOW),
        Err(SignatureError::Mismatch)
    );
    // 300 s either way is accepted, one second more is not (stale or from the future)
    for (now, expected) in [
        (NOW + 300, Ok(())),
        (NOW - 300, Ok(())),
        (NOW + 301, Err(SignatureError::Stale)),
        (NOW - 301, Err(SignatureError::Stale)),
    ] {
        assert_eq!(
            signature::verify(Some(&header), &secrets, body, now),
            expected
        );
    }
    assert_eq!(
        signature::verify(None, &secrets, body, NOW),
        Err(SignatureError::Missing)
    );
    for malformed in ["v1=abc", "t=now,v1=00", "t=1", "garbage", "t=1,v1=zz"] {
        assert_eq!(
            signature::verify(Some(malformed), &secrets, body, NOW),
            Err(SignatureError::Malformed),
            "{malformed}"
        );
    }
}
