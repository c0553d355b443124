//! Checks that need the whole runbook: step ids, empty phases, rollback
//! links, targets and variables.

use super::diagnostic::{Diagnostic, suggest};
use super::model::{ActionKind, Runbook};
use super::parse::slug;
use super::role::{self, Role};
use super::span::Span;
use super::vars;
use std::collections::{HashMap, HashSet};

pub fn check(rb: &mut Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    if rb.phases.is_empty() {
        diags.push(
            Diagnostic::error(
                "no-phases",
                Span::new(0, source.find('\n').unwrap_or(source.len())),
                "this runbook has no phases, so there is nothing to follow",
            )
            .with_help("split it into `## Phase` sections holding `###` steps, checklists and commands (docs/runbook-format.md)"),
        );
    }
    assign_ids(rb, diags);
    empty_phases(rb, diags);
    rollback_links(rb, diags);
    undo_in_flow(rb, diags);
    interactive_only_in_shell(rb, diags);
    super::interactive::lint::check(rb, diags);
    super::credentials::check(rb, source, diags);
    super::fences::lint::check(rb, source, diags);
    super::hosts::check(rb, source, diags);
    super::lint_targets::check(rb, source, diags);
    super::lint_approvals::check(rb, source, diags);
    super::lint_contexts::check(rb, diags);
    variables(rb, source, diags);
}

