//! Commands the worker sends to the catalogue authority, and its replies.

use crate::domain::catalog::{AdminStop, CatalogBatch, CatalogItem, SaleStatus, Stops};
use crate::domain::order_lines::DrugClass;
use crate::domain::time::Instant;
use serde::{Deserialize, Serialize};

crate::protocol! {
    /// Commands to the catalogue authority, each one transaction.
    pub enum CatalogCommand {
        /// A batch from the core: applied once per `batch_id`, all or nothing.
        Push(PushBatch) -> PushReply,
        /// Before an order: each SKU's version and status now, and the item itself where the
        /// caller's copy is older than the authority's.
        Check(CheckItems) -> CheckReply,
        /// An admin stops a SKU or lifts their stop (audited).
        SetStop(SetStop) -> AdminView,
        /// The item, its stops and its audit trail.
        Admin(GetAdmin) -> AdminView,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushBatch {
    pub batch: CatalogBatch,
    pub body_hash: String,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckItems {
    pub known: Vec<Known>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetStop {
    pub sku: String,
    pub stop: bool,
    pub reason: String,
    pub staff_id: String,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetAdmin {
    pub sku: String,
}

/// A SKU and the version of it the caller holds (`None`: not held).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Known {
    pub sku: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    pub accepted: bool,
    pub duplicate: bool,
    /// Items in the batch.
    pub items: usize,
    /// Items that replaced an older version (the rest were as new or newer already).
    pub applied: usize,
}

/// One SKU as the authority holds it now. Unknown SKUs are absent from the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checked {
    pub sku: String,
    pub version: i64,
    /// Effective: stopped by the core or by an admin.
    pub status: SaleStatus,
    /// The effective item, when the caller's copy is older (or absent).
    pub item: Option<CatalogItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReply {
    pub items: Vec<Checked>,
}

/// GET /v1/catalog/{sku}: what a page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    pub sku: String,
    pub name: String,
    pub drug_class: DrugClass,
    pub price_fen: i64,
    pub category: Option<String>,
    pub status: SaleStatus,
    pub max_qty_per_order: Option<i64>,
    pub version: i64,
}

impl From<&CatalogItem> for ItemView {
    fn from(item: &CatalogItem) -> Self {
        ItemView {
            sku: item.sku.clone(),
            name: item.name.clone(),
            drug_class: item.drug_class,
            price_fen: item.price_fen,
            category: item.category.clone(),
            status: item.status,
            max_qty_per_order: item.max_qty_per_order,
            version: item.version,
        }
    }
}

/// One change of a SKU's sale status by an admin: who, when, why, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Instant,
    pub by: String,
    pub reason: String,
    pub before: SaleStatus,
    pub after: SaleStatus,
}

/// PATCH and GET /v1/admin/catalog/{sku}.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "AdminViewWire")]
pub struct AdminView {
    #[serde(flatten)]
    pub item: ItemView,
    pub stops: StopsView,
    pub audit: Vec<AuditEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopsView {
    /// The core's catalogue says `stopped`.
    pub core: bool,
    /// An admin's stop, if any.
    pub admin: Option<AdminStopView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminStopView {
    pub reason: String,
    pub by: String,
    pub at: Instant,
}

impl From<&Stops> for StopsView {
    fn from(stops: &Stops) -> Self {
        StopsView {
            core: stops.core,
            admin: stops.admin.as_ref().map(|stop: &AdminStop| AdminStopView {
                reason: stop.reason.clone(),
                by: stop.by.clone(),
                at: Instant::from_millis(stop.at_ms),
            }),
        }
    }
}

/// `AdminView` read through explicit fields (no `#[serde(flatten)]` buffering).
#[derive(Deserialize)]
struct AdminViewWire {
    sku: String,
    name: String,
    drug_class: DrugClass,
    price_fen: i64,
    #[serde(default)]
    category: Option<String>,
    status: SaleStatus,
    #[serde(default)]
    max_qty_per_order: Option<i64>,
    version: i64,
    stops: StopsView,
    audit: Vec<AuditEntry>,
}

impl From<AdminViewWire> for AdminView {
    fn from(wire: AdminViewWire) -> Self {
        let item = ItemView {
            sku: wire.sku,
            name: wire.name,
            drug_class: wire.drug_class,
            price_fen: wire.price_fen,
            category: wire.category,
            status: wire.status,
            max_qty_per_order: wire.max_qty_per_order,
            version: wire.version,
        };
        AdminView {
            item,
            stops: wire.stops,
            audit: wire.audit,
        }
    }
}
