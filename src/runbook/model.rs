//! The parsed runbook. Immutable once built: the session engine, the TUI and
//! the journal all read this, and the runbook's hash pins it in the journal.

use super::destructive::Rule;
use super::duration::Estimate;
use super::role::Role;
use super::span::Span;
use serde::Serialize;
use std::time::Duration;

#[derive(Clone, Debug, Serialize)]
pub struct Runbook {
    /// The path the runbook was read from, as given.
    pub path: String,
    pub title: String,
    /// Markdown before the first phase (overview, prerequisites).
    pub intro: String,
    /// The total the author wrote under the title ("Durée estimée : 2–4 heures").
    pub declared_estimate: Option<Estimate>,
    pub targets: Vec<Target>,
    pub variables: Vec<Variable>,
    /// How to rehearse it in `runsheet sandbox`.
    pub sandbox: Option<Sandbox>,
    /// The folder its commands run in (`workdir:`), as written: relative
    /// to the runbook's file, `~` and `$VAR` expanded when a session starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
    /// Where shell blocks may run besides this machine (`runbook::context`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<super::context::Context>,
    /// Webhooks told of the session's start, gates, failures and end
    /// (`notify:`), their URLs as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<super::notify::Hook>,
    /// Phases in document order, rollback phases included (see `Phase::rollback`).
    pub phases: Vec<Phase>,
    /// Placeholders left in the actions (`<namespace>`, `YOUR_TOKEN`), in
    /// document order: each is a variable the session asks for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<super::placeholders::Placeholder>,
    /// The source's line starts: a shell error's `line N` is mapped to the
    /// runbook's line with it.
    #[serde(skip)]
    pub lines: super::span::LineIndex,
}

/// More approvals than a team has people would leave a gate shut for
/// good: a number past this is a typo.
pub const MAX_APPROVALS: u32 = 9;

/// A named environment a step runs against.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    /// Destructive steps stop behind a gate that needs the target's name typed.
    pub protected: bool,
    /// Default timeout of this target's steps.
    pub timeout: Duration,
    /// On an unprotected target, how long a destructive step warns before it runs.
    pub countdown: Duration,
    /// How many other people must approve its gates (four-eyes), through
    /// the team's store (`approvals: 1`); 0: the typed name is enough.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub approvals: u32,
    /// Connection string of the target's database, usually a `$VARIABLE`.
    pub database: Option<String>,
    /// Variables this target sets for its steps (`API_URL: https://…`).
    pub env: Vec<(String, String)>,
    pub description: Option<String>,
    /// False for the built-in `staging` and `production` of a runbook that declares none.
    pub declared: bool,
    /// The context its shell blocks run in unless a phase, step or block
    /// says otherwise; None: this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// The rehearsal set-up a runbook asks of `runsheet sandbox`; paths are
/// relative to the runbook's folder.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sandbox {
    /// A SQL file or a pg_dump archive loaded into both databases.
    pub dataset: Option<String>,
    /// The application's migrations folder, which the health endpoint reads.
    pub migrations: Option<String>,
    /// The table recording applied migrations.
    pub table: Option<String>,
    /// Variables a rehearsal sets, which may use the sandbox's own
    /// (`API_URL: $APP_URL`): they win over the environment.
    pub env: Vec<(String, String)>,
    /// A folder of the rehearsal's files, copied into the sandbox's own
    /// work folder at start: a drill runs there, never in these assets.
    pub workdir: Option<String>,
    /// A shell script run once at start, in the work folder, with the
    /// sandbox's variables: it makes what the rehearsal needs (a dump …).
    pub setup: Option<String>,
    /// Buckets made in the sandbox's S3 at start (names or `$VAR`s),
    /// besides those the runbook's s3 steps name.
    pub buckets: Vec<String>,
}

