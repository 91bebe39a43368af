//! Placing an order, pure: the states an order's row goes through before it is an order, and
//! what a repeated placement, the alarm and the acceptance may do in each.
//!
//! Placement crosses three owners (the order, the catalogue, the member's wallet) and no
//! transaction spans them: the row says `placing` while the others are asked, and a placement
//! that dies in between is abandoned by the alarm and what it reserved given back.

use super::order::OrderStatus;
use super::order_lines::{has_rx, OrderLine};

/// A placement that has not finished in this time is given up and its coupon released.
pub const PLACING_TIMEOUT_MS: i64 = 30_000;

/// Where an order's row is: still being placed, given up, refused for good, or an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// The catalogue and the member's object are being asked.
    Placing,
    /// Timed out or failed after a reservation may have been made: its coupon is given back.
    Abandoned,
    /// Refused for good: the refusal is the Idempotency-Key's answer.
    Refused,
    Placed(OrderStatus),
}

impl OrderState {
    /// The stored name (an order's status names its placed states).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Placing => "placing",
            OrderState::Abandoned => "abandoned",
            OrderState::Refused => "refused",
            OrderState::Placed(status) => status.as_str(),
        }
    }

    pub fn parse(raw: &str) -> Option<OrderState> {
        match raw {
            "placing" => Some(OrderState::Placing),
            "abandoned" => Some(OrderState::Abandoned),
            "refused" => Some(OrderState::Refused),
            other => OrderStatus::parse(other).map(OrderState::Placed),
        }
    }

    /// The order's status, once it is one (a member never sees the states before).
    pub fn placed(self) -> Option<OrderStatus> {
        match self {
            OrderState::Placed(status) => Some(status),
            _ => None,
        }
    }
}

/// What a placement finds when its Idempotency-Key was seen before with the same body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Again {
    /// The first attempt is still under way, or its coupon is still being given back.
    InProgress,
    /// The first attempt was given up: this one starts over.
    StartOver,
    /// The first attempt was refused for good: the same refusal.
    Refusal,
    /// The first attempt placed the order: its answer.
    Replay,
}

/// `since_update_ms`: how long ago the row last changed; `release_pending`: the given-up
/// attempt's coupon release is still queued.
pub fn again(state: OrderState, since_update_ms: i64, release_pending: bool) -> Again {
    match state {
        OrderState::Placing if since_update_ms < PLACING_TIMEOUT_MS => Again::InProgress,
        OrderState::Abandoned if release_pending => Again::InProgress,
        OrderState::Placing | OrderState::Abandoned => Again::StartOver,
        OrderState::Refused => Again::Refusal,
        OrderState::Placed(_) => Again::Replay,
    }
}

/// Only a placement still under way is accepted, abandoned, refused or forgotten: one that
/// timed out meanwhile was given up, and its client may retry.
pub fn under_way(state: OrderState) -> bool {
    state == OrderState::Placing
}

/// Whether a placement is recorded (its timeout armed) before the member's object is asked:
/// when that object will lock something for it (the coupon; the prescription of an Rx line),
/// so that the alarm gives the lock back if the order's object dies before accepting. An
/// order that locks nothing is written once, after the catalogue and the member answered.
pub fn records_before_reserving(coupon_id: Option<&str>, lines: &[OrderLine]) -> bool {
    coupon_id.is_some() || has_rx(lines)
}

/// What the alarm does about the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    Nothing,
    /// Stuck past its timeout: abandon it.
    Abandon,
    /// Still young: look again then.
    LookAgainAt(i64),
}

pub fn sweep(state: OrderState, updated_ms: i64, now_ms: i64) -> Sweep {
    if !under_way(state) {
        return Sweep::Nothing;
    }
    let due_ms = updated_ms + PLACING_TIMEOUT_MS;
    if now_ms >= due_ms {
        Sweep::Abandon
    } else {
        Sweep::LookAgainAt(due_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [OrderState; 4] = [
        OrderState::Placing,
        OrderState::Abandoned,
        OrderState::Refused,
        OrderState::Placed(OrderStatus::Accepted),
    ];

    #[test]
    fn states_read_back_from_their_names() {
        for state in ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
        }
        assert_eq!(OrderState::parse("shipped"), None);
        assert_eq!(OrderState::Placing.placed(), None);
    }

    #[test]
    fn a_repeat_waits_replays_refuses_or_starts_over() {
        let young = PLACING_TIMEOUT_MS - 1;
        assert_eq!(again(OrderState::Placing, young, false), Again::InProgress);
        assert_eq!(
            again(OrderState::Placing, PLACING_TIMEOUT_MS, false),
            Again::StartOver
        );
        assert_eq!(again(OrderState::Abandoned, 0, true), Again::InProgress);
        assert_eq!(again(OrderState::Abandoned, 0, false), Again::StartOver);
        assert_eq!(again(OrderState::Refused, 0, false), Again::Refusal);
        assert_eq!(
            again(OrderState::Placed(OrderStatus::Cancelled), 0, false),
            Again::Replay
        );
    }

    #[test]
    fn only_an_order_that_locks_nothing_skips_the_record_before_the_member() {
        use crate::domain::order_lines::DrugClass;
        let line = |drug_class| OrderLine {
            sku: "sku-1".into(),
            name: "x".into(),
            qty: 1,
            unit_price_fen: 100,
            drug_class,
        };
        let otc = [line(DrugClass::OtcB), line(DrugClass::Health)];
        let with_rx = [line(DrugClass::OtcA), line(DrugClass::Rx)];
        assert!(!records_before_reserving(None, &otc));
        assert!(records_before_reserving(Some("cpn-1"), &otc));
        assert!(records_before_reserving(None, &with_rx));
        assert!(records_before_reserving(Some("cpn-1"), &with_rx));
    }

    #[test]
    fn the_alarm_abandons_only_a_stuck_placement() {
        assert_eq!(
            sweep(OrderState::Placing, 1_000, 1_000 + PLACING_TIMEOUT_MS),
            Sweep::Abandon
        );
        assert_eq!(
            sweep(OrderState::Placing, 1_000, 1_000),
            Sweep::LookAgainAt(1_000 + PLACING_TIMEOUT_MS)
        );
        for state in &ALL[1..] {
            assert_eq!(sweep(*state, 0, i64::MAX), Sweep::Nothing);
            assert!(!under_way(*state));
        }
    }
}
