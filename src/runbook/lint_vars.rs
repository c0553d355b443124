//! `check`'s view of shell variables across blocks: a name a shell block
//! uses is known when the runbook declares it, the target's `env` sets it,
//! the shell or runsheet provide it, the block sets it itself, or an
//! earlier shell block of the same target exported it (exports carry over
//! at run time, `exec::exports`). Otherwise it is a warning that says what
//! is wrong: not declared at all, exported only by a later block, exported
//! on another target, or set earlier without `export`.
//!
//! A block that runs in a pod or on a host (a context) may use the names
//! that live there (`$POSTGRES_DB` in a postgres pod): a name nothing here
//! sets is the far side's own, not a warning.
//!
//! Upper- and lower-case names alike; a lower-case one only warns when the
//! runbook sets it nowhere and no block before reads settings from a file
//! (`source`, `.`, `eval`), as a script's locals are its own business.

use std::collections::HashSet;

use super::diagnostic::Diagnostic;
use super::model::{ActionKind, Runbook};
use super::shell_vars::{ShellVars, analyse};
use super::vars;

/// One shell block, in document order.
struct Block<'a> {
    step: &'a str,
    /// Its explicit target; `None` runs on the session's.
    target: Option<&'a str>,
    /// It runs in a context, whatever the session's target.
    elsewhere: bool,
    vars: ShellVars,
}

/// Whether blocks on `a` and `b` may share a shell's exports: the same
/// target, or one of them on whichever target the session runs.
fn same_target(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

/// Warnings for the shell blocks' variables; `known` is what the runbook
/// declares or its targets set, `warned` the names already warned about
/// (one warning per name).
pub fn check(
    rb: &Runbook,
    known: &dyn Fn(&str) -> bool,
    warned: &mut HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut blocks: Vec<(Block, &super::model::Action)> = Vec::new();
    for (phase, s) in rb.steps() {
        for a in &s.actions {
            if !matches!(a.kind, ActionKind::Shell { .. }) {
                continue;
            }
            let target = a
                .target
                .as_deref()
                .or(s.target.as_deref())
                .or(phase.target.as_deref());
            let elsewhere = rb.possible_targets(phase, s, a).into_iter().all(|t| {
                rb.action_context(phase, s, a, t)
                    .is_some_and(|c| !matches!(c.kind, super::context::ContextKind::Local))
            });
            blocks.push((
                Block {
                    step: &s.id,
                    target,
                    elsewhere,
                    vars: analyse(&a.code),
                },
                a,
            ));
        }
    }
    for (k, (block, action)) in blocks.iter().enumerate() {
        let earlier = || blocks[..k].iter().map(|(b, _)| b);
        let sourced = block.vars.sources
            || earlier().any(|b| b.vars.sources && same_target(b.target, block.target));
        for (name, range) in &block.vars.used {
            if known(name)
                || block.elsewhere
                || vars::is_ambient(name)
                || block.vars.assigned.contains(name)
                || earlier()
                    .any(|b| b.vars.exported.contains(name) && same_target(b.target, block.target))
            {
                continue;
            }
            let upper = vars::looks_like_env(name);
            let found = problem(&blocks, k, name);
            // A local the block may have read from a file, or a one-letter
            // one: not worth a warning unless another block explains it.
            if found.is_none() && !upper && (sourced || name.len() < 2) {
                continue;
            }
            if !warned.insert(name.clone()) {
                continue;
            }
            let span = action.code_span.within(range.clone());
            let (message, help) = match found {
                Some(p) => p,
                None => (
                    format!("`{name}` is not declared"),
                    format!(
                        "declare it in the front matter so runsheet asks for it before the session starts:\n\
                         variables:\n  {name}: {{ description: \"…\" }}   # add `secret: true` for a password or token\n\
                         or set it in an earlier shell block of the same target with `export {name}=…`"
                    ),
                ),
            };
            diags.push(Diagnostic::warning("undeclared-variable", span, message).with_help(help));
        }
    }
}

/// Why a name block `k` uses is not there when it runs, when another block
/// has it: exported only later, exported on another target, or set earlier
/// without `export`.
fn problem(
    blocks: &[(Block, &super::model::Action)],
    k: usize,
    name: &str,
) -> Option<(String, String)> {
    let here = &blocks[k].0;
    if let Some((later, _)) = blocks[k + 1..]
        .iter()
        .find(|(b, _)| b.vars.exported.contains(name) && same_target(b.target, here.target))
    {
        return Some((
            format!(
                "`{name}` is exported only by a later block (step `{}`), so it is not set yet here",
                later.step
            ),
            "blocks run in document order: export it in a block before this one, or declare it in the front matter".into(),
        ));
    }
    if let Some((other, _)) = blocks
        .iter()
        .find(|(b, _)| b.vars.exported.contains(name) && !same_target(b.target, here.target))
    {
        return Some((
            format!(
                "`{name}` is exported by a block of target `{}` (step `{}`), and this block runs on `{}`",
                other.target.unwrap_or(""),
                other.step,
                here.target.unwrap_or("")
            ),
            "exports carry over only to the next blocks of the same target: export it on this target too, \
             or declare it in the front matter"
                .into(),
        ));
    }
    if let Some((set, _)) = blocks[..k]
        .iter()
        .find(|(b, _)| b.vars.assigned.contains(name) && same_target(b.target, here.target))
    {
        return Some((
            format!(
                "`{name}` is set by an earlier block (step `{}`) but not exported, so this block does not see it",
                set.step
            ),
            format!(
                "write `export {name}=…` in that block: exported variables carry over to the next blocks of the same target"
            ),
        ));
    }
    None
}
