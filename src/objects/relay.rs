//! Replies the worker hands on as its response body without decoding them (`Relayed`).
//!
//! A handler whose answer is an object's reply used to decode it as its type, only to write
//! it again: a decoder per reply type in the worker. The object writes its reply through a
//! `serde_json::Value`, so its keys come sorted, where the reply type writes them in
//! declaration order; the response keeps the type's order (the same text as before) by the
//! type's key order as data (`KeyOrder`), applied by one writer for every type.

use crate::http::error::ApiError;
use serde_json::Value;
use std::marker::PhantomData;

mod key_orders;

/// The order a type writes its keys in: as a `Value` writes them (sorted), its fields in
/// order (each with its own value's order), or a list of one kind.
pub enum Keys {
    AsIs,
    Fields(&'static [(&'static str, Keys)]),
    Each(&'static Keys),
}

/// A reply type's key order, as its derived `Serialize` writes it. Pinned for each type by
/// tests/objects_relay_format.rs (a populated reply written both ways).
pub trait KeyOrder {
    const KEYS: Keys;
}

/// A reply handed on as the object wrote it, its keys put back in its type's order.
pub struct Relayed<R> {
    text: String,
    reply: PhantomData<fn() -> R>,
}

impl<R: KeyOrder> Relayed<R> {
    /// `reply`: the JSON text of an `R` (an object's answer to a command whose reply is `R`).
    pub fn from_reply(reply: &str) -> serde_json::Result<Self> {
        let text = match R::KEYS {
            Keys::AsIs => reply.to_owned(),
            ref keys => {
                let mut text = String::with_capacity(reply.len());
                if reorder_compact(reply, keys, &mut text).is_none() {
                    let mut written = Vec::with_capacity(reply.len());
                    write_in_order(&serde_json::from_str(reply)?, keys, &mut written);
                    // Only serde_json wrote into it: UTF-8 by construction.
                    text = String::from_utf8(written).map_err(serde::de::Error::custom)?;
                }
                text
            }
        };
        Ok(Relayed {
            text,
            reply: PhantomData,
        })
    }
}

impl<R> Relayed<R> {
    pub fn into_text(self) -> String {
        self.text
    }

    /// The reply as a `Value`, for a handler that reads a field or two of it (one decoder
    /// for every type) or answers it with more keys (written sorted, as a `Value` writes).
    pub fn into_value(self) -> Result<Value, ApiError> {
        serde_json::from_str(&self.text).map_err(|_| ApiError::Internal)
    }
}

/// The reply's keys put in order on its text, as slices of it, when the text is compact JSON
/// as serde_json writes it (what every object answers): no `Value` built. `None` for any
/// other text (whitespace, or not JSON), which `write_in_order` then reads as a `Value`.
pub fn reorder_compact(text: &str, keys: &Keys, out: &mut String) -> Option<()> {
    let bytes = text.as_bytes();
    match (keys, bytes.first()) {
        (Keys::Fields(fields), Some(b'{')) => {
            let pairs = split(text, b'{', b'}', true)?;
            let named = fields.iter().filter_map(|(field, keys)| {
                let (key, value) = pairs.iter().find(|(key, _)| unquoted(key) == *field)?;
                Some((*key, *value, keys))
            });
            let others = pairs
                .iter()
                .filter(|(key, _)| !fields.iter().any(|(field, _)| *field == unquoted(key)))
                .map(|(key, value)| (*key, *value, &Keys::AsIs));
            out.push('{');
            for (at, (key, value, keys)) in named.chain(others).enumerate() {
                if at > 0 {
                    out.push(',');
                }
                out.push_str(key);
                out.push(':');
                reorder_compact(value, keys, out)?;
            }
            out.push('}');
        }
        (Keys::Each(keys), Some(b'[')) => {
            out.push('[');
            for (at, (item, _)) in split(text, b'[', b']', false)?.into_iter().enumerate() {
                if at > 0 {
                    out.push(',');
                }
                reorder_compact(item, keys, out)?;
            }
            out.push(']');
        }
        _ => {
            skip_value(bytes, 0).filter(|end| *end == bytes.len())?;
            out.push_str(text);
        }
    }
    Some(())
}

/// The members of a compact object (`(key, value)`, the key with its quotes) or the items of a
/// compact array (`(item, "")`), as slices of `text`.
fn split(text: &str, open: u8, close: u8, keyed: bool) -> Option<Vec<(&str, &str)>> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut at = 1;
    if bytes.get(at) == Some(&close) {
        return (at + 1 == bytes.len()).then_some(parts);
    }
    debug_assert_eq!(bytes.first(), Some(&open));
    loop {
        let part = if keyed {
            let key_end = skip_string(bytes, at)?;
            if bytes.get(key_end) != Some(&b':') {
                return None;
            }
            let end = skip_value(bytes, key_end + 1)?;
            (&text[at..key_end], &text[key_end + 1..end], end)
        } else {
            let end = skip_value(bytes, at)?;
            (&text[at..end], "", end)
        };
        parts.push((part.0, part.1));
        match bytes.get(part.2) {
            Some(b',') => at = part.2 + 1,
            Some(byte) if *byte == close && part.2 + 1 == bytes.len() => return Some(parts),
            _ => return None,
        }
    }
}

/// A key as a field's name: its text between the quotes (a field's name has no escapes).
fn unquoted(key: &str) -> &str {
    &key[1..key.len() - 1]
}

/// The end of the string starting at `at` (its opening quote).
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The end of the compact JSON value starting at `at`; `None` at whitespace or a stray byte.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    byte if byte.is_ascii_whitespace() => return None,
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let scalar = |byte: &u8| byte.is_ascii_alphanumeric() || b"+-.".contains(byte);
            let len = bytes[at..].iter().take_while(|byte| scalar(byte)).count();
            (len > 0).then_some(at + len)
        }
    }
}

/// Writes `value` as JSON, the keys of its maps in `keys`' order; keys `keys` does not name
/// follow in their own order (none do, for the types that implement `KeyOrder`).
pub fn write_in_order(value: &Value, keys: &Keys, out: &mut Vec<u8>) {
    match (keys, value) {
        (Keys::Fields(fields), Value::Object(map)) => {
            out.push(b'{');
            let named = fields.iter().filter_map(|(name, keys)| {
                map.get_key_value(*name)
                    .map(|(name, value)| (name, value, keys))
            });
            let others = map
                .iter()
                .filter(|(name, _)| !fields.iter().any(|(field, _)| field == name))
                .map(|(name, value)| (name, value, &Keys::AsIs));
            for (at, (name, value, keys)) in named.chain(others).enumerate() {
                if at > 0 {
                    out.push(b',');
                }
                write_plain(name, out);
                out.push(b':');
                write_in_order(value, keys, out);
            }
            out.push(b'}');
        }
        (Keys::Each(keys), Value::Array(items)) => {
            out.push(b'[');
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    out.push(b',');
                }
                write_in_order(item, keys, out);
            }
            out.push(b']');
        }
        _ => write_plain(value, out),
    }
}

/// Writes a value (or a key) as `serde_json::to_string` does, into `out`.
fn write_plain<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing to a Vec fails only if `Serialize` does, and a `Value` or a `str` never does.
    let _ = serde_json::to_writer(&mut *out, value);
}
