//! Golden formats of every row the referral steps queue in a member's outbox: events for the
//! core, commands for the inviter's object, tallies for the registry. A queued row may wait
//! across a deploy: the code that delivers and takes it must still read it, so a change of
//! format here is a migration, not an edit.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::rules::Rules;
use pharmedge::objects::member::protocol::MemberCommand;
use pharmedge::objects::referral_registry::RegistryCommand;
use seam::referral::*;
use serde_json::Value;

type Queued = (String, String, String, Value);

/// The rows a step queued, body parsed, by key.
fn queued(member: &Member) -> Vec<Queued> {
    outbox_rows(member)
        .into_iter()
        .map(|(key, target, kind, body)| {
            let body = serde_json::from_str(&body).expect("a JSON body");
            (key, target, kind, body)
        })
        .collect()
}

fn row(key: &str, target: &str, kind: &str, body: &str) -> Queued {
    let body = serde_json::from_str(body).expect("golden JSON");
    (key.into(), target.into(), kind.into(), body)
}

const EVENTS: &str = "events";
const STATS: &str = "object:REFERRALS:stats";
const INVITERS: &str = "object:MEMBER:mem-inviter";

/// The whole exchange: bound (with a device), verified, first order paid, refunded in full.
fn exchange() -> (Member, Member) {
    let rules = Rules::default();
    let (inviter, invitee, _) = bound_pair(&rules);
    event(
        &invitee,
        &rules,
        INVITEE,
        "evt-ver",
        verified(INVITEE),
        T0 + HOUR,
    );
    let order = paid(INVITEE, "ord-1", 10_000, T0 + DAY, true);
    event(&invitee, &rules, INVITEE, "evt-pay", order, T0 + DAY);
    let refund = refunded(INVITEE, "ord-1", 10_000);
    event(&invitee, &rules, INVITEE, "evt-ref", refund, T0 + 2 * DAY);
    deliver(&invitee, &inviter, INVITER, &rules);
    (inviter, invitee)
}

#[test]
fn the_invitees_object_queues_these_rows() {
    let (_, invitee) = exchange();
    let expected = vec![
        row(
            "cpn-cpn_88c2b58a745ef7cead103ffd",
            EVENTS,
            "coupon.claimed",
            r#"{"id":"cpn-cpn_88c2b58a745ef7cead103ffd","type":"coupon.claimed","created_at":"2026-11-24T02:01:00Z","data":{"campaign_id":"referral","claimed_at":"2026-11-24T02:01:00Z","coupon_id":"cpn_88c2b58a745ef7cead103ffd","expires_at":"2026-12-23T16:00:00Z","member_id":"mem-invitee","store_id":null}}"#,
        ),
        row(
            "pts-mem-invitee-order-ord-1",
            EVENTS,
            "points.awarded",
            r#"{"id":"pts-mem-invitee-order-ord-1","type":"points.awarded","created_at":"2026-11-25T02:00:00Z","data":{"amount":6,"balance":56,"expires_at":"2027-02-23T02:00:00Z","member_id":"mem-invitee","source":"order","source_id":"ord-1"}}"#,
        ),
        row(
            "pts-mem-invitee-referral-mem-invitee.bound",
            EVENTS,
            "points.awarded",
            r#"{"id":"pts-mem-invitee-referral-mem-invitee.bound","type":"points.awarded","created_at":"2026-11-24T02:01:00Z","data":{"amount":50,"balance":50,"expires_at":"2027-02-22T02:01:00Z","member_id":"mem-invitee","source":"referral","source_id":"mem-invitee.bound"}}"#,
        ),
        row(
            "ref-mem-invitee.bound",
            EVENTS,
            "referral.rewarded",
            r#"{"id":"ref-mem-invitee.bound","type":"referral.rewarded","created_at":"2026-11-24T02:01:00Z","data":{"clawback":false,"coupon_id":"cpn_88c2b58a745ef7cead103ffd","invitee_id":"mem-invitee","inviter_id":"mem-inviter","member_id":"mem-invitee","points":50,"role":"invitee","stage":"bound"}}"#,
        ),
        row(
            "refb-mem-invitee",
            EVENTS,
            "referral.bound",
            r#"{"id":"refb-mem-invitee","type":"referral.bound","created_at":"2026-11-24T02:01:00Z","data":{"bound_at":"2026-11-24T02:01:00Z","code":"K7Q2M9XA","invitee_id":"mem-invitee","inviter_id":"mem-inviter"}}"#,
        ),
        row(
            "refcmd-mem-invitee.first_order",
            INVITERS,
            "referral.reward",
            REWARD,
        ),
        row(
            "refcmd-mem-invitee.first_order-clawback",
            INVITERS,
            "referral.clawback",
            CLAWBACK,
        ),
        row(
            "refcmd-mem-invitee.verified",
            INVITERS,
            "referral.reward",
            r#"{"op":"referral_reward","inviter":"mem-inviter","invitee":"mem-invitee","stage":"verified","now":"2026-11-24T03:00:00Z"}"#,
        ),
        row(
            "tally-decision-mem-invitee-evt-reg",
            STATS,
            "referral.tally",
            r#"{"op":"record","fact_id":"decision-mem-invitee-evt-reg","label":"bound","now_ms":1795485660000}"#,
        ),
        row(
            "tally-reward-mem-invitee.bound",
            STATS,
            "referral.tally",
            r#"{"op":"record","fact_id":"reward-mem-invitee.bound","label":"reward.bound","now_ms":1795485660000}"#,
        ),
    ];
    assert_eq!(queued(&invitee), expected);
}

