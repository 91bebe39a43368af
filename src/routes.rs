//! The whole route table: method + path -> handler. 404 and 405 come from here.

use crate::config::Config;
use crate::features::{
    admin_campaigns, campaigns, catalog, checkins, core_events, coupons, entry, erasure, health,
    me, orders, outbox_admin, pickups, points, referrals, tiers, Ctx,
};
use crate::http::error::ApiError;
use crate::http::request::business_now;
use crate::http::request::Incoming;
use crate::http::response::{problem, Answer};
use crate::http::router::{resolve, Match, Route};
use crate::pages::serve as pages;
use std::future::Future;
use std::pin::Pin;
use worker::{Env, Response};

type Reply = Pin<Box<dyn Future<Output = Result<Answer, ApiError>>>>;
type Handler = fn(Ctx) -> Reply;

/// A route answering through the `worker` crate's `Response` (off the hot paths, which
/// answer text: `response::Answer`).
fn full(reply: impl Future<Output = Result<Response, ApiError>> + 'static) -> Reply {
    Box::pin(async move { reply.await.map(Answer::Runtime) })
}

/// Method, path, handler. `{name}` segments are path parameters. `full`: a handler answering
/// a `worker::Response`; the others answer `Answer` themselves (the hot paths, as text).
#[rustfmt::skip]
static ROUTES: &[Route<Handler>] = &[
    Route { method: "GET",   pattern: "/healthz",                                 handler: |c| Box::pin(health::get(c)) },
    Route { method: "GET",   pattern: "/v1/me",                                   handler: |c| Box::pin(me::get(c)) },
    Route { method: "POST",  pattern: "/v1/checkins",                             handler: |c| Box::pin(checkins::create(c)) },
    Route { method: "GET",   pattern: "/v1/checkins",                             handler: |c| full(checkins::month(c)) },
    Route { method: "POST",  pattern: "/v1/checkins/makeup",                      handler: |c| full(checkins::makeup(c)) },
    Route { method: "GET",   pattern: "/v1/points/ledger",                        handler: |c| full(points::ledger(c)) },
    Route { method: "GET",   pattern: "/v1/tiers",                                handler: |c| full(tiers::get(c)) },
    Route { method: "GET",   pattern: "/v1/campaigns",                            handler: |c| full(campaigns::list(c)) },
    Route { method: "GET",   pattern: "/v1/campaigns/{id}",                       handler: |c| full(campaigns::get(c)) },
    Route { method: "POST",  pattern: "/v1/campaigns/{id}/claims",                handler: |c| full(campaigns::claim(c)) },
    Route { method: "GET",   pattern: "/v1/coupons",                              handler: |c| full(coupons::list(c)) },
    Route { method: "GET",   pattern: "/s/{campaign}/{store}",                    handler: |c| full(campaigns::poster_link(c)) },
    Route { method: "POST",  pattern: "/v1/referrals/link",                       handler: |c| full(referrals::link(c)) },
    Route { method: "GET",   pattern: "/v1/referrals/me",                         handler: |c| full(referrals::me(c)) },
    Route { method: "GET",   pattern: "/v1/referrals/me/qr.svg",                  handler: |c| full(referrals::qr_svg(c)) },
    Route { method: "GET",   pattern: "/r/{code*}",                               handler: |c| Box::pin(referrals::follow(c)) },
    Route { method: "POST",  pattern: "/v1/orders",                               handler: |c| full(orders::place(c)) },
    Route { method: "GET",   pattern: "/v1/orders/{id}",                          handler: |c| full(orders::get(c)) },
    Route { method: "GET",   pattern: "/v1/pickups/{order_id}/code",              handler: |c| full(pickups::code(c)) },
    Route { method: "GET",   pattern: "/v1/pickups/{order_id}/qr.svg",            handler: |c| full(pickups::qr_svg(c)) },
    Route { method: "POST",  pattern: "/v1/store/pickups/verify",                 handler: |c| full(pickups::verify(c)) },
    Route { method: "GET",   pattern: "/v1/store/pickups",                        handler: |c| full(pickups::waiting(c)) },
    Route { method: "POST",  pattern: "/v1/admin/campaigns",                      handler: |c| full(admin_campaigns::create(c)) },
    Route { method: "GET",   pattern: "/v1/admin/campaigns",                      handler: |c| full(admin_campaigns::list(c)) },
    Route { method: "GET",   pattern: "/v1/admin/campaigns/{id}",                 handler: |c| full(admin_campaigns::get(c)) },
    Route { method: "PATCH", pattern: "/v1/admin/campaigns/{id}",                 handler: |c| full(admin_campaigns::update(c)) },
    Route { method: "GET",   pattern: "/v1/admin/campaigns/{id}/posters/{store}", handler: |c| full(admin_campaigns::poster(c)) },
    Route { method: "GET",   pattern: "/v1/admin/referrals/stats",                handler: |c| full(referrals::stats(c)) },
    Route { method: "GET",   pattern: "/v1/admin/outbox/dead",                    handler: |c| full(outbox_admin::dead(c)) },
    Route { method: "POST",  pattern: "/v1/admin/outbox/dead/{id}/replay",        handler: |c| full(outbox_admin::replay(c)) },
    Route { method: "GET",   pattern: "/v1/admin/members/{id}/footprint",         handler: |c| full(erasure::footprint(c)) },
    Route { method: "POST",  pattern: "/v1/core/events",                          handler: |c| full(core_events::receive(c)) },
    Route { method: "POST",  pattern: "/v1/core/catalog",                         handler: |c| full(catalog::push(c)) },
    Route { method: "GET",   pattern: "/v1/catalog/{sku}",                        handler: |c| full(catalog::get(c)) },
    Route { method: "GET",   pattern: "/v1/admin/catalog/{sku}",                  handler: |c| full(catalog::admin_get(c)) },
    Route { method: "PATCH", pattern: "/v1/admin/catalog/{sku}",                  handler: |c| full(catalog::set_status(c)) },
    Route { method: "GET",   pattern: "/m/checkin",                               handler: |c| full(pages::page(c, "checkin")) },
    Route { method: "GET",   pattern: "/m/wallet",                                handler: |c| full(pages::page(c, "wallet")) },
    Route { method: "GET",   pattern: "/m/invite",                                handler: |c| full(pages::page(c, "invite")) },
    Route { method: "GET",   pattern: "/m/pickup/{order_id}",                     handler: |c| full(pages::page(c, "pickup")) },
    Route { method: "GET",   pattern: "/m/campaigns/{id}",                        handler: |c| full(pages::page(c, "claim")) },
    Route { method: "GET",   pattern: "/store",                                   handler: |c| full(pages::page(c, "store")) },
    Route { method: "GET",   pattern: "/e/{store}",                               handler: |c| full(entry::show(c)) },
    Route { method: "GET",   pattern: "/v1/admin/stores/{store}/entry.svg",       handler: |c| full(entry::qr_svg(c)) },
    Route { method: "GET",   pattern: "/admin",                                   handler: |c| full(pages::page(c, "admin")) },
    Route { method: "GET",   pattern: "/assets/{name}",                           handler: |c| full(pages::asset(c)) },
];

pub async fn dispatch(req: Incoming, env: Env, worker_ctx: worker::Context) -> Answer {
    let method = req.method().to_owned();
    let path = req.path().to_owned();
    let result = match resolve(ROUTES, &method, &path) {
        Match::Found(handler, params) => match Config::get(&env) {
            Ok(config) => match business_now(&req, config.allow_test_clock) {
                Ok(now) => {
                    handler(Ctx {
                        req,
                        env,
                        config,
                        params,
                        worker_ctx,
                        now,
                    })
                    .await
                }
                Err(error) => Err(error),
            },
            Err(err) => {
                worker::console_error!("configuration: {err}");
                Err(ApiError::Internal)
            }
        },
        Match::WrongMethod(allow) => Err(ApiError::MethodNotAllowed {
            allow: allow.into_iter().map(str::to_owned).collect(),
        }),
        Match::NotFound => Err(ApiError::NotFound),
    };
    result.unwrap_or_else(|error| {
        if error.status() >= 500 {
            worker::console_error!("{method} {path} failed: {}", error.code());
        }
        Answer::Text(problem(&error))
    })
}
