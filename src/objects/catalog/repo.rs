//! The catalogue authority's tables and what it does inside its transactions, over the seam
//! (tests/objects_catalog.rs). Each command is one transaction, so versions, batches and
//! stops never interleave. `item` and `admin_stop` hold JSON (`CatalogItem`, `AdminStop`):
//! stored formats, golden in tests/golden_formats.rs.

use super::protocol::{
    AdminView, AuditEntry, CheckReply, Checked, ItemView, Known, PushReply, StopsView,
};
use crate::domain::catalog::{
    effective, sale_status, supersedes, AdminStop, CatalogBatch, CatalogItem, SaleStatus, Stops,
};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::{FromRow, Row, Sql, SqlError};
use serde::de::DeserializeOwned;

/// `generation` grows with every change of an item; `kv_generation` is the one KV holds.
pub const MODULE: Module = Module {
    name: "catalog",
    migrations: &[&[
        "CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, item TEXT NOT NULL, version INTEGER NOT NULL, admin_stop TEXT, generation INTEGER NOT NULL, kv_generation INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS items_unsynced ON items (sku) WHERE kv_generation < generation",
        "CREATE TABLE IF NOT EXISTS batches (batch_id TEXT PRIMARY KEY, body_hash TEXT NOT NULL, items INTEGER NOT NULL, applied INTEGER NOT NULL, at_ms INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT NOT NULL, at_ms INTEGER NOT NULL, staff_id TEXT NOT NULL, reason TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS audit_by_sku ON audit (sku, id)",
    ]],
    baseline: &[],
};

// The audit trail has kept each status as its JSON text, quotes included, since its first
// version: those are its stored names.
crate::stored_names!(SaleStatus {
    OnSale => "\"on_sale\"",
    Stopped => "\"stopped\"",
});

/// Batch ids are remembered this long (the contract keeps idempotency keys at least 24 h).
pub const BATCH_MEMORY_MS: i64 = 30 * 86_400_000;
/// Audit entries shown with an item, newest first.
pub const AUDIT_SHOWN: i64 = 50;

/// An item as KV should hold it, and the generation that is.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsynced {
    pub sku: String,
    pub effective: CatalogItem,
    pub generation: i64,
}

/// The catalogue's statements over one object's database.
pub struct Repo<'a, S: Sql> {
    pub sql: &'a S,
}

fn parse<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    serde_json::from_str(raw)
        .map_err(|err| SqlError::shape("catalogue row", format!("unreadable JSON: {err}")).into())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|_| ApiError::Internal)
}

impl FromRow for AuditEntry {
    fn from_row(mut row: Row) -> Result<Self, SqlError> {
        Ok(AuditEntry {
            at: Instant::from_millis(row.get(0)?),
            by: row.get(1)?,
            reason: row.get(2)?,
            before: row.get(3)?,
            after: row.get(4)?,
        })
    }
}

