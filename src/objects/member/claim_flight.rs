//! The member object's claims in flight: reservations decided but not yet written (see
//! `wallet::Pending`). They live as long as the object instance, which is the only one of this
//! member anywhere: a later claim in the same instance counts them against the limits, takes
//! the next seq and sees their keys as in progress. If the instance dies, they die with it and
//! nothing was written: the next claim takes the same seq, so the same claim id, and the shard
//! answers it with the unit it may already hold for it.

use super::wallet::Pending;
use std::cell::RefCell;

#[derive(Debug, Default)]
pub struct InFlight {
    pending: RefCell<Vec<Pending>>,
}

impl InFlight {
    /// The reservations in flight now.
    pub fn pending(&self) -> Vec<Pending> {
        self.pending.borrow().clone()
    }

    /// Holds `pending` in flight until the returned guard is dropped (the claim's end, after
    /// the transaction that wrote its row, or when the claim's future is dropped).
    pub fn hold(&self, pending: Pending) -> Flight<'_> {
        let claim_id = pending.claim_id.clone();
        self.pending.borrow_mut().push(pending);
        Flight {
            in_flight: self,
            claim_id,
        }
    }
}

/// One claim in flight; dropping it lands it.
pub struct Flight<'a> {
    in_flight: &'a InFlight,
    claim_id: String,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let claim_id = &self.claim_id;
        self.in_flight
            .pending
            .borrow_mut()
            .retain(|pending| &pending.claim_id != claim_id);
    }
}
