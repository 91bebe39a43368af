//! The referral binding as states, and what each thing that happens does to it. Pure.
//!
//! Two objects hold a referral. The invitee's object holds the [`Binding`] (at most one,
//! ever): created pending by a registration with a code, decided once (bound or refused),
//! then told of the invitee's verification, first paid order and refunds. The inviter's
//! object holds one [`InviteeRecord`] per invitee that asked: the caps' answer, and which of
//! the inviter's rewards were granted or taken back. [`decide`] and [`decide_inviter`] say
//! the next state and what to queue; the objects only load, ask, store and enqueue. The
//! inviter's side is `referral_inviter`.
//!
//! Every command between the two travels through an outbox and so arrives at least once, in
//! any order: each step is a no-op when repeated, so each reward is granted once whatever
//! is retried.

use super::referral::{
    check_invitee, claws_back_first_order, InviteeFacts, ReferralRules, Refusal, Stage,
};
use chrono::{DateTime, Utc};

/// Where the invitee's binding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingState {
    /// Recorded; the device and the inviter's caps are still to be asked.
    Pending,
    Bound,
    Refused,
}

/// The invitee's first paid order, as the core flagged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstOrder {
    pub order_id: String,
    pub paid_at: DateTime<Utc>,
    pub amount_fen: i64,
}

/// The invitee's side of a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub state: BindingState,
    /// Why it was refused (only when `Refused`).
    pub refusal: Option<Refusal>,
    /// Recorded whatever the state, so a binding decided after the order still rewards it.
    pub first_order: Option<FirstOrder>,
    /// The first order's clawback went to the inviter (it goes once).
    pub clawback_queued: bool,
}

impl Binding {
    fn pending() -> Self {
        Binding {
            state: BindingState::Pending,
            refusal: None,
            first_order: None,
            clawback_queued: false,
        }
    }
}

/// A registration with a share code, seen for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival<'a> {
    pub invitee: &'a str,
    /// Who owns the code (`None`: nobody).
    pub inviter: Option<&'a str>,
    /// No registration of this member was reported before this one.
    pub first_registration: bool,
    pub registered_at: DateTime<Utc>,
    pub has_paid_order: bool,
    pub now: DateTime<Utc>,
}

/// What happened, as the invitee's object sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteeEvent<'a> {
    /// `member.registered` without a code (or with one nobody could read).
    RegisteredWithoutCode,
    Registered(Arrival<'a>),
    /// The steps that needed other objects are done: the device registry's and the
    /// inviter's answers, with what the invitee did meanwhile.
    Decided {
        decision: Result<(), Refusal>,
        verified: bool,
        /// Refunded so far of the first order (0 without one).
        refunded_fen: i64,
        /// The registration's business clock.
        now: DateTime<Utc>,
    },
    /// `member.verified`.
    Verified,
    /// The core flagged this paid order as the member's first.
    FirstOrderPaid(FirstOrder),
    /// A payment or a refund: what is now refunded of the first order.
    Refunds {
        refunded_fen: i64,
        now: DateTime<Utc>,
    },
}

/// What the invitee's object asks of the inviter's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToInviter {
    Reward,
    Clawback,
}

/// What a step queues, in order. Each is written in the same transaction as the new state,
/// under a key of its own, so queuing it again is a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// The registration's device goes to the device registry.
    ReportDevice,
    /// The refusal is recorded and tallied.
    Refused(Refusal),
    /// `referral.bound` to the core, and the tally.
    Bound,
    /// A stage's reward (points, coupon, `referral.rewarded`, tally) to this object's member.
    Reward(Stage),
    /// A stage's reward taken back from this object's member (what was spent becomes debt).
    TakeBack { stage: Stage, points: i64 },
    /// A command to the inviter's object.
    Inviter(ToInviter, Stage),
}

/// The state to store (`None`: unchanged) and what to queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step<S> {
    pub next: Option<S>,
    pub queue: Vec<Queued>,
}

impl<S> Step<S> {
    pub(super) fn nothing() -> Self {
        Step {
            next: None,
            queue: Vec::new(),
        }
    }
}

