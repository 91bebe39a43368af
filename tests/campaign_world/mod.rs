//! A campaign's objects over real SQLite, wired the way the runtime glue wires them: the head,
//! its stock shards and the directory, the head's pushes to the shards (all of them, or only
//! some, as when a push fails half-way), and claims driven by the domain's saga.
#![allow(dead_code)]

use crate::seam::Sqlite;
use pharmedge::domain::campaign::{shard_order, CampaignConfig, SetStatus, StockRefusal};
use pharmedge::domain::campaign_patch::{shard_shares, CampaignPatch};
use pharmedge::domain::claim_saga::{ClaimSaga, Hold, Outcome, Reply, Step};
use pharmedge::domain::ids::MemberId;
use pharmedge::domain::time::{parse_instant, Instant};
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::head::{self, Head, PatchInput, Patched};
use pharmedge::objects::campaign::protocol::{ShardState, ShardStats, TakeReply};
use pharmedge::objects::campaign::views::CampaignStats;
use pharmedge::objects::campaign::{directory, stock};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use serde_json::json;

pub const ID: &str = "flash-1";

/// Milliseconds of an RFC 3339 instant.
pub fn ms(text: &str) -> i64 {
    parse_instant(text).unwrap().timestamp_millis()
}

/// During the sale (it runs 12:00 to 13:00 on 2026-06-03).
pub fn during() -> i64 {
    ms("2026-06-03T12:30:00Z")
}

pub fn config(stock: i64, shards: u32) -> CampaignConfig {
    serde_json::from_value(json!({
        "id": ID, "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-06-03T12:00:00Z", "ends_at": "2026-06-03T13:00:00Z",
        "stock": stock, "shards": shards,
        "coupon": {"type": "threshold", "value_fen": 2000, "min_spend_fen": 19900, "valid_days": 30},
        "limits": {"per_member": 1},
        "rules_text": "每人限领1张"
    }))
    .unwrap()
}

pub fn top_up(add: i64) -> CampaignPatch {
    CampaignPatch {
        status: None,
        ends_at: None,
        add_stock: Some(add),
    }
}

pub fn set(status: SetStatus) -> CampaignPatch {
    CampaignPatch {
        status: Some(status),
        ends_at: None,
        add_stock: None,
    }
}

fn migrated(module: &pharmedge::objects::schema::Module) -> Sqlite {
    let db = Sqlite::open();
    Tables::default()
        .ensure(&db, &[module])
        .expect("migrations");
    db
}

pub struct World {
    pub head: Sqlite,
    pub shards: Vec<Sqlite>,
    pub directory: Sqlite,
}

impl World {
    /// A campaign created and pushed to every shard, as `Create` does.
    pub fn create(stock: i64, shards: u32) -> World {
        let world = World {
            head: migrated(&head::MODULE),
            shards: (0..shards).map(|_| migrated(&stock::MODULE)).collect(),
            directory: migrated(&directory::MODULE),
        };
        head::create(
            &world.head,
            config(stock, shards),
            "mkt-1",
            None,
            "hash",
            during(),
        )
        .unwrap();
        world.push_all();
        world
    }

    pub fn head(&self) -> Head {
        head::load(&self.head).unwrap().expect("a head")
    }

    pub fn patch(&self, patch: &CampaignPatch, key: Option<&str>) -> Result<Patched, ApiError> {
        head::patch(
            &self.head,
            PatchInput {
                patch,
                actor: "mkt-1",
                key,
                body_hash: &format!("{patch:?}"),
                if_match: None,
                now_ms: during(),
            },
        )
    }

    /// What the head pushes to shard `index` now.
    pub fn state_for(&self, index: usize) -> ShardState {
        let head = self.head();
        let config = head.config();
        ShardState {
            campaign_id: config.id.clone(),
            set_status: head.state.set_status,
            starts_at: config.starts_at,
            ends_at: config.ends_at,
            total: shard_shares(&head.state)[index],
            revision: head.state.revision,
        }
    }

    /// Pushes the head's state to the shards `to` chooses; marks the head synced only when
    /// every shard got it (as the object does).
    pub fn push(&self, to: impl Fn(usize) -> bool) -> Vec<ShardState> {
        let mut pushed = Vec::new();
        for index in 0..self.shards.len() {
            let state = self.state_for(index);
            if to(index) {
                stock::sync(&self.shards[index], &state).unwrap();
            }
            pushed.push(state);
        }
        if (0..self.shards.len()).all(to) {
            head::mark_synced(&self.head, self.head().state.revision).unwrap();
        }
        pushed
    }

    pub fn push_all(&self) -> Vec<ShardState> {
        self.push(|_| true)
    }

    pub fn take(&self, shard: usize, claim_id: &str, now_ms: i64) -> TakeReply {
        stock::take(&self.shards[shard], claim_id, now_ms).unwrap()
    }

    /// A claim driven by the domain's saga against the shards, with the member's side
    /// answering `issue`.
    pub fn claim(
        &self,
        member: &str,
        claim_id: &str,
        known_dry: &[u32],
        now_ms: i64,
        issue: Result<(), &'static str>,
    ) -> Outcome<&'static str> {
        let order = shard_order(&MemberId::parse(member).unwrap(), self.shards.len() as u32);
        let (mut saga, mut step) = ClaimSaga::start(order, known_dry);
        for _ in 0..4 * self.shards.len() + 4 {
            let reply = match step {
                Step::Finish(outcome) => return outcome,
                Step::Take { shard } => match self.take(shard as usize, claim_id, now_ms) {
                    TakeReply::Taken { .. } => Reply::Taken,
                    TakeReply::Refused {
                        refusal: StockRefusal::SoldOut,
                    } => Reply::Dry,
                    TakeReply::Refused { refusal } => Reply::Closed(refusal),
                },
                Step::Release(Hold::Unit { shard }) => {
                    stock::release(&self.shards[shard as usize], claim_id).unwrap();
                    Reply::Released
                }
                // These claims hold no points (points exchanges: objects_member_exchange).
                Step::Release(Hold::Points { .. }) => Reply::Released,
                Step::Issue => match issue {
                    Ok(()) => Reply::Issued,
                    Err(error) => Reply::NotIssued(error),
                },
            };
            step = saga.next(reply);
        }
        panic!("the saga did not end");
    }

    pub fn shard_stats(&self) -> Vec<ShardStats> {
        self.shards
            .iter()
            .map(|db| stock::stats(db).unwrap())
            .collect()
    }

    /// The campaign's stats as the head object sums them.
    pub fn stats(&self) -> CampaignStats {
        CampaignStats::sum(
            self.head().config().stock,
            &self.shard_stats(),
            &head::rejected(&self.head).unwrap(),
        )
    }

    /// How many claim ids hold a unit at shard `index`.
    pub fn taken_rows(&self, index: usize) -> i64 {
        let count: Option<(i64,)> = self.shards[index]
            .row("SELECT COUNT(*) FROM taken", Vec::new())
            .unwrap();
        count.unwrap().0
    }
}

pub fn at(ms: i64) -> Instant {
    Instant::from_millis(ms)
}
