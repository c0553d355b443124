//! Each fenced block rewritten once: the language an untyped fence needs,
//! a transcript split into its commands (run) and their output (shown),
//! placeholders and password-bearing connection strings turned into
//! variables, `interactive` written where the rules found a command that
//! needs the terminal.

use super::placeholders;
use super::{Edit, EditKind, Found, fences, secret_name};
use crate::runbook::attributes;
use crate::runbook::frontmatter;
use crate::runbook::interactive;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

/// A fenced block as written.
struct Block<'a> {
    /// 0-based lines of the opening and closing fences.
    open: usize,
    close: usize,
    /// What stands before the fence on its line (a list item's indent).
    indent: &'a str,
    /// The fence itself: "```" or "~~~~".
    marker: &'a str,
    info: &'a str,
    /// The code lines with the indent taken off.
    code: Vec<&'a str>,
}

/// The fenced blocks of `source`, in order; unclosed ones are left out.
fn blocks<'a>(source: &'a str, lines: &[&'a str]) -> Vec<Block<'a>> {
    let mut diags = Vec::new();
    let start = frontmatter::parse(source, &mut diags).len;
    let index = crate::runbook::span::LineIndex::new(source);
    let mut out = Vec::new();
    let md = &source[start..];
    for (event, range) in
        Parser::new_ext(md, Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES).into_offset_iter()
    {
        let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) = event else {
            continue;
        };
        let open = index.line_of(start + range.start);
        let last = index.line_of((start + range.end).saturating_sub(1));
        let Some(line) = lines.get(open) else {
            continue;
        };
        let body = line.trim_start_matches([' ', '\t', '>']);
        let indent = &line[..line.len() - body.len()];
        let fence_char = body.chars().next().unwrap_or('`');
        // A fence opened on a list item's line (`- ```bash`) is left as written.
        if fence_char != '`' && fence_char != '~' {
            continue;
        }
        let marker_len = body.len() - body.trim_start_matches(fence_char).len();
        let marker = &body[..marker_len];
        let closing = lines.get(last).map(|l| l.trim()).unwrap_or("");
        if last <= open
            || !closing.starts_with(marker)
            || !closing.trim_start_matches(fence_char).is_empty()
        {
            continue;
        }
        let code = lines[open + 1..last]
            .iter()
            .map(|l| strip_indent(l, indent.len()))
            .collect();
        out.push(Block {
            open,
            close: last,
            indent,
            marker,
            info: body[marker_len..].trim(),
            code,
        });
    }
    out
}

fn strip_indent(line: &str, n: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches([' ', '\t', '>']).len();
    &line[spaces.min(n)..]
}

const SHELLS: [&str; 3] = ["bash", "sh", "shell"];

/// The edits of every block. The placeholders and connection strings
/// turned into variables go to `found`.
pub fn edits(source: &str, lines: &[&str], found: &mut Vec<Found>) -> Vec<Edit> {
    blocks(source, lines)
        .iter()
        .filter_map(|b| rewrite(b, found))
        .collect()
}

