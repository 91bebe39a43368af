//! Typed commands between the worker and its objects: every command names the reply it gets,
//! so a caller receives that type checked by the compiler, and an object's handler must
//! produce it (`answer::<C>`). One object's commands form its protocol enum (`protocol!`),
//! which is what crosses the wire: `{"op": "<variant>", ...the command's fields}`.
//!
//! The tag is written first, so a command is decoded in one pass: the tag picks the command
//! type, which reads the rest of the same map (`MapAccessDeserializer`). serde's derive for
//! an internally tagged enum buffers the whole map first (its `Content` tree, a deserializer
//! instance per command type: 6.5 % of the wasm's code). A map whose first key is not `op`
//! (a `serde_json::Value` sorts its keys) is put back in order and read again.

use crate::http::error::ApiError;
use serde::de::{self, DeserializeOwned, MapAccess};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// A command to one kind of object.
pub trait Command: Into<Self::Protocol> {
    /// The object's command enum, as sent.
    type Protocol: Serialize + DeserializeOwned;
    /// What the object answers on success.
    type Reply: Serialize + DeserializeOwned;
}

/// Inside an object: command `C`'s reply as the JSON the envelope carries. Naming `C` makes
/// the compiler hold the handler to `C::Reply`.
pub fn answer<C: Command>(
    reply: Result<C::Reply, ApiError>,
) -> Result<serde_json::Value, ApiError> {
    to_value(reply)
}

/// A reply as the JSON value the envelope carries.
pub fn to_value<T: Serialize>(reply: Result<T, ApiError>) -> Result<serde_json::Value, ApiError> {
    reply.and_then(|reply| serde_json::to_value(reply).map_err(|_| ApiError::Internal))
}

/// An object's answer envelope, opened: the reply's JSON text, or the refusal it carries.
pub enum Opened<'a> {
    Reply(Cow<'a, str>),
    Refused(ApiError),
}

/// Opens `{"ok": reply}` / `{"err": ApiError}` without a decoder per reply type: every object
/// writes the envelope with `serde_json::to_string` (`{"ok":` first, `}` last, nothing
/// between), so the reply is the text between; the caller decodes it as its type, or hands
/// it on as it is. serde's derive of the envelope compiled an enum decoder per reply type
/// (≈42 KB of code in all). Any other spelling of the same envelope (spaces, another key
/// order) is read as a `Value` and its content written back as text.
pub fn open_envelope(text: &str) -> serde_json::Result<Opened<'_>> {
    let inner = |prefix: &str| text.strip_prefix(prefix)?.strip_suffix('}');
    if let Some(reply) = inner("{\"ok\":") {
        return Ok(Opened::Reply(Cow::Borrowed(reply)));
    }
    if let Some(error) = inner("{\"err\":") {
        return serde_json::from_str(error).map(Opened::Refused);
    }
    let value: serde_json::Value = serde_json::from_str(text)?;
    let entry = match value {
        serde_json::Value::Object(map) if map.len() == 1 => map.into_iter().next(),
        _ => None,
    };
    match entry {
        Some((key, reply)) if key == "ok" => Ok(Opened::Reply(Cow::Owned(reply.to_string()))),
        Some((key, error)) if key == "err" => {
            serde_json::from_str(&error.to_string()).map(Opened::Refused)
        }
        _ => Err(de::Error::custom(
            "expected `{\"ok\": ..}` or `{\"err\": ..}`",
        )),
    }
}

/// A field an internally tagged reply's variant needs, from its wire struct (`Option` for
/// every variant's fields): serde's decoder for such an enum buffers the map first, with a
/// deserializer over the buffer per variant; the wire struct is read in one pass.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

/// The first key of a map, as the tag's name or any other.
#[doc(hidden)]
pub enum FirstKey {
    Tag,
    Other(String),
    None,
}

/// Reads the next key of a map without allocating when it is `tag`.
#[doc(hidden)]
pub fn first_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    tag: &'static str,
) -> Result<FirstKey, A::Error> {
    struct Key(&'static str);
    impl<'de> de::DeserializeSeed<'de> for Key {
        type Value = FirstKey;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<FirstKey, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl de::Visitor<'_> for Key {
        type Value = FirstKey;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: de::Error>(self, key: &str) -> Result<FirstKey, E> {
            Ok(match key == self.0 {
                true => FirstKey::Tag,
                false => FirstKey::Other(key.to_owned()),
            })
        }
    }
    Ok(map.next_key_seed(Key(tag))?.unwrap_or(FirstKey::None))
}

/// A command map whose first key was `first`, not `op`: read whole, written back with `op`
/// first, and decoded again as `T` (by the same `from_str` the object uses).
#[doc(hidden)]
pub fn reordered<'de, A: MapAccess<'de>, T: DeserializeOwned>(
    first: FirstKey,
    mut map: A,
) -> Result<T, A::Error> {
    let mut fields = serde_json::Map::new();
    if let FirstKey::Other(key) = first {
        fields.insert(key, map.next_value()?);
    }
    while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
        fields.insert(key, value);
    }
    let op = fields
        .remove("op")
        .ok_or_else(|| de::Error::missing_field("op"))?;
    let mut text = format!("{{\"op\":{op}");
    for (key, value) in &fields {
        text.push(',');
        text.push_str(&serde_json::Value::from(key.as_str()).to_string());
        text.push(':');
        text.push_str(&value.to_string());
    }
    text.push('}');
    serde_json::from_str(&text).map_err(de::Error::custom)
}

