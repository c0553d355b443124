//! Errors and warnings about a runbook, each pinned to a position and saying
//! what would be accepted instead.

use super::span::{LineIndex, Span};
use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable id, for scripts and for docs: `bad-duration`, `unknown-target` …
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// What would be accepted, or how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column: error[code]: message`, the quoted line with a
    /// caret under the offending text, and the help.
    pub fn render(&self, path: &str, source: &str, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let span = clamp(self.span, source);
        let mut group = level
            .primary_title(self.message.as_str())
            .id(self.code)
            .element(
                Snippet::source(source)
                    .line_start(1)
                    .path(path)
                    .annotation(AnnotationKind::Primary.span(span.range())),
            );
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }

    /// The one-line form: `file:line:column: error: message (help)`.
    pub fn one_line(&self, path: &str, source: &str, index: &LineIndex) -> String {
        let pos = index.position(source, self.span.start);
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.help {
            Some(h) => format!(
                "{path}:{}:{}: {sev}[{}]: {} ({h})",
                pos.line, pos.column, self.code, self.message
            ),
            None => format!(
                "{path}:{}:{}: {sev}[{}]: {}",
                pos.line, pos.column, self.code, self.message
            ),
        }
    }
}

/// Keeps a span inside the source and on character boundaries, so a
/// diagnostic computed on bad input can always be shown.
fn clamp(span: Span, source: &str) -> Span {
    use super::span::floor_char_boundary;
    let start = floor_char_boundary(source, span.start);
    let end = floor_char_boundary(source, span.end).max(start);
    Span::new(start, end)
}

/// Closest candidate by edit distance, for "did you mean …?".
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (levenshtein(&word, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(
            suggest("timout", ["timeout", "target", "estimate"]),
            Some("timeout")
        );
        assert_eq!(
            suggest("prodution", ["staging", "production"]),
            Some("production")
        );
        assert_eq!(suggest("zzz", ["staging", "production"]), None);
    }

    #[test]
    fn render_quotes_the_line_and_points_at_the_text() {
        let src = "# T\n```bash {timeout=10 mn}\necho\n```\n";
        let start = src.find("10 mn").unwrap_or(0);
        let d = Diagnostic::error("bad-duration", Span::new(start, start + 5), "bad timeout")
            .with_help("expected a duration like 90s, 10m, 1h30m");
        let out = d.render("rb.md", src, false);
        assert!(out.contains("rb.md:2:"), "{out}");
        assert!(out.contains("```bash {timeout=10 mn}"), "{out}");
        assert!(out.contains("^^^^^"), "{out}");
        assert!(
            out.contains("expected a duration like 90s, 10m, 1h30m"),
            "{out}"
        );
    }
}
