//! Retention (PIPL, DESIGN.md "Personal data"): an order keeps what pickup needs until its
//! pickup deadline plus `RETENTION_DAYS`, then drops its line names (blanked, so the lines keep
//! their shape: SKU, quantity, prices and class stay for the accounts) and its prescription
//! id, in the order row and in the kept 202 answer. Run by the order's alarm at the due time,
//! and by any command that carries the business clock (so the test clock can reach it).

use crate::http::error::ApiError;
use crate::objects::seam::Transact;
use serde_json::Value;

const DAY_MS: i64 = 86_400_000;

/// Deadline, lines, prescription id and the kept answer of the order row.
type Held = (Option<i64>, String, Option<String>, Option<String>);

/// When the order's personal details are due to go: `retention_days` after the deadline.
pub fn due_ms(deadline_ms: i64, retention_days: i64) -> i64 {
    deadline_ms.saturating_add(retention_days.saturating_mul(DAY_MS))
}

/// Blanks every line's `name` in a JSON array of lines.
fn blank_names(lines: &mut Value) {
    if let Some(lines) = lines.as_array_mut() {
        for line in lines {
            if let Some(name) = line.get_mut("name") {
                *name = Value::String(String::new());
            }
        }
    }
}

/// Drops the details if they are due at `now_ms`; answers when they will be otherwise (`None`:
/// nothing to wait for: no deadline yet, or already dropped).
pub fn sweep(
    db: &impl Transact,
    now_ms: i64,
    retention_days: i64,
) -> Result<Option<i64>, ApiError> {
    db.atomically(|| {
        let row: Option<Held> = db.row(
            "SELECT deadline_ms, lines, prescription_id, response FROM order_row WHERE k = 1",
            vec![],
        )?;
        let Some((Some(deadline_ms), lines, prescription_id, response)) = row else {
            return Ok(None);
        };
        let due = due_ms(deadline_ms, retention_days);
        if now_ms < due {
            return Ok(Some(due));
        }
        let mut lines: Value = serde_json::from_str(&lines).map_err(|_| ApiError::Internal)?;
        let named = lines
            .as_array()
            .is_some_and(|all| all.iter().any(|line| line["name"] != ""));
        if !named && prescription_id.is_none() {
            return Ok(None);
        }
        blank_names(&mut lines);
        let response = match response {
            Some(text) => {
                let mut kept: Value =
                    serde_json::from_str(&text).map_err(|_| ApiError::Internal)?;
                blank_names(&mut kept["lines"]);
                if kept.get("prescription_id").is_some() {
                    kept["prescription_id"] = Value::Null;
                }
                Some(kept.to_string())
            }
            None => None,
        };
        db.run(
            "UPDATE order_row SET lines = ?, prescription_id = NULL, response = ? WHERE k = 1",
            vec![lines.to_string().into(), response.into()],
        )?;
        Ok(None)
    })
}