/// A value a runbook needs from the operator's environment or a prompt.
#[derive(Clone, Debug, Serialize)]
pub struct Variable {
    pub name: String,
    /// Never shown, journaled or reported: replaced by `***`.
    pub secret: bool,
    pub description: Option<String>,
    pub default: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub span: Span,
    /// Markdown between the phase heading and its first step.
    pub intro: String,
    pub estimate: Option<Estimate>,
    /// Target of the phase's steps unless a step says otherwise.
    pub target: Option<String>,
    /// Context of the phase's shell blocks (`{context=…}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// What the section is for (read from its heading or `{role=…}`): only
    /// `Flow` runs in order.
    pub role: Role,
    /// A Rollback section (`role == Rollback`): its steps run only when an
    /// operator asks for them after a failure, never in the normal flow.
    pub rollback: bool,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// The heading (or, for an implicit step, the phase heading).
    pub span: Span,
    /// Its phase's role unless its own heading says otherwise; only `Flow`
    /// steps run in order.
    pub role: Role,
    /// The role was written (`{role=…}`, `{rollback}`) on the step's or its
    /// phase's heading, not read from their words.
    pub role_stated: bool,
    /// The step's Markdown below its heading: instructions, checklist and
    /// action blocks as written, for rendering.
    pub body: String,
    pub checklist: Vec<ChecklistItem>,
    pub actions: Vec<Action>,
    pub estimate: Option<Estimate>,
    /// Target pinned on the step heading (actions may pin their own).
    pub target: Option<String>,
    /// Context pinned on the step heading (`{context=…}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Cannot be rehearsed (`{sandbox=skip reason=…}` on the step's or its
    /// phase's heading): a sandbox session passes it by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_skip: Option<SandboxSkip>,
    /// Approvals its gate needs (`{approvals=N}` on its or its phase's
    /// heading), over its target's; a step that asks for any is gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<u32>,
    /// For a rollback step: the ids of the phases it undoes.
    pub undoes: Vec<String>,
    /// True when `undoes` was read from the title ("Rollback Phase 2"),
    /// not from an attribute.
    pub undoes_inferred: bool,
}

/// One task item (`- [ ]`, `* [x]`, `1. [ ]`), nested ones included, in
/// document order: its own tick, whatever its children.
#[derive(Clone, Debug, Serialize)]
pub struct ChecklistItem {
    /// The item's own words: not its children's, not its blocks' code.
    pub text: String,
    pub span: Span,
    /// 0 for a top-level item, 1 for an item under another item, …
    #[serde(skip_serializing_if = "is_zero")]
    pub depth: usize,
    /// The item it is nested under (an index into the step's checklist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<usize>,
    /// The step's actions written inside this item (at any depth, unless a
    /// nested item holds them): its tick is their success.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<usize>,
    /// How many of the step's actions must have succeeded before it can be
    /// ticked: those written before it, and its own.
    #[serde(skip_serializing_if = "is_zero")]
    pub before_action: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Serialize)]
pub struct Action {
    pub kind: ActionKind,
    /// The fence's language as written (`bash`, `sql`, `http` …).
    pub lang: String,
    /// The block's text.
    pub code: String,
    /// The opening fence line.
    pub span: Span,
    /// The block's text in the source.
    pub code_span: Span,
    pub name: Option<String>,
    pub target: Option<String>,
    /// Where a shell block runs (`{context=…}`); None: its step's, phase's
    /// or target's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// None: the target's default timeout.
    pub timeout: Option<Duration>,
    pub estimate: Option<Estimate>,
    /// Needs the real terminal (`kubectl edit`, `psql`, `$EDITOR`).
    pub interactive: bool,
    /// Why the rules made it interactive (`runbook::interactive`): "`vim`
    /// opens an editor". None when the runbook said so itself, or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactive_inferred: Option<String>,
    pub expect: Option<Expect>,
    pub cwd: Option<String>,
    /// `{stdout=FILE}`: the block's standard output goes to this file on
    /// the operator's machine (relative to the session's working folder),
    /// wherever the block runs, instead of the screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    /// What a block written as a terminal session shows its commands
    /// printed: its lines without a prompt, left out of `code`, which holds
    /// only the commands that run (`runbook::fences::split`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_output: Option<String>,
    /// For a pasted terminal session: the line of the fence (0 = the first
    /// line of its text) each line of `code` was written on. Empty when the
    /// block runs as written.
    #[serde(skip)]
    pub command_lines: Vec<usize>,
    pub destructive: Destructive,
    /// Cannot be rehearsed (`{sandbox=skip reason=…}` on the block): a
    /// sandbox session goes on past it without running it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_skip: Option<SandboxSkip>,
}

