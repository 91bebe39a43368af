//! `GET /e/{store}`: a store's one-scan entry (一码通, seed 003): the single QR a store prints,
//! leading to registration, points (the check-in page) and the store's current campaigns.
//! Rendered by the worker (it names the store and lists live campaigns, so it cannot be a
//! static body), in the shared shell and with the same security headers as every page: no
//! script at all, every text escaped, every link tagged with `utm_*` and the store. Pure, so the
//! markup is tested natively.

use super::site::{asset_url, page_headers, Audience, Page};
use crate::domain::attribution::link_tag;

/// What the security headers are computed from (the entry has no script of its own).
const ENTRY: Page = Page {
    name: "entry",
    title: "门店一码通",
    audience: Audience::Member,
    script: "",
    body: "",
    camera: false,
};

/// `utm_source` and `utm_medium` of every link on the entry page.
pub const SOURCE: &str = "entry";
pub const MEDIUM: &str = "qr";

/// A campaign as the entry lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryCampaign {
    pub id: String,
    pub name: String,
    /// `进行中` or `即将开始`.
    pub status: &'static str,
    /// Where its link goes: the claim page, or the store's signed poster link.
    pub url: String,
}

/// The headers of the entry page (the pages' CSP, nosniff, no Referer, not framed).
pub fn headers() -> Vec<(&'static str, String)> {
    page_headers(&ENTRY)
}

pub fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `base` with `extra` query pairs and the entry's tag (campaign `utm_campaign`).
pub fn tagged_url(base: &str, extra: &[(&str, &str)], utm_campaign: &str) -> String {
    let tag = link_tag(SOURCE, MEDIUM, utm_campaign);
    let pairs: Vec<String> = extra
        .iter()
        .copied()
        .chain(tag.utm_pairs())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{}", pairs.join("&"))
}

/// Percent-encodes a query value (ids and UTM values are already safe; this is a backstop).
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"color-scheme\" content=\"light\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{title} · 药房会员</title>\n\
<link rel=\"stylesheet\" href=\"{css}\">\n</head>\n<body data-page=\"entry\">\n<main>\n{body}</main>\n</body>\n</html>\n",
        title = escape(title),
        css = asset_url("app.css"),
    )
}

/// The entry page of `store`: registration (`register_url`), points, the campaigns.
pub fn render(store: &str, register_url: &str, campaigns: &[EntryCampaign]) -> String {
    let store_html = escape(store);
    let register = tagged_url(register_url, &[("store", store)], store);
    let checkin = tagged_url("/m/checkin", &[("store", store)], store);
    let mut body = format!(
        "<h1>欢迎光临 · 门店 {store_html}</h1>\n\
<p class=\"muted\">扫一次码：注册会员、签到领积分、领取本店优惠。</p>\n\
<section class=\"card\" aria-labelledby=\"join-title\">\n<h2 id=\"join-title\">注册会员</h2>\n\
<p>新会员注册即享新人礼。</p>\n<p><a class=\"button\" href=\"{register}\">立即注册</a></p>\n</section>\n\
<section class=\"card\" aria-labelledby=\"points-title\">\n<h2 id=\"points-title\">签到积分</h2>\n\
<p>每日签到领积分，积分可抵扣、兑换优惠券。</p>\n<p><a class=\"button\" href=\"{checkin}\">去签到</a></p>\n</section>\n\
<section class=\"card\" aria-labelledby=\"campaigns-title\">\n<h2 id=\"campaigns-title\">本店活动</h2>\n",
        register = escape(&register),
        checkin = escape(&checkin),
    );
    if campaigns.is_empty() {
        body.push_str("<p class=\"muted\">本店暂无进行中的活动，敬请关注。</p>\n");
    } else {
        body.push_str("<ul>\n");
        for campaign in campaigns {
            body.push_str(&format!(
                "<li><a href=\"{url}\">{name}</a> <span class=\"muted\">{status}</span></li>\n",
                url = escape(&campaign.url),
                name = escape(&campaign.name),
                status = campaign.status,
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n");
    shell("门店一码通", &body)
}

/// What a scan of a broken or mistyped store code shows (404).
pub fn unknown(register_url: &str) -> String {
    let register = escape(&tagged_url(register_url, &[], "unknown-store"));
    shell(
        "门店码无效",
        &format!(
            "<h1>这个门店码无效</h1>\n<p>二维码可能不完整或已损坏。您仍然可以直接注册会员。</p>\n\
<p><a class=\"button\" href=\"{register}\">去注册</a></p>\n"
        ),
    )
}
