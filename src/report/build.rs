//! What a post-mortem says, folded from a journal's records: the same fold
//! as resume (the engine), plus the events a report lists in order (gates,
//! skips, failures with their last lines of output, comparisons).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::runbook::Runbook;
use crate::runbook::duration::Estimate;
use crate::session::{self, DbIdentity, Millis, Msg, SessionInfo, StepStatus};

/// Lines of output kept per step, for a failure's account.
const TAIL_LINES: usize = 15;

/// Bytes kept of one line of that tail: output with no newline for
/// hundreds of megabytes is one "line", and only its end is shown.
const TAIL_LINE_BYTES: usize = 4096;

#[derive(Debug, Clone)]
pub struct Report {
    pub info: SessionInfo,
    pub title: String,
    pub started_at: Millis,
    pub last_at: Millis,
    /// Time the session was down between a stop and its resume: in the
    /// span from start to last record, in no step's time.
    pub down_ms: Millis,
    pub outcome: Ending,
    /// Who took the session over, when, from where.
    pub resumes: Vec<Resume>,
    pub steps: Vec<StepLine>,
    pub gates: Vec<GateLine>,
    pub skips: Vec<Event>,
    pub notes: Vec<Event>,
    /// What runsheet warned of before the first step.
    pub warnings: Vec<Event>,
    /// Four-eyes: each gate's request for approvals and every answer, who
    /// gave it (the store's role) and why.
    pub approvals: Vec<Event>,
    pub failures: Vec<Failure>,
    pub comparisons: Vec<Comparison>,
    pub databases: Vec<(String, DbIdentity)>,
    /// Where the commands ran: each context as the preflight last found it.
    pub contexts: Vec<(String, session::ContextIdentity)>,
    pub interruptions: Vec<Event>,
    /// What was chosen at each offer of alternatives, at the step it
    /// stands after.
    pub choices: Vec<Event>,
    /// Why the fold stopped early: a record the engine refused.
    pub refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Completed,
    Abandoned,
    /// A step failed, a rollback step undid it, and the session was ended
    /// there (step ids).
    RolledBack {
        failed: String,
        rollback: String,
    },
    /// Stopped (failure, interruption, crash) and resumable; `undone` when
    /// a rollback stands that the session was not ended on.
    Unfinished {
        undone: Option<session::RolledBack>,
    },
}

#[derive(Debug, Clone)]
pub struct Resume {
    pub at: Millis,
    pub operator: String,
    pub host: String,
    pub runbook_changed: bool,
}

#[derive(Debug, Clone)]
pub struct StepLine {
    pub phase: String,
    pub id: String,
    pub title: String,
    /// Not in the normal flow (a rollback, an alternative, context): not
    /// planned, drawn only when it ran.
    pub off_flow: bool,
    /// An alternative whose offer was decided for another option or none.
    pub not_chosen: bool,
    pub status: StepStatus,
    pub planned: Option<Estimate>,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
    pub attempts: u32,
    /// Each time its actions ran, in order: a failed first attempt is
    /// drawn as such even when a retry passed.
    pub runs: Vec<Run>,
    /// Its blocks a sandbox session passed by in its last run (marked
    /// `sandbox=skip`): index and reason.
    pub not_rehearsed: Vec<(usize, String)>,
}

/// One run of a step's actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub started_at: Millis,
    /// None while it ran, or when the session died during it.
    pub finished_at: Option<Millis>,
    pub failed: bool,
}

impl StepLine {
    pub fn actual_ms(&self) -> Option<i64> {
        Some(self.finished_at? - self.started_at?).filter(|d| *d >= 0)
    }
}

#[derive(Debug, Clone)]
pub struct GateLine {
    pub step: String,
    pub shown_at: Option<Millis>,
    pub answered_at: Millis,
    pub typed: String,
    pub confirmed: bool,
    pub by: String,
    /// What a check found, when the gate asked to approve a finding.
    pub finding: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub at: Millis,
    pub step: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub at: Millis,
    pub step: String,
    pub reason: String,
    pub last_lines: Vec<String>,
}

/// A `compare` step's result record, as journaled.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub at: Millis,
    pub step: String,
    pub result: serde_json::Value,
}

/// The journal's first record does not start a session: there is nothing
/// to fold a report from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the journal does not start with a session-started record")]
pub struct NotASession;

