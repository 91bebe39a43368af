//! The store's one-scan entry page (一码通) as rendered: the shared stylesheet and no script,
//! no inline style or handler, every text escaped, every link tagged with utm_* and the store.

use pharmedge::pages::entry::{self, EntryCampaign};
use pharmedge::pages::site::asset_url;

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&"))
        .filter(|href| !href.starts_with("data:") && !href.starts_with("/assets/"))
        .collect()
}

#[test]
fn the_entry_leads_to_registration_points_and_campaigns_all_tagged() {
    let campaigns = vec![EntryCampaign {
        id: "wed-flash".into(),
        name: "周三秒杀 <b>".into(),
        status: "进行中",
        url: entry::tagged_url("/m/campaigns/wed-flash", &[("store", "st-7")], "wed-flash"),
    }];
    let html = entry::render("st-7", "https://m.pharmedge.dev/welcome", &campaigns);
    assert!(html.starts_with("<!doctype html>") && html.contains("lang=\"zh-CN\""));
    assert!(html.contains(&asset_url("app.css")));
    let lower = html.to_lowercase();
    for forbidden in ["<script", "style=", "onclick", "<b>"] {
        assert!(!lower.contains(forbidden), "{forbidden} in the entry page");
    }
    assert!(html.contains("周三秒杀 &lt;b&gt;"), "names are text");
    let links = links(&html);
    assert_eq!(
        links,
        vec![
            "https://m.pharmedge.dev/welcome?store=st-7&utm_source=entry&utm_medium=qr&utm_campaign=st-7",
            "/m/checkin?store=st-7&utm_source=entry&utm_medium=qr&utm_campaign=st-7",
            "/m/campaigns/wed-flash?store=st-7&utm_source=entry&utm_medium=qr&utm_campaign=wed-flash",
        ]
    );
    let headers = entry::headers();
    let csp = &headers
        .iter()
        .find(|(name, _)| *name == "Content-Security-Policy")
        .unwrap()
        .1;
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
}

#[test]
fn no_campaign_says_so_and_an_unknown_store_page_still_offers_registration() {
    let html = entry::render("st-7", "https://m.pharmedge.dev/welcome?x=1", &[]);
    assert!(html.contains("本店暂无进行中的活动"));
    assert!(links(&html)[0]
        .starts_with("https://m.pharmedge.dev/welcome?x=1&store=st-7&utm_source=entry"));
    let unknown = entry::unknown("https://m.pharmedge.dev/welcome");
    assert!(unknown.contains("这个门店码无效"));
    assert_eq!(
        links(&unknown),
        vec!["https://m.pharmedge.dev/welcome?utm_source=entry&utm_medium=qr&utm_campaign=unknown-store"]
    );
}
