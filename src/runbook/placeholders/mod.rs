//! Placeholders people leave in commands for the reader to fill in
//! (`<namespace>`, `[PAGE_ID]`, `YOUR_TOKEN`, `/path/to/app`, `xxx`):
//! found by rule in each action's code, outside comments and by the
//! quoting rules of its language, each turned into a variable the session
//! asks for, and substituted where it stands when the action runs, so
//! bash never sees `<namespace>` as a redirection.

mod context;
pub mod lint;
mod shape;
mod substitute;
#[cfg(test)]
mod tests;

pub use context::Ctx;
pub use shape::{Found, find, name_of};
pub use substitute::{fill_action, fill_text};

use super::model::{Action, ActionKind, Runbook, Variable};
use super::span::{LineIndex, Span};
use super::vars;
use serde::Serialize;
use std::ops::Range;

/// A placeholder written in a step's action, and the variable it becomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    /// As written: `<namespace>`.
    pub text: String,
    /// The variable whose value replaces it: `NAMESPACE`.
    pub var: String,
    /// Its value is a secret (a token, a password): masked everywhere.
    pub secret: bool,
    /// Where it is written in the runbook source.
    pub span: Span,
    /// 1-based line of the runbook.
    pub line: usize,
    /// The step holding it and the index of the action.
    pub step: String,
    pub action: usize,
}

pub use super::vars::names_a_secret;

/// The placeholders of one action's code: where (in the code), as what
/// context, and the variable each suggests (before the runbook's own
/// names are taken into account).
pub fn in_action(action: &Action) -> Vec<(shape::Found, Ctx)> {
    let code = &action.code;
    let ctx = match action.kind {
        ActionKind::Shell { .. } => context::shell(code),
        ActionKind::Sql { .. } | ActionKind::Batch(_) => context::sql(code),
        _ => vec![Ctx::Code; code.len()],
    };
    shape::find(code)
        .into_iter()
        .filter_map(|f| {
            let first = *ctx.get(f.range.start)?;
            let whole = ctx[f.range.clone()].iter().all(|c| *c == first);
            (whole && first != Ctx::Comment).then_some((f, first))
        })
        .collect()
}

/// The placeholders of a text as shown: shell code's outside its
/// comments, any other text's all.
pub fn in_text(text: &str, shell: bool) -> Vec<Found> {
    let found = shape::find(text);
    if !shell {
        return found;
    }
    let ctx = context::shell(text);
    found
        .into_iter()
        .filter(|f| ctx.get(f.range.start).is_some_and(|c| *c != Ctx::Comment))
        .collect()
}

/// Every placeholder of the runbook, in document order. The same text is
/// the same variable everywhere; a name the runbook declares is that
/// variable; a name the shell or runsheet sets itself (`PATH`, `USER`) is
/// never taken over.
pub fn collect(rb: &Runbook, source: &str) -> Vec<Placeholder> {
    let lines = LineIndex::new(source);
    let mut out: Vec<Placeholder> = Vec::new();
    for (_, step) in rb.steps() {
        for (index, action) in step.actions.iter().enumerate() {
            for (found, _) in in_action(action) {
                // The same text suggests the same name wherever it is; a
                // stand-in (`xxx`) is named after what it is given to.
                let var = own_name(|n| declares(rb, n), &found.var);
                let declared = rb.variables.iter().find(|v| v.name == var);
                let secret = declared.map_or_else(|| names_a_secret(&var), |v| v.secret);
                let span = source_span(source, action, found.range.clone(), &found.text);
                out.push(Placeholder {
                    text: found.text,
                    var,
                    secret,
                    line: lines.line_of(span.start) + 1,
                    span,
                    step: step.id.clone(),
                    action: index,
                });
            }
        }
    }
    out
}

/// The name a placeholder's variable gets: the one suggested, unless the
/// shell or runsheet sets it (`<path>` must never become `$PATH`).
pub fn own_name(is_declared: impl Fn(&str) -> bool, suggested: &str) -> String {
    if is_declared(suggested) || !vars::is_ambient(suggested) {
        suggested.to_string()
    } else {
        format!("{suggested}_VALUE")
    }
}

/// The runbook declares the variable `name`.
pub(super) fn declares(rb: &Runbook, name: &str) -> bool {
    rb.variables.iter().any(|v| v.name == name)
}

/// Where a range of an action's code is in the source. The code is the
/// source's text as is, except in an indented fence (a list item's), whose
/// lines lose their indentation: the line is then found by counting lines.
fn source_span(source: &str, action: &Action, range: Range<usize>, text: &str) -> Span {
    let start = action.code_span.start;
    if source.get(start + range.start..start + range.end) == Some(text) {
        return Span::new(start + range.start, start + range.end);
    }
    let line = action.code[..range.start].matches('\n').count();
    let lines = LineIndex::new(source);
    let first = lines.line_of(start);
    let line_start = lines.line_start(first + line);
    let line_text = lines.line_text(source, first + line);
    match line_text.find(text) {
        Some(k) => Span::new(line_start + k, line_start + k + text.len()),
        None => Span::new(line_start, line_start + line_text.len()),
    }
}

/// The variables a session asks for: those declared, then one for each
/// placeholder's variable the runbook does not declare (described by the
/// placeholder and the line it came from).
pub fn asked_variables(rb: &Runbook) -> Vec<Variable> {
    let mut out = rb.variables.clone();
    for p in &rb.placeholders {
        if out.iter().any(|v| v.name == p.var) {
            continue;
        }
        out.push(Variable {
            name: p.var.clone(),
            secret: p.secret,
            description: Some(format!("placeholder `{}`, line {}", p.text, p.line)),
            default: None,
            span: p.span,
        });
    }
    out
}
