//! A campaign's gift: named by SKU only, allowed or refused by the catalogue's entry.

use super::campaign::ConfigRefusal;
use super::order_lines::DrugClass;
use serde::{Deserialize, Serialize};

/// A gift handed out with the coupon (e.g. a trial pack), named by SKU only: what it is comes
/// from the catalogue (`check_gift`), never from the operator's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gift {
    pub sku: String,
}

/// Whether the catalogue's entry for a gift allows it: rewards and gifts are never Rx,
/// class-A OTC or special-management drugs, and never something stopped from sale.
pub fn check_gift(item: Option<&super::catalog::CatalogItem>) -> Result<(), ConfigRefusal> {
    let item =
        item.ok_or_else(|| ConfigRefusal::Invalid("gift.sku: not in the catalogue".into()))?;
    if matches!(
        item.drug_class,
        DrugClass::Rx | DrugClass::OtcA | DrugClass::Special
    ) {
        let class = serde_json::to_value(item.drug_class).unwrap_or_default();
        return Err(ConfigRefusal::NonCompliant(format!(
            "gift.sku: the catalogue classes it {class}; rewards and gifts are never rx, class-A OTC or special drugs"
        )));
    }
    if item.status == super::catalog::SaleStatus::Stopped {
        return Err(ConfigRefusal::NonCompliant(
            "gift.sku: stopped from sale".into(),
        ));
    }
    Ok(())
}
