//! The configurable business rules, typed and validated once from wrangler vars.
//! Defaults are the ones in DESIGN.md (seed 002/004 figures).

use super::referral::ReferralRules;
use super::throttle::FailureWindow;
use super::time::BusinessZone;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct CheckinRules {
    pub base_points: i64,
    /// (day of the streak cycle, bonus points), e.g. day 3 +10, day 7 +30.
    pub streak_bonuses: Vec<(u32, i64)>,
    /// The cycle restarts after this many consecutive days.
    pub cycle_days: u32,
    pub makeup_cost_points: i64,
    pub makeups_per_month: u32,
}

/// Points per amount of money for one product class: `points` for every whole `per_fen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarnRate {
    pub points: i64,
    pub per_fen: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PointsRules {
    pub ttl_days: i64,
    pub regular: EarnRate,
    pub otc: EarnRate,
    pub health: EarnRate,
    pub gold_multiplier: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRules {
    pub bronze_fen: i64,
    pub silver_fen: i64,
    pub gold_fen: i64,
    pub window_days: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub zone: BusinessZone,
    pub checkin: CheckinRules,
    pub points: PointsRules,
    pub tiers: TierRules,
    pub pickup: PickupRules,
    pub referral: ReferralRules,
}

/// In-store pickup: how long a ready order waits, and how many wrong codes are tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickupRules {
    pub deadline_days: i64,
    /// Days after the pickup deadline an order keeps line names and its prescription id.
    pub retention_days: i64,
    /// Wrong short codes typed for one order before its short code is locked (the QR code
    /// still works).
    pub per_order: FailureWindow,
    /// Wrong codes from one staff member.
    pub per_staff: FailureWindow,
    /// Wrong codes at one store, whoever typed them.
    pub per_store: FailureWindow,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            zone: BusinessZone::shanghai(),
            checkin: CheckinRules {
                base_points: 5,
                streak_bonuses: vec![(3, 10), (7, 30)],
                cycle_days: 7,
                makeup_cost_points: 20,
                makeups_per_month: 2,
            },
            points: PointsRules {
                ttl_days: 90,
                regular: EarnRate {
                    points: 1,
                    per_fen: 2_000,
                },
                otc: EarnRate {
                    points: 1,
                    per_fen: 1_500,
                },
                health: EarnRate {
                    points: 2,
                    per_fen: 3_000,
                },
                gold_multiplier: 2,
            },
            tiers: TierRules {
                bronze_fen: 19_900,
                silver_fen: 99_900,
                gold_fen: 299_900,
                window_days: 365,
            },
            pickup: PickupRules {
                deadline_days: 7,
                retention_days: 180,
                per_order: FailureWindow {
                    max_failures: 5,
                    window_ms: 30 * 60_000,
                },
                per_staff: FailureWindow {
                    max_failures: 10,
                    window_ms: 10 * 60_000,
                },
                per_store: FailureWindow {
                    max_failures: 50,
                    window_ms: 10 * 60_000,
                },
            },
            referral: ReferralRules::default(),
        }
    }
}

/// A configuration value that could not be used; names the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.problem)
    }
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

fn int(var: &'static str, raw: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| bad(var, format!("{raw:?} is not an integer")))?;
    if !(min..=max).contains(&value) {
        return Err(bad(var, format!("{value} is outside {min}..={max}")));
    }
    Ok(value)
}

/// `"3:10,7:30"` -> [(3, 10), (7, 30)]
fn bonuses(var: &'static str, raw: &str, cycle_days: u32) -> Result<Vec<(u32, i64)>, ConfigError> {
    let mut parsed = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (day, points) = pair
            .split_once(':')
            .ok_or_else(|| bad(var, format!("{pair:?} is not day:points")))?;
        let day = int(var, day, 1, i64::from(cycle_days))? as u32;
        parsed.push((day, int(var, points, 0, 1_000_000)?));
    }
    parsed.sort_unstable();
    Ok(parsed)
}

