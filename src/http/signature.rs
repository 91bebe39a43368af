//! `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` signatures: verified on
//! calls from the core system (`Core-Signature`), produced on deliveries to it
//! (`Edge-Signature`). Several `v1=` entries are allowed so a sender can rotate secrets.

use crate::domain::ids::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Stale,
    Mismatch,
}

impl SignatureError {
    pub fn reason(self) -> &'static str {
        match self {
            SignatureError::Missing => "Core-Signature header is missing",
            SignatureError::Malformed => "Core-Signature is not t=<seconds>,v1=<hex>",
            SignatureError::Stale => "signature timestamp is outside the 300 s tolerance",
            SignatureError::Mismatch => "no v1 signature matches the body",
        }
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn unhex(raw: &str) -> Option<Vec<u8>> {
    if !raw.len().is_multiple_of(2) || raw.len() > 256 {
        return None;
    }
    (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect()
}

fn parse_timestamp(raw: &str) -> Result<i64, SignatureError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed);
    }
    raw.parse().map_err(|_| SignatureError::Malformed)
}

/// The header value for `body` signed at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex(&digest))
}

/// Verifies a header against any of `secrets` (current and previous during a rotation).
pub fn verify(
    header: Option<&str>,
    secrets: &[&[u8]],
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            // One timestamp, plain digits: `+5`, `-5` or a second `t` would be signed text
            // other than what `mac` rebuilds from the number.
            "t" if timestamp.is_none() => timestamp = Some(parse_timestamp(value)?),
            "t" => return Err(SignatureError::Malformed),
            "v1" => candidates.push(unhex(value).ok_or(SignatureError::Malformed)?),
            _ => {} // unknown schemes are ignored, as with other webhook signatures
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() || candidates.len() > 8 {
        return Err(SignatureError::Malformed);
    }
    // abs_diff: a timestamp near i64::MIN must not overflow the subtraction.
    if now_secs.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        for candidate in &candidates {
            // verify_slice compares in constant time.
            if mac(secret, timestamp, body).verify_slice(candidate).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// The signature printed on a store poster's QR link (扫码领券): HMAC-SHA256 over the campaign
/// and store, first 16 bytes in hex, so an operator cannot be impersonated and a link for one
/// store cannot be edited into another's.
pub fn poster_signature(secret: &[u8], campaign_id: &str, store_id: &str) -> String {
    hex(&poster_mac(secret, campaign_id, store_id)
        .finalize()
        .into_bytes()[..16])
}

fn poster_mac(secret: &[u8], campaign_id: &str, store_id: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"poster.v1\n");
    mac.update(campaign_id.as_bytes());
    mac.update(b"\n");
    mac.update(store_id.as_bytes());
    mac
}

pub fn verify_poster_signature(
    secret: &[u8],
    campaign_id: &str,
    store_id: &str,
    signature: &str,
) -> bool {
    match unhex(signature) {
        // verify_truncated_left compares the first bytes in constant time.
        Some(given) if given.len() == 16 => poster_mac(secret, campaign_id, store_id)
            .verify_truncated_left(&given)
            .is_ok(),
        _ => false,
    }
}
