//! Each relayed reply type's key order (`KeyOrder`), as its derived `Serialize` writes it.
//! Pinned for every type by tests/objects_relay_format.rs (a populated reply written both
//! ways), so a field added to a type without its entry here fails that test.

use super::{KeyOrder, Keys};
use serde_json::Value;

/// Fields in order, each kept as it is (their values have no maps, or sorted ones).
macro_rules! plain {
    ($($name:literal),* $(,)?) => {
        Keys::Fields(&[$(($name, Keys::AsIs)),*])
    };
}

mod orders {
    use super::{KeyOrder, Keys};
    use crate::objects::order::protocol::{OrderView, PickupCodeReply};
    use crate::objects::store::ListReply;

    const LINE: Keys = plain!["sku", "name", "qty", "unit_price_fen", "drug_class"];

    impl KeyOrder for OrderView {
        const KEYS: Keys = Keys::Fields(&[
            ("order_id", Keys::AsIs),
            ("status", Keys::AsIs),
            ("store_id", Keys::AsIs),
            ("fulfilment", Keys::AsIs),
            ("lines", Keys::Each(&LINE)),
            ("coupon_id", Keys::AsIs),
            ("subtotal_fen", Keys::AsIs),
            ("discount_fen", Keys::AsIs),
            ("payable_fen", Keys::AsIs),
            ("placed_at", Keys::AsIs),
            ("updated_at", Keys::AsIs),
            ("reason", Keys::AsIs),
            (
                "pickup",
                plain!["ready_at", "pickup_deadline", "verified_at", "verified_by"],
            ),
        ]);
    }

    impl KeyOrder for PickupCodeReply {
        const KEYS: Keys = plain![
            "order_id",
            "store_id",
            "qr",
            "short_code",
            "valid_for_s",
            "refresh_in_s",
            "expires_at"
        ];
    }

    impl KeyOrder for ListReply {
        const KEYS: Keys = Keys::Fields(&[(
            "pickups",
            Keys::Each(&plain![
                "order_id",
                "ready_at",
                "pickup_deadline",
                "line_count",
                "has_rx"
            ]),
        )]);
    }
}

mod member {
    use super::{KeyOrder, Keys};
    use crate::objects::member::protocol::{
        CheckinReply, CouponsReply, EventReply, LedgerReply, MakeupReply, MonthReply,
        ReferralSummaryReply, SummaryReply,
    };
    use crate::objects::relay::Relayed;

    impl KeyOrder for CheckinReply {
        const KEYS: Keys = plain![
            "date",
            "streak",
            "cycle_day",
            "points_awarded",
            "bonus_points",
            "balance",
            "already_checked_in"
        ];
    }

    impl Relayed<CheckinReply> {
        /// Whether the member had checked in today already (the answer is then a 200, not
        /// a 201). The reply's only strings are dates, so the key's text is found only where
        /// the reply writes it.
        pub fn already_checked_in(&self) -> bool {
            self.text.contains("\"already_checked_in\":true")
        }
    }

    impl KeyOrder for ReferralSummaryReply {
        const KEYS: Keys = plain![
            "code",
            "clicks",
            "unique_visitors",
            "clicks_today",
            "bound",
            "rewarded",
            "pending",
            "refused",
            "points_earned"
        ];
    }

    impl KeyOrder for MakeupReply {
        const KEYS: Keys = plain!["date", "cost_points", "streak", "balance"];
    }

    impl KeyOrder for MonthReply {
        const KEYS: Keys = Keys::Fields(&[
            ("month", Keys::AsIs),
            ("days", Keys::AsIs),
            ("makeup_days", Keys::AsIs),
            ("makeups_used", Keys::AsIs),
            ("makeups_left", Keys::AsIs),
            ("streak", Keys::AsIs),
            ("checked_in_today", Keys::AsIs),
            ("today", Keys::AsIs),
            (
                "next_checkin",
                plain!["date", "streak", "points", "bonus_points"],
            ),
            (
                "bonuses_ahead",
                Keys::Each(&plain!["date", "streak", "bonus_points"]),
            ),
            ("makeup_dates", Keys::AsIs),
            (
                "rules",
                plain![
                    "base_points",
                    "cycle_days",
                    "makeup_cost_points",
                    "makeups_per_month"
                ],
            ),
        ]);
    }

