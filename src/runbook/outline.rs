//! What `runsheet check` reports about a runbook, as data: the text view and
//! `--format json` are two renderings of this one structure.

use super::diagnostic::Severity;
use super::duration::Estimate;
use super::model::{ActionKind, Phase, Runbook, Step};
use super::parse::Parsed;
use super::role::Role;
use super::span::LineIndex;
use super::vars;
use serde::Serialize;

#[derive(Serialize)]
pub struct Outline {
    pub file: String,
    pub title: String,
    pub valid: bool,
    pub errors: usize,
    pub warnings: usize,
    pub targets: Vec<TargetLine>,
    pub variables: Vec<VariableLine>,
    /// Sum of the phases' estimates (a phase's own, or its steps').
    pub planned: Estimate,
    /// The total the author wrote under the title, if any.
    pub declared: Option<Estimate>,
    pub steps_without_estimate: usize,
    pub phases: Vec<PhaseLine>,
    pub destructive: Vec<DestructiveLine>,
    pub diagnostics: Vec<DiagnosticLine>,
}

#[derive(Serialize)]
pub struct TargetLine {
    pub name: String,
    pub protected: bool,
    pub timeout_secs: u64,
    pub countdown_secs: u64,
    pub database: Option<String>,
    pub declared: bool,
}

#[derive(Serialize)]
pub struct VariableLine {
    pub name: String,
    pub secret: bool,
    pub description: Option<String>,
    pub used_by: Vec<String>,
}

#[derive(Serialize)]
pub struct PhaseLine {
    pub id: String,
    pub title: String,
    pub line: usize,
    /// flow, rollback, alternative or context: only flow runs in order.
    pub role: Role,
    /// The heading's level (2 for `##`).
    pub level: usize,
    pub rollback: bool,
    pub estimate: Option<Estimate>,
    pub steps: Vec<StepLine>,
}

#[derive(Serialize)]
pub struct StepLine {
    pub id: String,
    pub title: String,
    pub line: usize,
    pub role: Role,
    /// The heading's level (3 for `###`); the phase's for a phase that is
    /// itself one step.
    pub level: usize,
    pub kind: String,
    /// None: the session's target (`--target`).
    pub target: Option<String>,
    /// None: the target's default timeout.
    pub timeout_secs: Option<u64>,
    pub estimate: Option<Estimate>,
    pub checklist_items: usize,
    pub interactive: bool,
    pub destructive: bool,
    /// The author's reason for clearing what the rules flagged.
    pub cleared: Option<String>,
    pub undoes: Vec<String>,
    pub needs: Vec<String>,
    /// Blocks written as a terminal session (`$ ` prompts, output pasted
    /// in): the commands that run, the output only shown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RunsLine>,
    /// The contexts its shell blocks run in (`contexts:`), by name; empty
    /// when every block runs on this machine (or where its target says,
    /// for a step on the session's target).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<String>,
    /// Why a sandbox session passes it by (`{sandbox=skip reason=…}` on the
    /// step, its phase or its blocks): one reason per mark, so an author
    /// sees what a drill will not rehearse before running one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_rehearsable: Vec<String>,
}

#[derive(Serialize)]
pub struct RunsLine {
    /// The block's opening fence.
    pub line: usize,
    /// What runs: the commands, prompts stripped.
    pub commands: String,
    /// Lines of pasted output shown with the step, not run.
    pub output_lines: usize,
}

#[derive(Serialize)]
pub struct DestructiveLine {
    pub step: String,
    pub step_title: String,
    pub target: Option<String>,
    pub rule: String,
    pub why: String,
    pub line: usize,
    pub excerpt: String,
}

#[derive(Serialize)]
pub struct DiagnosticLine {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub source_line: String,
    pub help: Option<String>,
}

/// The number of `#` opening the heading line at `offset`.
fn heading_level(src: &str, offset: usize) -> usize {
    src.get(offset..)
        .unwrap_or("")
        .chars()
        .take_while(|c| *c == '#')
        .count()
}

