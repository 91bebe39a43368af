//! The inviter's side of a referral: one [`InviteeRecord`] per invitee that asked, the caps'
//! answer, and which of the inviter's rewards were granted or taken back. Pure; see
//! `referral_binding` for the invitee's side and what a step queues.

use super::referral::{
    check_caps, reward, FirstOrderReward, FirstOrderStep, ReferralRules, Refusal, Stage,
};
use super::referral_binding::{Queued, Step};

/// One invitee as the inviter's object keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteeRecord {
    /// Refused at the inviter's side (a cap): the answer to every later ask.
    Refused(Refusal),
    Bound {
        /// The inviter's reward for the invitee's verification was granted.
        verified: bool,
        first_order: FirstOrderReward,
    },
}

impl InviteeRecord {
    /// What the inviter answers the invitee's object: `None` is bound.
    pub fn refusal(self) -> Option<Refusal> {
        match self {
            InviteeRecord::Refused(refusal) => Some(refusal),
            InviteeRecord::Bound { .. } => None,
        }
    }
}

/// What the inviter's object is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviterEvent {
    /// May this invitee be bound? With the bindings already made today and this month.
    Invite {
        bound_today: u32,
        bound_this_month: u32,
    },
    Reward(Stage),
    Clawback(Stage),
}

/// A reward or clawback for an invitee this inviter did not bind (a bug or a forged
/// command: nothing is granted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotBound;

/// The inviter's side: the invitee's record as stored (`None`: never asked) and what arrived.
pub fn decide_inviter(
    record: Option<InviteeRecord>,
    event: InviterEvent,
    rules: &ReferralRules,
) -> Result<Step<InviteeRecord>, NotBound> {
    let (verified, first_order) = match (record, event) {
        // The same invitee asking again gets the first answer.
        (Some(_), InviterEvent::Invite { .. }) => return Ok(Step::nothing()),
        (
            None,
            InviterEvent::Invite {
                bound_today,
                bound_this_month,
            },
        ) => {
            let next = match check_caps(bound_today, bound_this_month, rules) {
                Ok(()) => InviteeRecord::Bound {
                    verified: false,
                    first_order: FirstOrderReward::Open,
                },
                Err(refusal) => InviteeRecord::Refused(refusal),
            };
            return Ok(Step {
                next: Some(next),
                queue: Vec::new(),
            });
        }
        (
            Some(InviteeRecord::Bound {
                verified,
                first_order,
            }),
            _,
        ) => (verified, first_order),
        (None | Some(InviteeRecord::Refused(_)), _) => return Err(NotBound),
    };
    let bound = |verified, first_order| {
        Some(InviteeRecord::Bound {
            verified,
            first_order,
        })
    };
    Ok(match event {
        InviterEvent::Reward(Stage::Verified) if !verified => Step {
            next: bound(true, first_order),
            queue: vec![Queued::Reward(Stage::Verified)],
        },
        InviterEvent::Reward(Stage::FirstOrder)
            if first_order.on_reward() == FirstOrderStep::Grant =>
        {
            let points = reward(Stage::FirstOrder, rules).points;
            Step {
                next: bound(verified, FirstOrderReward::Granted { points }),
                queue: vec![Queued::Reward(Stage::FirstOrder)],
            }
        }
        InviterEvent::Clawback(Stage::FirstOrder) => match first_order.on_clawback() {
            FirstOrderStep::TakeBack { points } => Step {
                next: bound(verified, FirstOrderReward::ClawedBack),
                queue: vec![Queued::TakeBack {
                    stage: Stage::FirstOrder,
                    points,
                }],
            },
            // Never granted, and now never will be.
            FirstOrderStep::Cancel => Step {
                next: bound(verified, FirstOrderReward::ClawedBack),
                queue: Vec::new(),
            },
            FirstOrderStep::Grant | FirstOrderStep::Nothing => Step::nothing(),
        },
        // Repeats, the invitee's own stage, and stages without a clawback.
        _ => Step::nothing(),
    })
}
