// The model test's scheduled campaign (issue 13): its config (daily, the first occurrence a
// few minutes into the run) and what the model knows of its occurrences.
import { campaignConfig, T0, iso } from "./model_lib.mjs";

/**
 * The scheduled campaign (issue 13): daily from the run's start for two days, an occurrence
 * opening a few minutes into the run for 10-30 minutes, each with its own `stock`. The model
 * knows the first occurrence's window (the run ends before the second opens).
 */
export function scheduledConfig(model, id) {
  const { rnd } = model;
  const config = campaignConfig(model, id, false);
  delete config.shards;
  const opensMs = T0 + rnd.int(2, 8) * 60_000;
  const business = new Date(opensMs + 8 * 3_600_000); // UTC+8, the business zone
  const hhmm = `${String(business.getUTCHours()).padStart(2, "0")}:${String(business.getUTCMinutes()).padStart(2, "0")}`;
  const minutes = rnd.int(10, 30);
  Object.assign(config, {
    kind: "flash_sale",
    starts_at: iso(T0 - 60_000),
    ends_at: iso(T0 + 2 * 86_400_000),
    schedule: { every: "day", start_time: hhmm, duration_minutes: minutes, stock_per_occurrence: config.stock },
  });
  return { config, occurrence: { startsMs: opensMs, endsMs: opensMs + minutes * 60_000 } };
}

/** Whether claims can be issued at `ms` by the window (and a scheduled campaign's occurrence). */
export function isOpen(campaign, ms) {
  const inWindow = campaign.startsMs <= ms && ms < campaign.endsMs;
  const occurrence = campaign.occurrence;
  return inWindow && (!occurrence || (occurrence.startsMs <= ms && ms < occurrence.endsMs));
}

/** A scheduled campaign's next occurrence after `ms` as the model knows them (daily). */
export function nextOccurrenceStart(campaign, ms) {
  const { startsMs } = campaign.occurrence;
  return ms < startsMs ? startsMs : startsMs + 86_400_000;
}

