//! The Cron Trigger (wrangler.toml `[triggers] crons`, every 5 minutes): readies the stock
//! shards of every scheduled campaign's occurrence opening within `LEAD_MINUTES` (and of the
//! one open now), so a 20:00 rush meets objects that exist and hold their stock rather than
//! a thousand claims creating them. A claim readies its occurrence itself if the cron was
//! late or failed: warming is an optimisation, never needed for correctness.

use crate::domain::ids::CampaignId;
use crate::domain::time::Instant;
use crate::objects::campaign::client;
use crate::objects::campaign::protocol::{ListCampaigns, WarmOccurrences};
use worker::Env;

/// Longer than the cron's period (5 minutes), so no occurrence opens between two runs unwarmed.
pub const LEAD_MINUTES: i64 = 10;

/// Warms what opens soon at `now` (the event's scheduled time); returns the occurrences
/// readied, as `campaign@key`. A campaign that fails is logged and skipped.
pub async fn warm(env: &Env, now: Instant) -> Vec<String> {
    let ids = match client::ask_directory(env, ListCampaigns { now }).await {
        Ok(ids) => ids,
        Err(error) => {
            worker::console_error!("cron: campaign directory: {}", error.code());
            return Vec::new();
        }
    };
    let mut warmed = Vec::new();
    for id in ids.iter().filter_map(|id| CampaignId::parse(id).ok()) {
        // The terms (cached per isolate) say whether the campaign is scheduled at all.
        let scheduled = client::terms(env, &id)
            .await
            .is_ok_and(|terms| terms.config.schedule.is_some());
        if !scheduled {
            continue;
        }
        let command = WarmOccurrences {
            now,
            lead_minutes: LEAD_MINUTES,
        };
        match client::ask(env, &id, command).await {
            Ok(keys) => warmed.extend(keys.into_iter().map(|key| format!("{id}@{key}"))),
            Err(error) => worker::console_error!("cron: warming {id}: {}", error.code()),
        }
    }
    warmed
}
