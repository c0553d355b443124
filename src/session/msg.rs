//! Everything that can change a session, as data. Each accepted message is
//! one journal record; folding the journal's messages rebuilds the session,
//! which is how resume and replay work. The serialized form is the journal's
//! schema (version `journal::record::SCHEMA_VERSION`): renaming a variant or
//! a field is a format change, pinned by the snapshot test in tests.rs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Milliseconds since the Unix epoch. The engine never reads a clock: time
/// arrives in the messages.
pub type Millis = i64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Msg {
    /// The first record of every journal.
    SessionStarted(SessionInfo),
    /// The session was picked up again from its journal.
    Resumed {
        runbook_hash: String,
        /// The runbook file differs from the one the session started with,
        /// and the operator agreed to go on with the new one.
        runbook_changed: bool,
        /// The runbook's text when it changed; the journal keeps both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook_text: Option<String>,
        /// Who resumed, from where: whoever confirms a gate from here on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// Non-secret variables whose value this resume changed (or that
        /// the session did not have), as the operator agreed to them: from
        /// this record on they are the session's values.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        values: BTreeMap<String, String>,
    },
    /// The operator asked to run a step's actions (or re-run after a failure).
    RunRequested {
        step: String,
    },
    /// What the operator typed at a destructive step's gate.
    GateAnswered {
        step: String,
        typed: String,
    },
    /// The operator declined to run a destructive step.
    GateRefused {
        step: String,
    },
    CountdownElapsed {
        step: String,
    },
    CountdownCancelled {
        step: String,
    },
    ActionStarted {
        step: String,
        action: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
    },
    /// A piece of an action's output, secrets already replaced by `***`.
    Output {
        step: String,
        action: usize,
        stream: Stream,
        data: String,
    },
    ActionFinished {
        step: String,
        action: usize,
        outcome: ActionOutcome,
    },
    /// What a shell block exported that differs from what it was given,
    /// recorded just before its `ActionFinished`: the next shell blocks of
    /// `target` get them (`session::exports`). The values of `secret` names
    /// are `***`.
    VarsExported {
        step: String,
        action: usize,
        target: String,
        vars: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        secret: Vec<String>,
    },
    /// What a native action (sql, compare, migrations) found, as data for
    /// reports; the same result is also in its output as text.
    ActionResult {
        step: String,
        action: usize,
        result: Value,
    },
    /// A batched migration ran a batch and is about to commit it:
    /// journaled (and synced) before the COMMIT, with the transaction id,
    /// so that after a crash the database can say whether it committed.
    BatchStarted {
        step: String,
        action: usize,
        batch: u64,
        /// Keys `> after` (none: from the start) and `<= upto`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        upto: String,
        xid: String,
        /// Rows the statement changed in this batch.
        rows: u64,
    },
    /// The batch's transaction committed.
    BatchCommitted {
        step: String,
        action: usize,
        batch: u64,
    },
    /// Progress of resumable work inside an action (a multipart upload's
    /// id, then each confirmed part), kept in order under `key` until the
    /// action succeeds, so a retry or resume goes on from it.
    Checkpoint {
        step: String,
        action: usize,
        key: String,
        data: Value,
    },
    /// A target's database, as identified on first use: a session that
    /// finds two targets on the same database stops before anything runs.
    DatabaseIdentified {
        target: String,
        identity: DbIdentity,
    },
    /// A context (`ssh:` host, `exec:` wrapper) as the preflight reached
    /// it before the first step (again on each resume): a resume that
    /// finds another host key, host or pod there stops, naming it.
    ContextIdentified {
        name: String,
        /// `ssh` or `exec`.
        kind: String,
        identity: ContextIdentity,
    },
    /// The operator asked to stop a running action.
    CancelRequested {
        step: String,
    },
    ChecklistTicked {
        step: String,
        item: usize,
        checked: bool,
    },
    /// The operator confirms a manual step (or a checklist step) is done.
    ConfirmedDone {
        step: String,
    },
    Skipped {
        step: String,
        reason: String,
    },
    /// A step (or, with `action`, one block of it) marked `sandbox=skip`,
    /// passed by in a sandbox session for the runbook's reason: not an
    /// operator's skip, and never recorded outside the sandbox.
    NotRehearsable {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<usize>,
        reason: String,
    },
    Note {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        text: String,
    },
    /// The operator let go of the session for someone else to resume
    /// (`runsheet handover`), from another machine through the store.
    HandedOver {
        note: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
    },
    /// A gate that needs approvals (four-eyes) asked the team's store for
    /// them: the request's id there, and the store role that asked, which
    /// can never be one of the approvers.
    ApprovalRequested {
        step: String,
        request: i64,
        requested_by: String,
        needed: u32,
    },
    /// Someone else approved the gate's request in the store: who, as the
    /// store authenticated them (`session_user`), never a name typed.
    Approved {
        step: String,
        request: i64,
        approver: String,
        reason: String,
    },
    /// Someone else refused it: the gate closes, and the step waits for
    /// the operator again.
    Denied {
        step: String,
        request: i64,
        approver: String,
        reason: String,
    },
    /// Something runsheet found before the first step and went on despite
    /// (a pair of databases it could not compare, a real host in a
    /// sandbox's values): said on screen and kept for the post-mortem.
    Warned {
        text: String,
    },
    /// One attempt to deliver a notification (`notify:`): the event, where
    /// it went as scheme and host only (a webhook's path is its secret),
    /// which attempt this was, and the answer's status or why there was
    /// none. Changes nothing in the session.
    Notified {
        event: String,
        to: String,
        attempt: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// After a failure, the operator turned to a rollback step.
    RollbackRequested {
        failed: String,
        rollback: String,
    },
    /// At an offer of alternatives ("2 options: A …, B …"), the option
    /// chosen, or none of them (`choice` absent).
    AlternativeChosen {
        offer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        choice: Option<String>,
        /// Why, when no person chose ("auto: none chosen").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// How the operator settled a step that was running when the session died.
    InDoubtResolved {
        step: String,
        decision: Decision,
    },
    /// The session stopped while it could still go on (quit, hang-up, kill).
    Interrupted {
        reason: String,
    },
    SessionEnded {
        outcome: SessionEnd,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub runbook_path: String,
    /// SHA-256 of the runbook's text.
    pub runbook_hash: String,
    pub runbook_text: String,
    pub target: String,
    pub operator: String,
    pub host: String,
    pub tool_version: String,
    /// A rehearsal: its timings feed the expected durations of live sessions.
    pub drill: bool,
    /// Names of the variables the session was given.
    pub variables: Vec<String>,
    /// Values of the variables that are not secret, by name, so that what
    /// the operator is shown (a gate's command, instructions) and what a
    /// replay or a report shows can say `2.4.1` where the runbook says
    /// `$RELEASE`. Secrets are never kept, and any secret inside a value
    /// (a URL's password) is masked like every free-text field. Empty in
    /// journals written before values were kept.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    /// Run against `runsheet sandbox`: a resume goes back to the sandbox,
    /// never to whatever databases the resuming shell points at.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
    /// Every target's safety settings as the session started: a runbook
    /// changed later can make them stricter, never looser. Empty in
    /// journals written before they were kept (the runbook text then says).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetSettings>,
    /// The folder the session's commands ran in (the runbook's
    /// `workdir:` resolved, or the sandbox's work folder): a resume runs
    /// there too. None: where runsheet was started, as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workdir: Option<String>,
}

#[cfg(test)]
impl SessionInfo {
    /// A session of `text` (at `path`) on `target`, as alice on her laptop.
    pub(crate) fn sample(path: &str, text: &str, target: &str) -> SessionInfo {
        SessionInfo {
            runbook_path: path.into(),
            runbook_hash: "h".into(),
            runbook_text: text.into(),
            target: target.into(),
            operator: "alice".into(),
            host: "laptop".into(),
            tool_version: "0.1.0".into(),
            drill: false,
            sandbox: false,
            workdir: None,
            targets: Vec::new(),
            variables: vec![],
            values: Default::default(),
        }
    }
}

/// What guards a target, as fixed by a session's first record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSettings {
    pub name: String,
    pub protected: bool,
    pub countdown_ms: u64,
    pub timeout_ms: u64,
    /// The connection string as declared (`$PROD_DB_URL`), never its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Approvals its gates need (`approvals:`); absent in journals from
    /// before four-eyes, where it was 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approvals: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
    pub duration_ms: u64,
    /// Why it could not run at all (command not found, kind not supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The action's own verdict, when it is more than an exit code
    /// (a comparison that found a difference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// What a check found that a person must approve at a typed gate on
    /// its target before the step goes on (`Verdict::NeedsApproval`): the
    /// action ran and met its expectation, the finding is the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_approval: Option<String>,
}

impl ActionOutcome {
    /// Did the action meet its expectation? `expected` are the accepted exit codes.
    pub fn succeeded(&self, expected: &[i32]) -> bool {
        !self.timed_out
            && !self.cancelled
            && self.error.is_none()
            && self.failure.is_none()
            && self.exit_code.is_some_and(|c| expected.contains(&c))
    }

    /// A short account for screens and reports: "exit 3", "timed out after 5m".
    pub fn describe(&self) -> String {
        if let Some(e) = &self.error {
            return e.clone();
        }
        if let Some(f) = &self.failure {
            return f.clone();
        }
        if let Some(f) = &self.needs_approval {
            return format!("needs approval: {f}");
        }
        if self.timed_out {
            return format!(
                "timed out after {}",
                crate::runbook::duration::format_duration(std::time::Duration::from_millis(
                    self.duration_ms
                ))
            );
        }
        if self.cancelled {
            return "cancelled".into();
        }
        match (self.exit_code, self.signal) {
            (Some(c), _) => format!("exit {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            (None, None) => "ended without an exit code".into(),
        }
    }
}

/// Who a database is: `system_identifier` is unique to a cluster (it
/// survives a change of address), `database` names one of its databases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbIdentity {
    /// Address and port the server reports, or what we connected to.
    pub server: String,
    pub database: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_identifier: Option<String>,
}

impl DbIdentity {
    /// Same database: same cluster and same database name. Without a
    /// system identifier (no right to read it), the address stands in.
    pub fn same_database(&self, other: &DbIdentity) -> bool {
        if self.database != other.database {
            return false;
        }
        match (&self.system_identifier, &other.system_identifier) {
            (Some(a), Some(b)) => a == b,
            _ => self.server == other.server,
        }
    }
}

/// Who answered in a context: what tells one host or pod from another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextIdentity {
    /// How it was reached, as the runbook declares it (`ssh box`,
    /// `exec kubectl exec -i -n ns deploy/pg --`): never expanded values.
    pub reached: String,
    /// The server's host key as ssh verified it (`ssh-ed25519
    /// SHA256:…`); none through a wrapper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    /// `uname -n` there: a host's name, a pod's or a container's.
    pub hostname: String,
    /// `id -un` there.
    pub user: String,
}

impl ContextIdentity {
    /// What differs from `then`, in words ("the host key was …, now …"),
    /// or None when it is the same place.
    pub fn changed_from(&self, then: &ContextIdentity) -> Option<String> {
        let mut what = Vec::new();
        if self.host_key != then.host_key {
            let show = |k: &Option<String>| k.clone().unwrap_or_else(|| "none".into());
            what.push(format!(
                "the host key was {} and is now {}",
                show(&then.host_key),
                show(&self.host_key)
            ));
        }
        if self.hostname != then.hostname {
            let noun = if self.host_key.is_some() {
                "host"
            } else {
                "pod or container"
            };
            what.push(format!(
                "the {noun} was {} and is now {}",
                then.hostname, self.hostname
            ));
        }
        if self.user != then.user {
            what.push(format!(
                "the user was {} and is now {}",
                then.user, self.user
            ));
        }
        (!what.is_empty()).then(|| what.join("; "))
    }

    /// One line: "box-1 as deploy, host key ssh-ed25519 SHA256:…".
    pub fn describe(&self) -> String {
        match &self.host_key {
            Some(k) => format!("{} as {}, host key {k}", self.hostname, self.user),
            None => format!("{} as {}", self.hostname, self.user),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum Decision {
    /// Run it again (through its gate again if it is destructive).
    Rerun,
    /// The operator checked by hand that it completed.
    MarkDone,
    Skip {
        reason: String,
    },
}

/// How a session ended (`session-ended`'s `outcome` in the journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionEnd {
    /// Every step done or skipped.
    Completed,
    /// The operator ended the session before the end, on purpose.
    Abandoned,
    /// A step failed, a rollback step undid its phase, and the operator
    /// ended the session there (`Session::rolled_back` says which).
    RolledBack,
}

impl Msg {
    /// The step a message is about, if any.
    pub fn step(&self) -> Option<&str> {
        use Msg::*;
        match self {
            RunRequested { step }
            | GateAnswered { step, .. }
            | GateRefused { step }
            | CountdownElapsed { step }
            | CountdownCancelled { step }
            | ActionStarted { step, .. }
            | Output { step, .. }
            | ActionResult { step, .. }
            | BatchStarted { step, .. }
            | BatchCommitted { step, .. }
            | Checkpoint { step, .. }
            | ActionFinished { step, .. }
            | VarsExported { step, .. }
            | CancelRequested { step }
            | ChecklistTicked { step, .. }
            | ConfirmedDone { step }
            | Skipped { step, .. }
            | NotRehearsable { step, .. }
            | ApprovalRequested { step, .. }
            | Approved { step, .. }
            | Denied { step, .. }
            | InDoubtResolved { step, .. } => Some(step),
            Note { step, .. } => step.as_deref(),
            RollbackRequested { rollback, .. } => Some(rollback),
            SessionStarted(_)
            | Resumed { .. }
            | DatabaseIdentified { .. }
            | ContextIdentified { .. }
            | AlternativeChosen { .. }
            | Interrupted { .. }
            | Warned { .. }
            | Notified { .. }
            | HandedOver { .. }
            | SessionEnded { .. } => None,
        }
    }

    /// The journal fields of this message: what `journal::record::body_fields`
    /// gives, but output text is moved, not copied, since it is most of
    /// a journal's bytes.
    pub fn into_journal_fields(self) -> Result<Map<String, Value>, String> {
        match self {
            Msg::Output {
                step,
                action,
                stream,
                data,
            } => {
                let mut fields = Map::with_capacity(5);
                fields.insert("type".into(), Value::from("output"));
                fields.insert("step".into(), Value::from(step));
                fields.insert("action".into(), Value::from(action));
                fields.insert(
                    "stream".into(),
                    serde_json::to_value(stream).map_err(|e| e.to_string())?,
                );
                fields.insert("data".into(), Value::String(data));
                Ok(fields)
            }
            other => crate::journal::record::body_fields(&other),
        }
    }

    /// Records that may wait for the next periodic sync (at most a second):
    /// output, and a batch's commit, which a resume can ask the database
    /// about. Every other record is synced before the session goes on.
    pub fn may_sync_later(&self) -> bool {
        matches!(self, Msg::Output { .. } | Msg::BatchCommitted { .. })
    }
}
