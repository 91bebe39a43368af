//! The rules of the business, pure: no `worker` import, no I/O, no clock.
//! Everything here takes plain values and returns plain values, and is tested natively.

pub mod campaign;
pub mod campaign_patch;
pub mod catalog;
pub mod checkin;
pub mod coupon;
pub mod coupon_template;
pub mod delivery;
pub mod events;
pub mod ids;
pub mod migrations;
pub mod order;
pub mod order_lines;
pub mod parsed_str;
pub mod pickup;
pub mod placement;
pub mod points;
pub mod prescription;
pub mod referral;
pub mod rules;
pub mod storage;
pub mod throttle;
pub mod tier;
pub mod time;
