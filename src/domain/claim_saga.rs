//! The claim saga: a coupon claim crosses owners. The member's object reserves the claim
//! against the member's limits, asks the campaign's stock shards for one unit (in the
//! member's shard order, skipping shards known dry), then issues the coupon, or gives back
//! what it holds and refuses. This module decides every next step from the saga's state and
//! the last reply; the member's object only carries the steps out (a call to a shard, a
//! transaction of its own), so every path runs under `cargo test` with scripted replies.
//!
//! What the saga holds is a list of [`Hold`]s, released last-first when the claim ends
//! without a coupon: a unit of stock, and for a points exchange the member's points, held
//! before any unit is taken (`start_holding`) and spent by `Issue` together with the coupon.
//! So the points are never debited without a unit, and a unit never stays taken for points
//! that are short: sold out gives the points hold back untouched, a refused issue gives the
//! unit back, then the points hold.

use std::collections::HashMap;

/// Something the claim holds at another owner, to give back if it ends without a coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// One unit at stock shard `shard`, taken under the claim id (release is idempotent
    /// there: a claim id gives back at most the one unit it took).
    Unit { shard: u32 },
    /// `cost` points held in the member's own object for a points exchange (counted against
    /// what the member may spend while the claim is in flight; dropped on release, spent by
    /// the issue).
    Points { cost: i64 },
}

/// What the member's object does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<E> {
    /// Ask shard `shard` for one unit under the claim id.
    Take { shard: u32 },
    /// Give back what the claim holds (or may hold: the shard did not answer).
    Release(Hold),
    /// Put the coupon in the wallet (the member's transaction).
    Issue,
    /// The claim is over.
    Finish(Outcome<E>),
}

/// How a claim ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<E> {
    Issued,
    /// Every shard asked was dry, or known dry.
    SoldOut,
    /// A shard refused for the campaign itself: paused, ended, not started (final).
    Closed(super::campaign::StockRefusal),
    /// A shard did not answer; whatever it may have taken was given back (or see
    /// [`ClaimSaga::unreleased`]). Worth retrying.
    Unavailable,
    /// The member's side refused or failed after a unit was held; the unit was given back.
    NotIssued(E),
}

/// The last reply, to the last step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<E> {
    /// The shard holds a unit for the claim id (just taken, or taken by an earlier attempt).
    Taken,
    /// The shard is sold out.
    Dry,
    /// The shard refused for the campaign (paused, ended, not started).
    Closed(super::campaign::StockRefusal),
    /// No answer: a call that failed may or may not have been carried out.
    Unreachable,
    Issued,
    NotIssued(E),
    Released,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Take(u32),
    Issue,
    Release(Hold),
    Nothing,
}

/// One claim's saga.
#[derive(Debug, Clone)]
pub struct ClaimSaga<E> {
    /// The shards in the order this member tries them.
    order: Vec<u32>,
    /// The next index of `order` to consider.
    position: usize,
    known_dry: Vec<u32>,
    answered_dry: Vec<u32>,
    awaiting: Awaiting,
    /// Held, or perhaps held (asked without an answer).
    holds: Vec<Hold>,
    /// The outcome decided while what is held is given back.
    unwinding: Option<Outcome<E>>,
    unreleased: Vec<Hold>,
}

impl<E: Clone> ClaimSaga<E> {
    /// A saga over shards in `order`, skipping those in `known_dry` (hints that they were
    /// sold out a moment ago): after a sell-out, late claims do not ask every dry shard.
    pub fn start(order: Vec<u32>, known_dry: &[u32]) -> (Self, Step<E>) {
        Self::start_holding(order, known_dry, Vec::new())
    }

    /// A saga that already holds `held` (a points exchange's points, held in the member's
    /// first transaction): given back, after any unit, when the claim ends without a coupon.
    pub fn start_holding(order: Vec<u32>, known_dry: &[u32], held: Vec<Hold>) -> (Self, Step<E>) {
        let mut saga = ClaimSaga {
            order,
            position: 0,
            known_dry: known_dry.to_vec(),
            answered_dry: Vec::new(),
            awaiting: Awaiting::Nothing,
            holds: held,
            unwinding: None,
            unreleased: Vec::new(),
        };
        let step = saga.next_shard();
        (saga, step)
    }

