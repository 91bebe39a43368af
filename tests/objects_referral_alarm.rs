//! Whether a member's registration steps still wait on the object's alarm, read from its
//! stored state (`referral_invitee::steps_pending`): a delivery after an answer leaves the
//! alarm armed while they do, and sets it to the outbox's next due time (or removes it)
//! once they are done (`domain::alarm::after_delivery`).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::rules::Rules;
use pharmedge::objects::member::referral_invitee::steps_pending;
use seam::referral::*;
use seam::Sqlite;

#[test]
fn registration_steps_are_pending_until_the_device_is_reported_and_the_binding_decided() {
    let rules = Rules::default();
    let (inviter, invitee) = (member_db(), member_db());
    let mut devices = Devices::default();
    assert_eq!(steps_pending(&invitee.sql, true, false), Ok(false));
    assert_eq!(steps_pending(&invitee.sql, false, false), Ok(false));
    let registration = registered(INVITEE, Some(CODE), Some(INVITER), Some("dev-1"), T0);
    event(&invitee, &rules, INVITEE, "evt-reg", registration, T0);
    // A device to report and a binding to decide.
    assert_eq!(steps_pending(&invitee.sql, true, false), Ok(true));
    assert_eq!(steps_pending(&invitee.sql, false, false), Ok(true));
    // The inviter is unavailable: the device is reported, the binding still waits.
    assert!(try_finish(&invitee, &inviter, &mut devices, &rules, 1).is_err());
    assert_eq!(count(&invitee, "SELECT COUNT(*) FROM device_claims"), 0);
    assert_eq!(steps_pending(&invitee.sql, true, false), Ok(true));
    assert_eq!(
        try_finish(&invitee, &inviter, &mut devices, &rules, 0),
        Ok(true)
    );
    assert_eq!(steps_pending(&invitee.sql, true, false), Ok(false));
    // A registration without a code waits only for its device's report.
    let other = member_db();
    let plain = registered("mem-plain", None, None, Some("dev-2"), T0);
    event(&other, &rules, "mem-plain", "evt-plain", plain, T0);
    assert_eq!(steps_pending(&other.sql, true, false), Ok(true));
    assert_eq!(
        try_finish(&other, &inviter, &mut devices, &rules, 0),
        Ok(false)
    );
    assert_eq!(steps_pending(&other.sql, true, false), Ok(false));
}

#[test]
fn a_member_without_the_referral_tables_has_no_steps_pending() {
    // Not known to hold them: looked up, not read (the read would fail).
    assert_eq!(steps_pending(&Sqlite::open(), false, false), Ok(false));
}
