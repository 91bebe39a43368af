//! The alarm an object shares between its outbox and other pending work (a member's referral
//! registration steps): what to write to it around a delivery made right after an answer.
//! The caller reads "other work pending" from stored state synchronously, just before the
//! write, so no other event of the object interleaves between the read and the write.

/// One write to the object's alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmWrite {
    /// Exactly this time: nothing else needs the alarm (one write, no read).
    Set(i64),
    /// This time unless the alarm is already due earlier (a read, then maybe a write).
    Earlier(i64),
    /// No alarm at all.
    Delete,
    /// Left as it is.
    Keep,
}

/// Before a delivery: the alarm is the retry path of the rows it leases until `lease_end_ms`.
/// When other work is pending its earlier alarm must survive, so the write only moves it
/// earlier; otherwise any earlier alarm is the outbox's own (covered by the lease's end).
pub fn before_delivery(lease_end_ms: i64, other_work_pending: bool) -> AlarmWrite {
    if other_work_pending {
        AlarmWrite::Earlier(lease_end_ms)
    } else {
        AlarmWrite::Set(lease_end_ms)
    }
}

/// After a delivery round: exactly the outbox's next due time, or no alarm, unless other
/// work is pending; then the alarm stays (it resumes that work when it fires) and is only
/// moved earlier for the outbox.
pub fn after_delivery(outbox_next_ms: Option<i64>, other_work_pending: bool) -> AlarmWrite {
    match (outbox_next_ms, other_work_pending) {
        (Some(next_ms), false) => AlarmWrite::Set(next_ms),
        (None, false) => AlarmWrite::Delete,
        (Some(next_ms), true) => AlarmWrite::Earlier(next_ms),
        (None, true) => AlarmWrite::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_leaves_exactly_the_outbox_next_due_time_when_nothing_else_is_pending() {
        assert_eq!(after_delivery(Some(70), false), AlarmWrite::Set(70));
        assert_eq!(after_delivery(None, false), AlarmWrite::Delete);
    }

    #[test]
    fn pending_referral_steps_keep_the_alarm_armed_after_a_delivery() {
        // Never removed nor pushed later while other work waits on it.
        assert_eq!(after_delivery(None, true), AlarmWrite::Keep);
        assert_eq!(after_delivery(Some(70), true), AlarmWrite::Earlier(70));
    }

    #[test]
    fn the_lease_end_replaces_the_alarm_only_when_nothing_else_uses_it() {
        assert_eq!(before_delivery(15_000, false), AlarmWrite::Set(15_000));
        assert_eq!(before_delivery(15_000, true), AlarmWrite::Earlier(15_000));
    }
}