/// `"1/2000"` -> 1 point per 2000 fen
fn rate(var: &'static str, raw: &str) -> Result<EarnRate, ConfigError> {
    let (points, per_fen) = raw
        .split_once('/')
        .ok_or_else(|| bad(var, format!("{raw:?} is not points/fen")))?;
    Ok(EarnRate {
        points: int(var, points, 0, 1_000_000)?,
        per_fen: int(var, per_fen, 1, 100_000_000)?,
    })
}

impl Rules {
    /// Reads the rules from variables (`lookup(name)`), falling back to the defaults for any
    /// variable that is not set. A variable that is set but unusable is an error, never ignored.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut rules = Rules::default();
        if let Some(raw) = lookup("BUSINESS_UTC_OFFSET_MINUTES") {
            let minutes = int("BUSINESS_UTC_OFFSET_MINUTES", &raw, -18 * 60, 18 * 60)?;
            rules.zone = BusinessZone::from_offset_minutes(minutes as i32)
                .ok_or_else(|| bad("BUSINESS_UTC_OFFSET_MINUTES", "invalid offset"))?;
        }
        let checkin = &mut rules.checkin;
        if let Some(raw) = lookup("CHECKIN_BASE_POINTS") {
            checkin.base_points = int("CHECKIN_BASE_POINTS", &raw, 0, 1_000_000)?;
        }
        if let Some(raw) = lookup("CHECKIN_CYCLE_DAYS") {
            checkin.cycle_days = int("CHECKIN_CYCLE_DAYS", &raw, 1, 366)? as u32;
        }
        if let Some(raw) = lookup("CHECKIN_STREAK_BONUSES") {
            checkin.streak_bonuses = bonuses("CHECKIN_STREAK_BONUSES", &raw, checkin.cycle_days)?;
        }
        if let Some(raw) = lookup("MAKEUP_COST_POINTS") {
            checkin.makeup_cost_points = int("MAKEUP_COST_POINTS", &raw, 0, 1_000_000)?;
        }
        if let Some(raw) = lookup("MAKEUPS_PER_MONTH") {
            checkin.makeups_per_month = int("MAKEUPS_PER_MONTH", &raw, 0, 31)? as u32;
        }
        let points = &mut rules.points;
        if let Some(raw) = lookup("POINTS_TTL_DAYS") {
            points.ttl_days = int("POINTS_TTL_DAYS", &raw, 1, 3_650)?;
        }
        if let Some(raw) = lookup("POINTS_RATE_REGULAR") {
            points.regular = rate("POINTS_RATE_REGULAR", &raw)?;
        }
        if let Some(raw) = lookup("POINTS_RATE_OTC") {
            points.otc = rate("POINTS_RATE_OTC", &raw)?;
        }
        if let Some(raw) = lookup("POINTS_RATE_HEALTH") {
            points.health = rate("POINTS_RATE_HEALTH", &raw)?;
        }
        if let Some(raw) = lookup("GOLD_POINTS_MULTIPLIER") {
            points.gold_multiplier = int("GOLD_POINTS_MULTIPLIER", &raw, 1, 10)?;
        }
        let tiers = &mut rules.tiers;
        if let Some(raw) = lookup("TIER_THRESHOLDS_FEN") {
            let parts: Vec<&str> = raw.split(',').collect();
            let [bronze, silver, gold] = parts[..] else {
                return Err(bad("TIER_THRESHOLDS_FEN", "expected bronze,silver,gold"));
            };
            tiers.bronze_fen = int("TIER_THRESHOLDS_FEN", bronze, 1, i64::MAX)?;
            tiers.silver_fen = int(
                "TIER_THRESHOLDS_FEN",
                silver,
                tiers.bronze_fen + 1,
                i64::MAX,
            )?;
            tiers.gold_fen = int("TIER_THRESHOLDS_FEN", gold, tiers.silver_fen + 1, i64::MAX)?;
        }
        let pickup = &mut rules.pickup;
        if let Some(raw) = lookup("PICKUP_DEADLINE_DAYS") {
            pickup.deadline_days = int("PICKUP_DEADLINE_DAYS", &raw, 1, 365)?;
        }
        if let Some(raw) = lookup("RETENTION_DAYS") {
            pickup.retention_days = int("RETENTION_DAYS", &raw, 0, 3650)?;
        }
        for (var, window) in [
            ("PICKUP_FAILURES_PER_ORDER", &mut pickup.per_order),
            ("PICKUP_FAILURES_PER_STAFF", &mut pickup.per_staff),
            ("PICKUP_FAILURES_PER_STORE", &mut pickup.per_store),
        ] {
            if let Some(raw) = lookup(var) {
                *window = failure_window(var, &raw)?;
            }
        }
        let referral = &mut rules.referral;
        for (var, value, max) in [
            (
                "REFERRAL_INVITEE_POINTS",
                &mut referral.invitee_points,
                1_000_000,
            ),
            (
                "REFERRAL_INVITEE_COUPON_FEN",
                &mut referral.invitee_coupon_fen,
                100_000_000,
            ),
            (
                "REFERRAL_INVITER_POINTS",
                &mut referral.inviter_points,
                1_000_000,
            ),
            (
                "REFERRAL_INVITER_COUPON_FEN",
                &mut referral.inviter_coupon_fen,
                100_000_000,
            ),
            (
                "REFERRAL_FIRST_ORDER_POINTS",
                &mut referral.first_order_points,
                1_000_000,
            ),
            (
                "REFERRAL_NEW_MEMBER_HOURS",
                &mut referral.new_member_hours,
                24 * 365,
            ),
            (
                "REFERRAL_REFUND_WINDOW_DAYS",
                &mut referral.refund_window_days,
                365,
            ),
        ] {
            if let Some(raw) = lookup(var) {
                *value = int(var, &raw, 0, max)?;
            }
        }
        if let Some(raw) = lookup("REFERRAL_COUPON_VALID_DAYS") {
            referral.coupon_valid_days = int("REFERRAL_COUPON_VALID_DAYS", &raw, 1, 3_650)?;
        }
        for (var, cap) in [
            ("REFERRAL_DAILY_CAP", &mut referral.daily_cap),
            ("REFERRAL_MONTHLY_CAP", &mut referral.monthly_cap),
        ] {
            if let Some(raw) = lookup(var) {
                *cap = int(var, &raw, 0, 1_000_000)? as u32;
            }
        }
        Ok(rules)
    }
}

