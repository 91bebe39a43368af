//! In-store pickup codes (到店自提/核销), pure.
//!
//! - The **QR text** rotates every 30 s: `PE1.<order_id>.<step>.<mac>`, where the MAC is
//!   HMAC-SHA256 with a server secret over order, member, store and time step, so a code cannot
//!   be forged, moved to another order or member, or replayed after it goes stale.
//! - The **short code** a clerk can type is an RFC 6238 TOTP (HMAC-SHA256, 30 s steps,
//!   6 digits) from a per-order secret (`order_totp_secret`), typed with the order id.
//!
//! Both accept the current and the previous step only.

use super::rules::PickupRules;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const STEP_SECS: i64 = 30;
pub const SHORT_CODE_DIGITS: u32 = 6;
const QR_PREFIX: &str = "PE1";
/// Bytes of MAC kept in the QR text (128 bits).
const QR_MAC_BYTES: usize = 16;

/// The 30-second time step of a unix time.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// RFC 6238 TOTP with HMAC-SHA256: dynamic truncation (RFC 4226 §5.3) of the MAC of the
/// big-endian step counter, modulo 10^digits.
pub fn totp(secret: &[u8], step: i64, digits: u32) -> u32 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    binary % 10_u32.pow(digits)
}

/// The per-order TOTP secret: HMAC-SHA256 of the order id under the server's pickup secret.
/// Unique per order, never stored or shown, and the same after a restart.
pub fn order_totp_secret(server_secret: &[u8], order_id: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(server_secret).expect("HMAC takes keys of any length");
    mac.update(b"pickup.totp.v1\n");
    mac.update(order_id.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The short code as typed: zero-padded to its digits.
pub fn short_code(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        totp(secret, step, SHORT_CODE_DIGITS),
        width = SHORT_CODE_DIGITS as usize
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// 422 invalid_code: malformed, forged, or for another order.
    Invalid,
    /// 410 code_expired: genuine but older than the previous step.
    Expired,
}

/// Checks a typed short code against the current and previous step, in constant time per
/// candidate. A 6-digit code alone is guessable, so callers must throttle attempts.
pub fn verify_short_code(secret: &[u8], typed: &str, now_step: i64) -> Result<(), CodeRefusal> {
    if typed.len() != SHORT_CODE_DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeRefusal::Invalid);
    }
    let mut matched = false;
    for step in [now_step, now_step - 1] {
        matched |= constant_time_eq(short_code(secret, step).as_bytes(), typed.as_bytes());
    }
    if matched {
        Ok(())
    } else {
        Err(CodeRefusal::Invalid)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a pickup QR code binds together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    pub order_id: &'a str,
    pub member_id: &'a str,
    pub store_id: &'a str,
}

fn qr_mac(secret: &[u8], binding: &Binding<'_>, step: i64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in [
        "pickup.v1",
        binding.order_id,
        binding.member_id,
        binding.store_id,
        &step.to_string(),
    ] {
        mac.update(part.as_bytes());
        mac.update(b"\n");
    }
    mac
}

/// The text encoded in the QR code for `step`.
pub fn qr_text(secret: &[u8], binding: &Binding<'_>, step: i64) -> String {
    let digest = qr_mac(secret, binding, step).finalize().into_bytes();
    let mac = URL_SAFE_NO_PAD.encode(&digest[..QR_MAC_BYTES]);
    format!("{QR_PREFIX}.{}.{step}.{mac}", binding.order_id)
}

/// The order id and step a QR text claims, before anything is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedQr {
    pub order_id: String,
    pub step: i64,
    mac: Vec<u8>,
}

pub fn parse_qr(text: &str) -> Result<ScannedQr, CodeRefusal> {
    let mut parts = text.trim().split('.');
    let (Some(QR_PREFIX), Some(order_id), Some(step), Some(mac), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(CodeRefusal::Invalid);
    };
    if !super::ids::is_valid_id(order_id) {
        return Err(CodeRefusal::Invalid);
    }
    let step: i64 = step.parse().map_err(|_| CodeRefusal::Invalid)?;
    let mac = URL_SAFE_NO_PAD
        .decode(mac)
        .map_err(|_| CodeRefusal::Invalid)?;
    if mac.len() != QR_MAC_BYTES {
        return Err(CodeRefusal::Invalid);
    }
    Ok(ScannedQr {
        order_id: order_id.to_owned(),
        step,
        mac,
    })
}

/// Verifies a scanned QR against the order it names: the MAC first (a forgery is invalid
/// whatever its step), then the step (current or previous; older is expired, newer invalid).
pub fn verify_qr(
    secret: &[u8],
    scanned: &ScannedQr,
    binding: &Binding<'_>,
    now_step: i64,
) -> Result<(), CodeRefusal> {
    if scanned.order_id != binding.order_id {
        return Err(CodeRefusal::Invalid);
    }
    qr_mac(secret, binding, scanned.step)
        .verify_truncated_left(&scanned.mac)
        .map_err(|_| CodeRefusal::Invalid)?;
    // checked: the step is text from the scan (found by the fuzzer: `i64::MIN` overflowed).
    match now_step.checked_sub(scanned.step) {
        Some(0 | 1) => Ok(()),
        Some(delta) if delta > 1 => Err(CodeRefusal::Expired),
        _ => Err(CodeRefusal::Invalid),
    }
}

