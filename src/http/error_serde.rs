//! ApiError's JSON form, `{"code": "<code>", ...the variant's fields}`, written by hand: the
//! derive of an internally tagged enum buffered the map in serde's `Content` tree and built a
//! deserializer per variant (about 70 KB of the wasm's code); this reads the map once into a
//! `serde_json::Map`, in any key order, and takes each field by name. The format is unchanged
//! (idempotency records keep it: tests/http_error_format.rs).

use super::error::ApiError;
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Declares `ApiError` with each variant's stable code, and derives from that one list the
/// code, the fields as JSON and the way back.
macro_rules! api_errors {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal
                $({ $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? })? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant $({ $( $(#[$fmeta])* $field : $ty ),* })? ),*
        }
        impl $name {
            /// The stable machine code (`code` in every problem body).
            pub fn code_name(&self) -> &'static str {
                match self {
                    $( $name::$variant { .. } => $code ),*
                }
            }
            /// The variant's own fields as JSON, in declaration order; a `None` is left out.
            pub(crate) fn fields(&self) -> Vec<(&'static str, serde_json::Value)> {
                #[allow(unused_mut)]
                let mut fields = Vec::new();
                match self {
                    $( $name::$variant $({ $($field),* })? => {
                        $( $( $crate::http::error_serde::Field::put(
                            $field,
                            stringify!($field),
                            &mut fields,
                        ); )* )?
                    } )*
                }
                fields
            }
            #[allow(unused_variables)]
            pub(crate) fn from_fields(
                code: &str,
                fields: &mut serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, String> {
                Ok(match code {
                    $( $code => $name::$variant $({ $(
                        $field: $crate::http::error_serde::Field::take(
                            fields.remove(stringify!($field)),
                            stringify!($field),
                        )?
                    ),* })?, )*
                    other => return Err(format!("unknown variant `{other}`")),
                })
            }
        }
    };
}
pub(crate) use api_errors;

impl Serialize for ApiError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = self.fields();
        let mut map = serializer.serialize_map(Some(fields.len() + 1))?;
        map.serialize_entry("code", self.code_name())?;
        for (key, value) in &fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ApiError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::<String, Value>::deserialize(deserializer)?;
        let code = match fields.remove("code") {
            Some(Value::String(code)) => code,
            Some(_) => return Err(D::Error::custom("invalid type: `code` must be a string")),
            None => return Err(D::Error::missing_field("code")),
        };
        ApiError::from_fields(&code, &mut fields).map_err(D::Error::custom)
    }
}

/// A field type of an `ApiError` variant, to and from its JSON value. An `Option` is left
/// out when `None` and may be missing or null.
pub trait Field: Sized {
    fn put(&self, name: &'static str, out: &mut Vec<(&'static str, Value)>);
    fn take(value: Option<Value>, name: &str) -> Result<Self, String>;
}

fn wrong(name: &str, expected: &str) -> String {
    format!("invalid type for `{name}`: expected {expected}")
}

fn required(value: Option<Value>, name: &str) -> Result<Value, String> {
    value.ok_or_else(|| format!("missing field `{name}`"))
}

impl Field for String {
    fn put(&self, name: &'static str, out: &mut Vec<(&'static str, Value)>) {
        out.push((name, Value::String(self.clone())));
    }
    fn take(value: Option<Value>, name: &str) -> Result<Self, String> {
        match required(value, name)? {
            Value::String(text) => Ok(text),
            _ => Err(wrong(name, "a string")),
        }
    }
}

/// Integers: any JSON number that fits the type exactly.
macro_rules! integer_field {
    ($($ty:ty),*) => {$(
        impl Field for $ty {
            fn put(&self, name: &'static str, out: &mut Vec<(&'static str, Value)>) {
                out.push((name, Value::from(*self)));
            }
            fn take(value: Option<Value>, name: &str) -> Result<Self, String> {
                let value = required(value, name)?;
                value
                    .as_i64()
                    .and_then(|n| <$ty>::try_from(n).ok())
                    .or_else(|| value.as_u64().and_then(|n| <$ty>::try_from(n).ok()))
                    .ok_or_else(|| wrong(name, concat!("an integer in ", stringify!($ty))))
            }
        }
    )*};
}
integer_field!(u32, usize, i64);

impl Field for Value {
    fn put(&self, name: &'static str, out: &mut Vec<(&'static str, Value)>) {
        out.push((name, self.clone()));
    }
    fn take(value: Option<Value>, name: &str) -> Result<Self, String> {
        required(value, name)
    }
}

impl<T: Field> Field for Vec<T> {
    fn put(&self, name: &'static str, out: &mut Vec<(&'static str, Value)>) {
        let mut items = Vec::with_capacity(self.len());
        for item in self {
            item.put(name, &mut items);
        }
        out.push((
            name,
            Value::Array(items.into_iter().map(|(_, v)| v).collect()),
        ));
    }
    fn take(value: Option<Value>, name: &str) -> Result<Self, String> {
        match required(value, name)? {
            Value::Array(items) => items
                .into_iter()
                .map(|item| T::take(Some(item), name))
                .collect(),
            _ => Err(wrong(name, "an array")),
        }
    }
}

impl<T: Field> Field for Option<T> {
    fn put(&self, name: &'static str, out: &mut Vec<(&'static str, Value)>) {
        if let Some(value) = self {
            value.put(name, out);
        }
    }
    fn take(value: Option<Value>, name: &str) -> Result<Self, String> {
        match value {
            None | Some(Value::Null) => Ok(None),
            some => T::take(some, name).map(Some),
        }
    }
}