/// What cannot exist in the sandbox (a cluster's node list, a web
/// console), as the author marked it: never run in a sandbox session,
/// run as usual anywhere else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SandboxSkip {
    /// Why it cannot be rehearsed, as written.
    pub reason: String,
    /// The `sandbox=skip` attribute.
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ActionKind {
    Shell {
        /// `bash` or `sh`.
        interpreter: String,
    },
    Sql {
        /// Runs in a read-write transaction; otherwise read-only.
        writes: bool,
    },
    Compare(CompareSpec),
    Http(HttpCheck),
    S3(Vec<S3Op>),
    Migrations(MigrationsSpec),
    Batch(BatchSpec),
}

impl ActionKind {
    /// The name `runsheet check` shows.
    pub fn label(&self) -> &'static str {
        match self {
            ActionKind::Shell { .. } => "shell",
            ActionKind::Sql { .. } => "sql",
            ActionKind::Compare(_) => "compare",
            ActionKind::Http(_) => "http",
            ActionKind::S3(_) => "s3",
            ActionKind::Migrations(_) => "migrations",
            ActionKind::Batch(_) => "batch",
        }
    }
}

/// What the author says success looks like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Shell: the accepted exit codes.
    Exit(Vec<i32>),
    /// SQL: the number of rows returned or affected.
    Rows(Comparison, u64),
    /// Comparison: counts equal on both sides.
    Equal,
    /// Comparison: counts differ (the step checks a change happened).
    Differ,
    /// Comparison: right minus left equals this for every table.
    Difference(i64),
    /// Pending migrations: there must be none.
    NoPending,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Comparison {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }
}

/// Why an action is, or is not, treated as destructive.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Destructive {
    /// What the rules found, spans absolute in the runbook source.
    pub findings: Vec<DestructiveFinding>,
    /// `destructive=…` with its reason, when the author overrode the rules.
    pub overridden: Option<Override>,
}

impl Destructive {
    pub fn is_destructive(&self) -> bool {
        match &self.overridden {
            Some(o) => o.destructive,
            None => !self.findings.is_empty(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DestructiveFinding {
    pub rule: Rule,
    pub span: Span,
    pub excerpt: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Override {
    pub destructive: bool,
    pub reason: Option<String>,
    pub span: Span,
}

/// Row counts of tables compared between two targets.
#[derive(Clone, Debug, Serialize)]
pub struct CompareSpec {
    pub left: String,
    pub right: String,
    /// Tables listed in the block; empty means every table of `schema`.
    pub tables: Vec<CompareTable>,
    pub schema: String,
    pub mode: CompareMode,
    /// Key column used to narrow checksum differences down to key ranges.
    pub key: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CompareTable {
    pub name: String,
    /// Optional filter, e.g. `last_login > now() - interval '30 days'`.
    pub filter: Option<String>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompareMode {
    Count,
    Checksum,
}

/// An HTTP request and what its response must satisfy (a subset of Hurl).
#[derive(Clone, Debug, Serialize)]
pub struct HttpCheck {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// None: any status below 400.
    pub status: Option<u16>,
    pub asserts: Vec<HttpAssert>,
    /// Keep trying until the checks pass or this much time has passed.
    pub retry_for: Option<Duration>,
    pub retry_interval: Duration,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "on", rename_all = "kebab-case")]
pub enum HttpAssert {
    /// A JSON field: `.migrations.pending_count == 0`.
    Json {
        path: String,
        op: AssertOp,
        value: Option<serde_json::Value>,
    },
    /// The body contains a string.
    BodyContains { text: String },
    /// A header's value.
    Header {
        name: String,
        op: AssertOp,
        value: String,
    },
    /// Response time in milliseconds.
    DurationMs { op: Comparison, millis: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssertOp {
    Cmp(Comparison),
    Contains,
    Exists,
    NotExists,
}

/// One S3 operation of an `s3` block.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum S3Op {
    Upload { from: String, to: S3Url },
    Download { from: S3Url, to: String },
    List { at: S3Url },
    Verify { at: S3Url, checks: Vec<S3Check> },
    Delete { at: S3Url },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct S3Url {
    pub bucket: String,
    /// Key, or prefix when it ends with `/`.
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum S3Check {
    Exists,
    Size(Comparison, u64),
    /// Last modified less (or more) than this long ago.
    Age(Comparison, Duration),
    Sha256(String),
}

/// Pending schema migrations: files in `dir` not recorded in `table`.
#[derive(Clone, Debug, Serialize)]
pub struct MigrationsSpec {
    pub dir: String,
    pub table: String,
}

/// A statement run repeatedly over key ranges of `table`, one transaction per batch.
#[derive(Clone, Debug, Serialize)]
pub struct BatchSpec {
    pub table: String,
    pub key: String,
    pub size: u64,
}

impl Runbook {
    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }

    /// Where `action` of `step` in `phase` runs when its target is
    /// `target`: the block's context, else the step's, the phase's, the
    /// target's; None is this machine.
    pub fn action_context(
        &self,
        phase: &Phase,
        step: &Step,
        action: &Action,
        target: &str,
    ) -> Option<&super::context::Context> {
        let target_ctx = self.target(target).and_then(|t| t.context.as_deref());
        super::context::resolve(
            &self.contexts,
            [
                action.context.as_deref(),
                step.context.as_deref(),
                phase.context.as_deref(),
                target_ctx,
            ],
        )
    }

    /// The targets `action` may run on: the one it, its step or its phase
    /// names, else any of the runbook's (the session's, unknown until it
    /// starts); `""` alone when the runbook declares none.
    pub fn possible_targets<'a>(
        &'a self,
        phase: &'a Phase,
        step: &'a Step,
        action: &'a Action,
    ) -> Vec<&'a str> {
        let fixed = action
            .target
            .as_deref()
            .or(step.target.as_deref())
            .or(phase.target.as_deref());
        match fixed {
            Some(t) => vec![t],
            None if self.targets.is_empty() => vec![""],
            None => self.targets.iter().map(|t| t.name.as_str()).collect(),
        }
    }

    pub fn steps(&self) -> impl Iterator<Item = (&Phase, &Step)> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p, s)))
    }

    /// Rollback steps that undo the phase `phase_id`.
    pub fn rollbacks_for<'a>(&'a self, phase_id: &'a str) -> impl Iterator<Item = &'a Step> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter())
            .filter(|s| s.role == Role::Rollback)
            .filter(move |s| s.undoes.iter().any(|u| u == phase_id))
    }