/// Declares an object's protocol: the enum sent over the wire, internally tagged by `op`
/// (snake_case of the variant) written first, one newtype variant per command struct whose
/// fields are a map, and each command's reply type.
///
/// ```ignore
/// protocol! {
///     /// Commands to an order's object.
///     pub enum OrderCommand {
///         Get(GetOrder) -> OrderView,
///         Verify(Verify) -> VerifiedReply,
///     }
/// }
/// ```
#[macro_export]
macro_rules! protocol {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($command:ty) -> $reply:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Serialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant($command) ),*
        }
        const _: () = {
            use $crate::objects::protocol::{first_key, reordered, FirstKey};
            // The tag's names, by the same rule as the enum's own `Serialize`.
            #[derive(serde::Deserialize)]
            #[serde(rename_all = "snake_case")]
            enum Op {
                $( $variant ),*
            }
            struct Tagged;
            impl<'de> serde::de::Visitor<'de> for Tagged {
                type Value = $name;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str(concat!("a ", stringify!($name), " map tagged by `op`"))
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<$name, A::Error> {
                    match first_key(&mut map, "op")? {
                        FirstKey::Tag => {
                            let op: Op = map.next_value()?;
                            let fields = serde::de::value::MapAccessDeserializer::new(map);
                            match op {
                                $( Op::$variant => <$command as serde::Deserialize>::deserialize(
                                    fields,
                                )
                                .map($name::$variant), )*
                            }
                        }
                        other => reordered(other, map),
                    }
                }
            }
            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_map(Tagged)
                }
            }
        };
        $(
            impl From<$command> for $name {
                fn from(command: $command) -> Self {
                    $name::$variant(command)
                }
            }
            impl $crate::objects::protocol::Command for $command {
                type Protocol = $name;
                type Reply = $reply;
            }
        )*
    };
}

/// An event map whose keys did not come as `type` then `data`: read whole (what was read of
/// it: the `tag`, if it came first, and the `first` key after it), written back in that order,
/// and decoded again as `T`. Other keys are dropped, as serde's derive ignores them.
#[doc(hidden)]
pub fn reordered_event<'de, A: MapAccess<'de>, T: DeserializeOwned>(
    tag: Option<String>,
    first: String,
    mut map: A,
) -> Result<T, A::Error> {
    let mut tag = tag.map(serde_json::Value::String);
    let mut data = None;
    let mut key = Some(first);
    while let Some(name) = key {
        let value: serde_json::Value = map.next_value()?;
        let slot = match name.as_str() {
            "type" => &mut tag,
            "data" => &mut data,
            _ => &mut None,
        };
        if slot.replace(value).is_some() {
            return Err(de::Error::custom(format_args!("duplicate field `{name}`")));
        }
        key = map.next_key()?;
    }
    let tag = tag.ok_or_else(|| de::Error::missing_field("type"))?;
    let data = data.ok_or_else(|| de::Error::missing_field("data"))?;
    serde_json::from_str(&format!("{{\"type\":{tag},\"data\":{data}}}")).map_err(de::Error::custom)
}

/// After an event's `data`: other keys are skipped, a second `type` or `data` refused.
#[doc(hidden)]
pub fn event_rest<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    loop {
        match first_key(&mut map, "type")? {
            FirstKey::None => return Ok(()),
            FirstKey::Other(key) if key != "data" => map.next_value::<de::IgnoredAny>()?,
            _ => return Err(de::Error::custom("duplicate field `type` or `data`")),
        };
    }
}

/// Declares an event enum tagged by `type` with its payload under `data` (serde's adjacent
/// tagging: `{"type": "order.paid", "data": {...}}`), decoded in one pass when `type` comes
/// first, as serde writes it; serde's own decoder would buffer a payload that comes first,
/// with a `Content` deserializer instance per payload type. Any other key order is read
/// whole and decoded again.
#[macro_export]
macro_rules! tagged_events {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $tag:literal => $variant:ident($data:ty) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, serde::Serialize)]
        #[serde(tag = "type", content = "data")]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $tag)] $variant($data) ),*
        }
        const _: () = {
            use $crate::objects::protocol::{event_rest, first_key, reordered_event, FirstKey};
            use serde::de::Error;
            struct Tagged;
            impl<'de> serde::de::Visitor<'de> for Tagged {
                type Value = $name;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str(concat!("adjacently tagged enum ", stringify!($name)))
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<$name, A::Error> {
                    let tag = match first_key(&mut map, "type")? {
                        FirstKey::Tag => map.next_value::<String>()?,
                        FirstKey::Other(key) => return reordered_event(None, key, map),
                        FirstKey::None => return Err(A::Error::missing_field("type")),
                    };
                    match first_key(&mut map, "data")? {
                        FirstKey::Tag => {}
                        FirstKey::Other(key) => return reordered_event(Some(tag), key, map),
                        FirstKey::None => return Err(A::Error::missing_field("data")),
                    }
                    let event = match tag.as_str() {
                        $( $tag => map.next_value::<$data>().map($name::$variant)?, )*
                        other => return Err(A::Error::unknown_variant(other, &[$($tag),*])),
                    };
                    event_rest(map)?;
                    Ok(event)
                }
            }
            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_map(Tagged)
                }
            }
        };
    };
}
