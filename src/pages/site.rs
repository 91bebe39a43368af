//! The pages as data: which HTML body and script each page has, the shared shell around them,
//! the static assets with their content hashes, and the headers each kind of response carries.
//! Pure, so the markup and the security headers are tested natively.

/// Who a page is for: which token it reads from the fragment and how it explains getting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Member,
    Staff,
}

impl Audience {
    fn as_str(self) -> &'static str {
        match self {
            Audience::Member => "member",
            Audience::Staff => "staff",
        }
    }
}

pub struct Page {
    pub name: &'static str,
    pub title: &'static str,
    pub audience: Audience,
    /// The page's own script in `/assets/` (after the shared `app.js`).
    pub script: &'static str,
    /// The page body: static markup the script fills in.
    pub body: &'static str,
    /// Only the counter opens the camera.
    pub camera: bool,
}

#[rustfmt::skip]
pub static PAGES: &[Page] = &[
    Page { name: "checkin", title: "每日签到", audience: Audience::Member, script: "checkin.js", body: include_str!("html/checkin.html"), camera: false },
    Page { name: "wallet",  title: "我的券包与积分", audience: Audience::Member, script: "wallet.js", body: include_str!("html/wallet.html"), camera: false },
    Page { name: "invite",  title: "邀请好友", audience: Audience::Member, script: "invite.js", body: include_str!("html/invite.html"), camera: false },
    Page { name: "pickup",  title: "到店取货", audience: Audience::Member, script: "pickup.js", body: include_str!("html/pickup.html"), camera: false },
    Page { name: "claim",   title: "领券", audience: Audience::Member, script: "claim.js", body: include_str!("html/claim.html"), camera: false },
    Page { name: "store",   title: "门店核销", audience: Audience::Staff, script: "store.js", body: include_str!("html/store.html"), camera: true },
    Page { name: "admin",   title: "营销后台", audience: Audience::Staff, script: "admin.js", body: include_str!("html/admin.html"), camera: false },
];

/// A static file of the pages. Its bytes are not in the wasm: the build copies each file to
/// `build/assets/{name}` (scripts/lib/setup.sh), served through the `ASSETS` binding
/// (wrangler.toml `[assets]`); only its fingerprint, computed at compile time, is here.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    /// The file under src/pages/, whose content the fingerprint is of.
    pub source: &'static str,
    /// `fingerprint` of the file's bytes.
    pub version: u64,
}

const JS: &str = "text/javascript; charset=utf-8";

/// `Asset` for the file `$source` under src/pages/: the bytes are read by the compiler for the
/// fingerprint only (a constant), so they are not linked into the wasm.
macro_rules! asset {
    ($name:literal, $content_type:expr, $source:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            source: $source,
            version: fnv1a(include_bytes!($source)),
        }
    };
}

#[rustfmt::skip]
pub static ASSETS: &[Asset] = &[
    asset!("app.css",    "text/css; charset=utf-8", "assets/app.css"),
    asset!("app.js",     JS, "assets/app.js"),
    asset!("checkin.js", JS, "assets/checkin.js"),
    asset!("wallet.js",  JS, "assets/wallet.js"),
    asset!("invite.js",  JS, "assets/invite.js"),
    asset!("pickup.js",  JS, "assets/pickup.js"),
    asset!("claim.js",   JS, "assets/claim.js"),
    asset!("store.js",   JS, "assets/store.js"),
    asset!("admin.js",   JS, "assets/admin.js"),
    // jsQR 1.4.0 (Apache-2.0, npm `jsqr`), minified by scripts/vendor-jsqr: the counter loads it
    // only where the browser has no BarcodeDetector.
    asset!("jsqr.js",    JS, "vendor/jsqr.min.js"),
];

/// FNV-1a, 64 bit: a content fingerprint for cache busting, not a security hash.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut index = 0;
    while index < bytes.len() {
        hash ^= bytes[index] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        index += 1;
    }
    hash
}

/// The fingerprint as written in URLs and ETags: its first 12 hex digits.
fn short(hash: u64) -> String {
    format!("{hash:016x}")[..12].to_owned()
}

/// A content fingerprint (of a rendered page) for its ETag.
pub fn fingerprint(bytes: &[u8]) -> String {
    short(fnv1a(bytes))
}

impl Asset {
    /// The asset's version, as in its URL's `v` and its ETag.
    pub fn version(&self) -> String {
        short(self.version)
    }
}

pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

pub fn page(name: &str) -> Option<&'static Page> {
    PAGES.iter().find(|page| page.name == name)
}

/// The versioned URL of an asset: served `immutable` because a change changes the URL.
pub fn asset_url(name: &str) -> String {
    match asset(name) {
        Some(asset) => format!("/assets/{name}?v={}", asset.version()),
        None => format!("/assets/{name}"),
    }
}

/// Whether `version` (the `v` query parameter) names the asset's current content.
pub fn is_current(asset: &Asset, version: Option<&str>) -> bool {
    version == Some(asset.version().as_str())
}

/// A page body with each `{{asset:NAME}}` replaced by that asset's versioned URL, so static
/// markup can name an asset its script loads later (the counter's QR decoder).
pub fn with_asset_urls(body: &str) -> String {
    const OPEN: &str = "{{asset:";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&rest[..start]);
        out.push_str(&asset_url(&after[..end]));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The full HTML of a page: the shared head (styles, the shared script, the page's script,
/// all deferred and external, so the CSP needs no inline script) around the page's body.
pub fn render(page: &Page) -> String {
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"color-scheme\" content=\"light\">\n<link rel=\"icon\" href=\"data:,\">\n<title>{title} · 药房会员</title>\n\
<link rel=\"stylesheet\" href=\"{css}\">\n<script defer src=\"{app}\"></script>\n\
<script defer src=\"{script}\"></script>\n</head>\n<body data-audience=\"{audience}\" data-page=\"{name}\">\n{body}</body>\n</html>\n",
        title = page.title,
        css = asset_url("app.css"),
        app = asset_url("app.js"),
        script = asset_url(page.script),
        audience = page.audience.as_str(),
        name = page.name,
        body = with_asset_urls(page.body),
    )
}

/// Every page: no inline script or style, nothing from elsewhere, never framed; no Referer
/// (a page may have held a token in its fragment); the camera only on the counter.
pub fn page_headers(page: &Page) -> Vec<(&'static str, String)> {
    let camera = if page.camera {
        "camera=(self)"
    } else {
        "camera=()"
    };
    vec![
        ("Content-Type", "text/html; charset=utf-8".into()),
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
             connect-src 'self'; media-src 'self' blob: mediastream:; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
                .into(),
        ),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("X-Frame-Options", "DENY".into()),
        ("Cross-Origin-Opener-Policy", "same-origin".into()),
        (
            "Permissions-Policy",
            format!("{camera}, microphone=(), geolocation=()"),
        ),
        ("Cache-Control", "no-cache".into()),
    ]
}

pub fn asset_headers(asset: &Asset, current: bool) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", asset.content_type.into()),
        ("X-Content-Type-Options", "nosniff".into()),
        (
            "Cache-Control",
            if current {
                "public, max-age=31536000, immutable".into()
            } else {
                "no-cache".into()
            },
        ),
    ]
}