    /// The steps run in order, in document order: those whose role is flow.
    pub fn flow_steps(&self) -> impl Iterator<Item = (&Phase, &Step)> {
        self.steps().filter(|(_, s)| s.role.is_flow())
    }

    /// The runbook's overview, as Markdown: what it says before its first
    /// phase, then every context section (Overview, Contacts, References,
    /// Vue d'ensemble…) under its own heading. Read, never run: both front
    /// ends show it instead of offering those sections as steps.
    pub fn overview(&self) -> String {
        let mut out = self.intro.trim().to_string();
        for p in &self.phases {
            let context_phase = p.role == Role::Context;
            if context_phase {
                push_section(&mut out, "##", &p.title, &p.intro);
            }
            for s in p.steps.iter().filter(|s| s.role == Role::Context) {
                // A phase that is itself one step has said it all above.
                if context_phase && s.title == p.title {
                    if s.body.trim() != p.intro.trim() {
                        push_section(&mut out, "", "", &s.body);
                    }
                    continue;
                }
                let level = if context_phase { "###" } else { "##" };
                push_section(&mut out, level, &s.title, &s.body);
            }
        }
        out
    }

    /// Alternatives offered where they stand: the alternative steps of the
    /// phase `phase_id` ("2 options: A …, B …").
    pub fn alternatives_in<'a>(&'a self, phase_id: &'a str) -> impl Iterator<Item = &'a Step> {
        self.phases
            .iter()
            .filter(move |p| p.id == phase_id)
            .flat_map(|p| p.steps.iter())
            .filter(|s| s.role == Role::Alternative)
    }
}

impl Step {
    /// The kind `runsheet check` shows: the kinds of its actions, or
    /// `checklist`/`manual` for a step an operator does by hand.
    pub fn kind_label(&self) -> String {
        if self.actions.is_empty() {
            return if self.checklist.is_empty() {
                "manual".into()
            } else {
                "checklist".into()
            };
        }
        let mut kinds: Vec<&str> = Vec::new();
        for a in &self.actions {
            let l = a.kind.label();
            if !kinds.contains(&l) {
                kinds.push(l);
            }
        }
        kinds.join("+")
    }

    pub fn is_destructive(&self) -> bool {
        self.actions.iter().any(|a| a.destructive.is_destructive())
    }
}

fn push_section(out: &mut String, level: &str, title: &str, body: &str) {
    if !title.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&format!("{level} {title}"));
    }
    let body = body.trim();
    if !body.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(body);
    }
}
