//! The catalogue authority's tables and what it does inside its transactions. Synchronous:
//! each command is one transaction, so versions, batches and stops never interleave.

use super::protocol::{
    AdminView, AuditEntry, CheckReply, Checked, ItemView, Known, PushReply, StopsView,
};
use crate::domain::catalog::{
    effective, sale_status, supersedes, AdminStop, CatalogBatch, CatalogItem, Stops,
};
use crate::domain::time::Instant;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::sql;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

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
};

/// Batch ids are remembered this long (the contract keeps idempotency keys at least 24 h).
const BATCH_MEMORY_MS: i64 = 30 * 86_400_000;
/// Audit entries shown with an item, newest first.
const AUDIT_SHOWN: i64 = 50;

pub struct Repo {
    pub sql: SqlStorage,
}

#[derive(Deserialize)]
struct ItemRow {
    item: String,
    admin_stop: Option<String>,
    generation: i64,
}

#[derive(Deserialize)]
struct BatchRow {
    body_hash: String,
    items: i64,
    applied: i64,
}

#[derive(Deserialize)]
struct AuditRow {
    at_ms: i64,
    staff_id: String,
    reason: String,
    before: String,
    after: String,
}

/// An item as KV should hold it, and the generation that is.
pub struct Unsynced {
    pub sku: String,
    pub effective: CatalogItem,
    pub generation: i64,
}

fn parse<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    serde_json::from_str(raw).map_err(|_| ApiError::Internal)
}

impl Repo {
    fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>, ApiError> {
        sql::rows(&self.sql, query, bindings)
    }

    fn exec(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<(), ApiError> {
        sql::run(&self.sql, query, bindings).map(|_| ())
    }

    /// The held item and its admin stop.
    fn held(&self, sku: &str) -> Result<Option<(CatalogItem, Stops, i64)>, ApiError> {
        let rows: Vec<ItemRow> = self.rows(
            "SELECT item, admin_stop, generation FROM items WHERE sku = ?",
            vec![sku.into()],
        )?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let item: CatalogItem = parse(&row.item)?;
        let admin: Option<AdminStop> = row.admin_stop.as_deref().map(parse).transpose()?;
        let stops = Stops::of(&item, admin);
        Ok(Some((item, stops, row.generation)))
    }

    /// Applies a batch once: every item that supersedes the held one replaces it.
    pub fn push(
        &self,
        batch: &CatalogBatch,
        body_hash: &str,
        now_ms: i64,
    ) -> Result<PushReply, ApiError> {
        self.exec(
            "DELETE FROM batches WHERE at_ms < ?",
            vec![(now_ms - BATCH_MEMORY_MS).into()],
        )?;
        let seen: Vec<BatchRow> = self.rows(
            "SELECT body_hash, items, applied FROM batches WHERE batch_id = ?",
            vec![batch.batch_id.as_str().into()],
        )?;
        if let Some(seen) = seen.into_iter().next() {
            if seen.body_hash != body_hash {
                return Err(ApiError::IdempotencyKeyReused);
            }
            return Ok(PushReply {
                accepted: true,
                duplicate: true,
                items: seen.items as usize,
                applied: seen.applied as usize,
            });
        }
        let mut applied = 0;
        for incoming in &batch.items {
            let held = self.held(&incoming.sku)?;
            if !supersedes(held.as_ref().map(|(item, _, _)| item), incoming) {
                continue;
            }
            let raw = serde_json::to_string(incoming).map_err(|_| ApiError::Internal)?;
            self.exec(
                "INSERT INTO items (sku, item, version, generation) VALUES (?, ?, ?, 1)
                 ON CONFLICT (sku) DO UPDATE SET item = excluded.item, version = excluded.version, generation = generation + 1",
                vec![incoming.sku.as_str().into(), raw.into(), incoming.version.into()],
            )?;
            applied += 1;
        }
        self.exec(
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
        #[derive(Deserialize)]
        struct StatusRow {
            version: i64,
            core_stopped: i64,
            admin_stopped: i64,
        }
        let mut items = Vec::with_capacity(known.len());
        for asked in known {
            let rows: Vec<StatusRow> = self.rows(
                "SELECT version, json_extract(item, '$.status') = 'stopped' AS core_stopped, admin_stop IS NOT NULL AS admin_stopped FROM items WHERE sku = ?",
                vec![asked.sku.as_str().into()],
            )?;
            let Some(row) = rows.into_iter().next() else {
                continue;
            };
            let status = sale_status(row.core_stopped != 0, row.admin_stopped != 0);
            let stale = asked.version.is_none_or(|version| version < row.version);
            let item = match stale {
                true => self
                    .held(&asked.sku)?
                    .map(|(item, stops, _)| effective(&item, &stops)),
                false => None,
            };
            items.push(Checked {
                sku: asked.sku.clone(),
                version: row.version,
                status,
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
        let admin = stop.then(|| AdminStop {
            reason: reason.to_owned(),
            by: staff_id.to_owned(),
            at_ms: now_ms,
        });
        // A repeated stop keeps the first one's record: who stopped it first is the fact.
        let admin = if stop && before.admin.is_some() {
            before.admin.clone()
        } else {
            admin
        };
        let after = Stops {
            core: before.core,
            admin: admin.clone(),
        };
        let raw = admin
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|_| ApiError::Internal)?;
        self.exec(
            "UPDATE items SET admin_stop = ?, generation = generation + 1 WHERE sku = ?",
            vec![raw.into(), sku.into()],
        )?;
        let status = |stops: &Stops| serde_json::to_string(&stops.status()).unwrap_or_default();
        self.exec(
            "INSERT INTO audit (sku, at_ms, staff_id, reason, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                sku.into(),
                now_ms.into(),
                staff_id.into(),
                reason.into(),
                status(&before).into(),
                status(&after).into(),
            ],
        )?;
        self.admin(sku)
    }

    pub fn admin(&self, sku: &str) -> Result<AdminView, ApiError> {
        let (item, stops, _) = self.held(sku)?.ok_or_else(|| not_found(sku))?;
        let audit: Vec<AuditRow> = self.rows(
            "SELECT at_ms, staff_id, reason, before, after FROM audit WHERE sku = ? ORDER BY id DESC LIMIT ?",
            vec![sku.into(), AUDIT_SHOWN.into()],
        )?;
        let audit = audit
            .into_iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: Instant::from_millis(row.at_ms),
                    by: row.staff_id,
                    reason: row.reason,
                    before: parse(&row.before)?,
                    after: parse(&row.after)?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(AdminView {
            item: ItemView::from(&effective(&item, &stops)),
            stops: StopsView::from(&stops),
            audit,
        })
    }

    /// Items whose latest change KV does not hold yet.
    pub fn unsynced(&self, limit: i64) -> Result<Vec<Unsynced>, ApiError> {
        #[derive(Deserialize)]
        struct SkuRow {
            sku: String,
        }
        let skus: Vec<SkuRow> = self.rows(
            "SELECT sku FROM items WHERE kv_generation < generation LIMIT ?",
            vec![limit.into()],
        )?;
        let mut unsynced = Vec::with_capacity(skus.len());
        for SkuRow { sku } in skus {
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

    pub fn synced(&self, sku: &str, generation: i64) -> Result<(), ApiError> {
        self.exec(
            "UPDATE items SET kv_generation = MAX(kv_generation, ?) WHERE sku = ?",
            vec![generation.into(), sku.into()],
        )
    }
}

pub fn not_found(sku: &str) -> ApiError {
    ApiError::UnknownSku {
        detail: format!("no catalogue item {sku}"),
        line: None,
    }
}