#[test]
fn the_inviters_object_queues_these_rows() {
    let (inviter, _) = exchange();
    let expected = vec![
        row(
            "cpn-cpn_3bdeecc1f3103286fdc54992",
            EVENTS,
            "coupon.claimed",
            r#"{"id":"cpn-cpn_3bdeecc1f3103286fdc54992","type":"coupon.claimed","created_at":"2026-11-24T03:00:00Z","data":{"campaign_id":"referral","claimed_at":"2026-11-24T03:00:00Z","coupon_id":"cpn_3bdeecc1f3103286fdc54992","expires_at":"2026-12-23T16:00:00Z","member_id":"mem-inviter","store_id":null}}"#,
        ),
        row(
            "pts-mem-inviter-referral-mem-invitee.first_order",
            EVENTS,
            "points.awarded",
            r#"{"id":"pts-mem-inviter-referral-mem-invitee.first_order","type":"points.awarded","created_at":"2026-11-25T02:00:00Z","data":{"amount":50,"balance":50,"expires_at":"2027-02-23T02:00:00Z","member_id":"mem-inviter","source":"referral","source_id":"mem-invitee.first_order"}}"#,
        ),
        row(
            "pts-mem-inviter-referral-mem-invitee.verified",
            EVENTS,
            "points.awarded",
            r#"{"id":"pts-mem-inviter-referral-mem-invitee.verified","type":"points.awarded","created_at":"2026-11-24T03:00:00Z","data":{"amount":100,"balance":100,"expires_at":"2027-02-22T03:00:00Z","member_id":"mem-inviter","source":"referral","source_id":"mem-invitee.verified"}}"#,
        ),
        row(
            "ref-mem-invitee.first_order",
            EVENTS,
            "referral.rewarded",
            r#"{"id":"ref-mem-invitee.first_order","type":"referral.rewarded","created_at":"2026-11-25T02:00:00Z","data":{"clawback":false,"coupon_id":null,"invitee_id":"mem-invitee","inviter_id":"mem-inviter","member_id":"mem-inviter","points":50,"role":"inviter","stage":"first_order"}}"#,
        ),
        row(
            "ref-mem-invitee.first_order-clawback",
            EVENTS,
            "referral.rewarded",
            r#"{"id":"ref-mem-invitee.first_order-clawback","type":"referral.rewarded","created_at":"2026-11-26T02:00:00Z","data":{"clawback":true,"coupon_id":null,"invitee_id":"mem-invitee","inviter_id":"mem-inviter","member_id":"mem-inviter","points":-50,"role":"inviter","stage":"first_order"}}"#,
        ),
        row(
            "ref-mem-invitee.verified",
            EVENTS,
            "referral.rewarded",
            r#"{"id":"ref-mem-invitee.verified","type":"referral.rewarded","created_at":"2026-11-24T03:00:00Z","data":{"clawback":false,"coupon_id":"cpn_3bdeecc1f3103286fdc54992","invitee_id":"mem-invitee","inviter_id":"mem-inviter","member_id":"mem-inviter","points":100,"role":"inviter","stage":"verified"}}"#,
        ),
        row(
            "tally-clawback-mem-invitee.first_order",
            STATS,
            "referral.tally",
            r#"{"op":"record","fact_id":"clawback-mem-invitee.first_order","label":"clawback.first_order","now_ms":1795658400000}"#,
        ),
        row(
            "tally-reward-mem-invitee.first_order",
            STATS,
            "referral.tally",
            r#"{"op":"record","fact_id":"reward-mem-invitee.first_order","label":"reward.first_order","now_ms":1795572000000}"#,
        ),
        row(
            "tally-reward-mem-invitee.verified",
            STATS,
            "referral.tally",
            r#"{"op":"record","fact_id":"reward-mem-invitee.verified","label":"reward.verified","now_ms":1795489200000}"#,
        ),
    ];
    assert_eq!(queued(&inviter), expected);
}

#[test]
fn a_refusal_queues_its_tally() {
    let rules = Rules::default();
    let member = member_db();
    let own_code = registered("mem-x", Some(CODE), Some("mem-x"), Some("dev-9"), T0);
    event(&member, &rules, "mem-x", "evt-x", own_code, T0);
    assert_eq!(
        queued(&member),
        vec![row(
            "tally-decision-mem-x-evt-x",
            STATS,
            "referral.tally",
            r#"{"op":"record","fact_id":"decision-mem-x-evt-x","label":"refused.self_referral","now_ms":1795485600000}"#
        )]
    );
}

const REWARD: &str = r#"{"op":"referral_reward","inviter":"mem-inviter","invitee":"mem-invitee","stage":"first_order","now":"2026-11-25T02:00:00Z"}"#;
const CLAWBACK: &str = r#"{"op":"referral_clawback","inviter":"mem-inviter","invitee":"mem-invitee","stage":"first_order","now":"2026-11-26T02:00:00Z"}"#;
const TALLY: &str = r#"{"op":"record","fact_id":"clawback-mem-invitee.first_order","label":"clawback.first_order","now_ms":1795658400000}"#;

#[test]
fn queued_commands_as_stored_still_decode_and_encode_the_same() {
    for text in [REWARD, CLAWBACK] {
        let command: MemberCommand = serde_json::from_str(text).expect("a member command");
        assert!(matches!(
            command,
            MemberCommand::ReferralReward(_) | MemberCommand::ReferralClawback(_)
        ));
        assert_eq!(serde_json::to_string(&command).unwrap(), text);
    }
    let tally: RegistryCommand = serde_json::from_str(TALLY).expect("a registry command");
    assert!(matches!(tally, RegistryCommand::Record(_)));
    assert_eq!(serde_json::to_string(&tally).unwrap(), TALLY);
}
