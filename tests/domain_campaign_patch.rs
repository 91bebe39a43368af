//! Operator changes to a running campaign: top-ups that never re-split the stock, bounds that
//! cannot overflow, ended campaigns that stay ended, and the ETag / If-Match rules.

mod common;

use common::Lcg;
use pharmedge::domain::campaign::*;
use pharmedge::domain::campaign_patch::*;
use pharmedge::domain::time::{parse_instant, Instant};
use serde_json::json;

fn config(stock: i64, shards: Option<u32>) -> CampaignConfig {
    let mut value = json!({
        "id": "flash-1", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-06-03T12:00:00Z", "ends_at": "2026-06-03T13:00:00Z",
        "stock": stock,
        "coupon": {"type": "threshold", "value_fen": 2000, "min_spend_fen": 19900, "valid_days": 30},
        "limits": {"per_member": 1},
        "rules_text": "每人限领1张"
    });
    if let Some(shards) = shards {
        value["shards"] = json!(shards);
    }
    serde_json::from_value(value).unwrap()
}

/// A moment inside the campaign's window (it ends 2026-06-03T13:00Z).
fn during() -> chrono::DateTime<chrono::Utc> {
    parse_instant("2026-06-03T12:30:00Z").unwrap()
}

fn created(stock: i64, shards: Option<u32>) -> Mutable {
    Mutable {
        config: config(stock, shards).frozen(),
        set_status: SetStatus::Active,
        revision: 1,
    }
}

fn top_up(add: i64) -> CampaignPatch {
    CampaignPatch {
        status: None,
        ends_at: None,
        add_stock: Some(add),
    }
}

fn set(status: SetStatus) -> CampaignPatch {
    CampaignPatch {
        status: Some(status),
        ends_at: None,
        add_stock: None,
    }
}

#[test]
fn a_top_up_never_re_splits_the_stock() {
    // The break found from outside: 2,000 units, no shards given, +1. The count used to be
    // re-derived from the new stock (2 shards) while shard 0 kept its 2,000.
    let before = created(2_000, None);
    assert_eq!(before.config.shards, Some(1), "frozen at creation");
    let after = apply_patch(&before, &top_up(1), during()).unwrap();
    assert_eq!(after.config.stock, 2_001);
    assert_eq!(after.config.shard_count(), 1);
    assert_eq!(
        split_stock(after.config.stock, after.config.shard_count()),
        vec![2_001]
    );
    let big = apply_patch(&after, &top_up(100_000), during()).unwrap();
    assert_eq!(big.config.shard_count(), 1, "however much is added");
}

#[test]
fn seeded_operator_changes_keep_every_share_growing_and_the_sum_exact() {
    for seed in 0..200 {
        let mut random = Lcg::new(seed);
        let shards = (random.below(2) == 0).then(|| 1 + random.below(8) as u32);
        let stock = 8 + random.below(20_000) as i64;
        let mut state = created(stock, shards);
        let count = state.config.shard_count();
        let mut shares = split_stock(state.config.stock, count);
        for step in 0..50 {
            let patch = match random.below(5) {
                0 => top_up(random.below(5_000) as i64 - 10),
                1 => set(SetStatus::Paused),
                2 => set(SetStatus::Active),
                3 => set(SetStatus::Ended),
                _ => CampaignPatch {
                    status: None,
                    ends_at: Some(Instant(
                        parse_instant("2026-06-03T12:00:00Z").unwrap()
                            + chrono::Duration::minutes(random.below(600) as i64 - 60),
                    )),
                    add_stock: None,
                },
            };
            let context = format!("seed {seed} step {step}: {patch:?}");
            let Ok(next) = apply_patch(&state, &patch, during()) else {
                continue; // refused: nothing changed
            };
            assert_eq!(next.revision, state.revision + 1, "{context}");
            assert_eq!(next.config.shard_count(), count, "{context}");
            assert!(next.config.stock >= state.config.stock, "{context}");
            assert!(next.config.stock <= MAX_STOCK, "{context}");
            let next_shares = split_stock(next.config.stock, count);
            assert_eq!(
                next_shares.iter().sum::<i64>(),
                next.config.stock,
                "{context}"
            );
            for (old, new) in shares.iter().zip(&next_shares) {
                assert!(new >= old, "a shard's share never shrinks: {context}");
            }
            // What the claim path caches never changes.
            assert_eq!(next.config.coupon, state.config.coupon, "{context}");
            assert_eq!(next.config.limits, state.config.limits, "{context}");
            assert_eq!(next.config.audience, state.config.audience, "{context}");
            assert_eq!(next.config.id, state.config.id, "{context}");
            shares = next_shares;
            state = next;
        }
    }
}

#[test]
fn top_ups_are_bounded_without_overflow() {
    let state = created(2_000, None);
    for add in [i64::MAX, i64::MIN, -1, 0, MAX_ADD_STOCK + 1] {
        assert!(
            matches!(
                apply_patch(&state, &top_up(add), during()),
                Err(PatchRefusal::Invalid(_))
            ),
            "add_stock {add} is refused"
        );
    }
    let nearly_full = created(MAX_STOCK - 5, Some(1));
    assert!(matches!(
        apply_patch(&nearly_full, &top_up(6), during()),
        Err(PatchRefusal::Invalid(_))
    ));
    assert_eq!(
        apply_patch(&nearly_full, &top_up(5), during())
            .unwrap()
            .config
            .stock,
        MAX_STOCK
    );
    assert_eq!(
        apply_patch(&state, &top_up(MAX_ADD_STOCK - 2_000), during())
            .unwrap()
            .config
            .stock,
        MAX_STOCK
    );
}

