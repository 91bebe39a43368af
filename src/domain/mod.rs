//! The rules of the business, pure: no `worker` import, no I/O, no clock.
//! Everything here takes plain values and returns plain values, and is tested natively.

pub mod attribution;
pub mod campaign;
pub mod campaign_patch;
pub mod catalog;
pub mod checkin;
pub mod claim_saga;
pub mod coupon;
pub mod coupon_template;
pub mod delivery;
pub mod events;
pub mod exchange;
pub mod ids;
pub mod json_path;
pub mod migrations;
pub mod order;
pub mod order_lines;
pub mod order_points;
pub mod outbound;
pub mod parsed_str;
pub mod pickup;
pub mod placement;
pub mod points;
pub mod prescription;
pub mod referral;
pub mod referral_binding;
pub mod referral_inviter;
pub mod rules;
pub mod schedule;
pub mod schedule_campaign;
pub mod storage;
pub mod throttle;
pub mod tier;
pub mod tier_benefits;
pub mod time;
