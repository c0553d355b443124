//! How a request and its response appear in the output and the journal:
//! short, and without credentials. Declared secrets are redacted wherever
//! they show; values that look like credentials by their name (an
//! `Authorization` header, a `token=` parameter) are masked even when no
//! variable declares them secret.

use std::time::Duration;

use serde_json::Value;

use crate::secrets::{MASK, Secrets};

/// Of a response body, what is shown and journaled.
pub const SHOWN_BYTES: usize = 2048;
pub const SHOWN_LINES: usize = 40;
/// Longest value quoted in a check's failure.
const SHOWN_VALUE: usize = 120;

/// Header, query-parameter and JSON field names whose values are
/// credentials.
pub fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    const PARTS: [&str; 10] = [
        "authoriz",
        "authenticat",
        "cookie",
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "signature",
        "credential",
    ];
    PARTS.iter().any(|p| name.contains(p)) || matches!(name.as_str(), "auth" | "sig" | "pwd")
}

/// `v` with the values of credential-named fields masked, at any depth.
pub fn mask_fields(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if is_sensitive(&k) {
                        Value::String(MASK.into())
                    } else {
                        mask_fields(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(mask_fields).collect()),
        other => other,
    }
}

/// The URL as written after expansion, with the password of `user:pass@`
/// and credential-named query values masked, then secrets redacted. Built
/// from the text rather than the parsed URL because parsing percent-encodes,
/// and an encoded secret would slip past redaction.
pub fn url(raw: &str, secrets: &Secrets) -> String {
    let (before_fragment, fragment) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = mask_userinfo(base);
    if let Some(q) = query {
        out.push('?');
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if is_sensitive(k) => format!("{k}={MASK}"),
                _ => p.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    secrets.redact(&out)
}

fn mask_userinfo(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else {
        return base.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let shown = if userinfo.contains(':') {
                format!("{user}:{MASK}")
            } else {
                user.to_string()
            };
            format!("{scheme}://{shown}@{host}{path}")
        }
        None => base.to_string(),
    }
}

/// `Name: value`, the value masked for credential headers.
pub fn header(name: &str, value: &str, secrets: &Secrets) -> String {
    if is_sensitive(name) {
        format!("{name}: {MASK}")
    } else {
        secrets.redact(&format!("{name}: {value}"))
    }
}

/// A JSON value on one line, cut when long.
pub fn compact(v: &Value) -> String {
    cut(&v.to_string(), SHOWN_VALUE)
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A measured time (`12ms`, `1.5s`): `runbook::duration::format_span`.
pub fn millis(d: Duration) -> String {
    crate::runbook::duration::format_span(d)
}

/// A retry interval: as written (`10s`, `1m30s`, `100ms`,
/// `runbook::duration::format_duration`) when whole, else measured
/// (`1.5s`), since the setting form drops fractions of a second.
pub fn interval(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        crate::runbook::duration::format_duration(d)
    } else {
        crate::runbook::duration::format_span(d)
    }
}

/// `512 B`, `4 KiB`, `4 MiB`.
pub fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    if bytes >= KIB * KIB && bytes.is_multiple_of(KIB * KIB) {
        format!("{} MiB", bytes / (KIB * KIB))
    } else if bytes >= KIB * KIB {
        format!("{:.1} MiB", bytes as f64 / (KIB * KIB) as f64)
    } else if bytes >= KIB {
        format!("{:.1} KiB", bytes as f64 / KIB as f64)
    } else {
        format!("{bytes} B")
    }
}

