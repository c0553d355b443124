//! The request line (`GET https://…`), header lines and the `HTTP 200`
//! status line.

use super::super::lines::{Line, Word, span, words};
use super::{CODE, EXAMPLE_REQUEST};
use crate::runbook::diagnostic::{Diagnostic, suggest};

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const URL_HELP: &str = "start the URL with https:// or http://, or with a variable: \
                        GET https://api.example.com/healthz or GET ${API_URL}/healthz";
const HEADER_HELP: &str = "write headers as `Name: value`, e.g. `Authorization: Bearer ${TOKEN}`, \
                           and leave a blank line before a request body";
const STATUS_HELP: &str =
    "put the expected status after HTTP, e.g. HTTP 200, or HTTP * to accept any status below 400";

/// `METHOD URL`; None when either is unusable.
pub(super) fn parse_request_line(
    line: Line<'_>,
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<(String, String)> {
    let ws = words(line, false).unwrap_or_default();
    let (method, url) = match ws.as_slice() {
        [] => return None,
        [only] if is_url(&only.text) => {
            diags.push(
                Diagnostic::error(
                    CODE,
                    word_span(only, base),
                    "the request line has no method",
                )
                .with_help(format!("start it with a method: GET {}", only.text)),
            );
            return None;
        }
        [only] => {
            diags.push(
                Diagnostic::error(CODE, word_span(only, base), "the request line has no URL")
                    .with_help(format!("write a method and a URL: {EXAMPLE_REQUEST}")),
            );
            return None;
        }
        [method, url, extra @ ..] => {
            let mut ok = check_method(method, &url.text, base, diags);
            if !is_url(&url.text) {
                diags.push(
                    Diagnostic::error(
                        CODE,
                        word_span(url, base),
                        format!("`{}` is not an http:// or https:// URL", url.text),
                    )
                    .with_help(URL_HELP),
                );
                ok = false;
            }
            if let (Some(first), Some(last)) = (extra.first(), extra.last()) {
                diags.push(
                    Diagnostic::error(
                        CODE,
                        span(base, first.start, last.end),
                        "unexpected text after the URL",
                    )
                    .with_help(
                        "the request line is METHOD URL: encode spaces in the URL as %20, \
                         and start comments with #",
                    ),
                );
                ok = false;
            }
            if !ok {
                return None;
            }
            (method, url)
        }
    };
    Some((method.text.clone(), url.text.clone()))
}

fn check_method(method: &Word, url: &str, base: usize, diags: &mut Vec<Diagnostic>) -> bool {
    if METHODS.contains(&method.text.as_str()) {
        return true;
    }
    let upper = method.text.to_ascii_uppercase();
    let (message, help) = if METHODS.contains(&upper.as_str()) {
        (
            format!("HTTP methods are written in uppercase: `{}`", method.text),
            format!("write {upper} {url}"),
        )
    } else {
        let accepted = METHODS.join(", ");
        let help = match suggest(&method.text, METHODS) {
            Some(s) => format!("did you mean {s}? runsheet accepts {accepted}"),
            None => format!("runsheet accepts {accepted}, e.g. {EXAMPLE_REQUEST}"),
        };
        (format!("`{}` is not an HTTP method", method.text), help)
    };
    diags.push(Diagnostic::error(CODE, word_span(method, base), message).with_help(help));
    false
}

fn word_span(w: &Word, base: usize) -> crate::runbook::span::Span {
    span(base, w.start, w.end)
}

/// URLs are interpolated at run time, so a variable may stand for the
/// scheme and host: `${API_URL}/health`, `$API_URL/health`, `{{API_URL}}/health`.
pub(super) fn is_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        if lower.starts_with(scheme) {
            return text.len() > scheme.len();
        }
    }
    starts_with_variable(text)
}

