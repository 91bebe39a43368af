//! The internal protocol between the worker and its Durable Objects: a typed command in,
//! `{"ok": reply}` or `{"err": ApiError}` out, so errors cross the boundary as types.

use crate::http::error::ApiError;
use crate::objects::protocol::{open_envelope, Opened};
use crate::objects::relay::{KeyOrder, Relayed};
use crate::objects::schema::{Module, Tables};
use crate::objects::seam::durable::Durable;
use crate::objects::seam::Transact;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use worker::js_sys::{self, futures::JsFuture, Promise};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::web_sys;
use worker::{Env, Request, Response, Storage, Stub};

/// Written by `reply_text`; read by `protocol::open_envelope`.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Envelope<R> {
    Ok(R),
    Err(ApiError),
}

/// Sends `command` to the object behind `stub` and decodes its typed answer.
pub async fn call<C: Serialize, R: DeserializeOwned>(
    stub: Stub,
    command: &C,
) -> Result<R, ApiError> {
    call_path(stub, RPC_PATH, command).await
}

/// The path of an object's own commands. Other paths are protocols every object with an
/// outbox shares (see `outbox::REPLAY_PATH`).
pub const RPC_PATH: &str = "/rpc";

/// Like `call`, on another path of the object.
pub async fn call_path<C: Serialize, R: DeserializeOwned>(
    stub: Stub,
    path: &str,
    command: &C,
) -> Result<R, ApiError> {
    let body = serde_json::to_string(command).map_err(|_| ApiError::Internal)?;
    open(&send(stub, path, body).await?)
}

/// The typed reply in an object's answer.
fn open<R: DeserializeOwned>(text: &str) -> Result<R, ApiError> {
    serde_json::from_str(&opened_reply(text)?).map_err(unreadable_reply)
}

/// The reply's JSON text in an object's answer, or the error the object refused with.
fn opened_reply(text: &str) -> Result<Cow<'_, str>, ApiError> {
    match open_envelope(text) {
        Ok(Opened::Reply(reply)) => Ok(reply),
        Ok(Opened::Refused(error)) => Err(error),
        Err(err) => Err(unreadable_reply(err)),
    }
}

type Sent<'a> = Pin<Box<dyn Future<Output = Result<String, ApiError>> + 'a>>;

/// The exchange, boxed and not generic: one copy of its poll code in the wasm, instead of
/// one inlined into every typed call's future (one per command and reply type).
fn send(stub: Stub, path: &str, body: String) -> Sent<'_> {
    Box::pin(async move {
        let url = if path == RPC_PATH {
            "https://object/rpc"
        } else {
            &format!("https://object{path}")
        };
        let object: worker::worker_sys::DurableObject = stub.into_rpc();
        exchange(&object, url, &body).await.map_err(failed)
    })
}

#[inline(never)]
fn failed(err: JsValue) -> ApiError {
    worker::console_error!("object call failed: {err:?}");
    ApiError::Unavailable
}

/// A command to the object named `name` of `binding` by its `ask(text)` (workerd's JS RPC),
/// boxed and not generic like `send`.
fn send_by_js_rpc<'a>(env: &'a Env, binding: &'a str, name: &'a str, body: String) -> Sent<'a> {
    Box::pin(async move {
        let asked = match js::ask(env, binding, name, &body) {
            Ok(answer) => JsFuture::from(answer).await,
            Err(err) => Err(err),
        };
        match asked {
            Ok(answer) => answer
                .as_string()
                .ok_or_else(|| failed(JsValue::from_str("object answered no text"))),
            // An object still on code without `ask` (a deploy's version skew): nothing
            // ran there, so the command goes again the way that code takes it.
            Err(err) if receiver_lacks_ask(&err) => {
                let object: worker::worker_sys::DurableObject =
                    stub_of(env, binding, name)?.into_rpc();
                exchange(&object, "https://object/rpc", &body)
                    .await
                    .map_err(failed)
            }
            Err(err) => Err(failed(err)),
        }
    })
}