/// Folds `records` (time, message) into a report. The runbook is the one
/// the journal holds (the last version a resume accepted).
pub fn build(records: &[(Millis, Msg)]) -> Result<Report, NotASession> {
    let Some((started_at, first)) = records.first() else {
        return Err(NotASession);
    };
    let accepted: Vec<String> = records
        .iter()
        .filter_map(|(_, m)| accepted_runbook(m))
        .map(str::to_string)
        .collect();
    let mut builder = Builder::new(*started_at, first, &accepted)?;
    for (i, (at, msg)) in records.iter().enumerate().skip(1) {
        if !builder.push(i, *at, msg) {
            break;
        }
    }
    Ok(builder.finish())
}

/// The runbook text a resume accepted, if `msg` is such a resume: the
/// report follows the last one, so a streaming reader looks for it first.
pub fn accepted_runbook(msg: &Msg) -> Option<&str> {
    match msg {
        Msg::Resumed {
            runbook_text: Some(t),
            ..
        } => Some(t),
        _ => None,
    }
}

/// A report folded one record at a time, for a journal of any size: what
/// it keeps grows with the runbook and with the events a report lists
/// (gates, skips, notes, failures), never with the output, of which only
/// the last lines of each running step are held.
pub struct Builder {
    fold: Fold,
    runbook: Arc<Runbook>,
}

impl Builder {
    /// Starts from the journal's first record; `accepted` are the texts of
    /// the changed runbooks resumes accepted, in order. The report follows
    /// the last, as strict as any before it, as the session ran.
    pub fn new(at: Millis, first: &Msg, accepted: &[String]) -> Result<Builder, NotASession> {
        let Msg::SessionStarted(info) = first else {
            return Err(NotASession);
        };
        let runbook = Arc::new(session::protection::journal_runbook(info, accepted));
        Ok(Builder {
            fold: Fold::new(runbook.clone(), info, at),
            runbook,
        })
    }

    /// Folds record number `index` (0-based); false once the engine has
    /// refused one, after which the rest is not folded.
    pub fn push(&mut self, index: usize, at: Millis, msg: &Msg) -> bool {
        if self.fold.refused.is_some() {
            return false;
        }
        if let Err(e) = self.fold.session.replay(at, msg) {
            self.fold.refused = Some(format!("record {index}: {e}"));
            return false;
        }
        self.fold.observe(at, msg);
        true
    }

    pub fn finish(self) -> Report {
        self.fold.finish(&self.runbook)
    }
}

struct Fold {
    session: session::Session,
    operator: String,
    resumes: Vec<Resume>,
    gates: Vec<GateLine>,
    gate_shown: HashMap<String, Millis>,
    /// A check's finding each step's gate now asks about.
    findings: HashMap<String, String>,
    skips: Vec<Event>,
    notes: Vec<Event>,
    warnings: Vec<Event>,
    approvals: Vec<Event>,
    failures: Vec<Failure>,
    comparisons: Vec<Comparison>,
    interruptions: Vec<Event>,
    choices: Vec<Event>,
    tails: HashMap<String, VecDeque<String>>,
    runs: HashMap<String, Vec<Run>>,
    refused: Option<String>,
}

impl Fold {
    fn new(runbook: Arc<Runbook>, info: &SessionInfo, at: Millis) -> Fold {
        Fold {
            session: session::Session::new(runbook, info.clone(), at),
            operator: format!("{}@{}", info.operator, info.host),
            resumes: Vec::new(),
            gates: Vec::new(),
            gate_shown: HashMap::new(),
            findings: HashMap::new(),
            skips: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            approvals: Vec::new(),
            failures: Vec::new(),
            comparisons: Vec::new(),
            interruptions: Vec::new(),
            choices: Vec::new(),
            tails: HashMap::new(),
            runs: HashMap::new(),
            refused: None,
        }
    }

    /// Follows the runs of the step `msg` is about: a new one when its
    /// attempts went up, closed when the engine settled or failed it.
    fn follow_runs(&mut self, at: Millis, msg: &Msg) {
        let Some(step) = msg.step() else { return };
        let Some(st) = self.session.state(step) else {
            return;
        };
        let runs = self.runs.entry(step.to_string()).or_default();
        if st.attempts as usize > runs.len() {
            runs.push(Run {
                started_at: st.started_at.unwrap_or(at),
                finished_at: None,
                failed: false,
            });
        }
        if let Some(run) = runs.last_mut().filter(|r| r.finished_at.is_none()) {
            match &st.status {
                StepStatus::Failed { .. } => {
                    run.finished_at = st.finished_at.or(Some(at));
                    run.failed = true;
                }
                StepStatus::Done | StepStatus::AwaitingChecklist | StepStatus::Skipped { .. } => {
                    run.finished_at = st.finished_at.or(Some(at));
                }
                _ => {}
            }
        }
    }

