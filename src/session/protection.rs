//! A session's protection is fixed when it starts: a runbook changed
//! while it was stopped can make its targets stricter, never looser. The
//! runbook a session goes on with is the changed file's, with every target
//! at least as strict as in any version of the runbook the session ran
//! with (its first record, then each version a resume accepted), and every
//! action that was destructive still destructive.
//!
//! Live resume, replay and the report all fold the journal on the runbook
//! this module gives, so that the gates they see are the ones that were
//! shown.

use super::msg::{Msg, SessionInfo, TargetSettings};
use crate::runbook::model::{Override, Runbook, Target};
use crate::runbook::{self, duration::format_duration};
use std::time::Duration;

/// The settings of every target of a runbook, for the first record.
pub fn settings_of(rb: &Runbook) -> Vec<TargetSettings> {
    rb.targets
        .iter()
        .map(|t| TargetSettings {
            name: t.name.clone(),
            protected: t.protected,
            countdown_ms: millis(t.countdown),
            timeout_ms: millis(t.timeout),
            database: t.database.clone(),
            approvals: t.approvals,
        })
        .collect()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Something the changed runbook asked for and the session did not take,
/// to tell the operator.
pub type Kept = String;

/// The runbook texts a journal holds, in order: the first record's, then
/// each one a resume accepted.
pub fn texts(messages: &[&Msg]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| match m {
            Msg::SessionStarted(info) => Some(info.runbook_text.clone()),
            Msg::Resumed {
                runbook_text: Some(t),
                ..
            } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The runbook a journal's session runs on: its last accepted text,
/// fixed by every earlier one. `accepted` are the texts resumes accepted,
/// in order (the first record's text is in `info`).
pub fn journal_runbook(info: &SessionInfo, accepted: &[String]) -> Runbook {
    let latest = accepted.last().unwrap_or(&info.runbook_text);
    let current = runbook::parse(&info.runbook_path, latest).runbook;
    fixed(info, accepted, current).0
}

/// `current`, with each target made at least as strict as in every version
/// the session has run with, and each action that was destructive in one
/// of them still destructive. Also says, for the operator, what was kept.
pub fn fixed(
    info: &SessionInfo,
    accepted: &[String],
    mut current: Runbook,
) -> (Runbook, Vec<Kept>) {
    let mut kept = Vec::new();
    let versions: Vec<Runbook> = std::iter::once(&info.runbook_text)
        .chain(accepted)
        .map(|text| runbook::parse(&info.runbook_path, text).runbook)
        .collect();
    let mut settings: Vec<Vec<TargetSettings>> = versions.iter().map(settings_of).collect();
    // The first record's own settings, when it has them, are the session's
    // word for how it started (a newer runsheet may parse the text
    // differently).
    if !info.targets.is_empty()
        && let Some(first) = settings.first_mut()
    {
        *first = info.targets.clone();
    }
    for (i, version) in settings.iter().enumerate() {
        for s in version {
            let Some(t) = current.targets.iter_mut().find(|t| t.name == s.name) else {
                let from = versions
                    .get(i)
                    .and_then(|v| v.target(&s.name))
                    .cloned()
                    .unwrap_or_else(|| bare_target(s));
                current.targets.push(Target {
                    protected: s.protected,
                    approvals: s.approvals,
                    countdown: Duration::from_millis(s.countdown_ms),
                    database: s.database.clone(),
                    ..from
                });
                kept.push(format!(
                    "target `{}` is kept as the session knew it (the runbook no longer declares it)",
                    s.name
                ));
                continue;
            };
            if s.protected && !t.protected {
                t.protected = true;
                kept.push(format!(
                    "target `{}` stays protected: a session's protection is fixed when it starts",
                    t.name
                ));
            }
            if s.approvals > t.approvals {
                kept.push(format!(
                    "target `{}` keeps needing {} approval(s) at its gates (the runbook now says {})",
                    t.name, s.approvals, t.approvals
                ));
                t.approvals = s.approvals;
            }
            let countdown = Duration::from_millis(s.countdown_ms);
            if countdown > t.countdown {
                kept.push(format!(
                    "target `{}` keeps its countdown of {} (the runbook now says {})",
                    t.name,
                    format_duration(countdown),
                    format_duration(t.countdown)
                ));
                t.countdown = countdown;
            }
        }
    }
    // A target's database is the first one the session was given for it.
    for t in &mut current.targets {
        let first = settings
            .iter()
            .flatten()
            .find(|s| s.name == t.name && s.database.is_some())
            .and_then(|s| s.database.clone());
        // The journal keeps a password written in the string masked: the
        // file's string, masked alike, is the same database.
        if let Some(db) = first
            && t.database.as_ref() != Some(&db)
            && t.database
                .as_deref()
                .map(crate::runbook::credentials::masked)
                != Some(db.clone())
        {
            kept.push(format!(
                "target `{}` keeps its database `{db}` (the runbook now says {}): start a new session to use another",
                t.name,
                t.database
                    .as_deref()
                    .map_or("none".to_string(), |d| format!("`{d}`"))
            ));
            t.database = Some(db);
        }
    }
    keep_destructive(&versions, &mut current, &mut kept);
    keep_step_approvals(&versions, &mut current, &mut kept);
    keep_gates_on_moved_actions(info, &versions, &mut current, &mut kept);
    dedup(&mut kept);
    (current, kept)
}

fn bare_target(s: &TargetSettings) -> Target {
    Target {
        name: s.name.clone(),
        protected: s.protected,
        timeout: Duration::from_millis(s.timeout_ms),
        countdown: Duration::from_millis(s.countdown_ms),
        approvals: s.approvals,
        database: s.database.clone(),
        env: Vec::new(),
        description: None,
        declared: true,
        context: None,
    }
}

/// A step that asked for approvals in an earlier version asks for as many
/// still: four-eyes is not edited away while the session is stopped.
fn keep_step_approvals(versions: &[Runbook], current: &mut Runbook, kept: &mut Vec<Kept>) {
    for phase in &mut current.phases {
        for step in &mut phase.steps {
            let most = versions
                .iter()
                .filter_map(|v| v.steps().find(|(_, s)| s.id == step.id))
                .filter_map(|(_, s)| s.approvals)
                .max();
            if let Some(n) = most
                && n > step.approvals.unwrap_or(0)
            {
                kept.push(format!(
                    "step `{}` keeps needing {n} approval(s), as when the session started",
                    step.id
                ));
                step.approvals = Some(n);
            }
        }
    }
}

/// An action destructive in an earlier version (same step, same place)
/// stays destructive, whatever its new text or attributes say: the gate
/// or countdown it had is not edited away.
fn keep_destructive(versions: &[Runbook], current: &mut Runbook, kept: &mut Vec<Kept>) {
    for phase in &mut current.phases {
        for step in &mut phase.steps {
            for (i, action) in step.actions.iter_mut().enumerate() {
                if action.destructive.is_destructive() {
                    continue;
                }
                let was = versions.iter().any(|v| {
                    v.steps()
                        .find(|(_, s)| s.id == step.id)
                        .and_then(|(_, s)| s.actions.get(i))
                        .is_some_and(|a| a.destructive.is_destructive())
                });
                if was {
                    action.destructive.overridden = Some(Override {
                        destructive: true,
                        reason: Some(
                            "destructive in the runbook this session started with (changed since)"
                                .into(),
                        ),
                        span: action.span,
                    });
                    kept.push(format!(
                        "step `{}`: action {} stays destructive, as when the session started",
                        step.id,
                        i + 1
                    ));
                }
            }
        }
    }
}

/// A destructive action that ran on a protected target, moved by the
/// change onto one that is not: that target becomes protected for the
/// session, so the action still stops at a gate (and so do the target's
/// other destructive steps: stricter, never looser).
fn keep_gates_on_moved_actions(
    info: &SessionInfo,
    versions: &[Runbook],
    current: &mut Runbook,
    kept: &mut Vec<Kept>,
) {
    let target_of =
        |p: &crate::runbook::Phase, s: &crate::runbook::Step, a: &crate::runbook::Action| {
            a.target
                .clone()
                .or_else(|| s.target.clone())
                .or_else(|| p.target.clone())
                .unwrap_or_else(|| info.target.clone())
        };
    let mut to_protect: Vec<(String, String, usize, String)> = Vec::new();
    for (phase, step) in current.steps() {
        for (i, action) in step.actions.iter().enumerate() {
            let now = target_of(phase, step, action);
            if current.target(&now).is_some_and(|t| t.protected) {
                continue;
            }
            let before = versions.iter().find_map(|v| {
                let (op, os) = v.steps().find(|(_, s)| s.id == step.id)?;
                let oa = os.actions.get(i)?;
                let then = target_of(op, os, oa);
                (oa.destructive.is_destructive()
                    && then != now
                    && current.target(&then).is_some_and(|t| t.protected))
                .then_some(then)
            });
            if let Some(then) = before {
                to_protect.push((now, step.id.clone(), i + 1, then));
            }
        }
    }
    for (name, step, n, then) in to_protect {
        if let Some(t) = current.targets.iter_mut().find(|t| t.name == name) {
            t.protected = true;
            kept.push(format!(
                "target `{name}` is protected for this session: action {n} of step `{step}` stopped at a gate on `{then}` when the session started, and now runs on `{name}`"
            ));
        }
    }
}

fn dedup(kept: &mut Vec<Kept>) {
    let mut seen = std::collections::HashSet::new();
    kept.retain(|k| seen.insert(k.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(text: &str) -> SessionInfo {
        let rb = runbook::parse("r.md", text).runbook;
        SessionInfo {
            runbook_path: "r.md".into(),
            runbook_hash: String::new(),
            runbook_text: text.into(),
            target: "production".into(),
            operator: "o".into(),
            host: "h".into(),
            tool_version: "0".into(),
            drill: false,
            variables: Vec::new(),
            values: Default::default(),
            sandbox: false,
            workdir: None,
            targets: settings_of(&rb),
        }
    }

    const RB: &str = "---\ntargets:\n  staging: { countdown: 5s, database: $S }\n  prod: { protected: true, countdown: 20s, database: $P }\n---\n# T\n\n## P\n\n### Wipe {#wipe}\n\n```bash {target=prod}\nrm -rf /srv/data\n```\n";

    fn after(edit: &str) -> (Runbook, Vec<Kept>) {
        let rb = runbook::parse("r.md", edit).runbook;
        fixed(&info(RB), &[], rb)
    }

    #[test]
    fn protection_is_never_lowered() {
        let (rb, kept) = after(&RB.replace("protected: true, ", ""));
        assert!(rb.target("prod").is_some_and(|t| t.protected));
        assert!(
            kept.iter().any(|k| k.contains("stays protected")),
            "{kept:?}"
        );
    }

    #[test]
    fn the_longer_countdown_holds_and_a_raise_is_taken() {
        let (rb, _) = after(&RB.replace("countdown: 5s", "countdown: 0s"));
        assert_eq!(
            rb.target("staging").map(|t| t.countdown),
            Some(Duration::from_secs(5))
        );
        let (rb, kept) = after(&RB.replace("countdown: 5s", "countdown: 30s"));
        assert_eq!(
            rb.target("staging").map(|t| t.countdown),
            Some(Duration::from_secs(30))
        );
        assert!(kept.is_empty(), "{kept:?}");
    }

    #[test]
    fn the_database_is_the_one_the_session_started_with() {
        let (rb, kept) = after(&RB.replace("database: $S", "database: $P"));
        assert_eq!(
            rb.target("staging")
                .and_then(|t| t.database.clone())
                .as_deref(),
            Some("$S")
        );
        assert!(
            kept.iter().any(|k| k.contains("keeps its database `$S`")),
            "{kept:?}"
        );
    }

    #[test]
    fn a_target_no_longer_declared_is_kept() {
        let edited = RB.replace(
            "  prod: { protected: true, countdown: 20s, database: $P }\n",
            "  prod2: {}\n",
        );
        let (rb, _) = after(&edited);
        let prod = rb.target("prod");
        assert!(prod.is_some_and(|t| t.protected && t.database.as_deref() == Some("$P")));
    }

    #[test]
    fn a_destructive_action_stays_destructive() {
        let (rb, kept) = after(&RB.replace("rm -rf /srv/data", "echo harmless"));
        let a = rb
            .steps()
            .next()
            .and_then(|(_, s)| s.actions.first().cloned());
        assert!(a.is_some_and(|a| a.destructive.is_destructive()));
        assert!(
            kept.iter().any(|k| k.contains("stays destructive")),
            "{kept:?}"
        );
    }

    #[test]
    fn a_raise_accepted_at_a_resume_is_not_lowered_by_the_next() {
        let raised = RB.replace(
            "  staging: { countdown: 5s",
            "  staging: { protected: true, countdown: 5s",
        );
        let rb = runbook::parse("r.md", RB).runbook;
        let (rb, _) = fixed(&info(RB), &[raised], rb);
        assert!(rb.target("staging").is_some_and(|t| t.protected));
    }

    #[test]
    fn a_gated_action_moved_onto_an_unprotected_target_protects_it() {
        let (rb, kept) = after(&RB.replace("{target=prod}", "{target=staging}"));
        assert!(
            rb.target("staging").is_some_and(|t| t.protected),
            "{kept:?}"
        );
    }

    #[test]
    fn a_first_record_written_before_targets_were_kept_still_reads() {
        let line = r##"{"type":"session-started","runbook_path":"r.md","runbook_hash":"h","runbook_text":"# T\n","target":"staging","operator":"a","host":"h","tool_version":"0.1.0","drill":false,"variables":[]}"##;
        let msg: Result<Msg, _> = serde_json::from_str(line);
        assert!(
            matches!(&msg, Ok(Msg::SessionStarted(i)) if i.targets.is_empty()),
            "{msg:?}"
        );
    }

    #[test]
    fn an_old_journal_without_settings_uses_its_text() {
        let mut old = info(RB);
        old.targets.clear();
        let rb = runbook::parse("r.md", &RB.replace("protected: true, ", "")).runbook;
        let (rb, _) = fixed(&old, &[], rb);
        assert!(rb.target("prod").is_some_and(|t| t.protected));
    }
}
