//! The pages' shell and headers: what the CSP forbids, what every page links, and that the
//! markup itself never needs what the CSP forbids (inline script, inline style, handlers).

use pharmedge::pages::site::{self, asset, asset_headers, asset_url, page_headers, render, PAGES};

fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn every_page_links_existing_versioned_assets_and_nothing_inline() {
    for page in PAGES {
        let html = render(page);
        assert!(
            asset(page.script).is_some(),
            "{}: no asset {}",
            page.name,
            page.script
        );
        for name in ["app.css", "app.js", page.script] {
            assert!(
                html.contains(&asset_url(name)),
                "{}: {name} not linked",
                page.name
            );
            assert!(asset_url(name).contains("?v="), "{name} is not versioned");
        }
        assert!(html.starts_with("<!doctype html>") && html.contains("lang=\"zh-CN\""));
        assert!(
            html.contains("name=\"viewport\""),
            "{}: not mobile-ready",
            page.name
        );
        let lower = page.body.to_lowercase();
        assert!(
            !lower.contains("<script"),
            "{}: inline script in the body",
            page.name
        );
        assert!(
            !lower.contains("style="),
            "{}: inline style in the body",
            page.name
        );
        assert!(
            !lower.contains(" on"),
            "{}: inline handler in the body?",
            page.name
        );
        assert!(
            page.body.contains("role=\"status\""),
            "{}: no status region",
            page.name
        );
    }
}

#[test]
fn pages_forbid_inline_script_framing_and_referrers() {
    for page in PAGES {
        let headers = page_headers(page);
        let csp = header(&headers, "Content-Security-Policy");
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(header(&headers, "Referrer-Policy"), "no-referrer");
        assert_eq!(header(&headers, "X-Content-Type-Options"), "nosniff");
        let camera = header(&headers, "Permissions-Policy").contains("camera=(self)");
        assert_eq!(
            camera,
            page.name == "store",
            "{}: camera only on the counter",
            page.name
        );
    }
}

#[test]
fn assets_are_immutable_only_at_their_current_version() {
    let app = asset("app.js").expect("app.js");
    let version = asset_url("app.js").split("?v=").nth(1).unwrap().to_owned();
    assert!(site::is_current(app, Some(&version)));
    assert!(!site::is_current(app, Some("000000000000")));
    assert!(!site::is_current(app, None));
    assert!(header(&asset_headers(app, true), "Cache-Control").contains("immutable"));
    assert_eq!(
        header(&asset_headers(app, false), "Cache-Control"),
        "no-cache"
    );
    assert!(asset("../Cargo.toml").is_none() && asset("").is_none());
}

#[test]
fn fingerprints_change_with_content() {
    assert_eq!(site::fingerprint(b"abc"), site::fingerprint(b"abc"));
    assert_ne!(site::fingerprint(b"abc"), site::fingerprint(b"abd"));
    assert_eq!(site::fingerprint(b"").len(), 12);
}

#[test]
fn asset_placeholders_become_versioned_urls() {
    assert_eq!(
        site::with_asset_urls("<i data-x=\"{{asset:jsqr.js}}\"></i>"),
        format!("<i data-x=\"{}\"></i>", asset_url("jsqr.js"))
    );
    assert_eq!(site::with_asset_urls("no placeholder"), "no placeholder");
    assert_eq!(site::with_asset_urls("open {{asset:x"), "open {{asset:x");
    for page in PAGES {
        let mut rest = page.body;
        while let Some(start) = rest.find("{{asset:") {
            let name = &rest[start + 8..][..rest[start + 8..].find("}}").expect("closed")];
            assert!(asset(name).is_some(), "{}: no asset {name}", page.name);
            rest = &rest[start + 8..];
        }
        assert!(!render(page).contains("{{asset:"), "{}", page.name);
    }
    let store = render(site::page("store").expect("store"));
    assert!(
        store.contains(&asset_url("jsqr.js")),
        "the counter names its decoder"
    );
}

#[test]
fn each_assets_compile_time_version_is_the_fingerprint_of_its_file_and_the_build_copies_it() {
    // The bytes are not in the wasm (the ASSETS binding serves them), so the version is
    // computed by the compiler: it must be the same fingerprint of the same file.
    let setup = std::fs::read_to_string("scripts/lib/setup.sh").unwrap();
    for asset in site::ASSETS {
        let bytes = std::fs::read(format!("src/pages/{}", asset.source)).unwrap();
        assert_eq!(asset.version(), site::fingerprint(&bytes), "{}", asset.name);
        assert!(
            asset_url(asset.name).ends_with(&format!("?v={}", site::fingerprint(&bytes))),
            "{}",
            asset.name
        );
        // Copied to build/assets/{name}: by the directory's glob, or one by one.
        let (dir, file) = asset.source.rsplit_once('/').unwrap();
        let copied = if file == asset.name {
            format!("cp src/pages/{dir}/* build/assets/")
        } else {
            format!("cp src/pages/{} build/assets/{}", asset.source, asset.name)
        };
        assert!(
            setup.contains(&copied),
            "{}: not copied to build/assets",
            asset.name
        );
    }
}
