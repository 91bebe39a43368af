//! The operator's status at a past instant, from the head's audit trail: a member day paused,
//! resumed or ended after an order was paid does not change what that order earns (found by the
//! outside attack: the status *now* used to be applied at `paid_at`).
#![cfg(not(target_arch = "wasm32"))]

mod campaign_world;
mod seam;

use campaign_world::*;
use pharmedge::domain::campaign::SetStatus;
use pharmedge::domain::campaign_patch::CampaignPatch;
use pharmedge::objects::campaign::head::{self, PatchInput, Patched};

fn change_at(world: &World, patch: &CampaignPatch, now_ms: i64) {
    let input = PatchInput {
        patch,
        actor: "mkt-1",
        key: None,
        body_hash: "h",
        if_match: None,
        now_ms,
    };
    assert_eq!(head::patch(&world.head, input), Ok(Patched::Applied));
}

#[test]
fn the_status_at_an_instant_is_the_one_the_last_change_before_it_set() {
    let world = World::create(10, 1);
    let t0 = during();
    let at = |ms: i64| head::set_status_at(&world.head, ms).unwrap();
    change_at(&world, &set(SetStatus::Paused), t0 + 1_000);
    change_at(&world, &set(SetStatus::Active), t0 + 2_000);
    change_at(&world, &top_up(5), t0 + 3_000);
    change_at(&world, &set(SetStatus::Ended), t0 + 4_000);
    assert_eq!(at(t0), SetStatus::Active, "active from its creation");
    assert_eq!(at(t0 + 1_000), SetStatus::Paused);
    assert_eq!(
        at(t0 + 1_999),
        SetStatus::Paused,
        "paused then, resumed since"
    );
    assert_eq!(at(t0 + 2_000), SetStatus::Active);
    assert_eq!(
        at(t0 + 3_500),
        SetStatus::Active,
        "a top-up keeps the status"
    );
    assert_eq!(
        at(t0 + 3_999),
        SetStatus::Active,
        "active then, ended since"
    );
    assert_eq!(at(t0 + 4_000), SetStatus::Ended);
    assert_eq!(world.head().state.set_status, SetStatus::Ended, "now");
}
