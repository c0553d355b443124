//! The `compare` block: the tables whose row counts (or checksums) are
//! compared between two targets, one per line, each with an optional filter.

use super::lines::{Line, lines, span};
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::model::CompareTable;

const CODE: &str = "bad-compare";
const DUPLICATE: &str = "duplicate-table";
const HELP: &str = "one table per line, optionally with a filter: \
                    users where last_login > now() - interval '30 days'";

/// Parses the body of a `compare` block that starts at byte `base` of the
/// runbook. Table names and filters are kept as written (quotes included):
/// they go into SQL as they are.
pub fn parse_compare_tables(body: &str, base: usize) -> (Vec<CompareTable>, Vec<Diagnostic>) {
    let mut tables: Vec<CompareTable> = Vec::new();
    let mut diags = Vec::new();
    for line in lines(body).map(Line::trimmed) {
        if line.is_blank() || line.is_comment() {
            continue;
        }
        let at = span(base, line.start, line.end());
        match parse_line(line.text) {
            Ok((name, filter)) => {
                if tables
                    .iter()
                    .any(|t| t.name == name && t.filter.as_deref() == filter)
                {
                    diags.push(
                        Diagnostic::warning(
                            DUPLICATE,
                            at,
                            format!("`{}` is listed twice, compared once", line.text),
                        )
                        .with_help("remove this line: the same table and filter are listed above"),
                    );
                    continue;
                }
                tables.push(CompareTable {
                    name: name.to_string(),
                    filter: filter.map(str::to_string),
                    span: at,
                });
            }
            Err(problem) => {
                let (at, message) = match problem {
                    Problem::NotATable => (at, format!("`{}` is not a table name", line.text)),
                    Problem::Label => (
                        at,
                        format!(
                            "`{}`: labels are not supported in compare blocks",
                            line.text
                        ),
                    ),
                    Problem::EmptyFilter => (at, "`where` needs a condition".to_string()),
                    Problem::Semicolon => (
                        span(base, line.end() - 1, line.end()),
                        "a filter does not end with `;`".to_string(),
                    ),
                };
                diags.push(Diagnostic::error(CODE, at, message).with_help(HELP));
            }
        }
    }
    (tables, diags)
}

enum Problem {
    NotATable,
    Label,
    EmptyFilter,
    Semicolon,
}

/// `TABLE` or `TABLE where CONDITION`, `where` in any case.
fn parse_line(text: &str) -> Result<(&str, Option<&str>), Problem> {
    let len = table_name_len(text).ok_or(Problem::NotATable)?;
    let (name, rest) = text.split_at(len);
    if rest.is_empty() {
        return Ok((name, None));
    }
    if rest.starts_with(':') {
        return Err(Problem::Label);
    }
    let rest = rest.trim_start();
    if len == text.len() - rest.len() {
        // Something glued to the name: `users;`, `users(id)`.
        return Err(Problem::NotATable);
    }
    let keyword = rest.get(..5).ok_or(Problem::NotATable)?;
    let condition = rest.get(5..).ok_or(Problem::NotATable)?;
    if !keyword.eq_ignore_ascii_case("where")
        || !(condition.is_empty() || condition.starts_with(char::is_whitespace))
    {
        return Err(Problem::NotATable);
    }
    let condition = condition.trim();
    if condition.is_empty() {
        return Err(Problem::EmptyFilter);
    }
    if condition.ends_with(';') {
        return Err(Problem::Semicolon);
    }
    Ok((name, Some(condition)))
}

/// Length of `name`, `schema.name`, with either part possibly `"Quoted"`.
fn table_name_len(text: &str) -> Option<usize> {
    let first = identifier_len(text)?;
    match text.get(first..)?.strip_prefix('.') {
        Some(rest) => Some(first + 1 + identifier_len(rest)?),
        None => Some(first),
    }
}

