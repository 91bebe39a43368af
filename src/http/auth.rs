//! Who is calling: member and staff bearer tokens, and the core system's signature.

use super::error::ApiError;
use super::jwt::{self, JwtError, MemberClaims, Role, StaffClaims};
use super::request::Incoming;
use super::request::{header, wall_now};
use super::signature;
use crate::config::Config;

fn bearer(req: &Incoming) -> Result<String, ApiError> {
    let value = header(req, "Authorization").ok_or(ApiError::Unauthenticated)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::InvalidToken {
            detail: "expected Authorization: Bearer <token>".into(),
        })?;
    Ok(token.trim().to_owned())
}

fn invalid(err: JwtError) -> ApiError {
    ApiError::InvalidToken {
        detail: err.reason().into(),
    }
}

pub fn member(req: &Incoming, config: &Config) -> Result<MemberClaims, ApiError> {
    let token = bearer(req)?;
    jwt::verify_member(
        &token,
        config.member_jwt_secret.as_bytes(),
        wall_now().timestamp(),
    )
    .map_err(invalid)
}

/// A staff member whose role is one of `roles` (403 `forbidden` otherwise).
pub fn staff(req: &Incoming, config: &Config, roles: &[Role]) -> Result<StaffClaims, ApiError> {
    let token = bearer(req)?;
    let claims = jwt::verify_staff(
        &token,
        config.staff_jwt_secret.as_bytes(),
        wall_now().timestamp(),
    )
    .map_err(invalid)?;
    if !roles.contains(&claims.role) {
        return Err(ApiError::Forbidden {
            detail: "this role may not use this endpoint".into(),
        });
    }
    Ok(claims)
}

/// Verifies `Core-Signature` over the raw body.
pub fn core_signature(req: &Incoming, body: &[u8], config: &Config) -> Result<(), ApiError> {
    let secrets: Vec<&[u8]> = config
        .core_signing_secrets
        .iter()
        .map(String::as_bytes)
        .collect();
    signature::verify(
        header(req, "Core-Signature").as_deref(),
        &secrets,
        body,
        wall_now().timestamp(),
    )
    .map_err(|err| ApiError::InvalidSignature {
        detail: err.reason().into(),
    })
}