/// The object call as one crossing into JS: the namespace, the stub and the `ask` call (the
/// method is an RPC property, called on its stub; the runtime answers a thenable, an RPC
/// promise callable for pipelining, made a Promise here). Any failure rejects or throws.
mod js {
    use worker::js_sys::Promise;
    use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
    use worker::Env;

    #[wasm_bindgen(
        inline_js = "export function ask(env, binding, name, text) { return Promise.resolve(env[binding].getByName(name).ask(text)); }"
    )]
    extern "C" {
        #[wasm_bindgen(catch)]
        pub fn ask(env: &Env, binding: &str, name: &str, text: &str) -> Result<Promise, JsValue>;
    }
}

#[inline(never)]
fn unreadable_reply(err: serde_json::Error) -> ApiError {
    worker::console_error!("object answered an unreadable reply: {err}");
    ApiError::Internal
}

/// POSTs `body` to the object and answers the text of its response, on the runtime's own
/// objects: the `worker` crate's Request and Response read the URL, headers and `cf` of
/// each and stream the body through a reader, a dozen crossings into the runtime per call
/// where this makes five. No headers: the object reads the body as the command whatever it
/// is labelled.
async fn exchange(
    object: &worker::worker_sys::DurableObject,
    url: &str,
    body: &str,
) -> Result<String, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    let response: web_sys::Response = JsFuture::from(object.fetch_with_request(&request)?)
        .await?
        .dyn_into()?;
    let text: Promise = response.text()?;
    JsFuture::from(text)
        .await?
        .as_string()
        .ok_or_else(|| JsValue::from_str("object answered no text"))
}

/// Whether a JS RPC call was refused because the receiving object's code has no `ask`: the
/// runtime's TypeError for a class that is not a `DurableObject` subclass (main's build before
/// session 10: worker-build's shim) or that lacks the method. Raised before any of the
/// object's code handles the call, so the command did not run.
fn receiver_lacks_ask(err: &JsValue) -> bool {
    err.dyn_ref::<js_sys::TypeError>().is_some_and(|err| {
        let message = String::from(err.message());
        message.contains("does not support RPC")
            || message.contains("does not implement the method")
    })
}

/// Inside an object: reads the command.
pub async fn command<C: DeserializeOwned>(req: Request) -> Result<C, ApiError> {
    decode(&text(req).await?)
}

/// Inside an object: the command's text in a request's body (a `fetch`).
pub async fn text(mut req: Request) -> Result<String, ApiError> {
    req.text().await.map_err(|_| ApiError::Internal)
}

/// Inside an object: the reply envelope's text as a JS RPC `ask` answers it.
pub fn ask_reply(result: Result<serde_json::Value, ApiError>) -> Result<JsValue, JsValue> {
    let reply = reply_text(result).map_err(|err| JsValue::from_str(&err.to_string()))?;
    Ok(JsValue::from_str(&reply))
}

/// Gives an object's struct the `ask(text)` that `call_object` calls by workerd's JS RPC
/// (the class in scripts/lib/shim.js): the same path as its `fetch`'s commands, through its
/// `command(&self, &str)`. Its binding goes in `by_js_rpc`.
// Skipped: rustfmt indents the attribute's lines once more at every run.
#[rustfmt::skip]
macro_rules! answers_by_js_rpc {
    ($object:ident) => {
        #[wasm_bindgen::prelude::wasm_bindgen(
            wasm_bindgen = ::worker::wasm_bindgen,
            wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
            js_sys = ::worker::js_sys
        )]
        impl $object {
            pub async fn ask(
                &self,
                text: String,
            ) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
                $crate::objects::rpc::ask_reply(self.command(&text).await)
            }
        }
    };
}
pub(crate) use answers_by_js_rpc;

/// Inside an object: the command in `text` (a request's body, or a JS RPC `ask`'s argument).
pub fn decode<C: DeserializeOwned>(text: &str) -> Result<C, ApiError> {
    serde_json::from_str(text).map_err(|err| {
        worker::console_error!("object received an unreadable command: {err}");
        ApiError::Internal
    })
}