#[test]
fn an_ended_campaign_stays_as_it_is() {
    let ended = apply_patch(&created(100, None), &set(SetStatus::Ended), during()).unwrap();
    for patch in [set(SetStatus::Active), set(SetStatus::Paused), top_up(10)] {
        assert!(matches!(
            apply_patch(&ended, &patch, during()),
            Err(PatchRefusal::Transition(_))
        ));
    }
    assert!(apply_patch(&ended, &set(SetStatus::Ended), during()).is_ok());
    let empty = CampaignPatch {
        status: None,
        ends_at: None,
        add_stock: None,
    };
    assert_eq!(
        apply_patch(&created(100, None), &empty, during()),
        Err(PatchRefusal::Empty)
    );
}

#[test]
fn the_window_stays_valid() {
    let state = created(100, None);
    let at = |raw: &str| CampaignPatch {
        status: None,
        ends_at: Some(Instant(parse_instant(raw).unwrap())),
        add_stock: None,
    };
    assert!(apply_patch(&state, &at("2026-06-03T12:00:00Z"), during()).is_err());
    assert!(apply_patch(&state, &at("2027-06-05T12:00:00Z"), during()).is_err());
    assert!(apply_patch(&state, &at("2026-06-03T20:00:00Z"), during()).is_ok());
}

#[test]
fn only_a_top_up_needs_a_precondition() {
    assert!(top_up(1).needs_precondition());
    assert!(!set(SetStatus::Paused).needs_precondition());
}

#[test]
fn if_match_compares_strong_tags() {
    let current = etag(7);
    assert_eq!(current, "\"r7\"");
    assert!(if_match_allows("\"r7\"", &current));
    assert!(if_match_allows("\"r6\", \"r7\"", &current));
    assert!(if_match_allows("*", &current));
    assert!(!if_match_allows("\"r6\"", &current));
    assert!(
        !if_match_allows("W/\"r7\"", &current),
        "weak tags never match"
    );
    assert!(!if_match_allows("r7", &current));
    assert!(!if_match_allows("", &current));
}

#[test]
fn stored_status_names_round_trip() {
    for status in [SetStatus::Active, SetStatus::Paused, SetStatus::Ended] {
        assert_eq!(SetStatus::from_stored(status.as_str()), Some(status));
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            json!(status.as_str())
        );
    }
    assert_eq!(SetStatus::from_stored("Active"), None);
}

#[test]
fn a_shard_takes_a_newer_share_only_and_keeps_what_it_issued() {
    // First push: the share is all there.
    let first = accept_share(None, 1, 100).unwrap();
    assert_eq!(
        (first.total, first.remaining, first.revision),
        (100, 100, 1)
    );
    // 40 issued since; a top-up to 150 adds exactly 50 on offer.
    let held = HeldShare {
        remaining: 60,
        ..first
    };
    let topped = accept_share(Some(held), 2, 150).unwrap();
    assert_eq!(
        (topped.total, topped.remaining, topped.revision),
        (150, 110, 2)
    );
    // The same or an older revision is ignored, whatever it carries.
    assert_eq!(accept_share(Some(topped), 2, 999), None);
    assert_eq!(accept_share(Some(topped), 1, 10), None);
    // A newer revision carrying less never takes back what was issued or offered.
    let smaller = accept_share(Some(topped), 3, 10).unwrap();
    assert_eq!((smaller.total, smaller.remaining), (150, 110));
    // Each change's effect on the shards: the stock over the frozen count.
    let state = created(7, Some(3));
    assert_eq!(shard_shares(&state), vec![3, 2, 2]);
    let after = apply_patch(&state, &top_up(2), during()).unwrap();
    assert_eq!(shard_shares(&after), vec![3, 3, 3]);
}

#[test]
fn a_campaign_past_its_end_changes_only_by_an_extension() {
    let state = created(100, None);
    let after_end = parse_instant("2026-06-03T13:00:00Z").unwrap();
    for patch in [set(SetStatus::Active), set(SetStatus::Paused), top_up(10)] {
        assert!(
            matches!(
                apply_patch(&state, &patch, after_end),
                Err(PatchRefusal::Transition(_))
            ),
            "{patch:?}"
        );
    }
    // Ending it for good is still allowed, and so is moving the end later, with a status.
    assert!(apply_patch(&state, &set(SetStatus::Ended), after_end).is_ok());
    let extend = |raw: &str, status| CampaignPatch {
        status,
        ends_at: Some(Instant(parse_instant(raw).unwrap())),
        add_stock: None,
    };
    let extended = apply_patch(
        &state,
        &extend("2026-06-03T14:00:00Z", Some(SetStatus::Paused)),
        after_end,
    )
    .unwrap();
    assert_eq!(extended.set_status, SetStatus::Paused);
    // Moving the end to another moment already past is no extension.
    assert!(matches!(
        apply_patch(&state, &extend("2026-06-03T12:59:00Z", None), after_end),
        Err(PatchRefusal::Transition(_))
    ));
}

#[test]
fn an_extension_stops_at_the_coupons_fixed_end() {
    let mut state = created(100, None);
    state.config.coupon.valid_until = Some(Instant(parse_instant("2026-06-03T15:00:00Z").unwrap()));
    let to = |raw: &str| CampaignPatch {
        status: None,
        ends_at: Some(Instant(parse_instant(raw).unwrap())),
        add_stock: None,
    };
    assert!(apply_patch(&state, &to("2026-06-03T15:00:00Z"), during()).is_ok());
    assert!(matches!(
        apply_patch(&state, &to("2026-06-03T15:00:01Z"), during()),
        Err(PatchRefusal::Invalid(_))
    ));
}