    /// Notes what a report lists of `msg`, after the engine accepted it.
    fn observe(&mut self, at: Millis, msg: &Msg) {
        self.follow_runs(at, msg);
        match msg {
            Msg::Resumed {
                operator,
                host,
                runbook_changed,
                ..
            } => {
                let operator = operator.clone().unwrap_or_else(|| "someone".into());
                let host = host.clone().unwrap_or_else(|| "somewhere".into());
                self.operator = format!("{operator}@{host}");
                self.resumes.push(Resume {
                    at,
                    operator,
                    host,
                    runbook_changed: *runbook_changed,
                });
            }
            Msg::RunRequested { step }
                if self.session.state(step).map(|s| &s.status)
                    == Some(&StepStatus::AwaitingGate) =>
            {
                self.gate_shown.insert(step.clone(), at);
            }
            Msg::GateAnswered { step, typed } => {
                let confirmed = self
                    .session
                    .state(step)
                    .is_some_and(|s| !matches!(s.status, StepStatus::AwaitingGate));
                let finding = self.findings.get(step).cloned();
                if confirmed {
                    self.findings.remove(step);
                }
                self.gates.push(GateLine {
                    step: step.clone(),
                    shown_at: self.gate_shown.get(step).copied(),
                    answered_at: at,
                    typed: typed.clone(),
                    confirmed,
                    by: self.operator.clone(),
                    finding,
                });
            }
            // Refused with Enter (or by quitting): nothing typed, nothing run.
            Msg::GateRefused { step } => {
                self.gates.push(GateLine {
                    step: step.clone(),
                    shown_at: self.gate_shown.get(step).copied(),
                    answered_at: at,
                    typed: String::new(),
                    confirmed: false,
                    by: self.operator.clone(),
                    finding: self.findings.remove(step),
                });
            }
            Msg::Output { step, data, .. } => {
                let tail = self.tails.entry(step.clone()).or_default();
                push_lines(tail, data);
            }
            Msg::ActionFinished { step, outcome, .. } => {
                // A check's finding is shown at its gate as it arrives.
                match &outcome.needs_approval {
                    Some(f) => {
                        self.gate_shown.insert(step.clone(), at);
                        self.findings.insert(step.clone(), f.clone());
                    }
                    None => {
                        self.findings.remove(step);
                    }
                }
                if let Some(StepStatus::Failed { reason }) =
                    self.session.state(step).map(|s| &s.status)
                {
                    self.failures.push(Failure {
                        at,
                        step: step.clone(),
                        reason: reason.clone(),
                        last_lines: self
                            .tails
                            .get(step)
                            .map(|t| t.iter().cloned().collect())
                            .unwrap_or_default(),
                    });
                }
                self.tails.remove(step);
            }
            Msg::Skipped { step, reason } => self.skips.push(Event {
                at,
                step: Some(step.clone()),
                text: reason.clone(),
            }),
            Msg::Note { step, text } => self.notes.push(Event {
                at,
                step: step.clone(),
                text: text.clone(),
            }),
            Msg::HandedOver {
                note,
                operator,
                host,
            } => self.notes.push(Event {
                at,
                step: None,
                text: format!(
                    "handed over by {}@{}: {note}",
                    operator.as_deref().unwrap_or("?"),
                    host.as_deref().unwrap_or("?")
                ),
            }),
            Msg::ApprovalRequested {
                step,
                request,
                requested_by,
                needed,
            } => self.approvals.push(Event {
                at,
                step: Some(step.clone()),
                text: format!(
                    "{needed} approval{} asked by {requested_by} (request {request})",
                    if *needed == 1 { "" } else { "s" }
                ),
            }),
            Msg::Approved {
                step,
                approver,
                reason,
                ..
            }
            | Msg::Denied {
                step,
                approver,
                reason,
                ..
            } => self.approvals.push(Event {
                at,
                step: Some(step.clone()),
                text: format!(
                    "{} by {approver}: {reason}",
                    if matches!(msg, Msg::Approved { .. }) {
                        "approved"
                    } else {
                        "denied"
                    }
                ),
            }),
            Msg::Warned { text } => self.warnings.push(Event {
                at,
                step: None,
                text: text.clone(),
            }),
            Msg::AlternativeChosen {
                offer,
                choice,
                note,
            } => {
                let described = self.session.describe_choice(offer, choice.as_deref());
                let by = match note {
                    Some(n) => n.clone(),
                    None => format!("by {}", self.operator),
                };
                self.choices.push(Event {
                    at,
                    step: self.session.offer(offer).and_then(|o| o.after.clone()),
                    text: format!("{described} ({by})"),
                });
            }
            Msg::Interrupted { reason } => self.interruptions.push(Event {
                at,
                step: None,
                text: reason.clone(),
            }),
            Msg::ActionResult { step, result, .. } if result["kind"] == "comparison" => {
                self.comparisons.push(Comparison {
                    at,
                    step: step.clone(),
                    result: result.clone(),
                });
            }
            _ => {}
        }
    }

