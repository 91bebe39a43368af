//! The whole route table: method + path -> handler. 404 and 405 come from here.

use crate::config::Config;
use crate::features::{
    admin_campaigns, campaigns, catalog, checkins, core_events, coupons, entry, erasure, health,
    me, orders, outbox_admin, pickups, points, referrals, tiers, Ctx,
};
use crate::http::error::ApiError;
use crate::http::request::business_now;
use crate::http::response::problem;
use crate::http::router::{resolve, Match, Route};
use crate::pages::serve as pages;
use std::future::Future;
use std::pin::Pin;
use worker::{Env, Request, Response};

type Reply = Pin<Box<dyn Future<Output = Result<Response, ApiError>>>>;
type Handler = fn(Ctx) -> Reply;

/// Method, path, handler. `{name}` segments are path parameters.
#[rustfmt::skip]
static ROUTES: &[Route<Handler>] = &[
    Route { method: "GET",   pattern: "/healthz",                                 handler: |c| Box::pin(health::get(c)) },
    Route { method: "GET",   pattern: "/v1/me",                                   handler: |c| Box::pin(me::get(c)) },
    Route { method: "POST",  pattern: "/v1/checkins",                             handler: |c| Box::pin(checkins::create(c)) },
    Route { method: "GET",   pattern: "/v1/checkins",                             handler: |c| Box::pin(checkins::month(c)) },
    Route { method: "POST",  pattern: "/v1/checkins/makeup",                      handler: |c| Box::pin(checkins::makeup(c)) },
    Route { method: "GET",   pattern: "/v1/points/ledger",                        handler: |c| Box::pin(points::ledger(c)) },
    Route { method: "GET",   pattern: "/v1/tiers",                                handler: |c| Box::pin(tiers::get(c)) },
    Route { method: "GET",   pattern: "/v1/campaigns",                            handler: |c| Box::pin(campaigns::list(c)) },
    Route { method: "GET",   pattern: "/v1/campaigns/{id}",                       handler: |c| Box::pin(campaigns::get(c)) },
    Route { method: "POST",  pattern: "/v1/campaigns/{id}/claims",                handler: |c| Box::pin(campaigns::claim(c)) },
    Route { method: "GET",   pattern: "/v1/coupons",                              handler: |c| Box::pin(coupons::list(c)) },
    Route { method: "GET",   pattern: "/s/{campaign}/{store}",                    handler: |c| Box::pin(campaigns::poster_link(c)) },
    Route { method: "POST",  pattern: "/v1/referrals/link",                       handler: |c| Box::pin(referrals::link(c)) },
    Route { method: "GET",   pattern: "/v1/referrals/me",                         handler: |c| Box::pin(referrals::me(c)) },
    Route { method: "GET",   pattern: "/v1/referrals/me/qr.svg",                  handler: |c| Box::pin(referrals::qr_svg(c)) },
    Route { method: "GET",   pattern: "/r/{code*}",                               handler: |c| Box::pin(referrals::follow(c)) },
    Route { method: "POST",  pattern: "/v1/orders",                               handler: |c| Box::pin(orders::place(c)) },
    Route { method: "GET",   pattern: "/v1/orders/{id}",                          handler: |c| Box::pin(orders::get(c)) },
    Route { method: "GET",   pattern: "/v1/pickups/{order_id}/code",              handler: |c| Box::pin(pickups::code(c)) },
    Route { method: "GET",   pattern: "/v1/pickups/{order_id}/qr.svg",            handler: |c| Box::pin(pickups::qr_svg(c)) },
    Route { method: "POST",  pattern: "/v1/store/pickups/verify",                 handler: |c| Box::pin(pickups::verify(c)) },
    Route { method: "GET",   pattern: "/v1/store/pickups",                        handler: |c| Box::pin(pickups::waiting(c)) },
    Route { method: "POST",  pattern: "/v1/admin/campaigns",                      handler: |c| Box::pin(admin_campaigns::create(c)) },
    Route { method: "GET",   pattern: "/v1/admin/campaigns",                      handler: |c| Box::pin(admin_campaigns::list(c)) },
    Route { method: "GET",   pattern: "/v1/admin/campaigns/{id}",                 handler: |c| Box::pin(admin_campaigns::get(c)) },
    Route { method: "PATCH", pattern: "/v1/admin/campaigns/{id}",                 handler: |c| Box::pin(admin_campaigns::update(c)) },
    Route { method: "GET",   pattern: "/v1/admin/campaigns/{id}/posters/{store}", handler: |c| Box::pin(admin_campaigns::poster(c)) },
    Route { method: "GET",   pattern: "/v1/admin/referrals/stats",                handler: |c| Box::pin(referrals::stats(c)) },
    Route { method: "GET",   pattern: "/v1/admin/outbox/dead",                    handler: |c| Box::pin(outbox_admin::dead(c)) },
    Route { method: "POST",  pattern: "/v1/admin/outbox/dead/{id}/replay",        handler: |c| Box::pin(outbox_admin::replay(c)) },
    Route { method: "GET",   pattern: "/v1/admin/members/{id}/footprint",         handler: |c| Box::pin(erasure::footprint(c)) },
    Route { method: "POST",  pattern: "/v1/core/events",                          handler: |c| Box::pin(core_events::receive(c)) },
    Route { method: "POST",  pattern: "/v1/core/catalog",                         handler: |c| Box::pin(catalog::push(c)) },
    Route { method: "GET",   pattern: "/v1/catalog/{sku}",                        handler: |c| Box::pin(catalog::get(c)) },
    Route { method: "GET",   pattern: "/v1/admin/catalog/{sku}",                  handler: |c| Box::pin(catalog::admin_get(c)) },
    Route { method: "PATCH", pattern: "/v1/admin/catalog/{sku}",                  handler: |c| Box::pin(catalog::set_status(c)) },
    Route { method: "GET",   pattern: "/m/checkin",                               handler: |c| Box::pin(pages::page(c, "checkin")) },
    Route { method: "GET",   pattern: "/m/wallet",                                handler: |c| Box::pin(pages::page(c, "wallet")) },
    Route { method: "GET",   pattern: "/m/invite",                                handler: |c| Box::pin(pages::page(c, "invite")) },
    Route { method: "GET",   pattern: "/m/pickup/{order_id}",                     handler: |c| Box::pin(pages::page(c, "pickup")) },
    Route { method: "GET",   pattern: "/m/campaigns/{id}",                        handler: |c| Box::pin(pages::page(c, "claim")) },
    Route { method: "GET",   pattern: "/store",                                   handler: |c| Box::pin(pages::page(c, "store")) },
    Route { method: "GET",   pattern: "/e/{store}",                               handler: |c| Box::pin(entry::show(c)) },
    Route { method: "GET",   pattern: "/v1/admin/stores/{store}/entry.svg",       handler: |c| Box::pin(entry::qr_svg(c)) },
    Route { method: "GET",   pattern: "/admin",                                   handler: |c| Box::pin(pages::page(c, "admin")) },
    Route { method: "GET",   pattern: "/assets/{name}",                           handler: |c| Box::pin(pages::asset(c)) },
];

pub async fn dispatch(req: Request, env: Env, worker_ctx: worker::Context) -> Response {
    let method = req.inner().method();
    let path = req.path();
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
        problem(&error)
    })
}