/// The contexts a step's shell blocks run in, each named once, in order.
fn step_contexts(rb: &Runbook, phase: &Phase, step: &Step, target: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in &step.actions {
        if !matches!(a.kind, ActionKind::Shell { .. }) {
            continue;
        }
        if let Some(c) = rb.action_context(phase, step, a, target.unwrap_or_default())
            && !out.contains(&c.name)
        {
            out.push(c.name.clone());
        }
    }
    out
}

/// The step's own mark (which its phase's gives it), then each block's,
/// with the block's line.
fn not_rehearsable(step: &Step, line: &dyn Fn(usize) -> usize) -> Vec<String> {
    let mut out: Vec<String> = step.sandbox_skip.iter().map(|k| k.reason.clone()).collect();
    for a in &step.actions {
        if let Some(k) = &a.sandbox_skip {
            out.push(format!(
                "the block at line {}: {}",
                line(a.span.start),
                k.reason
            ));
        }
    }
    out
}

pub fn outline(parsed: &Parsed) -> Outline {
    let rb = &parsed.runbook;
    let src = &parsed.source;
    let idx = LineIndex::new(src);
    let line = |offset: usize| idx.position(src, offset).line;
    let mut destructive = Vec::new();
    let mut steps_without_estimate = 0;
    let mut planned = Estimate::ZERO;
    let phases = rb
        .phases
        .iter()
        .map(|p| {
            let mut steps_sum = Estimate::ZERO;
            let steps = p
                .steps
                .iter()
                .map(|s| {
                    let target = step_target(s).or_else(|| p.target.clone());
                    let estimate = s.estimate.or_else(|| action_estimate(s));
                    match estimate {
                        // An alternative's time is not the phase's.
                        Some(e) if s.role == p.role => steps_sum = steps_sum + e,
                        None if p.estimate.is_none() && s.role.is_flow() => {
                            steps_without_estimate += 1
                        }
                        _ => {}
                    }
                    for a in &s.actions {
                        if a.destructive.is_destructive() {
                            for f in &a.destructive.findings {
                                destructive.push(DestructiveLine {
                                    step: s.id.clone(),
                                    step_title: s.title.clone(),
                                    target: a.target.clone().or_else(|| target.clone()),
                                    rule: f.rule.id().to_string(),
                                    why: f.rule.describe().to_string(),
                                    line: line(f.span.start),
                                    excerpt: f.excerpt.clone(),
                                });
                            }
                            if let Some(o) = &a.destructive.overridden
                                && o.destructive
                            {
                                destructive.push(DestructiveLine {
                                    step: s.id.clone(),
                                    step_title: s.title.clone(),
                                    target: a.target.clone().or_else(|| target.clone()),
                                    rule: "attribute".into(),
                                    why: o.reason.clone().unwrap_or_else(|| {
                                        "marked destructive by its author".into()
                                    }),
                                    line: line(o.span.start),
                                    excerpt: first_command(&a.code),
                                });
                            }
                        }
                    }
                    let contexts = step_contexts(rb, p, s, target.as_deref());
                    StepLine {
                        id: s.id.clone(),
                        title: s.title.clone(),
                        line: line(s.span.start),
                        role: s.role,
                        level: heading_level(src, s.span.start),
                        kind: s.kind_label(),
                        target,
                        timeout_secs: s
                            .actions
                            .iter()
                            .filter_map(|a| a.timeout)
                            .max()
                            .map(|d| d.as_secs()),
                        estimate,
                        checklist_items: s.checklist.len(),
                        interactive: s.actions.iter().any(|a| a.interactive),
                        destructive: s.is_destructive(),
                        cleared: s
                            .actions
                            .iter()
                            .filter_map(|a| a.destructive.overridden.as_ref())
                            .find(|o| !o.destructive)
                            .and_then(|o| o.reason.clone()),
                        undoes: s.undoes.clone(),
                        needs: needs(rb, p.target.as_deref(), s),
                        runs: s
                            .actions
                            .iter()
                            .filter(|a| {
                                a.sample_output.is_some()
                                    || super::fences::family(&a.lang)
                                        == super::fences::Family::Session
                            })
                            .map(|a| RunsLine {
                                line: line(a.span.start),
                                commands: a.code.clone(),
                                output_lines: a
                                    .sample_output
                                    .as_deref()
                                    .map_or(0, |o| o.lines().count()),
                            })
                            .collect(),
                        contexts,
                        not_rehearsable: not_rehearsable(s, &line),
                    }
                })
                .collect();
            let estimate = p
                .estimate
                .or((steps_sum != Estimate::ZERO).then_some(steps_sum));
            if p.role.is_flow() {
                planned = planned + estimate.unwrap_or(Estimate::ZERO);
            }
            PhaseLine {
                id: p.id.clone(),
                title: p.title.clone(),
                line: line(p.span.start),
                role: p.role,
                level: heading_level(src, p.span.start),
                rollback: p.rollback,
                estimate,
                steps,
            }
        })
        .collect::<Vec<_>>();
    let variables = rb
        .variables
        .iter()
        .map(|v| VariableLine {
            name: v.name.clone(),
            secret: v.secret,
            description: v.description.clone(),
            used_by: phases
                .iter()
                .flat_map(|p| p.steps.iter())
                .filter(|s| s.needs.contains(&v.name))
                .map(|s| s.id.clone())
                .collect(),
        })
        .collect();
    let diagnostics: Vec<DiagnosticLine> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            let pos = idx.position(src, d.span.start);
            DiagnosticLine {
                severity: d.severity,
                code: d.code.to_string(),
                message: d.message.clone(),
                line: pos.line,
                column: pos.column,
                source_line: idx.line_text(src, pos.line - 1).to_string(),
                help: d.help.clone(),
            }
        })
        .collect();
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    Outline {
        file: rb.path.clone(),
        title: rb.title.clone(),
        valid: errors == 0,
        errors,
        warnings: diagnostics.len() - errors,
        targets: rb
            .targets
            .iter()
            .map(|t| TargetLine {
                name: t.name.clone(),
                protected: t.protected,
                timeout_secs: t.timeout.as_secs(),
                countdown_secs: t.countdown.as_secs(),
                database: t.database.clone(),
                declared: t.declared,
            })
            .collect(),
        variables,
        planned,
        declared: rb.declared_estimate,
        steps_without_estimate,
        phases,
        destructive,
        diagnostics,
    }
}

