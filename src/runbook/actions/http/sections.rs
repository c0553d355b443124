//! Walks the lines after the request line: headers, the request body, the
//! `HTTP` status line, then `[Asserts]` (Hurl's other sections are ignored
//! with a warning).

use super::super::lines::{Line, span};
use super::request::{looks_like_request, parse_header, response_line};
use super::{CODE, UNSUPPORTED, asserts};
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::model::HttpAssert;

/// Hurl's section names. Only these count as sections before the HTTP
/// line, where a JSON body such as `[1, 2]` may also start with `[`.
const HURL_SECTIONS: [&str; 11] = [
    "QueryStringParams",
    "Query",
    "FormParams",
    "Form",
    "MultipartFormData",
    "Multipart",
    "Cookies",
    "BasicAuth",
    "Options",
    "Captures",
    "Asserts",
];

#[derive(Default)]
pub(super) struct Parts {
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub status: Option<u16>,
    pub asserts: Vec<HttpAssert>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Headers,
    IgnoredRequestSection,
    Body,
    Asserts,
    IgnoredResponseSection,
}

pub(super) fn parse_sections(
    lines: &[Line<'_>],
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Parts {
    let mut parts = Parts::default();
    let mut part = Part::Headers;
    let mut body: Vec<&str> = Vec::new();
    let mut seen_response = false;
    for &raw in lines {
        let line = raw.trimmed();
        if let Some(status) = response_line(line, base) {
            if seen_response {
                diags.push(one_request_only(line, base));
                break;
            }
            seen_response = true;
            part = Part::Asserts;
            match status {
                Ok(s) => parts.status = s,
                Err(d) => diags.push(d),
            }
            continue;
        }
        if line.is_comment() {
            continue;
        }
        if line.is_blank() {
            match part {
                Part::Headers | Part::IgnoredRequestSection => part = Part::Body,
                Part::Body => body.push(""),
                Part::Asserts | Part::IgnoredResponseSection => {}
            }
            continue;
        }
        if looks_like_request(line) {
            diags.push(one_request_only(line, base));
            break;
        }
        let in_response = matches!(part, Part::Asserts | Part::IgnoredResponseSection);
        if let Some(name) = section_name(line.text, in_response) {
            part = enter_section(name, in_response, line, base, diags);
            continue;
        }
        match part {
            Part::Headers if line.text.starts_with(['{', '[', '<', '"']) => {
                // Hurl lets a JSON or XML body follow the headers directly.
                part = Part::Body;
                body.push(raw.text);
            }
            Part::Headers => match parse_header(line, base) {
                Ok(h) => parts.headers.push(h),
                Err(d) => diags.push(d),
            },
            Part::Body => body.push(raw.text),
            Part::Asserts => match asserts::parse_assert(line, base) {
                Ok(a) => parts.asserts.push(a),
                Err(d) => diags.push(d),
            },
            Part::IgnoredRequestSection | Part::IgnoredResponseSection => {}
        }
    }
    let body = body.join("\n");
    let body = body.trim();
    parts.body = (!body.is_empty()).then(|| body.to_string());
    parts
}

fn section_name(text: &str, in_response: bool) -> Option<&str> {
    let name = text.strip_prefix('[')?.strip_suffix(']')?;
    let known = HURL_SECTIONS.iter().any(|s| s.eq_ignore_ascii_case(name));
    let word = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic());
    (known || (in_response && word)).then_some(name)
}

fn enter_section(
    name: &str,
    in_response: bool,
    line: Line<'_>,
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Part {
    let at = span(base, line.start, line.end());
    let is_asserts = name.eq_ignore_ascii_case("Asserts");
    if is_asserts && in_response {
        return Part::Asserts;
    }
    if is_asserts {
        diags.push(
            Diagnostic::error(CODE, at, "[Asserts] comes after the HTTP status line")
                .with_help("write the status line first, e.g. HTTP 200, then [Asserts] and one assert per line"),
        );
        return Part::IgnoredRequestSection;
    }
    let help = match name.to_ascii_lowercase().as_str() {
        "querystringparams" | "query" => {
            "put query parameters in the URL: GET https://api.example.com/items?limit=10"
        }
        "basicauth" => "send an Authorization header instead: Authorization: Basic ${CREDENTIALS}",
        "formparams" | "form" | "multipartformdata" | "multipart" => {
            "send the form as a request body after a Content-Type header"
        }
        "cookies" => "send a Cookie header instead: Cookie: session=${SESSION}",
        "captures" => "runsheet runs one request per block and does not capture values",
        _ => "runsheet reads headers, a body, the HTTP status line and [Asserts]",
    };
    diags.push(
        Diagnostic::warning(
            UNSUPPORTED,
            at,
            format!("[{name}] is not supported by runsheet, ignored"),
        )
        .with_help(format!("{help}; the lines of this section are ignored")),
    );
    if in_response {
        Part::IgnoredResponseSection
    } else {
        Part::IgnoredRequestSection
    }
}

fn one_request_only(line: Line<'_>, base: usize) -> Diagnostic {
    Diagnostic::error(
        CODE,
        span(base, line.start, line.end()),
        "a second request: runsheet runs one request per http block",
    )
    .with_help("put each request in its own ```http block")
}