/// An SQL identifier: a letter or `_` then letters, digits, `_` or `$`; or
/// a non-empty double-quoted name where `""` stands for a quote.
fn identifier_len(text: &str) -> Option<usize> {
    if let Some(inner) = text.strip_prefix('"') {
        let mut chars = inner.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '"' {
                continue;
            }
            if chars.next_if(|&(_, c)| c == '"').is_some() {
                continue;
            }
            return (i > 0).then_some(i + 2);
        }
        return None;
    }
    let mut chars = text.char_indices();
    let (_, first) = chars.next()?;
    if !(first.is_alphabetic() || first == '_') {
        return None;
    }
    Some(
        chars
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .map_or(text.len(), |(i, _)| i),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::diagnostic::Severity;

    fn in_runbook(body: &str) -> (String, usize) {
        let prefix = "# Migration\n\n```compare {left=staging right=production}\n";
        (format!("{prefix}{body}```\n"), prefix.len())
    }

    fn text(runbook: &str, span: crate::runbook::span::Span) -> &str {
        runbook.get(span.range()).unwrap_or("<out of range>")
    }

    #[test]
    fn reads_tables_filters_and_skips_comments() {
        let body = "# counted on both sides\nusers\n\n  api_keys  \r\n\
                    users WHERE last_login > now() - interval '30 days'\n\
                    public.routing_rules\n\"Users\"\npublic.\"Odd \"\"name\"\"\"\nclés\n";
        let (runbook, base) = in_runbook(body);
        let (tables, diags) = parse_compare_tables(body, base);
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<_> = tables
            .iter()
            .map(|t| (t.name.as_str(), t.filter.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("users", None),
                ("api_keys", None),
                ("users", Some("last_login > now() - interval '30 days'")),
                ("public.routing_rules", None),
                ("\"Users\"", None),
                ("public.\"Odd \"\"name\"\"\"", None),
                ("clés", None),
            ]
        );
        assert_eq!(text(&runbook, tables[1].span), "api_keys");
        assert_eq!(
            text(&runbook, tables[2].span),
            "users WHERE last_login > now() - interval '30 days'"
        );
    }

    #[test]
    fn rejects_what_is_not_a_table() {
        for line in [
            "SELECT count(*) FROM users",
            "users;",
            "two words",
            "\"unclosed",
            "\"\"",
            "1users",
            "a.b.c",
            "users wherever",
        ] {
            let body = format!("users\n{line}\n");
            let (runbook, base) = in_runbook(&body);
            let (tables, diags) = parse_compare_tables(&body, base);
            assert_eq!(tables.len(), 1, "{line}");
            assert_eq!(diags.len(), 1, "{line}");
            let d = &diags[0];
            assert_eq!((d.code, d.severity), ("bad-compare", Severity::Error));
            assert_eq!(d.message, format!("`{line}` is not a table name"));
            assert_eq!(d.help.as_deref(), Some(HELP));
            assert_eq!(text(&runbook, d.span), line);
        }
    }

    #[test]
    fn labels_empty_filters_and_semicolons_are_errors() {
        let body = "users_actifs: users where x > 1\nusers where\nusers where id > 3;\n";
        let (runbook, base) = in_runbook(body);
        let (tables, diags) = parse_compare_tables(body, base);
        assert!(tables.is_empty());
        let got: Vec<_> = diags
            .iter()
            .map(|d| (d.message.as_str(), text(&runbook, d.span)))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "`users_actifs: users where x > 1`: labels are not supported in compare blocks",
                    "users_actifs: users where x > 1"
                ),
                ("`where` needs a condition", "users where"),
                ("a filter does not end with `;`", ";"),
            ]
        );
    }

    #[test]
    fn a_duplicate_is_warned_about_and_dropped() {
        let body = "users\nusers where a = 1\n users \n";
        let (runbook, base) = in_runbook(body);
        let (tables, diags) = parse_compare_tables(body, base);
        assert_eq!(tables.len(), 2);
        assert_eq!(diags.len(), 1);
        assert_eq!(
            (diags[0].code, diags[0].severity),
            ("duplicate-table", Severity::Warning)
        );
        assert_eq!(text(&runbook, diags[0].span), "users");
        assert_eq!(diags[0].span.start, base + body.rfind("users").unwrap_or(0));
    }

    #[test]
    fn no_panic_on_any_prefix() {
        let body = "\"Us\"\"ers\" where é > 1\npublic.\"x\nclés;\n# c\nwhere\n";
        for (i, _) in body.char_indices() {
            let _ = parse_compare_tables(&body[..i], 7);
        }
    }
}
