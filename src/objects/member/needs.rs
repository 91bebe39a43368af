//! Which modules' tables each member command may touch, so that a member holds only the
//! tables of what it has done (a member who only checks in: points and the outbox).

use super::protocol::*;
use super::{coupon_attribution, coupons, erasure, exchange, prescriptions, referral, repo, tiers};
use crate::domain::order_lines::has_rx;
use crate::objects::outbox;
use crate::objects::schema::Module;

/// Every module of the member object.
pub const ALL: &[&Module] = &[
    &repo::POINTS,
    &repo::EVENTS,
    &coupons::MODULE,
    &referral::MODULE,
    &outbox::MODULE,
    &tiers::MODULE,
];

/// What coupons and orders without prescriptions touch.
const WALLET: &[&Module] = &[
    &repo::POINTS,
    &repo::EVENTS,
    &coupons::MODULE,
    &outbox::MODULE,
];

/// A points exchange also holds and spends points (`exchange`).
const EXCHANGE: &[&Module] = &[
    &repo::POINTS,
    &repo::EVENTS,
    &coupons::MODULE,
    &outbox::MODULE,
    &exchange::MODULE,
];

/// The modules whose tables `command` may touch: a member who only checks in holds the
/// points tables and the outbox (a check-in queues `checkin.recorded`), nothing else.
pub fn needs(command: &MemberCommand) -> &'static [&'static Module] {
    match command {
        // The member's reads look at the wallet and orders only if they exist (`me::Held`).
        MemberCommand::Checkin(_)
        | MemberCommand::Makeup(_)
        | MemberCommand::Month(_)
        | MemberCommand::Ledger(_)
        | MemberCommand::Summary(_)
        | MemberCommand::Coupons(_) => &[&repo::POINTS, &outbox::MODULE],
        // Each extra table only for a claim that needs it: an exchange's holds, a claim's
        // attribution.
        MemberCommand::Claim(claim)
            if claim.terms.config.cost_points.is_some() && claim.attribution.is_some() =>
        {
            &[
                &repo::POINTS,
                &repo::EVENTS,
                &coupons::MODULE,
                &outbox::MODULE,
                &exchange::MODULE,
                &coupon_attribution::MODULE,
            ]
        }
        MemberCommand::Claim(claim) if claim.terms.config.cost_points.is_some() => EXCHANGE,
        // The attribution's table only for a claim that carries one.
        MemberCommand::Claim(claim) if claim.attribution.is_some() => &[
            &repo::POINTS,
            &repo::EVENTS,
            &coupons::MODULE,
            &outbox::MODULE,
            &coupon_attribution::MODULE,
        ],
        MemberCommand::Claim(_) => WALLET,
        MemberCommand::Reserve(reserve) if !has_rx(&reserve.lines) => WALLET,
        MemberCommand::ReleaseCoupon(ReleaseCoupon {
            prescription_id: None,
            ..
        }) => WALLET,
        MemberCommand::Reserve(_) | MemberCommand::ReleaseCoupon(_) => &[
            &repo::POINTS,
            &repo::EVENTS,
            &coupons::MODULE,
            &outbox::MODULE,
            &prescriptions::MODULE,
        ],
        MemberCommand::Event(ApplyEvent {
            event: MemberEvent::PrescriptionApproved(_) | MemberEvent::PrescriptionRevoked(_),
            ..
        }) => &[
            &repo::POINTS,
            &repo::EVENTS,
            &prescriptions::MODULE,
            &outbox::MODULE,
        ],
        // The tombstone only: the erasure empties whatever tables exist.
        MemberCommand::Erase(_) => &[&erasure::MODULE],
        MemberCommand::Footprint(_) | MemberCommand::Erased(_) => &[],
        _ => ALL,
    }
}
