//! Prescriptions: an Rx order needs an approved, unexpired, unrevoked prescription of the
//! member covering every Rx SKU and quantity, used by one order at a time.

mod common;

use common::line;
use pharmedge::domain::order_lines::DrugClass;
use pharmedge::domain::prescription::*;

fn approved() -> Prescription {
    Prescription {
        id: "rx-1".into(),
        items: vec![PrescribedItem {
            sku: "sku-1".into(),
            qty: 2,
        }],
        expires_at_ms: 1_000,
        state: PrescriptionState::Approved,
    }
}

#[test]
fn an_approved_prescription_covers_its_items_once() {
    let lines = [line(DrugClass::Rx, 2, 100), line(DrugClass::OtcB, 5, 100)];
    assert_eq!(check(Some(&approved()), &lines, "o-1", 999), Ok(()));
    assert_eq!(
        check(Some(&approved()), &[line(DrugClass::Rx, 3, 100)], "o-1", 0),
        Err(PrescriptionProblem::NotCovered)
    );
    // Two lines of the same Rx SKU count together.
    assert_eq!(
        check(
            Some(&approved()),
            &[line(DrugClass::Rx, 1, 1), line(DrugClass::Rx, 2, 1)],
            "o-1",
            0
        ),
        Err(PrescriptionProblem::NotCovered)
    );
}

#[test]
fn each_reason_in_turn() {
    let lines = [line(DrugClass::Rx, 1, 100)];
    assert_eq!(
        check(None, &lines, "o-1", 0),
        Err(PrescriptionProblem::Unknown)
    );
    assert_eq!(
        check(Some(&approved()), &lines, "o-1", 1_000),
        Err(PrescriptionProblem::Expired)
    );
    let used = Prescription {
        state: PrescriptionState::Used {
            order_id: "o-1".into(),
        },
        ..approved()
    };
    assert_eq!(
        check(Some(&used), &lines, "o-2", 0),
        Err(PrescriptionProblem::Used)
    );
    assert_eq!(
        check(Some(&used), &lines, "o-1", 0),
        Ok(()),
        "the order that used it, retried"
    );
    let revoked = Prescription {
        state: PrescriptionState::Revoked,
        ..approved()
    };
    assert_eq!(
        check(Some(&revoked), &lines, "o-1", 0),
        Err(PrescriptionProblem::Revoked)
    );
    assert_eq!(PrescriptionProblem::NotCovered.as_str(), "not_covered");
}

#[test]
fn only_the_order_that_used_it_gives_it_back() {
    let used = PrescriptionState::Used {
        order_id: "o-1".into(),
    };
    assert_eq!(give_back(&used, "o-1"), Some(PrescriptionState::Approved));
    assert_eq!(give_back(&used, "o-2"), None);
    assert_eq!(give_back(&PrescriptionState::Revoked, "o-1"), None);
    assert_eq!(give_back(&PrescriptionState::Approved, "o-1"), None);
}
