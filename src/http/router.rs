//! Path matching for the route table: `/v1/campaigns/{id}` style patterns, exact segments,
//! a trailing `{rest*}`, and the 404 / 405 distinction. Pure and generic over the handler type.

pub struct Route<H> {
    pub method: &'static str,
    pub pattern: &'static str,
    pub handler: H,
}

/// Path parameters by name, already percent-decoding-free (ids are plain ASCII).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

pub enum Match<'t, H> {
    Found(&'t H, Params),
    /// The path exists with other methods.
    WrongMethod(Vec<&'static str>),
    NotFound,
}

fn match_path(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(Params(params)),
            (Some(expected), Some(actual)) => {
                // `{name*}` (last segment only) takes the rest of the path, slashes and all.
                if let Some(name) = expected
                    .strip_prefix('{')
                    .and_then(|s| s.strip_suffix("*}"))
                {
                    let rest: Vec<&str> = std::iter::once(actual).chain(path_segments).collect();
                    let rest = rest.join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    params.push((name, rest));
                    return Some(Params(params));
                }
                if let Some(name) = expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    params.push((name, actual.to_owned()));
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

pub fn resolve<'t, H>(table: &'t [Route<H>], method: &str, path: &str) -> Match<'t, H> {
    let mut allowed = Vec::new();
    for route in table {
        if let Some(params) = match_path(route.pattern, path) {
            if route.method == method {
                return Match::Found(&route.handler, params);
            }
            if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
        }
    }
    if allowed.is_empty() {
        Match::NotFound
    } else {
        Match::WrongMethod(allowed)
    }
}