/// `<failures>/<minutes>`, e.g. `10/10`.
fn failure_window(var: &'static str, raw: &str) -> Result<FailureWindow, ConfigError> {
    let (failures, minutes) = raw
        .split_once('/')
        .ok_or_else(|| bad(var, "expected <failures>/<minutes>"))?;
    Ok(FailureWindow {
        max_failures: int(var, failures, 1, 100_000)? as u32,
        window_ms: int(var, minutes, 1, 24 * 60)? * 60_000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn unset_vars_give_the_defaults() {
        assert_eq!(Rules::from_vars(vars(&[])).unwrap(), Rules::default());
    }

    #[test]
    fn set_vars_override() {
        let rules = Rules::from_vars(vars(&[
            ("CHECKIN_STREAK_BONUSES", "7:30, 3:10,5:1"),
            ("TIER_THRESHOLDS_FEN", "100,200,300"),
            ("POINTS_RATE_OTC", "3/1000"),
        ]))
        .unwrap();
        assert_eq!(rules.checkin.streak_bonuses, vec![(3, 10), (5, 1), (7, 30)]);
        assert_eq!(rules.tiers.gold_fen, 300);
        assert_eq!(
            rules.points.otc,
            EarnRate {
                points: 3,
                per_fen: 1000
            }
        );
    }

    #[test]
    fn unusable_vars_are_errors_naming_the_var() {
        for (var, value) in [
            ("CHECKIN_BASE_POINTS", "five"),
            ("CHECKIN_STREAK_BONUSES", "9:10"),
            ("TIER_THRESHOLDS_FEN", "300,200,100"),
            ("POINTS_RATE_OTC", "1/0"),
            ("BUSINESS_UTC_OFFSET_MINUTES", "9999"),
        ] {
            let err = Rules::from_vars(vars(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
        }
    }
}
