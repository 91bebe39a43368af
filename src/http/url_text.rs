//! The few things the worker reads from or writes to a URL, on its text: a query parameter,
//! the origin of the request's URL, query pairs appended to a configured landing URL. The
//! `url` crate (with `idna` and its Unicode tables, about 32 KB of the wasm's code) did this
//! by parsing whole URLs; the runtime already hands the request's URL normalized, and the
//! query is `application/x-www-form-urlencoded` either way (`form_urlencoded`, which `url`
//! itself uses for `query_pairs`).

/// The query of `url` (after the first `?`, before any `#`), or "" if it has none.
fn query_of(url: &str) -> &str {
    let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    without_fragment
        .split_once('?')
        .map_or("", |(_, query)| query)
}

/// Every query pair of `url`, decoded, in order.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query_of(url).as_bytes())
        .into_owned()
        .collect()
}

/// The first value of the query parameter `name` in `url`, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query_of(url).as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The path of an absolute URL as the runtime serializes a request's URL (after the host,
/// before `?` or `#`, which the serialization percent-encodes inside a path; never empty for
/// http(s)); "/" for a text without `scheme://`.
pub fn path(url: &str) -> &str {
    let Some(host_start) = url.find("://").map(|at| at + 3) else {
        return "/";
    };
    match url[host_start..].find('/') {
        Some(at) => {
            let path = &url[host_start + at..];
            &path[..path.find(['?', '#']).unwrap_or(path.len())]
        }
        None => "/",
    }
}

/// `scheme://host[:port]` of an absolute URL as the runtime serializes a request's URL
/// (host lowercased, default port left out); `None` if it has no `scheme://`.
pub fn origin(url: &str) -> Option<&str> {
    let host_start = url.find("://")? + 3;
    let end = url[host_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| host_start + at);
    Some(&url[..end])
}

/// `base` with `pairs` appended to its query (form-encoded, `&` after a non-empty query),
/// before any fragment; a bare `scheme://host` gets the `/` path a URL parser gives it.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let normal = encoded_once(base);
    let base: &str = &normal;
    let (before_fragment, fragment) = match base.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (base, None),
    };
    let mut text = before_fragment.to_owned();
    if origin(&text).is_some_and(|origin| origin.len() == text.len()) {
        text.push('/');
    }
    let start = match text.find('?') {
        Some(at) => at + 1,
        None => {
            text.push('?');
            text.len()
        }
    };
    let mut query = form_urlencoded::Serializer::for_suffix(text, start);
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    let mut text = query.finish();
    if let Some(fragment) = fragment {
        text.push('#');
        text.push_str(fragment);
    }
    text
}

thread_local! {
    /// The last configured URL and its `encoded` form: the landing URLs are the same on
    /// every request of an isolate, so a tap re-encodes nothing.
    static LAST_ENCODED: std::cell::RefCell<(String, std::rc::Rc<str>)> =
        std::cell::RefCell::new((String::new(), std::rc::Rc::from("")));
}

/// `encoded(base)`, kept for the last `base` seen.
fn encoded_once(base: &str) -> std::rc::Rc<str> {
    LAST_ENCODED.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != base {
            *last = (base.to_owned(), std::rc::Rc::from(encoded(base)));
        }
        std::rc::Rc::clone(&last.1)
    })
}

/// A configured URL as a URL parser serializes it, for what matters in a header: no
/// surrounding spaces or controls, no tab or newline, and after the host every byte a
/// header value cannot hold (non-ASCII, controls, space) or no URL keeps raw (`"`, `<`,
/// `>`) percent-encoded. (A non-ASCII host would need IDNA: left as written.)
fn encoded(base: &str) -> String {
    let trimmed = base.trim_matches(|c: char| c <= ' ');
    let kept: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let host_end = origin(&kept).map_or(0, str::len);
    let mut text = kept[..host_end].to_owned();
    for c in kept[host_end..].chars() {
        if c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>') {
            text.push(c);
        } else {
            let mut utf8 = [0; 4];
            for byte in c.encode_utf8(&mut utf8).bytes() {
                text.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    text
}