fn rewrite(b: &Block, found: &mut Vec<Found>) -> Option<Edit> {
    let (lang, attrs) = attributes::split_info(b.info);
    let attrs = attrs.map(|(_, t)| t.to_string());
    let code_text: String = b.code.iter().map(|l| format!("{l}\n")).collect();
    let mut kinds = Vec::new();
    let transcript = b.code.iter().any(|l| fences::prompt_command(l).is_some());
    let untyped = lang.is_empty() || fences::TRANSCRIPTS.contains(&lang.as_str());
    let mut new_lang = lang.clone();
    let (mut commands, output): (Vec<String>, Vec<String>) =
        if transcript && (untyped || SHELLS.contains(&lang.as_str())) {
            kinds.push(EditKind::Prompts);
            if !SHELLS.contains(&lang.as_str()) {
                new_lang = "bash".into();
            }
            split_transcript(&b.code)
        } else if untyped {
            match fences::language_for(b.info, &code_text) {
                // Commands with their output pasted under them, no prompts:
                // split as a transcript, by the rule `check` reads them with.
                Some("console") => {
                    let v = crate::runbook::fences::classify(b.info, &code_text);
                    kinds.push(EditKind::Prompts);
                    new_lang = "bash".into();
                    let output = v.output.unwrap_or_default();
                    (
                        v.commands.lines().map(str::to_string).collect(),
                        output.lines().map(str::to_string).collect(),
                    )
                }
                Some(l) => {
                    new_lang = l.to_string();
                    kinds.push(EditKind::Language);
                    (b.code.iter().map(|l| l.to_string()).collect(), Vec::new())
                }
                None => return None,
            }
        } else {
            (b.code.iter().map(|l| l.to_string()).collect(), Vec::new())
        };
    let shell = SHELLS.contains(&new_lang.as_str());
    let runs = shell || matches!(new_lang.as_str(), "sql" | "psql" | "postgresql");
    if !runs {
        return None;
    }
    // Placeholders and connection strings, line by line, quotes followed.
    let mut quote = Quote::None;
    for (i, line) in commands.iter_mut().enumerate() {
        let at = b.open + 2 + i;
        let mut subs: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for p in placeholders::find(line) {
            found.push(Found {
                name: p.name.clone(),
                secret: secret_name(&p.name),
                line: at,
                written: line[p.range.clone()].to_string(),
            });
            subs.push((p.range, p.name));
        }
        for (range, password) in connection_strings(line) {
            if !password
                || subs
                    .iter()
                    .any(|(r, _)| r.start < range.end && range.start < r.end)
            {
                continue;
            }
            found.push(Found {
                name: "DATABASE_URL".into(),
                secret: true,
                line: at,
                written: line[range.clone()].to_string(),
            });
            subs.push((range, "DATABASE_URL".into()));
        }
        if subs.is_empty() {
            quote = quote.after(line);
            continue;
        }
        if subs.iter().any(|(_, n)| n == "DATABASE_URL") {
            kinds.push(EditKind::Connection);
        }
        if subs.iter().any(|(_, n)| n != "DATABASE_URL") {
            kinds.push(EditKind::Placeholder);
        }
        subs.sort_by_key(|(r, _)| r.start);
        let (text, end_quote) = substitute(line, &subs, quote, shell);
        *line = text;
        quote = end_quote;
    }
    let mut new_attrs = attrs.clone();
    if shell {
        let code: String = commands.iter().map(|l| format!("{l}\n")).collect();
        let scan = interactive::scan(&code);
        let said = attrs.as_deref().is_some_and(|a| {
            attributes::parse(a, 0).is_ok_and(|v| v.iter().any(|x| x.key == "interactive"))
        });
        if !scan.interactive.is_empty() && !said {
            kinds.push(EditKind::Interactive);
            new_attrs = Some(with_interactive(attrs.as_deref()));
        }
    }
    if kinds.is_empty() {
        return None;
    }
    kinds.sort();
    kinds.dedup();
    let mut lines = Vec::new();
    let info = match &new_attrs {
        Some(a) => format!("{new_lang} {a}"),
        None => new_lang.clone(),
    };
    lines.push(format!("{}{}{}", b.indent, b.marker, info));
    lines.extend(commands.iter().map(|l| indented(b.indent, l)));
    lines.push(format!("{}{}", b.indent, b.marker));
    if !output.is_empty() {
        lines.push(String::new());
        lines.push(format!("{}{}text", b.indent, b.marker));
        lines.extend(output.iter().map(|l| indented(b.indent, l)));
        lines.push(format!("{}{}", b.indent, b.marker));
    }
    let why = kinds
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(", ");
    Some(Edit {
        first: b.open,
        removed: b.close - b.open + 1,
        lines,
        why: format!("block: {why}"),
        kind: kinds[0],
    })
}

fn indented(indent: &str, line: &str) -> String {
    if line.is_empty() {
        String::new()
    } else {
        format!("{indent}{line}")
    }
}

/// `$ command` lines (and the lines a trailing `\` continues) are the
/// commands; the rest, blank lines aside, is what they printed.
fn split_transcript(code: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut commands = Vec::new();
    let mut output = Vec::new();
    let mut continued = false;
    for line in code {
        if let Some(cmd) = fences::prompt_command(line) {
            continued = cmd.trim_end().ends_with('\\');
            commands.push(cmd.to_string());
        } else if continued {
            let cmd = line.trim_start().strip_prefix("> ").unwrap_or(line);
            continued = cmd.trim_end().ends_with('\\');
            commands.push(cmd.to_string());
        } else if !line.trim().is_empty() {
            output.push(line.to_string());
        }
    }
    (commands, output)
}

