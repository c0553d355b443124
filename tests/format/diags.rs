//! What the format tests ask of a parse: its errors, and the one error with
//! a code, with the line (1-based) and the text it points at.

use runsheet::runbook::span::LineIndex;
use runsheet::runbook::{Diagnostic, parse};

pub fn errors(src: &str) -> Vec<Diagnostic> {
    parse("rb.md", src)
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect()
}

pub fn only(src: &str, code: &str) -> (Diagnostic, usize, String) {
    let errs: Vec<Diagnostic> = errors(src).into_iter().filter(|d| d.code == code).collect();
    assert_eq!(errs.len(), 1, "expected one `{code}`, got {errs:#?}");
    let d = errs[0].clone();
    let line = LineIndex::new(src).position(src, d.span.start).line;
    let pointed = src[d.span.range()].to_string();
    (d, line, pointed)
}