/// The invitee's side: `binding` as stored (`None`: no binding, ever) and what happened.
pub fn decide(
    binding: Option<&Binding>,
    event: InviteeEvent<'_>,
    rules: &ReferralRules,
) -> Step<Binding> {
    match event {
        InviteeEvent::RegisteredWithoutCode => Step {
            next: None,
            queue: vec![Queued::ReportDevice],
        },
        InviteeEvent::Registered(arrival) => register(binding, &arrival, rules),
        InviteeEvent::Decided {
            decision,
            verified,
            refunded_fen,
            now,
        } => match binding {
            Some(pending) if pending.state == BindingState::Pending => {
                settle(pending, decision, verified, refunded_fen, now, rules)
            }
            _ => Step::nothing(),
        },
        InviteeEvent::Verified => match binding {
            Some(bound) if bound.state == BindingState::Bound => Step {
                next: None,
                queue: vec![Queued::Inviter(ToInviter::Reward, Stage::Verified)],
            },
            _ => Step::nothing(),
        },
        InviteeEvent::FirstOrderPaid(order) => match binding {
            Some(binding)
                if binding.state != BindingState::Refused && binding.first_order.is_none() =>
            {
                let queue = match binding.state {
                    BindingState::Bound => {
                        vec![Queued::Inviter(ToInviter::Reward, Stage::FirstOrder)]
                    }
                    _ => Vec::new(),
                };
                Step {
                    next: Some(Binding {
                        first_order: Some(order),
                        ..binding.clone()
                    }),
                    queue,
                }
            }
            _ => Step::nothing(),
        },
        InviteeEvent::Refunds { refunded_fen, now } => match binding {
            Some(binding) => refunds(binding, refunded_fen, now, rules),
            None => Step::nothing(),
        },
    }
}

fn register(
    binding: Option<&Binding>,
    arrival: &Arrival<'_>,
    rules: &ReferralRules,
) -> Step<Binding> {
    let facts = InviteeFacts {
        first_registration: arrival.first_registration,
        has_binding: binding.is_some(),
        registered_at: arrival.registered_at,
        has_paid_order: arrival.has_paid_order,
    };
    match check_invitee(arrival.invitee, arrival.inviter, &facts, arrival.now, rules) {
        // No binding is kept: the refusal is recorded instead, and the device reported now.
        Err(refusal) => Step {
            next: None,
            queue: vec![Queued::ReportDevice, Queued::Refused(refusal)],
        },
        // The device goes with the pending binding, to be asked before the inviter.
        Ok(()) => Step {
            next: Some(Binding::pending()),
            queue: Vec::new(),
        },
    }
}

/// A pending binding decided: refused, or bound with the invitee's reward and whatever the
/// invitee reached while it was pending.
fn settle(
    pending: &Binding,
    decision: Result<(), Refusal>,
    verified: bool,
    refunded_fen: i64,
    now: DateTime<Utc>,
    rules: &ReferralRules,
) -> Step<Binding> {
    if let Err(refusal) = decision {
        return Step {
            next: Some(Binding {
                state: BindingState::Refused,
                refusal: Some(refusal),
                ..pending.clone()
            }),
            queue: vec![Queued::Refused(refusal)],
        };
    }
    let bound = Binding {
        state: BindingState::Bound,
        ..pending.clone()
    };
    let mut queue = vec![Queued::Bound, Queued::Reward(Stage::Bound)];
    if verified {
        queue.push(Queued::Inviter(ToInviter::Reward, Stage::Verified));
    }
    if bound.first_order.is_none() {
        return Step {
            next: Some(bound),
            queue,
        };
    }
    queue.push(Queued::Inviter(ToInviter::Reward, Stage::FirstOrder));
    let after = refunds(&bound, refunded_fen, now, rules);
    queue.extend(after.queue);
    Step {
        next: Some(after.next.unwrap_or(bound)),
        queue,
    }
}

/// The first order refunded in full within the window: the inviter's reward for it goes
/// back, once.
fn refunds(
    binding: &Binding,
    refunded_fen: i64,
    now: DateTime<Utc>,
    rules: &ReferralRules,
) -> Step<Binding> {
    let Some(order) = &binding.first_order else {
        return Step::nothing();
    };
    if binding.state != BindingState::Bound
        || binding.clawback_queued
        || !claws_back_first_order(order.paid_at, order.amount_fen, refunded_fen, now, rules)
    {
        return Step::nothing();
    }
    Step {
        next: Some(Binding {
            clawback_queued: true,
            ..binding.clone()
        }),
        queue: vec![Queued::Inviter(ToInviter::Clawback, Stage::FirstOrder)],
    }
}
