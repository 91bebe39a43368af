//! HS256 JSON Web Tokens, and nothing else: the algorithm is fixed by the server, never
//! taken from the token, so `none`, RS256 and friends are refused before any key is used.
//! Pure (no worker import) so it is tested natively.

use crate::domain::ids::{MemberId, StaffId, StoreId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;
/// Longer tokens are refused unparsed.
pub const MAX_TOKEN_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    Malformed,
    UnsupportedAlgorithm,
    /// A header parameter this server refuses (`crit`, a `typ` other than JWT).
    UnsupportedHeader(&'static str),
    BadSignature,
    Expired,
    NotYetValid,
    InvalidClaims(&'static str),
}

impl JwtError {
    /// A short reason safe to show to the caller (never echoes the token).
    pub fn reason(self) -> &'static str {
        match self {
            JwtError::Malformed => "token is not a well-formed JWT",
            JwtError::UnsupportedAlgorithm => "only HS256 tokens are accepted",
            JwtError::UnsupportedHeader(reason) => reason,
            JwtError::BadSignature => "token signature does not verify",
            JwtError::Expired => "token has expired",
            JwtError::NotYetValid => "token is not valid yet",
            JwtError::InvalidClaims(reason) => reason,
        }
    }
}

/// The JOSE header. Other parameters (`kid`, `jku`, ...) are ignored: the key is fixed by
/// the server. Duplicate names are refused (serde: duplicate field), which RFC 7515 §4 allows.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    /// Present at all (even `null` or `[]`): RFC 7515 §4.1.11 says a recipient that does not
    /// understand a listed extension must refuse the token, and this server understands none.
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// JSON text that is an object (header and claims must be; serde would read a struct from
/// an array).
fn is_object_text(json: &[u8]) -> bool {
    json.trim_ascii_start().first() == Some(&b'{')
}

/// The header's verdict, before any key is used.
fn check_header(header_json: &[u8]) -> Result<(), JwtError> {
    // UTF-8 checked first: serde_json skips an ignored field's string (`kid`) unchecked
    // (found by the fuzzer).
    if std::str::from_utf8(header_json).is_err() || !is_object_text(header_json) {
        return Err(JwtError::Malformed);
    }
    let header: Header = serde_json::from_slice(header_json).map_err(|_| JwtError::Malformed)?;
    // Case-sensitive, as in RFC 7518: `hs256` is not an algorithm name.
    if header.alg != "HS256" {
        return Err(JwtError::UnsupportedAlgorithm);
    }
    if header.crit {
        return Err(JwtError::UnsupportedHeader(
            "token header lists critical extensions (crit), none is supported",
        ));
    }
    // `typ` is optional; when present it must say JWT (RFC 7519 §5.1: compare case-
    // insensitively), so a token typed for another purpose (`at+jwt`, `JOSE`) is not taken.
    if header
        .typ
        .as_deref()
        .is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT"))
    {
        return Err(JwtError::UnsupportedHeader("token typ must be JWT"));
    }
    Ok(())
}

fn mac(secret: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length")
}

/// Verifies signature and time claims; returns the claims as JSON.
pub fn verify(token: &str, secret: &[u8], now_secs: i64) -> Result<serde_json::Value, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header_json = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| JwtError::Malformed)?;
    check_header(&header_json)?;
    let signature = URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| JwtError::Malformed)?;
    let mut expected = mac(secret);
    expected.update(header_b64.as_bytes());
    expected.update(b".");
    expected.update(claims_b64.as_bytes());
    // verify_slice compares in constant time.
    expected
        .verify_slice(&signature)
        .map_err(|_| JwtError::BadSignature)?;
    let claims_json = URL_SAFE_NO_PAD
        .decode(claims_b64)
        .map_err(|_| JwtError::Malformed)?;
    if !is_object_text(&claims_json) {
        return Err(JwtError::Malformed);
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&claims_json).map_err(|_| JwtError::Malformed)?;
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .ok_or(JwtError::InvalidClaims(
            "exp is required and must be an integer",
        ))?;
    if now_secs > exp.saturating_add(LEEWAY_SECS) {
        return Err(JwtError::Expired);
    }
    match claims.get("nbf") {
        None => {}
        Some(nbf) => {
            let nbf = nbf
                .as_i64()
                .ok_or(JwtError::InvalidClaims("nbf must be an integer"))?;
            if now_secs.saturating_add(LEEWAY_SECS) < nbf {
                return Err(JwtError::NotYetValid);
            }
        }
    }
    Ok(claims)
}

/// Signs claims as an HS256 JWT (used by tests and dev tooling).
pub fn sign(claims: &serde_json::Value, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut signer = mac(secret);
    signer.update(header.as_bytes());
    signer.update(b".");
    signer.update(body.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(signer.finalize().into_bytes());
    format!("{header}.{body}.{signature}")
}

/// The member behind a verified member token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberClaims {
    pub sub: MemberId,
    /// Registration time, unix seconds.
    #[serde(default)]
    pub reg: Option<i64>,
    /// Real-name verified.
    #[serde(default)]
    pub rn: bool,
    /// Device id (only ever stored as a keyed hash).
    #[serde(default)]
    pub dev: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Clerk,
    Pharmacist,
    Marketing,
    Admin,
}

/// The staff member behind a verified staff token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffClaims {
    pub sub: StaffId,
    pub role: Role,
    #[serde(default)]
    pub store: Option<StoreId>,
}

fn typed<T: for<'de> Deserialize<'de>>(
    claims: serde_json::Value,
    what: &'static str,
) -> Result<T, JwtError> {
    serde_json::from_value(claims).map_err(|_| JwtError::InvalidClaims(what))
}

pub fn verify_member(token: &str, secret: &[u8], now_secs: i64) -> Result<MemberClaims, JwtError> {
    let claims = verify(token, secret, now_secs)?;
    if !claims.get("sub").is_some_and(serde_json::Value::is_string) {
        return Err(JwtError::InvalidClaims("sub is required"));
    }
    typed(claims, "member claims are invalid (sub, reg, rn, dev)")
}

pub fn verify_staff(token: &str, secret: &[u8], now_secs: i64) -> Result<StaffClaims, JwtError> {
    let claims = verify(token, secret, now_secs)?;
    if !claims.get("sub").is_some_and(serde_json::Value::is_string) {
        return Err(JwtError::InvalidClaims("sub is required"));
    }
    let staff: StaffClaims = typed(claims, "staff claims are invalid (sub, role, store)")?;
    if matches!(staff.role, Role::Clerk | Role::Pharmacist) && staff.store.is_none() {
        return Err(JwtError::InvalidClaims("store is required for store staff"));
    }
    Ok(staff)
}
