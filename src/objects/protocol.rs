//! Typed commands between the worker and its objects: every command names the reply it gets,
//! so a caller receives that type checked by the compiler, and an object's handler must
//! produce it (`answer::<C>`). One object's commands form its protocol enum (`protocol!`),
//! which is what crosses the wire: `{"op": "<variant>", ...the command's fields}`.

use crate::http::error::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;

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

/// Declares an object's protocol: the enum sent over the wire, internally tagged by `op`
/// (snake_case of the variant), one newtype variant per command struct, and each command's
/// reply type.
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
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant($command) ),*
        }
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