/// Why a verification at the counter is refused. Each maps to its own stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyRefusal {
    InvalidCode,
    CodeExpired,
    WrongStore,
    AlreadyPickedUp {
        verified_at_ms: i64,
        verified_by: String,
    },
    NotReady {
        status: &'static str,
    },
    PickupExpired,
    PharmacistRequired,
}

/// What the order knows when a code is presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupFacts<'a> {
    pub status: super::order::OrderStatus,
    pub store_id: &'a str,
    pub has_rx: bool,
    pub deadline_ms: Option<i64>,
    /// When and by whom it was picked up, if it was.
    pub verified: Option<(i64, &'a str)>,
}

/// Whether the goods can leave now, as far as the order goes (not who asks, nor with what
/// code): not already picked up, ready, and before the deadline. Also decides whether the
/// member is shown a code at all.
pub fn handover_open(facts: &PickupFacts<'_>, now_ms: i64) -> Result<(), VerifyRefusal> {
    use super::order::OrderStatus;
    if let Some((verified_at_ms, verified_by)) = facts.verified {
        return Err(VerifyRefusal::AlreadyPickedUp {
            verified_at_ms,
            verified_by: verified_by.to_owned(),
        });
    }
    if facts.status != OrderStatus::ReadyForPickup {
        return Err(VerifyRefusal::NotReady {
            status: facts.status.as_str(),
        });
    }
    if facts.deadline_ms.is_some_and(|deadline| now_ms >= deadline) {
        return Err(VerifyRefusal::PickupExpired);
    }
    Ok(())
}

/// When a ready order must be picked up by: the core's deadline if it sent one, else
/// `deadline_days` after it became ready.
pub fn pickup_deadline(
    ready_at: DateTime<Utc>,
    given: Option<DateTime<Utc>>,
    deadline_days: i64,
) -> DateTime<Utc> {
    given.unwrap_or(ready_at + Duration::days(deadline_days))
}

/// The code shown at `unix_secs`: its step, and when it is replaced and stops being accepted
/// (it is accepted during its own step and the next).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeWindow {
    pub step: i64,
    pub refresh_in_s: i64,
    pub valid_for_s: i64,
    pub expires_at_s: i64,
}

pub fn code_window(unix_secs: i64) -> CodeWindow {
    let step = step_of(unix_secs);
    let next_step_s = (step + 1) * STEP_SECS;
    let expires_at_s = next_step_s + STEP_SECS;
    CodeWindow {
        step,
        refresh_in_s: next_step_s - unix_secs,
        valid_for_s: expires_at_s - unix_secs,
        expires_at_s,
    }
}

/// The counter's brute-force gate: `Err(retry_after_s)` while this staff member (`mine`) or
/// the store as a whole (`all`) has had too many wrong codes in its window.
pub fn counter_gate(
    rules: &PickupRules,
    mine: &[i64],
    all: &[i64],
    now_ms: i64,
) -> Result<(), u32> {
    rules
        .per_staff
        .check(mine, now_ms)
        .and_then(|()| rules.per_store.check(all, now_ms))
}

/// Who is at the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verifier<'a> {
    pub store_id: &'a str,
    pub is_pharmacist: bool,
}

/// Decides a verification, in the order a clerk needs the answers: an inauthentic code says
/// nothing about the order; an authentic one first says whether this is the right counter,
/// then whether the goods already left, can leave, or may leave with this clerk. A stale but
/// authentic QR is refused after the order's own state, so a clerk rescanning a finished
/// pickup learns when and by whom it was done.
pub fn decide_verification(
    code: Result<(), CodeRefusal>,
    facts: &PickupFacts<'_>,
    verifier: Verifier<'_>,
    now_ms: i64,
) -> Result<(), VerifyRefusal> {
    if code == Err(CodeRefusal::Invalid) {
        return Err(VerifyRefusal::InvalidCode);
    }
    if facts.store_id != verifier.store_id {
        return Err(VerifyRefusal::WrongStore);
    }
    handover_open(facts, now_ms)?;
    if code == Err(CodeRefusal::Expired) {
        return Err(VerifyRefusal::CodeExpired);
    }
    if facts.has_rx && !verifier.is_pharmacist {
        return Err(VerifyRefusal::PharmacistRequired);
    }
    Ok(())
}

/// Renders `text` as a QR code in SVG (error correction M, quiet zone of 4 modules).
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcode::render::svg;
    use qrcode::{EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(264, 264)
            .quiet_zone(true)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}