/// Steps are journaled by id, so ids must be unique: an explicit `{#id}`
/// clash is an error; a clash between titles is resolved with the phase.
fn assign_ids(rb: &mut Runbook, diags: &mut Vec<Diagnostic>) {
    let mut phase_ids: HashMap<String, Span> = HashMap::new();
    for p in &rb.phases {
        if let Some(first) = phase_ids.get(&p.id) {
            diags.push(
                Diagnostic::error(
                    "duplicate-id",
                    p.span,
                    format!("two phases have the id `{}`", p.id),
                )
                .with_help(format!(
                    "the other is at byte {}; give one an explicit id: ## Title {{#other-id}}",
                    first.start
                )),
            );
        } else {
            phase_ids.insert(p.id.clone(), p.span);
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    for p in &mut rb.phases {
        let phase_id = p.id.clone();
        for s in &mut p.steps {
            let explicit = !s.id.is_empty();
            if !explicit {
                s.id = slug(&s.title);
                if s.title == p.title {
                    s.id = phase_id.clone();
                }
                if seen.contains(&s.id) {
                    s.id = format!("{phase_id}.{}", s.id);
                }
            }
            if !seen.insert(s.id.clone()) {
                diags.push(
                    Diagnostic::error("duplicate-id", s.span, format!("two steps have the id `{}`", s.id))
                        .with_help("step ids name steps in the journal; give this one another: ### Title {#another-id}"),
                );
            }
        }
    }
}

fn empty_phases(rb: &Runbook, diags: &mut Vec<Diagnostic>) {
    for p in &rb.phases {
        // A context section is read, not done: it needs no steps.
        if p.steps.is_empty() && p.role != Role::Context {
            diags.push(
                Diagnostic::warning("empty-phase", p.span, format!("phase `{}` has no steps", p.title))
                    .with_help("add `###` steps, a checklist or a command under it; text that only describes belongs under the title"),
            );
        }
    }
}

fn rollback_links(rb: &mut Runbook, diags: &mut Vec<Diagnostic>) {
    let phases: Vec<(String, String)> = rb
        .phases
        .iter()
        .filter(|p| p.role.is_flow())
        .map(|p| (p.id.clone(), p.title.clone()))
        .collect();
    for p in &mut rb.phases {
        for s in &mut p.steps {
            if s.role != Role::Rollback {
                if !s.undoes.is_empty() {
                    diags.push(
                        Diagnostic::warning(
                            "undoes-outside-rollback",
                            s.span,
                            "`undoes` only means something in a Rollback section",
                        )
                        .with_help("move this step under a `## Rollback` heading"),
                    );
                }
                continue;
            }
            if s.undoes.is_empty()
                && let Some(id) = infer_undone_phase(&s.title, &phases)
            {
                s.undoes.push(id);
                s.undoes_inferred = true;
            }
            // "### Roll back" inside a flow phase undoes that phase.
            if s.undoes.is_empty() && p.role.is_flow() {
                s.undoes.push(p.id.clone());
                s.undoes_inferred = true;
            }
            if s.undoes.is_empty() {
                diags.push(
                    Diagnostic::warning("rollback-unlinked", s.span, format!("rollback `{}` does not say which phase it undoes", s.title))
                        .with_help(format!(
                            "add {{undoes=PHASE_ID}} to its heading so a failure in that phase offers it; phase ids: {}",
                            phases.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                );
            }
            for u in &s.undoes {
                if !phases.iter().any(|(id, _)| id == u) {
                    let hint = suggest(u, phases.iter().map(|(id, _)| id.as_str()))
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    diags.push(
                        Diagnostic::error(
                            "unknown-phase",
                            s.span,
                            format!("rollback `{}` undoes `{u}`, which is not a phase", s.title),
                        )
                        .with_help(format!(
                            "{hint}phase ids: {}",
                            phases
                                .iter()
                                .map(|(id, _)| id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                }
            }
        }
    }
}

/// A destructive step that runs in the flow under a heading about undoing
/// or restoring is how a rollback's `rm -rf` ran as step 5: say so, unless
/// the author wrote the role down.
fn undo_in_flow(rb: &Runbook, diags: &mut Vec<Diagnostic>) {
    let recovery = role::is_recovery_title(&rb.title);
    for p in &rb.phases {
        for s in &p.steps {
            if !s.role.is_flow() || s.role_stated || !s.is_destructive() {
                continue;
            }
            let heading = if role::mentions_undo(&s.title, recovery) {
                &s.title
            } else if role::mentions_undo(&p.title, recovery) {
                &p.title
            } else {
                continue;
            };
            diags.push(
                Diagnostic::warning(
                    "destructive-undo-in-flow",
                    s.span,
                    format!(
                        "`{}` is destructive and runs in the normal flow, but its heading `{heading}` speaks of undoing or restoring",
                        s.title
                    ),
                )
                .with_help(
                    "if it undoes a change, add {role=rollback} to its heading (run only when chosen after a failure); if it is part of the procedure, add {role=flow}",
                ),
            );
        }
    }
}

/// "Rollback Phase 2 (avant cutover)" undoes the phase titled "Phase 2 — …".
fn infer_undone_phase(title: &str, phases: &[(String, String)]) -> Option<String> {
    let lower = title.to_lowercase();
    let n = lower.split("phase").nth(1)?.split_whitespace().next()?;
    let n = n.trim_matches(|c: char| !c.is_alphanumeric());
    phases
        .iter()
        .find(|(_, t)| {
            let t = t.to_lowercase();
            t.strip_prefix("phase")
                .and_then(|r| r.split_whitespace().next())
                .is_some_and(|m| m.trim_matches(|c: char| !c.is_alphanumeric()) == n)
        })
        .map(|(id, _)| id.clone())
}

fn interactive_only_in_shell(rb: &Runbook, diags: &mut Vec<Diagnostic>) {
    for (_, s) in rb.steps() {
        for a in &s.actions {
            if a.interactive && !matches!(a.kind, ActionKind::Shell { .. }) {
                diags.push(
                    Diagnostic::error("bad-interactive", a.span, format!("a ```{} block cannot be interactive", a.lang))
                        .with_help("`interactive` hands the terminal to a command: use it on a ```bash block (psql, kubectl edit, $EDITOR)"),
                );
            }
        }
    }
}

fn variables(rb: &Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    let declared: HashSet<&str> = rb.variables.iter().map(|v| v.name.as_str()).collect();
    let target_env: HashSet<&str> = rb
        .targets
        .iter()
        .flat_map(|t| t.env.iter().map(|(k, _)| k.as_str()))
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut warned: HashSet<String> = HashSet::new();
    for t in &rb.targets {
        let texts = t.database.iter().chain(t.env.iter().map(|(_, v)| v));
        for text in texts {
            used.extend(vars::references(text).into_iter().map(|(n, _)| n));
        }
    }
    // `workdir: $REPO_DIR`: where every step runs.
    if let Some(text) = &rb.workdir {
        used.extend(vars::references(text).into_iter().map(|(n, _)| n));
    }
    // `notify: [{url: $SLACK_WEBHOOK}]`: the session resolves it.
    for hook in &rb.notify {
        used.extend(vars::references(&hook.url).into_iter().map(|(n, _)| n));
    }
    for (_, s) in rb.steps() {
        for a in &s.actions {
            let shell = matches!(a.kind, ActionKind::Shell { .. });
            for (name, range) in vars::references(&a.code) {
                used.insert(name.clone());
                // Shell blocks: across blocks, by `lint_vars` below.
                if shell
                    || declared.contains(name.as_str())
                    || target_env.contains(name.as_str())
                    || vars::is_ambient(&name)
                    || !vars::looks_like_env(&name)
                    || !warned.insert(name.clone())
                {
                    continue;
                }
                diags.push(
                    Diagnostic::warning("undeclared-variable", a.code_span.within(range), format!("`{name}` is not declared"))
                        .with_help(format!(
                            "declare it in the front matter so runsheet asks for it before the session starts:\nvariables:\n  {name}: {{ description: \"…\" }}   # add `secret: true` for a password or token"
                        )),
                );
            }
        }
    }
    let known = |n: &str| declared.contains(n) || target_env.contains(n);
    super::lint_vars::check(rb, &known, &mut warned, diags);
    for v in &rb.variables {
        if !used.contains(&v.name) {
            let span = if v.span.end > v.span.start {
                v.span
            } else {
                Span::new(0, 3.min(source.len()))
            };
            diags.push(
                Diagnostic::warning(
                    "unused-variable",
                    span,
                    format!("variable `{}` is declared but no step uses it", v.name),
                )
                .with_help("remove it, or reference it as $NAME in a block"),
            );
        }
    }
}
