//! Ctrl-C while a command runs on a protected target: the driver asks
//! first (the front ends only show the question), because a reflex must
//! not kill a production command. What the question says, read from the
//! session alone, so the console and the full-screen UI say the same.

use crate::session::{Session, StepStatus};

/// How much of the command the question quotes.
const COMMAND_CHARS: usize = 60;

/// The running action of a step, on a protected target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedRun {
    pub step: String,
    pub title: String,
    pub target: String,
    /// The first line of the command (`lang: …` for in-process steps),
    /// cut to a line's length.
    pub command: String,
}

impl ProtectedRun {
    /// The question, without its answers (each front end adds its own).
    pub fn question(&self) -> String {
        format!(
            "“{}” is running on {}. Stop it? Yes kills `{}` (SIGTERM, then SIGKILL) and the step fails as cancelled.",
            self.title,
            self.target.to_uppercase(),
            self.command
        )
    }
}

/// The running step, when its running action's target is protected.
pub fn protected_run(session: &Session) -> Option<ProtectedRun> {
    let step = session.running()?;
    let Some(StepStatus::Running { action }) = session.state(step).map(|s| &s.status) else {
        return None;
    };
    let (phase, st) = session.step(step)?;
    let a = st.actions.get(*action)?;
    let target = session.action_target(phase, st, a);
    if !session.target(target).is_some_and(|t| t.protected) {
        return None;
    }
    Some(ProtectedRun {
        step: step.to_string(),
        title: st.title.clone(),
        target: target.to_string(),
        command: command_line(&a.lang, &a.code),
    })
}

/// The command as quoted: its first non-blank line, `…` when there is
/// more; an in-process step's kind in front (`sql: DELETE …`).
fn command_line(lang: &str, code: &str) -> String {
    let mut lines = code.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let more = lines.next().is_some();
    let mut text: String = first.chars().take(COMMAND_CHARS).collect();
    if more || first.chars().count() > COMMAND_CHARS {
        text.push('…');
    }
    if matches!(lang, "bash" | "sh" | "shell" | "console") {
        text
    } else {
        format!("{lang}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Msg, SessionInfo};
    use std::sync::Arc;

    const RB: &str = "---\ntargets:\n  staging: {}\n  production: { protected: true }\n---\n# T\n\n## P\n\n### Restore the dump {#restore}\n\n```bash\npg_dump --host=\"$H\" app\necho done\n```\n\n### Look {#look}\n\n```bash {target=staging}\nsleep 5\n```\n";

    fn running(target: &str, step: &str) -> Session {
        let parsed = crate::runbook::parse("r.md", RB);
        let info = SessionInfo {
            runbook_path: "r.md".into(),
            runbook_hash: "h".into(),
            runbook_text: RB.into(),
            target: target.into(),
            operator: "a".into(),
            host: "h".into(),
            tool_version: "0".into(),
            drill: false,
            sandbox: false,
            workdir: None,
            targets: Vec::new(),
            variables: vec![],
            values: Default::default(),
        };
        let mut s = Session::new(Arc::new(parsed.runbook), info, 0);
        for id in ["restore", "look"] {
            if id == step {
                break;
            }
            s.update(
                1,
                Msg::Skipped {
                    step: id.into(),
                    reason: "r".into(),
                },
            )
            .map_err(|r| r.0)
            .unwrap_or_else(|r| panic!("{r}"));
        }
        s.update(2, Msg::RunRequested { step: step.into() })
            .map_err(|r| r.0)
            .unwrap_or_else(|r| panic!("{r}"));
        s
    }

    #[test]
    fn a_command_on_a_protected_target_is_asked_about_by_name() {
        let s = running("production", "restore");
        let run = protected_run(&s).unwrap_or_else(|| panic!("not asked"));
        assert_eq!(run.command, "pg_dump --host=\"$H\" app…");
        let q = run.question();
        assert!(
            q.contains("“Restore the dump” is running on PRODUCTION"),
            "{q}"
        );
        assert!(q.contains("kills `pg_dump"), "{q}");
    }

    #[test]
    fn an_unprotected_target_is_not_asked_about() {
        assert_eq!(protected_run(&running("staging", "restore")), None);
        // Its own target decides, not the session's.
        assert_eq!(protected_run(&running("production", "look")), None);
    }

    #[test]
    fn an_in_process_step_names_its_kind() {
        assert_eq!(command_line("sql", "DELETE FROM t;"), "sql: DELETE FROM t;");
        let long = "x".repeat(80);
        assert_eq!(
            command_line("bash", &long).chars().count(),
            COMMAND_CHARS + 1
        );
    }
}
