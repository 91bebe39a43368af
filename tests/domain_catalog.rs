//! The catalogue: batches validated all or nothing, versions that never go back, and orders
//! priced and classed from it only, refused in the order a pharmacist would.

use pharmedge::domain::catalog::*;
use pharmedge::domain::order_lines::DrugClass;
use serde_json::json;
use std::collections::HashMap;

fn item(sku: &str, class: DrugClass, price_fen: i64) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: format!("药品 {sku}"),
        drug_class: class,
        price_fen,
        version: 1,
        category: None,
        status: SaleStatus::OnSale,
        max_qty_per_order: None,
    }
}

fn catalog() -> HashMap<String, CatalogItem> {
    let mut stopped = item("stopped-1", DrugClass::OtcB, 1_000);
    stopped.status = SaleStatus::Stopped;
    let mut limited = item("limited-1", DrugClass::OtcB, 500);
    limited.max_qty_per_order = Some(5);
    [
        item("abx-1", DrugClass::Rx, 3_500),
        item("glucometer-1", DrugClass::Device, 59_900),
        item("ephedrine-1", DrugClass::Special, 2_000),
        item("vc-1", DrugClass::Health, 9_000),
        stopped,
        limited,
    ]
    .into_iter()
    .map(|item| (item.sku.clone(), item))
    .collect()
}

fn line(sku: &str, qty: i64, seen: Option<i64>) -> LineRequest {
    LineRequest {
        sku: sku.into(),
        qty,
        unit_price_fen: seen,
    }
}

fn priced(lines: &[LineRequest]) -> Result<Vec<PricedLine>, LineRefusal> {
    let catalog = catalog();
    price_lines(lines, |sku| catalog.get(sku))
}

#[test]
fn the_catalogue_decides_class_name_and_price() {
    let lines = priced(&[
        line("abx-1", 2, None),
        line("glucometer-1", 1, Some(59_900)),
    ])
    .unwrap();
    assert_eq!(lines[0].line.drug_class, DrugClass::Rx);
    assert_eq!(lines[0].line.unit_price_fen, 3_500);
    assert_eq!(lines[0].line.name, "药品 abx-1");
    assert_eq!(lines[1].line.unit_price_fen, 59_900);
    assert_eq!(lines[1].catalog_version, 1);
}

#[test]
fn refusals_come_in_a_pharmacists_order() {
    assert_eq!(
        priced(&[line("vc-1", 1, None), line("nope", 1, None)]),
        Err(LineRefusal::UnknownSku { line: 1 })
    );
    assert_eq!(
        priced(&[line("ephedrine-1", 10, None)]),
        Err(LineRefusal::Restricted { line: 0 })
    );
    assert_eq!(
        priced(&[line("stopped-1", 1, None)]),
        Err(LineRefusal::Stopped { line: 0 })
    );
    assert_eq!(
        priced(&[line("limited-1", 6, None)]),
        Err(LineRefusal::QuantityLimit { line: 0, max: 5 })
    );
    // Split over lines, the limit still counts the SKU as a whole.
    assert_eq!(
        priced(&[
            line("limited-1", 3, None),
            line("vc-1", 1, None),
            line("limited-1", 3, None)
        ]),
        Err(LineRefusal::QuantityLimit { line: 2, max: 5 })
    );
    assert!(priced(&[line("limited-1", 5, None)]).is_ok());
}

#[test]
fn a_price_the_member_saw_that_differs_is_price_changed_with_the_current_lines() {
    let Err(LineRefusal::PriceChanged { current }) =
        priced(&[line("glucometer-1", 1, Some(1)), line("vc-1", 2, None)])
    else {
        panic!("a 599-yuan glucometer at 1 fen is not accepted");
    };
    assert_eq!(current.len(), 2);
    assert_eq!(current[0].line.unit_price_fen, 59_900);
    assert_eq!(current[1].line.unit_price_fen, 9_000);
}

