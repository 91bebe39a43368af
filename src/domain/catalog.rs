//! The catalogue the core system pushes: what is sold, as what class, at what price. Orders
//! are priced and classed from it only; the member's phone sends a SKU and a quantity (and
//! the price it showed, to detect a change), never a class, a name or a price to use.

use super::ids::is_valid_id;
use super::order_lines::{DrugClass, OrderLine, MAX_LINES, MAX_QTY, MAX_UNIT_PRICE_FEN};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_BATCH_ITEMS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    OnSale,
    Stopped,
}

/// One catalogue entry as the core sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    pub drug_class: DrugClass,
    pub price_fen: i64,
    /// The core's version of this item; a lower one than held is ignored (late delivery).
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub status: SaleStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_qty_per_order: Option<i64>,
}

/// POST /v1/core/catalog
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogBatch {
    pub batch_id: String,
    pub items: Vec<CatalogItem>,
}

fn text_ok(value: &str, max_chars: usize) -> bool {
    let count = value.chars().count();
    (1..=max_chars).contains(&count) && !value.chars().any(char::is_control)
}

impl CatalogItem {
    /// The first field out of bounds, by name.
    pub fn invalid_field(&self) -> Option<&'static str> {
        if !is_valid_id(&self.sku) {
            return Some("sku");
        }
        if !text_ok(&self.name, 200) {
            return Some("name");
        }
        if !(0..=MAX_UNIT_PRICE_FEN).contains(&self.price_fen) {
            return Some("price_fen");
        }
        if self.version < 0 {
            return Some("version");
        }
        if self.category.as_deref().is_some_and(|c| !text_ok(c, 100)) {
            return Some("category");
        }
        if self
            .max_qty_per_order
            .is_some_and(|max| !(1..=MAX_QTY).contains(&max))
        {
            return Some("max_qty_per_order");
        }
        None
    }
}

impl CatalogBatch {
    /// All or nothing: the first bad item is named (`items[3].price_fen`).
    pub fn validate(&self) -> Result<(), String> {
        if !is_valid_id(&self.batch_id) {
            return Err("batch_id: must match [A-Za-z0-9_-]{1,64}".into());
        }
        if self.items.is_empty() || self.items.len() > MAX_BATCH_ITEMS {
            return Err(format!("items: from 1 to {MAX_BATCH_ITEMS} items"));
        }
        for (index, item) in self.items.iter().enumerate() {
            if let Some(field) = item.invalid_field() {
                return Err(format!("items[{index}].{field}: out of range"));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (index, item) in self.items.iter().enumerate() {
            if !seen.insert(item.sku.as_str()) {
                return Err(format!(
                    "items[{index}].sku: {} twice in one batch",
                    item.sku
                ));
            }
        }
        Ok(())
    }
}

/// Whether an incoming item replaces the held one: only a strictly newer version does. A
/// lower one is a late delivery (API.md); the same version again is a repeat, and if its
/// content differs the core broke its own versioning, and arrival order must not decide.
/// The push's `applied` count tells the core what took effect.
pub fn supersedes(held: Option<&CatalogItem>, incoming: &CatalogItem) -> bool {
    held.is_none_or(|held| incoming.version > held.version)
}

/// An order line as the member sends it: nothing the pharmacy decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub sku: String,
    pub qty: i64,
    /// The price the member saw; a different catalogue price is 409 `price_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price_fen: Option<i64>,
}

/// A line priced from the catalogue, with the version it was priced at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PricedLineWire")]
pub struct PricedLine {
    #[serde(flatten)]
    pub line: OrderLine,
    pub catalog_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRefusal {
    /// 400, naming the field.
    Invalid(String),
    /// 422 unknown_sku
    UnknownSku { line: usize },
    /// 422 restricted_drug: special-management drugs are never sold online.
    Restricted { line: usize },
    /// 422 sku_stopped
    Stopped { line: usize },
    /// 422 quantity_limit: over the per-order maximum, all lines of the SKU together.
    QuantityLimit { line: usize, max: i64 },
    /// 409 price_changed, with every line at its current price.
    PriceChanged { current: Vec<PricedLine> },
}

/// The shape of the lines as sent, before anything is looked up; names the field.
pub fn check_requests(requests: &[LineRequest]) -> Result<(), String> {
    if requests.is_empty() || requests.len() > MAX_LINES {
        return Err(format!("lines: between 1 and {MAX_LINES} lines"));
    }
    for (index, request) in requests.iter().enumerate() {
        if !is_valid_id(&request.sku) {
            return Err(format!(
                "lines[{index}].sku: must match [A-Za-z0-9_-]{{1,64}}"
            ));
        }
        if !(1..=MAX_QTY).contains(&request.qty) {
            return Err(format!("lines[{index}].qty: from 1 to {MAX_QTY}"));
        }
        if request
            .unit_price_fen
            .is_some_and(|price| !(0..=MAX_UNIT_PRICE_FEN).contains(&price))
        {
            return Err(format!(
                "lines[{index}].unit_price_fen: from 0 to {MAX_UNIT_PRICE_FEN}"
            ));
        }
    }
    Ok(())
}

/// Prices and classes an order's lines from the catalogue, refusing in the order a
/// pharmacist would: what is unknown, what may never be sold online, what is stopped, how
/// much of it, and last whether the member saw another price.
pub fn price_lines<'a>(
    requests: &[LineRequest],
    lookup: impl Fn(&str) -> Option<&'a CatalogItem>,
) -> Result<Vec<PricedLine>, LineRefusal> {
    check_requests(requests).map_err(LineRefusal::Invalid)?;
    let mut items = Vec::with_capacity(requests.len());
    for (line, request) in requests.iter().enumerate() {
        let item = lookup(&request.sku).ok_or(LineRefusal::UnknownSku { line })?;
        if item.drug_class == DrugClass::Special {
            return Err(LineRefusal::Restricted { line });
        }
        if item.status == SaleStatus::Stopped {
            return Err(LineRefusal::Stopped { line });
        }
        items.push(item);
    }
    // Splitting ten boxes into ten lines does not get round the limit.
    let mut per_sku: BTreeMap<&str, i64> = BTreeMap::new();
    for (line, (request, item)) in requests.iter().zip(&items).enumerate() {
        let total = per_sku.entry(item.sku.as_str()).or_default();
        *total += request.qty;
        if let Some(max) = item.max_qty_per_order.filter(|max| *total > *max) {
            return Err(LineRefusal::QuantityLimit { line, max });
        }
    }
    let priced: Vec<PricedLine> = requests
        .iter()
        .zip(&items)
        .map(|(request, item)| PricedLine {
            line: OrderLine {
                sku: item.sku.clone(),
                name: item.name.clone(),
                qty: request.qty,
                unit_price_fen: item.price_fen,
                drug_class: item.drug_class,
            },
            catalog_version: item.version,
        })
        .collect();
    let changed = requests.iter().zip(&items).any(|(request, item)| {
        request
            .unit_price_fen
            .is_some_and(|seen| seen != item.price_fen)
    });
    if changed {
        return Err(LineRefusal::PriceChanged { current: priced });
    }
    Ok(priced)
}

/// A stop-sale an admin put on a SKU (CR-22), besides the core's own `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminStop {
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

/// What is stopping a SKU. The core's status and an admin's stop are separate facts, so a
/// routine catalogue push never lifts a stop an admin put on for a regulator, and an admin
/// lifting their stop never sells what the core stopped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stops {
    pub core: bool,
    pub admin: Option<AdminStop>,
}

