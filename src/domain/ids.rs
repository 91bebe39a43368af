//! Identifier newtypes: a value of one of these types has passed validation
//! (`[A-Za-z0-9_-]{1,64}`), so the rest of the code cannot hold an invalid id.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

pub const MAX_ID_LEN: usize = 64;

/// True when `raw` is a valid external id: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn is_valid_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_ID_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId;

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must match [A-Za-z0-9_-]{1,64}")
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                if is_valid_id(raw) {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(InvalidId)
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::domain::parsed_str::deserialize_parsed(deserializer, |raw| {
                    $name::parse(raw).map_err(|_| format!("invalid id {raw:?}: {}", InvalidId))
                })
            }
        }
    };
}

id_type!(
    /// A pseudonymous member id, as issued by the core system.
    MemberId
);
id_type!(
    /// A staff member (clerk, pharmacist, marketing, admin).
    StaffId
);
id_type!(
    /// A physical store.
    StoreId
);
id_type!(
    /// A marketing campaign.
    CampaignId
);
id_type!(
    /// An order, placed at the edge or known from the core system.
    OrderId
);

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stable id derived from what identifies it: `<prefix>_` and the hex of the first
/// `bytes` bytes of SHA-256 over `parts` joined by newlines. The same parts always give the
/// same id, so a retried creation lands on the same row or object.
pub fn digest_id(prefix: &str, parts: &[&str], bytes: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(parts.join("\n").as_bytes());
    format!("{prefix}_{}", hex(&digest[..bytes.min(digest.len())]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet_up_to_64() {
        assert!(MemberId::parse("m_1-A").is_ok());
        assert!(MemberId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_empty_long_unicode_and_injection() {
        for bad in [
            "",
            &"a".repeat(65),
            "会员1",
            "a b",
            "a/b",
            "x' OR 1=1 --",
            "a\0b",
            "é",
        ] {
            assert!(MemberId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn deserialize_validates() {
        assert!(serde_json::from_str::<OrderId>("\"o-1\"").is_ok());
        assert!(serde_json::from_str::<OrderId>("\"o 1\"").is_err());
    }
}
