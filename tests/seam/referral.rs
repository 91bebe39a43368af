//! Members' databases for the referral tests, and the world around them: the device registry
//! and the inviter's object as a registration's remaining steps (`referral_steps`) ask them,
//! and the outbox carrying commands from the invitee's object to the inviter's.
#![allow(dead_code)]

use super::{block_on, Sqlite};
use pharmedge::domain::events::{MemberRegistered, MemberVerified, OrderPaid, OrderRefunded};
use pharmedge::domain::ids::{MemberId, OrderId};
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::rules::Rules;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::protocol::{
    EventReply, InviteReply, MemberCommand, MemberEvent, ReferralClawback, ReferralReward,
    Registration,
};
use pharmedge::objects::member::referral_steps::{self, Neighbours};
use pharmedge::objects::member::repo::{self, Repo};
use pharmedge::objects::member::{coupons, events, referral, tiers};
use pharmedge::objects::outbox;
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::{Sql, Transact};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

pub type Member = Repo<Sqlite>;

pub const INVITER: &str = "mem-inviter";
pub const INVITEE: &str = "mem-invitee";
pub const CODE: &str = "K7Q2M9XA";
/// 2026-11-24T02:00:00Z.
pub const T0: i64 = 1_795_485_600_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

/// A member's object database with every table a referral touches, migrated as the object
/// migrates it.
pub fn member_db() -> Member {
    let db = Sqlite::open();
    let modules = [
        &repo::POINTS,
        &repo::EVENTS,
        &coupons::MODULE,
        &referral::MODULE,
        &outbox::MODULE,
        &tiers::MODULE,
    ];
    Tables::default().ensure(&db, &modules).expect("migrations");
    Repo::new(db)
}

pub fn id(raw: &str) -> MemberId {
    MemberId::parse(raw).unwrap()
}

pub fn at(ms: i64) -> chrono::DateTime<chrono::Utc> {
    Instant::from_millis(ms).0
}

/// A core event to `member`'s object, in one transaction, as the object runs it.
pub fn event(
    member: &Member,
    rules: &Rules,
    member_id: &str,
    event_id: &str,
    event: MemberEvent,
    now_ms: i64,
) -> EventReply {
    member
        .sql
        .atomically(|| events::event(member, rules, member_id, event_id, &event, at(now_ms)))
        .expect("the event is applied")
}

/// `member.registered` for `invitee`, with `code` read and owned by `inviter` (if any).
pub fn registered(
    invitee: &str,
    code: Option<&str>,
    inviter: Option<&str>,
    device: Option<&str>,
    registered_ms: i64,
) -> MemberEvent {
    MemberEvent::Registered(Registration {
        data: MemberRegistered {
            member_id: id(invitee),
            registered_at: Instant::from_millis(registered_ms),
            ref_code: code.map(str::to_owned),
            device_id: device.map(|_| "raw-device-id".to_owned()),
            real_name_verified: false,
            attribution: None,
        },
        code: code.map(str::to_owned),
        inviter: inviter.map(id),
        device: device.map(str::to_owned),
    })
}

pub fn verified(member_id: &str) -> MemberEvent {
    MemberEvent::Verified(MemberVerified {
        member_id: id(member_id),
    })
}

pub fn paid(
    member_id: &str,
    order_id: &str,
    amount_fen: i64,
    paid_ms: i64,
    first: bool,
) -> MemberEvent {
    MemberEvent::Paid(OrderPaid {
        order_id: OrderId::parse(order_id).unwrap(),
        member_id: id(member_id),
        paid_at: Instant::from_millis(paid_ms),
        amount_fen,
        insurance_fen: 0,
        lines: vec![OrderLine {
            sku: "sku-1".into(),
            name: "Ibuprofen".into(),
            qty: 1,
            unit_price_fen: amount_fen,
            drug_class: DrugClass::OtcA,
        }],
        coupon_id: None,
        first_order: first,
    })
}

pub fn refunded(member_id: &str, order_id: &str, amount_fen: i64) -> MemberEvent {
    MemberEvent::Refunded(OrderRefunded {
        order_id: OrderId::parse(order_id).unwrap(),
        member_id: id(member_id),
        amount_fen,
    })
}

/// The device registry: the first member each device registered.
#[derive(Default)]
pub struct Devices(pub HashMap<String, String>);

impl Devices {
    fn claim(&mut self, device: &str, member: &str) -> String {
        self.0
            .entry(device.to_owned())
            .or_insert_with(|| member.to_owned())
            .clone()
    }
}

/// The other objects a registration's steps ask: the device registry, and the inviter's
/// object (a real database). `fail_invites` answers that many invitations 503 first.
pub struct World<'a> {
    pub devices: RefCell<&'a mut Devices>,
    pub inviter: &'a Member,
    pub rules: &'a Rules,
    pub fail_invites: Cell<u32>,
}