/// The target a step pins, when all its actions agree or the heading says.
fn step_target(s: &Step) -> Option<String> {
    s.target.clone().or_else(|| {
        let mut pinned = s.actions.iter().filter_map(|a| match &a.kind {
            ActionKind::Compare(c) => Some(format!("{}+{}", c.left, c.right)),
            _ => a.target.clone(),
        });
        let first = pinned.next()?;
        pinned.all(|t| t == first).then_some(first)
    })
}

/// The first line that is not blank or a comment: what a gate should show.
fn first_command(code: &str) -> String {
    code.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("--"))
        .unwrap_or("")
        .to_string()
}

fn action_estimate(s: &Step) -> Option<Estimate> {
    s.actions
        .iter()
        .filter_map(|a| a.estimate)
        .reduce(|a, b| a + b)
}

/// Declared variables a step's actions (or its targets) reference.
fn needs(rb: &Runbook, phase_target: Option<&str>, s: &Step) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in &s.actions {
        let mut texts = vec![a.code.clone()];
        let target_names: Vec<&str> = match &a.kind {
            ActionKind::Compare(c) => vec![c.left.as_str(), c.right.as_str()],
            _ => a
                .target
                .as_deref()
                .or(s.target.as_deref())
                .or(phase_target)
                .into_iter()
                .collect(),
        };
        // A shell command sees the database only through $DATABASE_URL.
        let uses_database = match a.kind {
            ActionKind::Http(_) | ActionKind::S3(_) => false,
            ActionKind::Shell { .. } => a.code.contains("DATABASE_URL"),
            _ => true,
        };
        for t in target_names.iter().filter_map(|n| rb.target(n)) {
            if uses_database {
                texts.extend(t.database.clone());
            }
            texts.extend(t.env.iter().map(|(_, v)| v.clone()));
        }
        for text in &texts {
            for (name, _) in vars::references(text) {
                if rb.variables.iter().any(|v| v.name == name) && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
    out
}
