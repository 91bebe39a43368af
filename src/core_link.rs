//! Delivery to the core system: signed (`Edge-Signature`), with an `Idempotency-Key`, and a
//! timeout so a hanging core cannot hold an object forever.

use crate::config::Config;
use crate::domain::delivery::{classify, Outcome};
use crate::http::request::wall_now;
use crate::http::signature;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

pub use crate::domain::delivery::Target;

pub async fn deliver(
    config: &Config,
    target: Target,
    idempotency_key: &str,
    body: &str,
) -> Outcome {
    let url = format!("{}/{}", config.core_base_url, target.as_str());
    let headers = Headers::new();
    let signed = signature::sign(
        config.edge_signing_secret.as_bytes(),
        wall_now().timestamp(),
        body.as_bytes(),
    );
    for (name, value) in [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", idempotency_key),
        ("Edge-Signature", signed.as_str()),
    ] {
        if headers.set(name, value).is_err() {
            return Outcome::Permanent(format!("header {name} could not be set"));
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let request = match Request::new_with_init(&url, &init) {
        Ok(request) => request,
        Err(err) => return Outcome::Permanent(format!("bad core URL: {err}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let timeout = Duration::from_millis(config.core_timeout_ms.max(1) as u64);
    // The timer is dropped (cleared) as soon as the core answers: a pending timer keeps the
    // object open in the runtime until it fires, and open objects are what a runtime runs out
    // of when many new members arrive at once (README, "Capacity").
    let fetcher = Fetch::Request(request);
    let mut fetch = pin!(fetcher.send_with_signal(&signal));
    let mut timer = pin!(Delay::from(timeout));
    let answer = poll_fn(|cx| match fetch.as_mut().poll(cx) {
        Poll::Ready(answer) => Poll::Ready(Some(answer)),
        Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
    })
    .await;
    match answer {
        Some(Ok(response)) => classify(response.status_code()),
        Some(Err(err)) => Outcome::Retry(format!("network error: {err}")),
        None => {
            controller.abort();
            Outcome::Retry(format!("no answer within {} ms", timeout.as_millis()))
        }
    }
}