fn with_interactive(attrs: Option<&str>) -> String {
    let Some(a) = attrs else {
        return "{interactive}".into();
    };
    let json = a.trim_start_matches('{').trim_start().starts_with('"');
    let inner = a
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim();
    // A JSON-style block starts with a quote, so it is never empty.
    if inner.is_empty() {
        "{interactive}".into()
    } else if json {
        format!("{{{inner},\"interactive\":true}}")
    } else {
        format!("{{{inner} interactive}}")
    }
}

/// `postgres://user:secret@host/db` in a line: its range, and whether it
/// holds a password.
fn connection_strings(line: &str) -> Vec<(std::ops::Range<usize>, bool)> {
    let mut out = Vec::new();
    for scheme in ["postgresql://", "postgres://"] {
        let mut from = 0;
        while let Some(at) = line[from..].find(scheme).map(|j| from + j) {
            let end = line[at..]
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ')'))
                .map_or(line.len(), |j| at + j);
            let rest = &line[at + scheme.len()..end];
            let password = rest
                .split_once('@')
                .is_some_and(|(user, _)| user.split_once(':').is_some_and(|(_, p)| !p.is_empty()));
            // "postgres://" inside "postgresql://" is the same string.
            if !out
                .iter()
                .any(|(r, _): &(std::ops::Range<usize>, bool)| r.start <= at && at < r.end)
            {
                out.push((at..end, password));
            }
            from = end.max(at + 1);
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

impl Quote {
    /// The quoting in force after `text`, from this one.
    fn after(self, text: &str) -> Quote {
        let mut q = self;
        let mut escaped = false;
        for c in text.chars() {
            if escaped {
                escaped = false;
                continue;
            }
            q = match (q, c) {
                (Quote::None | Quote::Double, '\\') => {
                    escaped = true;
                    q
                }
                (Quote::None, '\'') => Quote::Single,
                (Quote::None, '"') => Quote::Double,
                (Quote::Single, '\'') | (Quote::Double, '"') => Quote::None,
                _ => q,
            };
        }
        q
    }
}

/// The line with each range replaced by `${NAME}`; in a shell block, inside
/// single quotes the quote is closed around it (`'a '"${NAME}"' b'`), since
/// bash expands nothing there.
fn substitute(
    line: &str,
    subs: &[(std::ops::Range<usize>, String)],
    mut quote: Quote,
    shell: bool,
) -> (String, Quote) {
    let mut out = String::new();
    let mut last = 0;
    for (range, name) in subs {
        if range.start < last {
            continue;
        }
        let before = &line[last..range.start];
        out.push_str(before);
        quote = quote.after(before);
        if shell && quote == Quote::Single {
            out.push_str(&format!("'\"${{{name}}}\"'"));
        } else {
            out.push_str(&format!("${{{name}}}"));
        }
        last = range.end;
    }
    let rest = &line[last..];
    out.push_str(rest);
    (out, quote.after(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_quotes_are_closed_around_a_variable() {
        let line = "curl -H 'Authorization: Bearer <token>' https://x/<id>";
        let subs: Vec<_> = placeholders::find(line)
            .into_iter()
            .map(|p| (p.range, p.name))
            .collect();
        let (text, q) = substitute(line, &subs, Quote::None, true);
        assert_eq!(
            text,
            "curl -H 'Authorization: Bearer '\"${TOKEN}\"'' https://x/${ID}"
        );
        assert_eq!(q, Quote::None);
    }

    #[test]
    fn connection_strings_with_and_without_password() {
        let found = connection_strings("psql postgresql://app:s3cret@db:5432/app -c 'x'");
        assert_eq!(found.len(), 1);
        assert!(found[0].1);
        let found = connection_strings("psql postgres://app@db/app");
        assert!(!found[0].1);
    }

    #[test]
    fn transcripts_split() {
        let (c, o) =
            split_transcript(&["$ kubectl get pods \\", "  -n app", "NAME READY", "api 1/1"]);
        assert_eq!(c, ["kubectl get pods \\", "  -n app"]);
        assert_eq!(o, ["NAME READY", "api 1/1"]);
    }
}