impl Stops {
    pub fn of(item: &CatalogItem, admin: Option<AdminStop>) -> Stops {
        Stops {
            core: item.status == SaleStatus::Stopped,
            admin,
        }
    }

    pub fn status(&self) -> SaleStatus {
        sale_status(self.core, self.admin.is_some())
    }
}

/// A SKU is on sale only when neither the core nor an admin stopped it.
pub fn sale_status(core_stopped: bool, admin_stopped: bool) -> SaleStatus {
    if core_stopped || admin_stopped {
        SaleStatus::Stopped
    } else {
        SaleStatus::OnSale
    }
}

/// Lines reported by the core take the catalogue's class for every SKU it knows (points are
/// earned by class, and the class is the pharmacy's catalogue); a SKU it does not know, sold
/// through the core only, keeps the core's class.
pub fn reclassify<'a>(lines: &mut [OrderLine], lookup: impl Fn(&str) -> Option<&'a CatalogItem>) {
    for line in lines.iter_mut() {
        if let Some(item) = lookup(&line.sku) {
            line.drug_class = item.drug_class;
        }
    }
}

/// The item as orders and pages see it: the core's fields with the effective status.
pub fn effective(item: &CatalogItem, stops: &Stops) -> CatalogItem {
    CatalogItem {
        status: stops.status(),
        ..item.clone()
    }
}

/// `PricedLine` read through explicit fields (no `#[serde(flatten)]` buffering).
#[derive(Deserialize)]
struct PricedLineWire {
    sku: String,
    name: String,
    qty: i64,
    unit_price_fen: i64,
    drug_class: DrugClass,
    catalog_version: i64,
}

impl From<PricedLineWire> for PricedLine {
    fn from(wire: PricedLineWire) -> Self {
        let line = OrderLine {
            sku: wire.sku,
            name: wire.name,
            qty: wire.qty,
            unit_price_fen: wire.unit_price_fen,
            drug_class: wire.drug_class,
        };
        PricedLine {
            line,
            catalog_version: wire.catalog_version,
        }
    }
}