    impl KeyOrder for SummaryReply {
        const KEYS: Keys = Keys::Fields(&[
            ("member_id", Keys::AsIs),
            ("tier", plain!["name", "spend_fen", "next", "to_next_fen"]),
            (
                "points",
                Keys::Fields(&[
                    ("balance", Keys::AsIs),
                    ("debt", Keys::AsIs),
                    ("expiring", Keys::Each(&plain!["amount", "expires_at"])),
                ]),
            ),
            ("checkin", plain!["streak", "checked_in_today"]),
            ("coupons", plain!["available"]),
            ("ab", plain!["experiment"]),
        ]);
    }

    impl KeyOrder for LedgerReply {
        const KEYS: Keys = Keys::Fields(&[
            (
                "entries",
                Keys::Each(&plain![
                    "id",
                    "amount",
                    "kind",
                    "source",
                    "source_id",
                    "created_at",
                    "expires_at"
                ]),
            ),
            ("next_cursor", Keys::AsIs),
        ]);
    }

    impl KeyOrder for CouponsReply {
        // A coupon's terms (`TermsView`) are flattened in after its campaign.
        const KEYS: Keys = Keys::Fields(&[(
            "coupons",
            Keys::Each(&plain![
                "coupon_id",
                "campaign_id",
                "type",
                "value_fen",
                "percent",
                "min_spend_fen",
                "max_discount_fen",
                "status",
                "claimed_at",
                "valid_from",
                "expires_at",
                "store_id"
            ]),
        )]);
    }

    impl KeyOrder for EventReply {
        const KEYS: Keys = plain!["accepted", "duplicate"];
    }
}

mod catalog {
    use super::{KeyOrder, Keys};
    use crate::objects::catalog::protocol::{AdminView, PushReply};

    impl KeyOrder for PushReply {
        const KEYS: Keys = plain!["accepted", "duplicate", "items", "applied"];
    }

    impl KeyOrder for AdminView {
        // The item (`ItemView`) flattened in first.
        const KEYS: Keys = Keys::Fields(&[
            ("sku", Keys::AsIs),
            ("name", Keys::AsIs),
            ("drug_class", Keys::AsIs),
            ("price_fen", Keys::AsIs),
            ("category", Keys::AsIs),
            ("status", Keys::AsIs),
            ("max_qty_per_order", Keys::AsIs),
            ("version", Keys::AsIs),
            (
                "stops",
                Keys::Fields(&[
                    ("core", Keys::AsIs),
                    ("admin", plain!["reason", "by", "at"]),
                ]),
            ),
            (
                "audit",
                Keys::Each(&plain!["at", "by", "reason", "before", "after"]),
            ),
        ]);
    }
}

mod campaigns {
    use super::{KeyOrder, Keys};
    use crate::objects::campaign::views::PublicCampaign;

    const STOCK: Keys = plain!["total", "remaining"];

    impl KeyOrder for PublicCampaign {
        const KEYS: Keys = Keys::Fields(&[
            ("id", Keys::AsIs),
            ("name", Keys::AsIs),
            ("kind", Keys::AsIs),
            ("starts_at", Keys::AsIs),
            ("ends_at", Keys::AsIs),
            ("status", Keys::AsIs),
            (
                // The terms (`TermsView`) flattened in first.
                "coupon",
                plain![
                    "type",
                    "value_fen",
                    "percent",
                    "min_spend_fen",
                    "max_discount_fen",
                    "valid_days",
                    "valid_until"
                ],
            ),
            ("limits", plain!["per_member", "per_member_per_day"]),
            (
                "audience",
                plain!["new_members_within_days", "first_order_only", "tiers"],
            ),
            ("rules_text", Keys::AsIs),
            ("stock", STOCK),
            (
                "next_occurrence",
                Keys::Fields(&[
                    ("starts_at", Keys::AsIs),
                    ("ends_at", Keys::AsIs),
                    ("stock", STOCK),
                ]),
            ),
            ("cost_points", Keys::AsIs),
            ("multiplier", Keys::AsIs),
            ("combine", Keys::AsIs),
        ]);
    }
}

/// Replies that are a `Value` already (kept answers): written as they came.
impl KeyOrder for Value {
    const KEYS: Keys = Keys::AsIs;
}