impl<S: Sql> Repo<'_, S> {
    /// The held item, its stops and its generation.
    fn held(&self, sku: &str) -> Result<Option<(CatalogItem, Stops, i64)>, ApiError> {
        let row: Option<(String, Option<String>, i64)> = self.sql.row(
            "SELECT item, admin_stop, generation FROM items WHERE sku = ?",
            vec![sku.into()],
        )?;
        let Some((item, admin_stop, generation)) = row else {
            return Ok(None);
        };
        let item: CatalogItem = parse(&item)?;
        let admin: Option<AdminStop> = admin_stop.as_deref().map(parse).transpose()?;
        let stops = Stops::of(&item, admin);
        Ok(Some((item, stops, generation)))
    }

    /// Applies a batch once: every item that supersedes the held one replaces it. The same
    /// `batch_id` again answers as the first time; with another body, it is refused.
    pub fn push(
        &self,
        batch: &CatalogBatch,
        body_hash: &str,
        now_ms: i64,
    ) -> Result<PushReply, ApiError> {
        self.sql.run(
            "DELETE FROM batches WHERE at_ms < ?",
            vec![(now_ms - BATCH_MEMORY_MS).into()],
        )?;
        let seen: Option<(String, i64, i64)> = self.sql.row(
            "SELECT body_hash, items, applied FROM batches WHERE batch_id = ?",
            vec![batch.batch_id.as_str().into()],
        )?;
        if let Some((seen_hash, items, applied)) = seen {
            if seen_hash != body_hash {
                return Err(ApiError::IdempotencyKeyReused);
            }
            return Ok(PushReply {
                accepted: true,
                duplicate: true,
                items: items as usize,
                applied: applied as usize,
            });
        }
        let mut applied = 0;
        for incoming in &batch.items {
            let held = self.held(&incoming.sku)?;
            if !supersedes(held.as_ref().map(|(item, _, _)| item), incoming) {
                continue;
            }
            self.sql.run(
                "INSERT INTO items (sku, item, version, generation) VALUES (?, ?, ?, 1)
                 ON CONFLICT (sku) DO UPDATE SET item = excluded.item, version = excluded.version, generation = generation + 1",
                vec![incoming.sku.as_str().into(), to_json(incoming)?.into(), incoming.version.into()],
            )?;
            applied += 1;
        }
        self.sql.run(
            "INSERT INTO batches (batch_id, body_hash, items, applied, at_ms) VALUES (?, ?, ?, ?, ?)",
            vec![
                batch.batch_id.as_str().into(),
                body_hash.into(),
                (batch.items.len() as i64).into(),
                (applied as i64).into(),
                now_ms.into(),
            ],
        )?;
        Ok(PushReply {
            accepted: true,
            duplicate: false,
            items: batch.items.len(),
            applied,
        })
    }

    /// Every order asks this, so the common case (the caller's copy is current) reads three
    /// columns and parses no item.
    pub fn check(&self, known: &[Known]) -> Result<CheckReply, ApiError> {
        let mut items = Vec::with_capacity(known.len());
        for asked in known {
            let row: Option<(i64, bool, bool)> = self.sql.row(
                "SELECT version, json_extract(item, '$.status') = 'stopped' AS core_stopped, admin_stop IS NOT NULL AS admin_stopped FROM items WHERE sku = ?",
                vec![asked.sku.as_str().into()],
            )?;
            let Some((version, core_stopped, admin_stopped)) = row else {
                continue;
            };
            let stale = asked.version.is_none_or(|held| held < version);
            let item = match stale {
                true => self
                    .held(&asked.sku)?
                    .map(|(item, stops, _)| effective(&item, &stops)),
                false => None,
            };
            items.push(Checked {
                sku: asked.sku.clone(),
                version,
                status: sale_status(core_stopped, admin_stopped),
                item,
            });
        }
        Ok(CheckReply { items })
    }

    /// Puts or lifts an admin's stop, and records who did it, when, why, before and after.
    pub fn set_stop(
        &self,
        sku: &str,
        stop: bool,
        reason: &str,
        staff_id: &str,
        now_ms: i64,
    ) -> Result<AdminView, ApiError> {
        let (_, before, _) = self.held(sku)?.ok_or_else(|| not_found(sku))?;
        // A repeated stop keeps the first one's record: who stopped it first is the fact.
        let admin = match (stop, &before.admin) {
            (true, Some(first)) => Some(first.clone()),
            (true, None) => Some(AdminStop {
                reason: reason.to_owned(),
                by: staff_id.to_owned(),
                at_ms: now_ms,
            }),
            (false, _) => None,
        };
        let after = Stops {
            core: before.core,
            admin,
        };
        let raw = after.admin.as_ref().map(to_json).transpose()?;
        self.sql.run(
            "UPDATE items SET admin_stop = ?, generation = generation + 1 WHERE sku = ?",
            vec![raw.into(), sku.into()],
        )?;
        self.sql.run(
            "INSERT INTO audit (sku, at_ms, staff_id, reason, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                sku.into(),
                now_ms.into(),
                staff_id.into(),
                reason.into(),
                before.status().into(),
                after.status().into(),
            ],
        )?;
        self.admin(sku)
    }

    /// The item as orders see it, its stops and its latest audit entries, newest first.
    pub fn admin(&self, sku: &str) -> Result<AdminView, ApiError> {
        let (item, stops, _) = self.held(sku)?.ok_or_else(|| not_found(sku))?;
        let audit: Vec<AuditEntry> = self.sql.rows(
            "SELECT at_ms, staff_id, reason, before, after FROM audit WHERE sku = ? ORDER BY id DESC LIMIT ?",
            vec![sku.into(), AUDIT_SHOWN.into()],
        )?;
        Ok(AdminView {
            item: ItemView::from(&effective(&item, &stops)),
            stops: StopsView::from(&stops),
            audit,
        })
    }

    /// Items whose latest change KV does not hold yet.
    pub fn unsynced(&self, limit: i64) -> Result<Vec<Unsynced>, ApiError> {
        let skus: Vec<(String,)> = self.sql.rows(
            "SELECT sku FROM items WHERE kv_generation < generation LIMIT ?",
            vec![limit.into()],
        )?;
        let mut unsynced = Vec::with_capacity(skus.len());
        for (sku,) in skus {
            if let Some((item, stops, generation)) = self.held(&sku)? {
                unsynced.push(Unsynced {
                    sku,
                    effective: effective(&item, &stops),
                    generation,
                });
            }
        }
        Ok(unsynced)
    }

    /// KV holds `generation` of `sku` (or a later one: never moves back).
    pub fn synced(&self, sku: &str, generation: i64) -> Result<(), ApiError> {
        self.sql.run(
            "UPDATE items SET kv_generation = MAX(kv_generation, ?) WHERE sku = ?",
            vec![generation.into(), sku.into()],
        )?;
        Ok(())
    }
}

pub fn not_found(sku: &str) -> ApiError {
    ApiError::UnknownSku {
        detail: format!("no catalogue item {sku}"),
        line: None,
    }
}
