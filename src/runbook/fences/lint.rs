//! `check` on fences that are shown, not run: a fence with no language that
//! holds commands is a warning with the fix; a runbook that would run
//! nothing while such fences hold its commands is an error, so it is never
//! "valid" and `run` never ends "session complete" having run nothing.

use super::{Family, FenceVerdict, Lang, classify, family};
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::frontmatter;
use crate::runbook::model::Runbook;
use crate::runbook::role::Role;
use crate::runbook::span::{LineIndex, Span};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A shown fence that holds commands.
struct Shown {
    verdict: FenceVerdict,
    /// The fence was written with no language (not ```text).
    untyped: bool,
    indented: bool,
    /// 0-based line of the opening fence (of the first line, indented).
    fence_line: usize,
    /// 0-based line of its first command.
    command_line: usize,
}

pub fn check(rb: &Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    let idx = LineIndex::new(source);
    let line_span = |line: usize| {
        let start = idx.line_start(line);
        Span::new(start, start + idx.line_text(source, line).len())
    };
    let shown: Vec<Shown> = shown_fences(source, &idx)
        .into_iter()
        .filter(|(at, _)| role_at(rb, *at).is_some_and(|r| r != Role::Context))
        .map(|(_, s)| s)
        .collect();
    for s in shown.iter().filter(|s| s.untyped) {
        let command = idx.line_text(source, s.command_line).trim();
        let lang = suggestion(&s.verdict);
        let help = if s.indented {
            format!(
                "put it in a ```{lang} fence to run it, or in a ```text fence to keep it as an example"
            )
        } else {
            format!(
                "write ```{lang} on line {} to run it, or ```text to keep it as an example",
                s.fence_line + 1
            )
        };
        diags.push(
            Diagnostic::warning(
                "untyped-commands",
                line_span(s.command_line),
                format!(
                    "`{}` is a command in a block with no language, which runsheet shows and never runs",
                    short(command)
                ),
            )
            .with_help(help),
        );
    }
    let runs_something = rb
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .any(|s| s.role.is_flow() && !s.actions.is_empty());
    if runs_something || shown.is_empty() {
        return;
    }
    let lines: Vec<String> = shown
        .iter()
        .map(|s| (s.fence_line + 1).to_string())
        .take(8)
        .collect();
    let first = &shown[0];
    diags.push(
        Diagnostic::error(
            "no-runnable-commands",
            line_span(first.command_line),
            format!(
                "nothing in this runbook runs: its commands sit in blocks without a runnable language ({} of them)",
                shown.len()
            ),
        )
        .with_help(format!(
            "write ```{} (or the language that runs it) on the blocks that are steps to run — line {} — and ```text only on the examples",
            suggestion(&first.verdict),
            lines.join(", ")
        )),
    );
}

/// The fence language that runs it as written: a session with its output
/// pasted in runs its commands only as ```console (or prompted ```bash).
fn suggestion(v: &FenceVerdict) -> &'static str {
    match v.lang {
        Some(Lang::Shell) if v.output.is_some() && !v.prompted => "console",
        Some(l) => l.fence(),
        None => "bash",
    }
}

fn short(command: &str) -> String {
    if command.chars().count() > 60 {
        command.chars().take(59).chain(['…']).collect()
    } else {
        command.to_string()
    }
}

/// The fences shown, not run (no language, or a text one), that hold
/// commands: with their offsets.
fn shown_fences(source: &str, idx: &LineIndex) -> Vec<(usize, Shown)> {
    let start = frontmatter::parse(source, &mut Vec::new())
        .len
        .min(source.len());
    let Some(md) = source.get(start..) else {
        return Vec::new();
    };
    let opts = Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES;
    let mut out = Vec::new();
    let mut open: Option<(String, bool, usize)> = None;
    let mut text = String::new();
    for (event, range) in Parser::new_ext(md, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let (info, indented) = match kind {
                    CodeBlockKind::Fenced(info) => (info.to_string(), false),
                    CodeBlockKind::Indented => (String::new(), true),
                };
                open = Some((info, indented, start + range.start));
                text.clear();
            }
            Event::Text(t) if open.is_some() => text.push_str(&t),
            Event::End(TagEnd::CodeBlock) => {
                let Some((info, indented, at)) = open.take() else {
                    continue;
                };
                let fam = family(info.split_whitespace().next().unwrap_or(""));
                if !matches!(fam, Family::Untyped | Family::Text) {
                    continue;
                }
                let verdict = classify(&info, &text);
                let Some(first) = verdict
                    .first_command_line
                    .filter(|_| verdict.holds_commands)
                else {
                    continue;
                };
                let fence_line = idx.line_of(at);
                let command_line = fence_line + first + usize::from(!indented);
                out.push((
                    at,
                    Shown {
                        verdict,
                        untyped: fam == Family::Untyped,
                        indented,
                        fence_line,
                        command_line,
                    },
                ));
            }
            _ => {}
        }
    }
    out
}

/// The role of the section holding offset `at`; None before the first
/// phase (the runbook's introduction).
fn role_at(rb: &Runbook, at: usize) -> Option<Role> {
    let mut role = None;
    for p in &rb.phases {
        if p.span.start > at {
            break;
        }
        role = Some(p.role);
        for s in &p.steps {
            if s.span.start <= at && s.span.start > p.span.start {
                role = Some(s.role);
            }
        }
    }
    role
}