#[test]
fn lines_are_bounded() {
    for (lines, field) in [
        (vec![], "lines"),
        (vec![line("vc-1", 0, None)], "lines[0].qty"),
        (vec![line("vc-1", 1000, None)], "lines[0].qty"),
        (vec![line("bad sku", 1, None)], "lines[0].sku"),
        (vec![line("vc-1", 1, Some(-1))], "lines[0].unit_price_fen"),
    ] {
        let Err(LineRefusal::Invalid(detail)) = priced(&lines) else {
            panic!("{field} is refused");
        };
        assert!(detail.starts_with(field), "{detail}");
    }
    let too_many: Vec<_> = (0..101).map(|_| line("vc-1", 1, None)).collect();
    assert!(matches!(priced(&too_many), Err(LineRefusal::Invalid(_))));
}

#[test]
fn a_line_carries_only_sku_qty_and_the_price_seen() {
    let refused = serde_json::from_value::<LineRequest>(
        json!({"sku": "abx-1", "qty": 1, "drug_class": "otc_b"}),
    );
    assert!(
        refused.is_err(),
        "a drug_class from the client is refused, not ignored"
    );
    let named =
        serde_json::from_value::<LineRequest>(json!({"sku": "abx-1", "qty": 1, "name": "x"}));
    assert!(named.is_err());
}

#[test]
fn batches_are_all_or_nothing_and_name_the_bad_item() {
    let mut items: Vec<CatalogItem> = catalog().into_values().collect();
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    let good = CatalogBatch {
        batch_id: "b-1".into(),
        items: items.clone(),
    };
    assert_eq!(good.validate(), Ok(()));
    let mut bad = good.clone();
    bad.items[3].price_fen = -1;
    assert_eq!(
        bad.validate(),
        Err("items[3].price_fen: out of range".into())
    );
    let mut twice = good.clone();
    twice.items.push(items[0].clone());
    assert!(twice.validate().unwrap_err().starts_with("items[6].sku"));
    let empty = CatalogBatch {
        batch_id: "b-2".into(),
        items: vec![],
    };
    assert!(empty.validate().is_err());
    let too_many = CatalogBatch {
        batch_id: "b-3".into(),
        items: (0..1001)
            .map(|i| item(&format!("s-{i}"), DrugClass::Other, 1))
            .collect(),
    };
    assert!(too_many.validate().is_err());
}

#[test]
fn only_a_newer_version_replaces_an_item() {
    let held = item("vc-1", DrugClass::Health, 9_000);
    let mut newer = held.clone();
    newer.version = 2;
    assert!(supersedes(None, &held));
    assert!(supersedes(Some(&held), &newer));
    assert!(
        !supersedes(Some(&newer), &held),
        "a late delivery changes nothing"
    );
    assert!(!supersedes(Some(&held), &held), "a repeat changes nothing");
    // The same version with other content is not applied either: arrival order must not decide.
    let mut stopped = held.clone();
    stopped.status = SaleStatus::Stopped;
    assert!(!supersedes(Some(&held), &stopped));
    let mut late_stop = stopped.clone();
    late_stop.version = 1;
    assert!(
        !supersedes(Some(&newer), &late_stop),
        "lower than held: ignored"
    );
}

#[test]
fn the_core_s_lines_take_the_catalogue_s_class_where_it_knows_the_sku() {
    use pharmedge::domain::order_lines::OrderLine;
    let catalog = catalog();
    let reported = |sku: &str| OrderLine {
        sku: sku.into(),
        name: "x".into(),
        qty: 1,
        unit_price_fen: 100,
        drug_class: DrugClass::Health,
    };
    let mut lines = vec![reported("abx-1"), reported("core-only")];
    reclassify(&mut lines, |sku| catalog.get(sku));
    assert_eq!(lines[0].drug_class, DrugClass::Rx, "the catalogue's class");
    assert_eq!(
        lines[1].drug_class,
        DrugClass::Health,
        "unknown SKU: the core's"
    );
    assert_eq!(sale_status(false, false), SaleStatus::OnSale);
    for (core, admin) in [(true, false), (false, true), (true, true)] {
        assert_eq!(sale_status(core, admin), SaleStatus::Stopped);
    }
}
