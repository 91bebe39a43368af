//! Attribution (issue 13): where a member, a claim or an order came from, so the core can
//! compute conversion by channel, store and experiment bucket (seed 004: UTM tracking of
//! registrations and orders; 50/50 A/B, full launch above 15 % uplift).
//!
//! Only pseudonymous, bounded values are kept: UTM parameters are short tokens from a closed
//! alphabet (anything else is dropped, not stored), a store id, and a bucket derived from the
//! member id. Nothing here identifies a person.

use super::ids::is_valid_id;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The experiment `ab` in `/v1/me` buckets members for (seed 004: one 50/50 split at a
/// time; a new experiment gets a new name, and so an independent split).
pub const MEMBER_EXPERIMENT: &str = "growth-1";

/// The longest UTM value kept.
pub const MAX_UTM_LEN: usize = 64;

/// Where something arrived from, as the link that brought it said. In a request body,
/// unknown keys are refused and every value must be well formed (`check`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
}

/// A UTM value worth keeping: 1-64 of `[A-Za-z0-9_.-]`. Others (free text, personal data
/// pasted into a link, markup) are dropped.
pub fn clean_utm(raw: &str) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_UTM_LEN
        && raw
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'));
    ok.then(|| raw.to_owned())
}

impl Attribution {
    /// From query pairs (`utm_source`, `utm_medium`, `utm_campaign`, `store`), keeping only
    /// well-formed values; the first of a repeated key wins.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut found = Attribution::default();
        for (key, value) in pairs {
            let slot = match key {
                "utm_source" => &mut found.utm_source,
                "utm_medium" => &mut found.utm_medium,
                "utm_campaign" => &mut found.utm_campaign,
                "store" => {
                    if found.store_id.is_none() && is_valid_id(value) {
                        found.store_id = Some(value.to_owned());
                    }
                    continue;
                }
                _ => continue,
            };
            if slot.is_none() {
                *slot = clean_utm(value);
            }
        }
        found
    }

    /// For an attribution sent in a body: each UTM value 1-64 of `[A-Za-z0-9_.-]`, the store
    /// an id; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        for (key, value) in [
            ("utm_source", &self.utm_source),
            ("utm_medium", &self.utm_medium),
            ("utm_campaign", &self.utm_campaign),
        ] {
            if let Some(value) = value {
                if clean_utm(value).is_none() {
                    return Err(format!(
                        "attribution.{key}: 1 to {MAX_UTM_LEN} of [A-Za-z0-9_.-]"
                    ));
                }
            }
        }
        match &self.store_id {
            Some(store) if !is_valid_id(store) => {
                Err("attribution.store_id: must match [A-Za-z0-9_-]{1,64}".into())
            }
            _ => Ok(()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Attribution::default()
    }

    /// The UTM pairs a link the edge issues carries, in a fixed order.
    pub fn utm_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("utm_source", &self.utm_source),
            ("utm_medium", &self.utm_medium),
            ("utm_campaign", &self.utm_campaign),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|value| (key, value)))
        .collect()
    }
}

/// The tag every link the edge issues carries: source, medium and campaign.
pub fn link_tag(source: &str, medium: &str, campaign: &str) -> Attribution {
    Attribution {
        utm_source: clean_utm(source),
        utm_medium: clean_utm(medium),
        utm_campaign: clean_utm(campaign),
        store_id: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Bucket {
    A,
    B,
}

/// The member's experiment bucket for `experiment`: deterministic (the same member always
/// lands in the same bucket of one experiment), independent across experiments, 50/50.
pub fn bucket(member_id: &str, experiment: &str) -> Bucket {
    let digest = Sha256::new()
        .chain_update(experiment.as_bytes())
        .chain_update([0])
        .chain_update(member_id.as_bytes())
        .finalize();
    if digest[0] & 1 == 0 {
        Bucket::A
    } else {
        Bucket::B
    }
}