/// The beginning of a body for the output and the journal: pretty JSON
/// when it is JSON, redacted, at most [`SHOWN_LINES`] lines and
/// [`SHOWN_BYTES`] bytes. None for an empty body.
pub fn body(raw: &[u8], truncated: bool, secrets: &Secrets) -> Option<String> {
    if raw.is_empty() {
        return None;
    }
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        // The read may have stopped inside a character.
        Err(e) if truncated && e.error_len().is_none() => {
            std::str::from_utf8(&raw[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return Some(format!("({} of binary data)", size(raw.len()))),
    };
    let pretty = if truncated {
        None
    } else {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
            .and_then(|v| serde_json::to_string_pretty(&mask_fields(v)).ok())
    };
    // Redact before cutting: a cut through a secret would leave its
    // beginning unmatched, and shown.
    let text = secrets.redact(pretty.as_deref().unwrap_or(text));
    let mut end = text.len().min(SHOWN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Some((nth, _)) = text.match_indices('\n').nth(SHOWN_LINES - 1) {
        end = end.min(nth);
    }
    let mut out = text[..end].trim_end().to_string();
    if end < text.len() {
        let lines = text[end..].trim_start_matches('\n').lines().count();
        out.push_str(&format!("\n… {lines} more lines not shown"));
    }
    if truncated {
        out.push_str(&format!(
            "\n… the body is longer than {}; runsheet read no more",
            size(raw.len())
        ));
    }
    Some(out)
}

/// Every string in `v`, keys included, with secrets redacted.
pub fn redact_value(mut v: Value, secrets: &Secrets) -> Value {
    secrets.redact_json(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secrets() -> Secrets {
        Secrets::new(["s3cr3t-token".to_string()])
    }

    #[test]
    fn urls_lose_credentials() {
        let s = secrets();
        assert_eq!(
            url(
                "https://api.example.com/health?verbose=1&api_key=abc&t=s3cr3t-token#x",
                &s
            ),
            "https://api.example.com/health?verbose=1&api_key=***&t=***#x"
        );
        assert_eq!(
            url("https://ops:hunter2@api.example.com/up", &s),
            "https://ops:***@api.example.com/up"
        );
        assert_eq!(
            url("http://127.0.0.1:8080/hooks/s3cr3t-token", &s),
            "http://127.0.0.1:8080/hooks/***"
        );
    }

    #[test]
    fn credential_headers_are_masked() {
        let s = secrets();
        assert_eq!(
            header("Authorization", "Bearer x", &s),
            "Authorization: ***"
        );
        assert_eq!(header("X-Api-Key", "k", &s), "X-Api-Key: ***");
        assert_eq!(header("Cookie", "a=b", &s), "Cookie: ***");
        assert_eq!(
            header("Proxy-Authorization", "x", &s),
            "Proxy-Authorization: ***"
        );
        assert!(!is_sensitive("author"));
        assert_eq!(
            header("Accept", "application/json", &s),
            "Accept: application/json"
        );
        assert_eq!(header("X-Echo", "s3cr3t-token", &s), "X-Echo: ***");
    }

    #[test]
    fn bodies_are_pretty_short_and_redacted() {
        let s = secrets();
        let shown = body(br#"{"status":"ok","echo":"s3cr3t-token"}"#, false, &s);
        assert_eq!(
            shown.as_deref(),
            Some("{\n  \"status\": \"ok\",\n  \"echo\": \"***\"\n}")
        );
        let login = br#"{"access_token":"eyJhbGciOi","expires_in":3600,"user":{"password":"x"}}"#;
        let shown = body(login, false, &s).unwrap_or_default();
        assert!(!shown.contains("eyJhbGciOi"), "{shown}");
        assert!(shown.contains("\"access_token\": \"***\""), "{shown}");
        assert!(shown.contains("\"password\": \"***\""), "{shown}");
        assert!(shown.contains("\"expires_in\": 3600"), "{shown}");
        let long: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let shown = body(long.as_bytes(), false, &s).unwrap_or_default();
        assert_eq!(shown.lines().count(), SHOWN_LINES + 1, "{shown}");
        assert!(shown.ends_with("… 60 more lines not shown"), "{shown}");
        let wide = "é".repeat(3000);
        let shown = body(wide.as_bytes(), true, &s).unwrap_or_default();
        assert!(shown.len() < SHOWN_BYTES + 200, "{}", shown.len());
        assert!(shown.contains("runsheet read no more"));
        assert_eq!(body(b"", false, &s), None);
        assert_eq!(
            body(&[0xff, 0xfe, 0x00], false, &s).as_deref(),
            Some("(3 B of binary data)")
        );
    }

    #[test]
    fn values_are_redacted_everywhere() {
        let v = json!({"s3cr3t-token": ["s3cr3t-token", 1], "a": "x s3cr3t-token"});
        assert_eq!(
            redact_value(v, &secrets()),
            json!({"***": ["***", 1], "a": "x ***"})
        );
    }

    #[test]
    fn sizes_and_times() {
        assert_eq!(size(4 * 1024 * 1024), "4 MiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(millis(Duration::from_millis(12)), "12ms");
        assert_eq!(millis(Duration::from_millis(1500)), "1.5s");
        assert_eq!(interval(Duration::from_secs(90)), "1m30s");
        assert_eq!(interval(Duration::from_millis(100)), "100ms");
        assert_eq!(
            compact(&json!("x".repeat(500))).chars().count(),
            SHOWN_VALUE + 1
        );
    }
}