    /// The step after `reply` (the answer to the last step).
    pub fn next(&mut self, reply: Reply<E>) -> Step<E> {
        match (self.awaiting, reply) {
            (Awaiting::Take(shard), Reply::Taken) => {
                self.holds.push(Hold::Unit { shard });
                self.awaiting = Awaiting::Issue;
                Step::Issue
            }
            (Awaiting::Take(shard), Reply::Dry) => {
                self.answered_dry.push(shard);
                self.next_shard()
            }
            (Awaiting::Take(_), Reply::Closed(refusal)) => self.unwind(Outcome::Closed(refusal)),
            (Awaiting::Issue, Reply::Issued) => {
                // The coupon is what the holds became: nothing to give back any more.
                self.holds.clear();
                self.finish(Outcome::Issued)
            }
            (Awaiting::Issue, Reply::NotIssued(error)) => self.unwind(Outcome::NotIssued(error)),
            (Awaiting::Release(hold), Reply::Released) => {
                self.holds.retain(|held| *held != hold);
                self.unwind_next()
            }
            (Awaiting::Release(hold), _) => {
                // Not given back (see `unreleased`).
                self.holds.retain(|held| *held != hold);
                self.unreleased.push(hold);
                self.unwind_next()
            }
            (Awaiting::Take(shard), _) => {
                // No answer, or one that does not fit: the shard may have taken a unit. Never
                // ask another shard for this claim id before this one gives it back.
                self.holds.push(Hold::Unit { shard });
                self.unwind(Outcome::Unavailable)
            }
            (Awaiting::Issue, _) => self.unwind(Outcome::Unavailable),
            (Awaiting::Nothing, _) => match &self.unwinding {
                Some(outcome) => Step::Finish(outcome.clone()),
                None => Step::Finish(Outcome::Unavailable),
            },
        }
    }

    /// The shards that answered dry during this saga (for the isolate's hints).
    pub fn answered_dry(&self) -> &[u32] {
        &self.answered_dry
    }

    /// What the claim may still hold because its release got no answer. The member's next
    /// claim on the campaign reuses the claim id, and the shard answers it with that unit.
    pub fn unreleased(&self) -> &[Hold] {
        &self.unreleased
    }

    fn next_shard(&mut self) -> Step<E> {
        while let Some(&shard) = self.order.get(self.position) {
            self.position += 1;
            if self.known_dry.contains(&shard) || self.answered_dry.contains(&shard) {
                continue;
            }
            self.awaiting = Awaiting::Take(shard);
            return Step::Take { shard };
        }
        self.unwind(Outcome::SoldOut)
    }

    fn unwind(&mut self, outcome: Outcome<E>) -> Step<E> {
        self.unwinding = Some(outcome);
        self.unwind_next()
    }

    fn unwind_next(&mut self) -> Step<E> {
        match self.holds.last() {
            Some(&hold) => {
                self.awaiting = Awaiting::Release(hold);
                Step::Release(hold)
            }
            None => {
                let outcome = self.unwinding.clone().unwrap_or(Outcome::Unavailable);
                self.finish(outcome)
            }
        }
    }

    fn finish(&mut self, outcome: Outcome<E>) -> Step<E> {
        self.awaiting = Awaiting::Nothing;
        self.unwinding = Some(outcome.clone());
        Step::Finish(outcome)
    }
}

/// How long a shard that answered `sold_out` is skipped by claims in one isolate. Stock only
/// comes back through a top-up (or a release), so the cost is that a claim in the second
/// after a top-up may still hear `sold_out`; the gain is that after a sell-out the flood of
/// late claims does not ask every dry shard in turn.
pub const DRY_HINT_MS: u64 = 1_000;

/// How many hints an isolate keeps before it forgets them all.
pub const DRY_HINT_LIMIT: usize = 1_000;

/// One isolate's hints of which shards (by object name) were dry, and since when.
#[derive(Debug, Default)]
pub struct DryHints {
    since_ms: HashMap<String, u64>,
}

impl DryHints {
    pub fn is_dry(&self, shard: &str, now_ms: u64) -> bool {
        self.since_ms
            .get(shard)
            .is_some_and(|at| now_ms.saturating_sub(*at) < DRY_HINT_MS)
    }

    pub fn mark(&mut self, shard: String, now_ms: u64) {
        if self.since_ms.len() >= DRY_HINT_LIMIT && !self.since_ms.contains_key(&shard) {
            self.since_ms.clear();
        }
        self.since_ms.insert(shard, now_ms);
    }

    /// After an operator's change (a top-up, a resume) the new stock is offered at once here.
    pub fn forget(&mut self, shard: &str) {
        self.since_ms.remove(shard);
    }
}
