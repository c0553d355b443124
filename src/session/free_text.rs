//! Which fields of a message are free text: typed by the operator (a gate
//! answer, a note, a reason) or written by the outside world (an error).
//! Those are the fields a secret can ride in on, so the runtime masks them
//! all, in one place, before a message is checked, applied or journaled
//! (`driver::mask`), whichever front end built it.
//!
//! The match below names every field of every variant, with no `..`: a new
//! variant or a new field does not compile until it is sorted here, so the
//! next typed field is masked by construction, not by memory.

use super::msg::{ActionOutcome, Decision, Msg, SessionInfo};
use serde_json::Value;

/// The free-text fields of a message, to be masked in place.
#[derive(Default)]
pub struct FreeText<'a> {
    pub text: Vec<&'a mut String>,
    /// JSON whose every string is free text (a native action's result:
    /// rows of a query, a response body).
    pub json: Vec<&'a mut Value>,
}

impl Msg {
    /// Every field of this message that may carry a secret. Identifiers
    /// (step ids, target names, hashes, keys) and output (masked on its way
    /// in, by the output pipe) are not listed.
    pub fn free_text_mut(&mut self) -> FreeText<'_> {
        let mut f = FreeText::default();
        match self {
            Msg::SessionStarted(SessionInfo {
                runbook_path: _,
                runbook_hash: _,
                // The runbook may write a password out (a connection
                // string): the journal's copy has it masked; the hash is
                // still the file's.
                runbook_text,
                target: _,
                operator: _,
                host: _,
                tool_version: _,
                drill: _,
                variables: _,
                // A value not marked secret may hold one (a URL's password).
                values,
                sandbox: _,
                // As declared in the runbook (`$PROD_DB_URL`), or written out.
                targets,
                // A path built from the environment may hold anything.
                workdir,
            }) => {
                f.text.push(runbook_text);
                f.text.extend(workdir.as_mut());
                f.text.extend(values.values_mut());
                f.text
                    .extend(targets.iter_mut().filter_map(|t| t.database.as_mut()));
            }
            Msg::Resumed {
                runbook_hash: _,
                runbook_changed: _,
                runbook_text,
                operator: _,
                host: _,
                values,
            } => {
                f.text.extend(runbook_text.as_mut());
                f.text.extend(values.values_mut());
            }
            Msg::RunRequested { step: _ }
            | Msg::GateRefused { step: _ }
            | Msg::CountdownElapsed { step: _ }
            | Msg::CountdownCancelled { step: _ }
            | Msg::CancelRequested { step: _ }
            | Msg::ConfirmedDone { step: _ } => {}
            Msg::GateAnswered { step: _, typed } => f.text.push(typed),
            // The note is runsheet's own words; the ids are the runbook's.
            Msg::AlternativeChosen {
                offer: _,
                choice: _,
                note: _,
            } => {}
            Msg::ActionStarted {
                step: _,
                action: _,
                pid: _,
            } => {}
            // Masked by the output pipe, which also sees a secret split
            // across chunks or drawn in pieces; masking it again here would
            // cost a second pass over every byte of output.
            Msg::Output {
                step: _,
                action: _,
                stream: _,
                data: _,
            } => {}
            Msg::ActionFinished {
                step: _,
                action: _,
                outcome:
                    ActionOutcome {
                        exit_code: _,
                        signal: _,
                        timed_out: _,
                        cancelled: _,
                        duration_ms: _,
                        error,
                        failure,
                        needs_approval,
                    },
            } => f.text.extend(
                error
                    .iter_mut()
                    .chain(failure.iter_mut())
                    .chain(needs_approval.iter_mut()),
            ),
            Msg::ActionResult {
                step: _,
                action: _,
                result,
            } => f.json.push(result),
            // Names are identifiers; a value may hold a secret (a URL's
            // password) even when its name does not say so.
            Msg::VarsExported {
                step: _,
                action: _,
                target: _,
                vars,
                secret: _,
            } => f.text.extend(vars.iter_mut().map(|(_, v)| v)),
            // Keys and transaction ids a resume asks the database about:
            // changed, they would no longer find the batch.
            Msg::BatchStarted {
                step: _,
                action: _,
                batch: _,
                after: _,
                upto: _,
                xid: _,
                rows: _,
            } => {}
            Msg::BatchCommitted {
                step: _,
                action: _,
                batch: _,
            } => {}
            // An upload id and part tags a retry goes on from.
            Msg::Checkpoint {
                step: _,
                action: _,
                key: _,
                data: _,
            } => {}
            Msg::DatabaseIdentified {
                target: _,
                identity: _,
            } => {}
            // Written by the far side: a hostname or a user could hold a
            // value the operator typed.
            Msg::ContextIdentified {
                name: _,
                kind: _,
                identity:
                    super::msg::ContextIdentity {
                        reached,
                        host_key: _,
                        hostname,
                        user,
                    },
            } => {
                f.text.push(reached);
                f.text.push(hostname);
                f.text.push(user);
            }
            Msg::ChecklistTicked {
                step: _,
                item: _,
                checked: _,
            } => {}
            Msg::Skipped { step: _, reason } => f.text.push(reason),
            // The runbook's words, masked all the same: a runbook may
            // write a value out.
            Msg::NotRehearsable {
                step: _,
                action: _,
                reason,
            } => f.text.push(reason),
            Msg::Note { step: _, text } => f.text.push(text),
            Msg::Warned { text } => f.text.push(text),
            // An error's text can quote the URL, and the host is the
            // operator's setting.
            Msg::Notified {
                event: _,
                to,
                attempt: _,
                status: _,
                error,
            } => {
                f.text.push(to);
                if let Some(e) = error {
                    f.text.push(e);
                }
            }
            Msg::HandedOver { note, .. } => f.text.push(note),
            // Role names are the store's identifiers; the reason is typed.
            Msg::ApprovalRequested {
                step: _,
                request: _,
                requested_by: _,
                needed: _,
            } => {}
            Msg::Approved {
                step: _,
                request: _,
                approver: _,
                reason,
            }
            | Msg::Denied {
                step: _,
                request: _,
                approver: _,
                reason,
            } => f.text.push(reason),
            Msg::RollbackRequested {
                failed: _,
                rollback: _,
            } => {}
            Msg::InDoubtResolved { step: _, decision } => match decision {
                Decision::Rerun | Decision::MarkDone => {}
                Decision::Skip { reason } => f.text.push(reason),
            },
            Msg::Interrupted { reason } => f.text.push(reason),
            Msg::SessionEnded { outcome: _ } => {}
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{DbIdentity, SessionEnd, Stream};
    use serde_json::json;

    const CANARY: &str = "CANARY-typed";

    /// One message of every kind, every string field holding the canary.
    fn every_kind() -> Vec<Msg> {
        let c = || CANARY.to_string();
        vec![
            Msg::GateAnswered {
                step: "s".into(),
                typed: c(),
            },
            Msg::Skipped {
                step: "s".into(),
                reason: c(),
            },
            Msg::NotRehearsable {
                step: "s".into(),
                action: Some(1),
                reason: c(),
            },
            Msg::Note {
                step: None,
                text: c(),
            },
            Msg::Warned { text: c() },
            Msg::Notified {
                event: "end".into(),
                to: c(),
                attempt: 1,
                status: None,
                error: Some(c()),
            },
            Msg::HandedOver {
                note: c(),
                operator: None,
                host: None,
            },
            Msg::InDoubtResolved {
                step: "s".into(),
                decision: Decision::Skip { reason: c() },
            },
            Msg::Interrupted { reason: c() },
            Msg::Approved {
                step: "s".into(),
                request: 1,
                approver: "bob".into(),
                reason: c(),
            },
            Msg::Denied {
                step: "s".into(),
                request: 1,
                approver: "bob".into(),
                reason: c(),
            },
            Msg::ActionFinished {
                step: "s".into(),
                action: 0,
                outcome: ActionOutcome {
                    error: Some(c()),
                    failure: Some(c()),
                    ..ActionOutcome::default()
                },
            },
            Msg::ActionResult {
                step: "s".into(),
                action: 0,
                result: json!({"rows": [[c()]], c(): c()}),
            },
            Msg::VarsExported {
                step: "s".into(),
                action: 0,
                target: "t".into(),
                vars: vec![("URL".into(), c())],
                secret: Vec::new(),
            },
            Msg::ContextIdentified {
                name: "db".into(),
                kind: "exec".into(),
                identity: crate::session::ContextIdentity {
                    reached: c(),
                    host_key: None,
                    hostname: c(),
                    user: c(),
                },
            },
        ]
    }

    fn masked(mut msg: Msg) -> Msg {
        let f = msg.free_text_mut();
        for t in f.text {
            *t = t.replace(CANARY, "***");
        }
        for v in f.json {
            *v = serde_json::from_str(&v.to_string().replace(CANARY, "***")).unwrap_or_default();
        }
        msg
    }

    #[test]
    fn every_typed_field_is_listed() {
        for msg in every_kind() {
            let before = serde_json::to_string(&msg).unwrap_or_default();
            assert!(before.contains(CANARY), "{before}");
            let after = serde_json::to_string(&masked(msg)).unwrap_or_default();
            assert!(
                !after.contains(CANARY),
                "a free-text field is not listed: {after}"
            );
        }
    }

    #[test]
    fn identifiers_are_not_free_text() {
        let mut msgs = vec![
            Msg::RunRequested { step: c() },
            Msg::Output {
                step: c(),
                action: 0,
                stream: Stream::Stdout,
                data: "already masked by the pipe".into(),
            },
            Msg::DatabaseIdentified {
                target: c(),
                identity: DbIdentity {
                    server: "h".into(),
                    database: "d".into(),
                    version: "15".into(),
                    system_identifier: None,
                },
            },
            Msg::SessionEnded {
                outcome: SessionEnd::Completed,
            },
        ];
        for msg in &mut msgs {
            let f = msg.free_text_mut();
            assert!(f.text.is_empty() && f.json.is_empty());
        }
        fn c() -> String {
            CANARY.to_string()
        }
    }
}
