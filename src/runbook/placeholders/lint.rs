//! `check`'s word on placeholders: each one found, the variable it becomes
//! and how to describe it.

use super::Placeholder;
use crate::runbook::diagnostic::Diagnostic;
use crate::runbook::model::Runbook;

/// One warning per placeholder text and variable, at its first line, with
/// how many times more it is written.
pub fn check(rb: &Runbook, diags: &mut Vec<Diagnostic>) {
    // A declared variable written as a placeholder (`<namespace>` for
    // NAMESPACE) is used.
    diags.retain(|d| {
        d.code != "unused-variable"
            || !rb.placeholders.iter().any(|p| {
                d.message == format!("variable `{}` is declared but no step uses it", p.var)
            })
    });
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for p in &rb.placeholders {
        if seen.contains(&(p.text.as_str(), p.var.as_str())) {
            continue;
        }
        seen.push((&p.text, &p.var));
        let more = rb
            .placeholders
            .iter()
            .filter(|o| o.text == p.text && o.var == p.var)
            .count()
            - 1;
        diags.push(
            Diagnostic::warning("placeholder", p.span, message(p, more)).with_help(help(rb, p)),
        );
    }
}

fn message(p: &Placeholder, more: usize) -> String {
    let secret = if p.secret { " (a secret)" } else { "" };
    let again = match more {
        0 => String::new(),
        1 => " (written once more below)".to_string(),
        n => format!(" (written {n} more times below)"),
    };
    format!(
        "`{}` is a placeholder: the session will ask for {}{secret} and put its value here{again}",
        p.text, p.var
    )
}

fn help(rb: &Runbook, p: &Placeholder) -> String {
    if rb.variables.iter().any(|v| v.name == p.var) {
        return format!(
            "{} is declared: its value replaces `{}`; write `${}` in the block to say so",
            p.var, p.text, p.var
        );
    }
    let secret = if p.secret { ", secret: true" } else { "" };
    format!(
        "declare it under `variables:` to describe it or give a default (or set {var} in the environment):\nvariables:\n  {var}: {{ description: \"…\"{secret} }}",
        var = p.var
    )
}