/// Inside an object: writes the typed answer.
pub fn reply<R: Serialize>(result: Result<R, ApiError>) -> worker::Result<Response> {
    // No Content-Type: only `call` reads it, and a header is a crossing into the runtime.
    Ok(Response::builder().fixed(reply_text(result)?.into_bytes()))
}

/// Inside an object: the typed answer as the text `call` reads (a JS RPC `ask`'s result).
pub fn reply_text<R: Serialize>(result: Result<R, ApiError>) -> serde_json::Result<String> {
    let envelope = match result {
        Ok(reply) => Envelope::Ok(reply),
        Err(error) => Envelope::Err(error),
    };
    serde_json::to_string(&envelope)
}

/// Calls the object named `name` in the namespace bound as `binding`.
pub async fn call_object<C: Serialize, R: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    command: &C,
) -> Result<R, ApiError> {
    open(&answer_of(env, binding, name, command).await?)
}

/// The answer's text of the object named `name`: by its `ask` where the binding answers JS
/// RPC, else by `fetch`.
async fn answer_of<C: Serialize>(
    env: &Env,
    binding: &str,
    name: &str,
    command: &C,
) -> Result<String, ApiError> {
    let body = serde_json::to_string(command).map_err(|_| ApiError::Internal)?;
    if by_js_rpc(binding) {
        send_by_js_rpc(env, binding, name, body).await
    } else {
        send(stub_of(env, binding, name)?, RPC_PATH, body).await
    }
}

/// Like `call_object`, the reply handed on as the object wrote it (`relay::Relayed`).
pub async fn relay_object<C: Serialize, R: KeyOrder>(
    env: &Env,
    binding: &str,
    name: &str,
    command: &C,
) -> Result<Relayed<R>, ApiError> {
    let text = answer_of(env, binding, name, command).await?;
    Relayed::from_reply(&opened_reply(&text)?).map_err(unreadable_reply)
}

/// The objects that answer `ask(text)` by JS RPC (`answers_by_js_rpc!`): those on the
/// requests that count (check-ins, claims, pickup verification, orders).
fn by_js_rpc(binding: &str) -> bool {
    use crate::config::{
        CAMPAIGN_OBJECT, CATALOG_OBJECT, MEMBER_OBJECT, ORDER_OBJECT, STOCK_OBJECT, STORE_OBJECT,
    };
    [
        MEMBER_OBJECT,
        STOCK_OBJECT,
        STORE_OBJECT,
        ORDER_OBJECT,
        CATALOG_OBJECT,
        CAMPAIGN_OBJECT,
    ]
    .contains(&binding)
}

/// The stub of the object named `name` in the namespace bound as `binding`.
fn stub_of(env: &Env, binding: &str, name: &str) -> Result<Stub, ApiError> {
    env.durable_object(binding)
        .and_then(|namespace| namespace.get_by_name(name))
        .map_err(|err| {
            worker::console_error!("{binding} object unavailable: {err}");
            ApiError::Unavailable
        })
}

/// Serves an object whose every command is one transaction over the seam: ensures its tables,
/// reads the command, runs `run` inside `transactionSync`, answers (dead letters, registry).
pub async fn serve_transactions<C: DeserializeOwned>(
    storage: Storage,
    tables: &Tables,
    modules: &[&Module],
    req: Request,
    run: fn(&Durable, C) -> Result<serde_json::Value, ApiError>,
) -> worker::Result<Response> {
    let db = Durable::new(storage);
    if let Err(error) = tables.ensure(&db, modules) {
        return reply::<()>(Err(error));
    }
    let result = match command::<C>(req).await {
        Ok(command) => db.atomically(|| run(&db, command)),
        Err(error) => Err(error),
    };
    reply(result)
}

/// An object's reply, not yet typed by a `Command`, as the JSON value `reply` sends.
pub fn to_json<T: Serialize>(result: Result<T, ApiError>) -> Result<serde_json::Value, ApiError> {
    crate::objects::protocol::to_value(result)
}
