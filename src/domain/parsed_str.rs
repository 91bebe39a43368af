//! Deserializing a string that must parse (an id, a date, an instant): the check runs inside
//! the deserializer's string call, so a parser that knows positions (serde_json) places the
//! refusal at the string itself, and a request body's refusal names the field
//! (`domain::json_path`). Checking after `String::deserialize` returns instead placed it at the
//! end of the enclosing object.

use serde::de::{Deserializer, Error, Visitor};
use std::fmt;

/// Deserializes a string and parses it with `parse`, whose `Err` is the refusal's text.
pub fn deserialize_parsed<'de, D, T>(
    deserializer: D,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_str(Parsed(parse))
}

struct Parsed<T>(fn(&str) -> Result<T, String>);

impl<T> Visitor<'_> for Parsed<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: Error>(self, raw: &str) -> Result<T, E> {
        (self.0)(raw).map_err(E::custom)
    }
}
