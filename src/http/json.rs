//! Request JSON, decided in one place (pure, so it is tested and fuzzed natively): which
//! `Content-Type` is JSON, and how a body becomes a typed value. Every route uses these.

use super::error::ApiError;
use crate::domain::json_path;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Whether a `Content-Type` is the one API.md allows: the essence `application/json` (any
/// case), with at most one parameter, `charset=utf-8` (any case, optionally quoted).
/// `+json` types, other charsets and any other parameter are refused (415): a sender that
/// labels its body otherwise may mean something else by it.
pub fn is_json_content_type(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return false;
    }
    let mut charset_seen = false;
    for parameter in parts {
        let parameter = parameter.trim();
        // A trailing `;` (empty parameter) is tolerated, as browsers and curl may send it.
        if parameter.is_empty() {
            continue;
        }
        let Some((name, value)) = parameter.split_once('=') else {
            return false;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(value);
        if charset_seen
            || !name.trim().eq_ignore_ascii_case("charset")
            || !value.eq_ignore_ascii_case("utf-8")
        {
            return false;
        }
        charset_seen = true;
    }
    true
}

/// The first byte that is not JSON whitespace.
fn first_significant_byte(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Parses a request body into `T`. The body, and every struct in it, must be a JSON object:
/// serde would otherwise read a struct from an array (`["s1","pickup",[]]`, or a line as
/// `["sku","name",1,100,"otc_b"]`) or default an all-optional one from `[]`. Errors name the
/// field (`lines[2].qty: invalid type ...`); numbers out of a field's range (`1e20`,
/// `9223372036854775808` for an i64, `355.0` for an integer) are such errors.
pub fn parse_json<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::invalid("body is not UTF-8"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    if first_significant_byte(bytes) != Some(b'{') {
        // Tell malformed input from well-formed JSON of the wrong kind.
        let value: Result<serde_json::Value, _> = serde_json::from_str(text);
        return Err(match value {
            Ok(_) => ApiError::invalid("body: a JSON object is required"),
            Err(err) => ApiError::invalid(format!("malformed JSON: {err}")),
        });
    }
    // One typed parse; the field an error is about is found only when there is one.
    let value = T::deserialize(&mut deserializer).map_err(|inner| {
        let offset = json_path::offset_of(text, inner.line(), inner.column());
        let unknown_variant = inner.to_string().starts_with("unknown variant");
        let path = json_path::path_at(text, offset, unknown_variant);
        if inner.is_eof() || (inner.is_syntax() && path == ".") {
            ApiError::invalid(format!("malformed JSON: {inner}"))
        } else if inner.is_syntax() {
            // e.g. an object where an enum name belongs: serde calls it a syntax error.
            ApiError::invalid(format!("{path}: malformed JSON: {inner}"))
        } else if path == "." {
            ApiError::invalid(format!("body: {inner}"))
        } else {
            ApiError::invalid(format!("{path}: {inner}"))
        }
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::invalid("malformed JSON: trailing characters"))?;
    // Nested structs: what was read is written back, and wherever it is an object the body
    // must have had an object too.
    // serde_json's Value cannot hold every number an ignored field may carry (1e400): the
    // typed parse above succeeded, so every field the server reads is valid; accept it.
    let Ok(given) = serde_json::from_str::<Value>(text) else {
        return Ok(value);
    };
    let read = serde_json::to_value(&value).map_err(|_| ApiError::Internal)?;
    match positional_struct(&read, &given, "") {
        Some(path) => Err(ApiError::invalid(format!(
            "{path}: a JSON object is required"
        ))),
        None => Ok(value),
    }
}

/// The path of the first place where `read` (a parsed value written back) is an object but
/// `given` (the body) had an array.
fn positional_struct(read: &Value, given: &Value, path: &str) -> Option<String> {
    match (read, given) {
        (Value::Object(_), Value::Array(_)) if path.is_empty() => Some("body".into()),
        (Value::Object(_), Value::Array(_)) => Some(path.to_owned()),
        (Value::Object(fields), Value::Object(given_fields)) => {
            fields.iter().find_map(|(name, field)| {
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                positional_struct(field, given_fields.get(name)?, &inner)
            })
        }
        (Value::Array(items), Value::Array(given_items)) => items
            .iter()
            .zip(given_items)
            .enumerate()
            .find_map(|(index, (item, given_item))| {
                positional_struct(item, given_item, &format!("{path}[{index}]"))
            }),
        _ => None,
    }
}