fn starts_with_variable(text: &str) -> bool {
    if let Some(rest) = text.strip_prefix("${") {
        return rest
            .split_once('}')
            .is_some_and(|(name, _)| is_variable_name(name));
    }
    if let Some(rest) = text.strip_prefix("{{") {
        return rest
            .split_once("}}")
            .is_some_and(|(name, _)| is_variable_name(name));
    }
    text.strip_prefix('$')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A line that starts a second request, which runsheet does not chain.
pub(super) fn looks_like_request(line: Line<'_>) -> bool {
    let ws = words(line, false).unwrap_or_default();
    match ws.as_slice() {
        [method, url, ..] => METHODS.contains(&method.text.as_str()) && is_url(&url.text),
        _ => false,
    }
}

/// `Name: value`.
pub(super) fn parse_header(line: Line<'_>, base: usize) -> Result<(String, String), Diagnostic> {
    let whole = span(base, line.start, line.end());
    let Some((name, value)) = line.text.split_once(':') else {
        return Err(Diagnostic::error(
            CODE,
            whole,
            format!("`{}` is not a header: it has no `:`", line.text),
        )
        .with_help(HEADER_HELP));
    };
    let name = name.trim_end();
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(Diagnostic::error(
            CODE,
            span(base, line.start, line.start + name.len()),
            format!("`{name}` is not a header name"),
        )
        .with_help(HEADER_HELP));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// RFC 9110 token characters, the only ones a header name may have.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Recognizes the response line; its result is the expected status (None
/// for `HTTP *`: any status below 400).
pub(super) fn response_line(
    line: Line<'_>,
    base: usize,
) -> Option<Result<Option<u16>, Diagnostic>> {
    let (head, tail) = (line.text.get(..4)?, line.text.get(4..)?);
    let uppercase = head == "HTTP";
    if !head.eq_ignore_ascii_case("http") {
        return None;
    }
    let ws = words(line, false).unwrap_or_default();
    let next_is_status = ws
        .get(1)
        .is_some_and(|w| w.text == "*" || w.text.bytes().all(|b| b.is_ascii_digit()));
    let is_response = if uppercase {
        tail.is_empty() || tail.starts_with(char::is_whitespace) || tail.starts_with('/')
    } else {
        tail.starts_with('/') || (tail.starts_with(char::is_whitespace) && next_is_status)
    };
    if !is_response {
        return None;
    }
    Some(parse_response_line(&ws, base))
}

fn parse_response_line(ws: &[Word], base: usize) -> Result<Option<u16>, Diagnostic> {
    let Some(first) = ws.first() else {
        return Ok(None);
    };
    let head = &first.text;
    if !head.starts_with("HTTP") {
        return Err(Diagnostic::error(
            CODE,
            word_span(first, base),
            format!("write HTTP in uppercase: `{head}`"),
        )
        .with_help(STATUS_HELP));
    }
    if let Some(version) = head.strip_prefix("HTTP/")
        && (version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.'))
    {
        return Err(Diagnostic::error(
            CODE,
            word_span(first, base),
            format!("`{head}` is not an HTTP version"),
        )
        .with_help("write HTTP 200, HTTP/1.1 200 or HTTP/2 200"));
    }
    let Some(status) = ws.get(1) else {
        return Err(
            Diagnostic::error(CODE, word_span(first, base), "the HTTP line has no status")
                .with_help(STATUS_HELP),
        );
    };
    let parsed = if status.text == "*" {
        None
    } else {
        match status.text.parse::<u16>() {
            Ok(code) if (100..=599).contains(&code) => Some(code),
            _ => {
                return Err(Diagnostic::error(
                    CODE,
                    word_span(status, base),
                    format!(
                        "`{}` is not an HTTP status: expected 100 to 599",
                        status.text
                    ),
                )
                .with_help(STATUS_HELP));
            }
        }
    };
    // A pasted status line keeps its reason phrase: `HTTP/1.1 200 OK`.
    let reason = ws.get(2..).unwrap_or_default();
    let is_reason = reason
        .iter()
        .all(|w| w.text.chars().all(|c| c.is_ascii_alphabetic() || c == '-'));
    if let (false, Some(a), Some(b)) = (is_reason, reason.first(), reason.last()) {
        return Err(Diagnostic::error(
            CODE,
            span(base, a.start, b.end),
            "unexpected text after the HTTP status",
        )
        .with_help(STATUS_HELP));
    }
    Ok(parsed)
}