    fn finish(self, runbook: &Runbook) -> Report {
        let session = &self.session;
        let steps = runbook
            .phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p, s)))
            .map(|(p, s)| {
                let state = session.state(&s.id);
                StepLine {
                    phase: p.title.clone(),
                    id: s.id.clone(),
                    title: s.title.clone(),
                    off_flow: !session.flow().contains(&s.id),
                    not_chosen: session.standing(&s.id) == Some(session::Standing::NotChosen),
                    status: state.map_or(StepStatus::Pending, |x| x.status.clone()),
                    planned: s.estimate,
                    started_at: state.and_then(|x| x.started_at),
                    finished_at: state.and_then(|x| x.finished_at),
                    attempts: state.map_or(0, |x| x.attempts),
                    runs: self.runs.get(&s.id).cloned().unwrap_or_default(),
                    not_rehearsed: state.map(|x| x.not_rehearsed.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let outcome = match (session.ended(), session.outcome()) {
            (Some(session::SessionEnd::Completed), _) => Ending::Completed,
            (Some(session::SessionEnd::Abandoned), _) => Ending::Abandoned,
            (Some(session::SessionEnd::RolledBack), o) => {
                let r = match o {
                    session::SessionOutcome::RolledBack(r) => r,
                    _ => session::RolledBack {
                        failed: String::new(),
                        rollback: String::new(),
                    },
                };
                Ending::RolledBack {
                    failed: r.failed,
                    rollback: r.rollback,
                }
            }
            (None, o) => Ending::Unfinished {
                undone: match o {
                    session::SessionOutcome::RolledBack(r) => Some(r),
                    _ => None,
                },
            },
        };
        Report {
            info: session.info().clone(),
            title: runbook.title.clone(),
            started_at: session.started_at(),
            last_at: session.last_at(),
            down_ms: session.down_ms(),
            outcome,
            resumes: self.resumes,
            steps,
            gates: self.gates,
            skips: self.skips,
            notes: self.notes,
            warnings: self.warnings,
            approvals: self.approvals,
            failures: self.failures,
            comparisons: self.comparisons,
            databases: session
                .databases()
                .iter()
                .map(|(t, id)| (t.clone(), id.clone()))
                .collect(),
            contexts: session
                .contexts()
                .iter()
                .map(|(n, id)| (n.clone(), id.clone()))
                .collect(),
            interruptions: self.interruptions,
            choices: self.choices,
            refused: self.refused,
        }
    }
}

/// The last TAIL_LINE_BYTES bytes of `line`, cut at a character boundary.
fn keep_end(line: &str) -> &str {
    let mut from = line.len().saturating_sub(TAIL_LINE_BYTES);
    while !line.is_char_boundary(from) {
        from += 1;
    }
    &line[from..]
}

/// Keeps the last TAIL_LINES lines; a `\r` progress line counts as its
/// last state.
fn push_lines(tail: &mut VecDeque<String>, data: &str) {
    let mut parts = data.split('\n').peekable();
    if let Some(first) = parts.next() {
        match tail.back_mut() {
            Some(open) if !open.ends_with('\n') => open.push_str(first),
            _ => tail.push_back(first.to_string()),
        }
    }
    for part in parts {
        if let Some(open) = tail.back_mut() {
            open.push('\n');
        }
        tail.push_back(keep_end(part).to_string());
    }
    while tail.len() > TAIL_LINES + 1 {
        tail.pop_front();
    }
    for line in tail.iter_mut() {
        if let Some(pos) = line.trim_end_matches('\n').rfind('\r') {
            *line = line[pos + 1..].to_string();
        }
        // Trimmed only past twice the bound, so a line growing a few bytes
        // at a time is not copied at every chunk.
        if line.len() > 2 * TAIL_LINE_BYTES {
            *line = keep_end(line).to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_without_end_keeps_only_its_end() {
        let mut tail = VecDeque::new();
        for _ in 0..1000 {
            push_lines(&mut tail, &"é".repeat(500));
        }
        push_lines(&mut tail, "end\nnext");
        assert_eq!(tail.len(), 2);
        assert!(
            tail[0].len() <= 2 * TAIL_LINE_BYTES + 4,
            "{}",
            tail[0].len()
        );
        assert!(tail[0].ends_with("éend\n"));
        assert_eq!(tail[1], "next");
    }
}
