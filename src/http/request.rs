//! The block's request with the step's variables filled in, and the
//! asserts' expected strings likewise (`body contains "${VERSION}"`).

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde_json::Value;

use super::error::HttpError;
use super::show;
use crate::exec::step::StepCtx;
use crate::runbook::model::{HttpAssert, HttpCheck};
use crate::runbook::vars::references;

pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<String>,
    pub asserts: Vec<HttpAssert>,
    /// The URL for the output and the journal (see `show::url`).
    pub shown_url: String,
    /// `Name: value` lines, credentials masked.
    pub shown_headers: Vec<String>,
}

impl Request {
    /// `host:port`, for messages about the connection. The host is taken
    /// from the URL as written and masked, not from the parsed URL, which
    /// lower-cases it: `Secret-Host` would come out as `secret-host`,
    /// which the redactor does not know.
    pub fn authority(&self) -> String {
        let host = self.shown_host();
        match (
            port_written(&self.shown_url),
            self.url.port_or_known_default(),
        ) {
            (true, _) | (false, None) => host,
            (false, Some(p)) => format!("{host}:{p}"),
        }
    }

    /// The host (and port, when written) of `shown_url`: masked, in the
    /// case it was written in.
    fn shown_host(&self) -> String {
        let rest = self
            .shown_url
            .split_once("://")
            .map_or(self.shown_url.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host.is_empty() {
            "?".into()
        } else {
            host.into()
        }
    }

    /// Text about the connection from a library, which names the host as
    /// parsed (lower-cased): that name becomes the one shown.
    pub fn mask_parsed_host(&self, text: &str) -> String {
        match self.url.host_str() {
            Some(parsed) if !parsed.is_empty() => {
                let shown = self.shown_host();
                let shown = match port_written(&self.shown_url) {
                    true => shown.rsplit_once(':').map_or(shown.as_str(), |(h, _)| h),
                    false => shown.as_str(),
                };
                replace_ignoring_ascii_case(text, parsed, shown)
            }
            _ => text.to_string(),
        }
    }
}

/// Whether the authority of a URL as written names a port.
fn port_written(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host.rsplit_once(':') {
        // `[::1]` alone has colons but no port.
        Some((h, p)) => !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':'),
        None => false,
    }
}

fn replace_ignoring_ascii_case(text: &str, needle: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(&needle) {
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

pub fn prepare(native: &StepCtx, check: &HttpCheck) -> Result<Request, HttpError> {
    let secrets = &native.secrets;
    unset(native, &check.url, "the URL")?;
    let raw_url = native.expand(&check.url);
    let shown_url = show::url(&raw_url, secrets);
    let url = Url::parse(&raw_url).map_err(|e| HttpError::BadUrl {
        shown: shown_url.clone(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::NotHttp(shown_url));
    }
    let method = Method::from_bytes(check.method.as_bytes())
        .map_err(|_| HttpError::BadMethod(check.method.clone()))?;
    let mut headers = Vec::new();
    let mut shown_headers = Vec::new();
    for (name, value) in &check.headers {
        unset(native, value, &format!("the {name} header"))?;
        let value = native.expand(value);
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HttpError::BadHeaderName(name.clone()))?;
        let header_value =
            HeaderValue::from_str(&value).map_err(|_| HttpError::BadHeaderValue(name.clone()))?;
        shown_headers.push(show::header(name, &value, secrets));
        headers.push((header_name, header_value));
    }
    Ok(Request {
        method,
        url,
        headers,
        // A body may hold `$` for its own reasons (a query language), so
        // leftover references there are sent as written.
        body: check.body.as_ref().map(|b| native.expand(b)),
        asserts: check
            .asserts
            .iter()
            .map(|a| expand_assert(native, a))
            .collect(),
        shown_url,
        shown_headers,
    })
}

/// A reference to a variable nobody set would be sent as written: sending
/// `Bearer ${API_TOKEN}` literally would only earn a confusing 401. Looked
/// for in the text as written, not after expansion, where a `$` inside a
/// password would look like a reference.
fn unset(native: &StepCtx, text: &str, place: &str) -> Result<(), HttpError> {
    let mut names: Vec<String> = references(text)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| native.var(name).is_none())
        .collect();
    names.dedup();
    if names.is_empty() {
        return Ok(());
    }
    Err(HttpError::Unset {
        place: place.to_string(),
        names,
    })
}

fn expand_assert(native: &StepCtx, a: &HttpAssert) -> HttpAssert {
    match a {
        HttpAssert::Json {
            path,
            op,
            value: Some(Value::String(s)),
        } => HttpAssert::Json {
            path: path.clone(),
            op: *op,
            value: Some(Value::String(native.expand(s))),
        },
        HttpAssert::BodyContains { text } => HttpAssert::BodyContains {
            text: native.expand(text),
        },
        HttpAssert::Header { name, op, value } => HttpAssert::Header {
            name: name.clone(),
            op: *op,
            value: native.expand(value),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secrets;

    fn request(raw: &str, secrets: &Secrets) -> Request {
        Request {
            method: Method::GET,
            url: Url::parse(raw).unwrap_or_else(|e| panic!("{e}")),
            headers: Vec::new(),
            body: None,
            asserts: Vec::new(),
            shown_url: show::url(raw, secrets),
            shown_headers: Vec::new(),
        }
    }

    #[test]
    fn the_host_is_shown_as_written_and_masked() {
        let s = Secrets::new(["Secret-Host.example".to_string()]);
        let r = request("http://u:pw@Secret-Host.example:8080/x", &s);
        assert_eq!(r.authority(), "***:8080");
        let r = request("https://Secret-Host.example/x", &s);
        assert_eq!(r.authority(), "***:443");
        // A library's message names the host as parsed, lower-cased.
        assert_eq!(
            r.mask_parsed_host("dns error for secret-host.example: not found"),
            "dns error for ***: not found"
        );
        let plain = request("http://[::1]:9/x", &Secrets::default());
        assert_eq!(plain.authority(), "[::1]:9");
        assert_eq!(
            request("http://[::1]/", &Secrets::default()).authority(),
            "[::1]:80"
        );
        assert_eq!(
            plain.mask_parsed_host("refused by [::1]"),
            "refused by [::1]"
        );
    }
}
