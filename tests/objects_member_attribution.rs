//! A claim's attribution against real SQLite: kept with the coupon and forwarded in
//! `coupon.claimed` (golden); a claim without one forwards none and creates no table for it.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::attribution::Attribution;
use pharmedge::domain::campaign::CampaignConfig;
use pharmedge::domain::outbound::{CouponClaimed, Emitted};
use pharmedge::objects::member::erasure;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{coupon_attribution, ledger, wallet};
use pharmedge::objects::schema::Tables;
use seam::member::*;
use seam::Sqlite;
use serde_json::json;

fn config() -> CampaignConfig {
    serde_json::from_value(json!({
        "id": "flash-1", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-05-01T00:00:00Z",
        "stock": 500,
        "coupon": {"type": "fixed", "value_fen": 990, "valid_days": 30},
        "limits": {"per_member": 1},
        "rules_text": "每人限领1张"
    }))
    .unwrap()
}

fn tagged() -> Attribution {
    Attribution {
        utm_source: Some("entry".into()),
        utm_medium: Some("qr".into()),
        utm_campaign: Some("store-7".into()),
        store_id: Some("store-7".into()),
    }
}

fn claim(repo: &Repo<Sqlite>, attribution: Option<&Attribution>) -> String {
    let Ok(wallet::Reserved::Go { claim_id }) = tx(repo, || {
        ledger::prepare(repo, &member(), day(1))?;
        let config = config();
        let scope = config.id.as_str();
        wallet::reserve_in(repo, &rules(), &member(), &config, scope, None, "b", day(1))
    }) else {
        panic!("the claim goes ahead");
    };
    let answer = tx(repo, || {
        wallet::issue(
            repo,
            &rules(),
            &member(),
            &config(),
            &claim_id,
            wallet::ClaimOrigin {
                store_id: None,
                attribution,
            },
            day(1),
        )
    })
    .unwrap();
    answer["coupon"]["coupon_id"].as_str().unwrap().to_owned()
}

#[test]
fn a_claimed_coupon_keeps_its_attribution_and_coupon_claimed_forwards_it() {
    let repo = member_db();
    Tables::default()
        .ensure(&repo.sql, &[&coupon_attribution::MODULE])
        .unwrap();
    let coupon_id = claim(&repo, Some(&tagged()));
    assert_eq!(
        coupon_attribution::kept(&repo.sql, &coupon_id).unwrap(),
        Some(tagged())
    );
    let (_, _, kind, body) = queued(&repo).pop().unwrap();
    assert_eq!(kind, "coupon.claimed");
    let event: Emitted<CouponClaimed> = serde_json::from_value(body).unwrap();
    assert_eq!(event.data.attribution, Some(tagged()));
}

#[test]
fn a_claim_without_attribution_forwards_none_and_holds_no_table_for_it() {
    let repo = member_db();
    claim(&repo, None);
    let (_, _, _, body) = queued(&repo).pop().unwrap();
    assert!(body["data"].get("attribution").is_none(), "{body}");
    let tables = erasure::table_names(&repo.sql).unwrap();
    assert!(!tables.contains(&"coupon_attribution".to_owned()));
}

#[test]
fn coupon_claimed_with_attribution_is_golden() {
    let text = r#"{"id":"cpn-cpn_1","type":"coupon.claimed","created_at":"2026-04-01T02:00:00Z","data":{"member_id":"mem-1","coupon_id":"cpn_1","campaign_id":"flash-1","store_id":null,"claimed_at":"2026-04-01T02:00:00Z","expires_at":"2026-05-01T15:59:59Z","attribution":{"utm_source":"entry","utm_medium":"qr","utm_campaign":"store-7","store_id":"store-7"}}}"#;
    let decoded: Emitted<CouponClaimed> = serde_json::from_str(text).unwrap();
    assert_eq!(decoded.data.attribution, Some(tagged()));
    assert_eq!(serde_json::to_string(&decoded).unwrap(), text);
}

#[test]
fn a_registration_s_attribution_is_kept_and_forwarded_in_referral_bound() {
    use pharmedge::objects::member::protocol::MemberEvent;
    use seam::referral as world;
    let rules = pharmedge::domain::rules::Rules::default();
    let (inviter, invitee) = (world::member_db(), world::member_db());
    let mut devices = world::Devices::default();
    let mut registration = world::registered(
        world::INVITEE,
        Some(world::CODE),
        Some(world::INVITER),
        Some("dev-1"),
        world::T0,
    );
    if let MemberEvent::Registered(reported) = &mut registration {
        reported.data.attribution = Some(tagged());
    }
    world::event(
        &invitee,
        &rules,
        world::INVITEE,
        "evt-reg",
        registration,
        world::T0 + 60_000,
    );
    world::finish(&invitee, &inviter, &mut devices, &rules);
    let bound = world::outbox_rows(&invitee)
        .into_iter()
        .find(|row| row.2 == "referral.bound")
        .expect("referral.bound queued");
    let event: Emitted<pharmedge::domain::outbound::ReferralBound> =
        serde_json::from_str(&bound.3).unwrap();
    assert_eq!(event.data.attribution, Some(tagged()));
}
