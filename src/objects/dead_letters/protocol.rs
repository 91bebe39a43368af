//! Commands to the dead-letter registry, and what it keeps: a `DeadLetter` is stored as JSON
//! in its row, so its format is golden (tests/golden_formats.rs).

use crate::domain::time::Instant;
use serde::{Deserialize, Serialize};

/// One dead delivery, as the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: String,
    /// `order`, or the event type (`pickup.verified`), or the command kind.
    pub kind: String,
    pub attempts: i64,
    pub last_error: String,
    pub first_attempt_at: Instant,
    /// The delivery's Idempotency-Key.
    pub key: String,
    pub origin_binding: String,
    pub origin_id: String,
}

/// One replay in the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayRecord {
    pub id: String,
    pub kind: String,
    pub actor: String,
    pub at: Instant,
    /// The delivery's Idempotency-Key (what the core dedupes on).
    pub key: String,
}

/// Who asks for a replay, and with which Idempotency-Key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayRequest {
    pub id: String,
    pub actor: String,
    pub idempotency_key: Option<String>,
}

/// How a replay begins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", try_from = "BegunWire")]
pub enum Begun {
    /// This key already replayed this letter: answer as the first time.
    Repeat,
    /// The letter, marked as being replayed (hidden from the list until ended or aborted).
    Start { letter: DeadLetter },
}

crate::protocol! {
    /// Commands to the registry, each one transaction.
    pub enum DeadLetterCommand {
        Record(RecordLetter) -> (),
        List(ListLetters) -> Vec<DeadLetter>,
        /// The latest replays, newest first.
        Replays(ListReplays) -> Vec<ReplayRecord>,
        /// A repeat of a key that replayed, or marks the letter as being replayed.
        BeginReplay(BeginReplay) -> Begun,
        /// Forgets a replayed letter (unless it died again meanwhile) and audits the replay.
        EndReplay(EndReplay) -> (),
        /// The origin could not be reached: the letter is listed again.
        AbortReplay(AbortReplay) -> (),
    }
}

/// From an outbox: a delivery died.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordLetter {
    pub letter: DeadLetter,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListLetters {
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListReplays {
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BeginReplay {
    pub request: ReplayRequest,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndReplay {
    pub request: ReplayRequest,
    pub letter: Box<DeadLetter>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AbortReplay {
    pub id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Repeat,
    Start,
}

/// `Begun` read as one struct (`objects::protocol::required`).
#[derive(Deserialize)]
struct BegunWire {
    outcome: Outcome,
    #[serde(default)]
    letter: Option<DeadLetter>,
}

impl TryFrom<BegunWire> for Begun {
    type Error = String;

    fn try_from(wire: BegunWire) -> Result<Self, String> {
        Ok(match wire.outcome {
            Outcome::Repeat => Begun::Repeat,
            Outcome::Start => Begun::Start {
                letter: crate::objects::protocol::required(wire.letter, "letter")?,
            },
        })
    }
}
