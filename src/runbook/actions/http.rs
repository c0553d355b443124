//! The `http` block: one request and what its response must satisfy, in a
//! subset of Hurl (<https://hurl.dev>) so operators who know Hurl can write it
//! from memory.

use super::lines::{Line, lines, span};
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::model::HttpCheck;
use std::time::Duration;

mod asserts;
mod json_path;
mod request;
mod sections;
#[cfg(test)]
mod tests;

const CODE: &str = "bad-http";
const UNSUPPORTED: &str = "unsupported-http";
const EXAMPLE_REQUEST: &str = "GET https://api.example.com/healthz";

/// Parses the body of an `http` block. `base` is the absolute byte offset
/// of `body` in the runbook. Returns the check (None when the request line
/// is unusable) and every problem found. `retry_for` is None and
/// `retry_interval` 5s: the caller fills them from attributes.
pub fn parse_http(body: &str, base: usize) -> (Option<HttpCheck>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let all: Vec<Line<'_>> = lines(body).collect();
    let Some(first) = all.iter().position(|l| !l.is_blank() && !l.is_comment()) else {
        diags.push(
            Diagnostic::error(
                CODE,
                span(base, 0, body.trim_end().len()),
                "this http block has no request line",
            )
            .with_help(format!(
                "start the block with a method and a URL: {EXAMPLE_REQUEST}"
            )),
        );
        return (None, diags);
    };
    let request = all
        .get(first)
        .and_then(|l| request::parse_request_line(l.trimmed(), base, &mut diags));
    let rest = all.get(first + 1..).unwrap_or_default();
    let parts = sections::parse_sections(rest, base, &mut diags);
    let check = request.map(|(method, url)| HttpCheck {
        method,
        url,
        headers: parts.headers,
        body: parts.body,
        status: parts.status,
        asserts: parts.asserts,
        retry_for: None,
        retry_interval: Duration::from_secs(5),
    });
    (check, diags)
}
