//! Which points_multiplier campaign multiplies an order paid at a given instant (member day):
//! found by the worker at `order.paid` and passed to the member's object with the event.

use crate::domain::campaign::CampaignKind;
use crate::domain::ids::CampaignId;
use crate::domain::tier_multiplier::{multiplier_open_at, strongest, CampaignMultiplier};
use crate::domain::time::{BusinessZone, Instant};
use crate::http::error::ApiError;
use crate::objects::campaign::client;
use crate::objects::campaign::protocol::{MultipliersAt, StatusAt};
use worker::Env;

/// The strongest points_multiplier campaign open at `paid_at`, if any. The directory names
/// the multiplier campaigns whose window holds `paid_at` (one call, however many campaigns
/// exist); each costs its terms (cached per isolate) and a call to its head for the live
/// window and status at `paid_at` (and, scheduled, whether `paid_at` is in an occurrence).
pub async fn open_at(
    env: &Env,
    zone: &BusinessZone,
    paid_at: Instant,
) -> Result<Option<CampaignMultiplier>, ApiError> {
    let ids = client::ask_directory(env, MultipliersAt { at: paid_at }).await?;
    let mut found = Vec::new();
    for id in ids.iter().filter_map(|id| CampaignId::parse(id).ok()) {
        let terms = client::terms(env, &id).await?;
        if terms.config.kind != CampaignKind::PointsMultiplier {
            continue;
        }
        // The operator's status when the order was paid (not when the core reports it), in
        // the live window (it may have changed since the terms were cached).
        let then = client::ask(env, &id, StatusAt { at: paid_at }).await?;
        let mut config = terms.config.clone();
        config.starts_at = then.starts_at;
        config.ends_at = then.ends_at;
        if multiplier_open_at(&config, then.status, zone, paid_at.0) {
            found.extend(CampaignMultiplier::of(&config));
        }
    }
    Ok(strongest(found))
}