impl Neighbours for World<'_> {
    async fn claim_device(
        &self,
        device: &str,
        member_id: &str,
        _now_ms: i64,
    ) -> Result<Option<String>, ApiError> {
        Ok(Some(self.devices.borrow_mut().claim(device, member_id)))
    }

    async fn invite(
        &self,
        inviter: MemberId,
        invitee: MemberId,
        now: Instant,
    ) -> Result<InviteReply, ApiError> {
        if self.fail_invites.get() > 0 {
            self.fail_invites.set(self.fail_invites.get() - 1);
            return Err(ApiError::Unavailable);
        }
        let db = self.inviter;
        db.sql.atomically(|| {
            referral::invite(db, self.rules, inviter.as_str(), invitee.as_str(), now.0)
        })
    }
}

/// The registration's remaining steps (`referral_steps`), the inviter's object answering.
pub fn try_finish(
    invitee: &Member,
    inviter: &Member,
    devices: &mut Devices,
    rules: &Rules,
    fail_invites: u32,
) -> Result<bool, ApiError> {
    let world = World {
        devices: RefCell::new(devices),
        inviter,
        rules,
        fail_invites: Cell::new(fail_invites),
    };
    block_on(referral_steps::finish_registration(invitee, rules, &world))
}

pub fn finish(invitee: &Member, inviter: &Member, devices: &mut Devices, rules: &Rules) {
    try_finish(invitee, inviter, devices, rules, 0).expect("the steps finish");
}

/// Rows queued in `member`'s outbox: key, destination, kind, body.
pub fn outbox_rows(member: &Member) -> Vec<(String, String, String, String)> {
    member
        .sql
        .rows(
            "SELECT key, target, kind, body FROM outbox ORDER BY key",
            Vec::new(),
        )
        .unwrap()
}

pub fn keys(member: &Member) -> Vec<String> {
    outbox_rows(member).into_iter().map(|row| row.0).collect()
}

/// Delivers every command queued in `from` for `inviter_id`'s object to `to`, as the
/// outbox would (rows stay: delivering again is a retry). Answers how many were delivered.
pub fn deliver(from: &Member, to: &Member, inviter_id: &str, rules: &Rules) -> usize {
    let target = format!("object:MEMBER:{inviter_id}");
    let commands: Vec<MemberCommand> = outbox_rows(from)
        .into_iter()
        .filter(|row| row.1 == target)
        .map(|row| serde_json::from_str(&row.3).expect("a member command"))
        .collect();
    for command in &commands {
        deliver_one(to, command, rules);
    }
    commands.len()
}

/// One command from an invitee's outbox, handled as the inviter's object handles it.
pub fn deliver_one(to: &Member, command: &MemberCommand, rules: &Rules) {
    let outcome = to.sql.atomically(|| match command {
        MemberCommand::ReferralReward(ReferralReward {
            inviter,
            invitee,
            stage,
            now,
        }) => {
            referral::reward_inviter(to, rules, inviter.as_str(), invitee.as_str(), *stage, now.0)
        }
        MemberCommand::ReferralClawback(ReferralClawback {
            inviter,
            invitee,
            stage,
            now,
        }) => {
            referral::clawback_inviter(to, rules, inviter.as_str(), invitee.as_str(), *stage, now.0)
        }
        other => panic!("not a referral command: {other:?}"),
    });
    outcome.expect("the inviter's object takes the command");
}

/// The member's referral ledger entries: amount, kind, source id.
pub fn referral_entries(member: &Member) -> Vec<(i64, String, String)> {
    member
        .sql
        .rows(
            "SELECT amount, kind, source_id FROM ledger WHERE source = 'referral' ORDER BY id",
            Vec::new(),
        )
        .unwrap()
}

/// Coupons in the wallet: campaign, terms (JSON).
pub fn coupons(member: &Member) -> Vec<(String, String)> {
    member
        .sql
        .rows(
            "SELECT campaign_id, terms FROM coupons ORDER BY claimed_ms, coupon_id",
            Vec::new(),
        )
        .unwrap()
}

pub fn count(member: &Member, query: &str) -> i64 {
    member
        .sql
        .row::<(i64,)>(query, Vec::new())
        .unwrap()
        .map_or(0, |(n,)| n)
}

/// Binding state, reason, clawback queued.
pub fn binding_state(member: &Member) -> Option<(String, Option<String>, i64)> {
    member
        .sql
        .row(
            "SELECT state, reason, clawback_queued FROM binding WHERE k = 1",
            Vec::new(),
        )
        .unwrap()
}

/// A new member (no profile yet gets one on first contact), registered with the inviter's
/// code, bound and rewarded: the usual start of an exchange.
pub fn bound_pair(rules: &Rules) -> (Member, Member, Devices) {
    let (inviter, invitee) = (member_db(), member_db());
    let mut devices = Devices::default();
    let registration = registered(INVITEE, Some(CODE), Some(INVITER), Some("dev-1"), T0);
    event(
        &invitee,
        rules,
        INVITEE,
        "evt-reg",
        registration,
        T0 + 60_000,
    );
    finish(&invitee, &inviter, &mut devices, rules);
    (inviter, invitee, devices)
}
