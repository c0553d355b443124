//! Variables a shell block exported, carried over to the next shell blocks
//! of the same target (`Msg::VarsExported`): the fold keeps, per target,
//! the latest value of each name, and per step what it exported last, for
//! the screens. A secret's value is journaled masked, so the fold knows the
//! name only (`ExportedVar::secret`): the live driver keeps the value, a
//! resume cannot.

use std::collections::{BTreeMap, HashMap};

use super::msg::Msg;
use super::state::Session;
use super::update::{Effect, Rejected};

/// One carried variable as the session knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedVar {
    /// As journaled: `***` for a secret.
    pub value: String,
    pub secret: bool,
}

/// What blocks exported so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exports {
    by_target: BTreeMap<String, BTreeMap<String, ExportedVar>>,
    by_step: HashMap<String, Vec<(String, String)>>,
}

impl Exports {
    /// The variables carried to the next shell block of `target`, by name.
    pub fn of_target(&self, target: &str) -> Option<&BTreeMap<String, ExportedVar>> {
        self.by_target.get(target)
    }

    /// Every target's carried variables.
    pub fn targets(&self) -> impl Iterator<Item = (&str, &BTreeMap<String, ExportedVar>)> {
        self.by_target.iter().map(|(t, v)| (t.as_str(), v))
    }

    /// What `step` exported last, as journaled (secrets `***`).
    pub fn of_step(&self, step: &str) -> &[(String, String)] {
        self.by_step.get(step).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Longest value shown on the "exported:" line before it is cut.
const SHOWN_VALUE: usize = 60;

/// `exported: BACKUP_DIR=/var/backups/x · API_TOKEN=***`, what a step
/// exported as every front end shows it (console, TUI, replay); `None`
/// when it exported nothing. A value is shown on one line, cut when long.
pub fn exported_line(vars: &[(String, String)]) -> Option<String> {
    if vars.is_empty() {
        return None;
    }
    let shown: Vec<String> = vars
        .iter()
        .map(|(name, value)| {
            let one_line = value.replace('\n', "⏎");
            let cut: String = one_line.chars().take(SHOWN_VALUE).collect();
            let more = if cut.len() < one_line.len() {
                "…"
            } else {
                ""
            };
            format!("{name}={cut}{more}")
        })
        .collect();
    Some(format!("exported: {}", shown.join(" · ")))
}

impl Session {
    /// What shell blocks exported so far.
    pub fn exports(&self) -> &Exports {
        &self.exports
    }

    /// `Msg::VarsExported`: recorded while its action still runs, just
    /// before its end, so the next block started by that end sees them.
    pub(super) fn vars_exported(&mut self, msg: &Msg) -> Result<Vec<Effect>, Rejected> {
        let Msg::VarsExported {
            step,
            action,
            target,
            vars,
            secret,
        } = msg
        else {
            return Ok(Vec::new());
        };
        self.expect_running(step, *action, "exports arrived for")?;
        let carried = self.exports.by_target.entry(target.clone()).or_default();
        for (name, value) in vars {
            carried.insert(
                name.clone(),
                ExportedVar {
                    value: value.clone(),
                    secret: secret.contains(name),
                },
            );
        }
        let of_step = self.exports.by_step.entry(step.clone()).or_default();
        for (name, value) in vars {
            match of_step.iter_mut().find(|(n, _)| n == name) {
                Some(entry) => entry.1 = value.clone(),
                None => of_step.push((name.clone(), value.clone())),
            }
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::session_of;

    const RB: &str = "# R\n\n## P\n\n### A {#a}\n\n```bash\nexport X=1\n```\n\n### B {#b}\n\n```bash\necho $X\n```\n";

    fn exported(step: &str, vars: &[(&str, &str)], secret: &[&str]) -> Msg {
        Msg::VarsExported {
            step: step.into(),
            action: 0,
            target: "staging".into(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            secret: secret.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn exports_fold_per_target_only_while_their_action_runs() {
        let mut s = session_of("r.md", RB, "staging");
        let early = s.update(1, exported("a", &[("X", "1")], &[]));
        assert!(early.is_err(), "accepted before the action ran");
        assert!(s.exports().of_target("staging").is_none());
        let run = Msg::RunRequested { step: "a".into() };
        assert!(s.update(2, run).is_ok());
        let msg = exported("a", &[("X", "1"), ("T", "***")], &["T"]);
        assert!(s.update(3, msg).is_ok());
        let carried = s
            .exports()
            .of_target("staging")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            carried.get("X"),
            Some(&ExportedVar {
                value: "1".into(),
                secret: false
            })
        );
        assert!(carried.get("T").is_some_and(|v| v.secret));
        assert!(s.exports().of_target("production").is_none());
        assert_eq!(s.exports().of_step("a").len(), 2);
        assert!(s.exports().of_step("b").is_empty());
    }

    #[test]
    fn the_exported_line_is_one_line_and_short() {
        assert_eq!(exported_line(&[]), None);
        let long = "x".repeat(100);
        let line = exported_line(&[
            ("A".into(), "a\nb".into()),
            ("T".into(), "***".into()),
            ("L".into(), long),
        ])
        .unwrap_or_default();
        assert_eq!(
            line,
            format!("exported: A=a⏎b · T=*** · L={}…", "x".repeat(SHOWN_VALUE))
        );
    }

    #[test]
    fn credential_names_are_secret_and_ordinary_ones_not() {
        for s in [
            "PGPASSWORD",
            "api_token",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASS",
            "API_KEY",
            "GITHUB_TOKEN",
            "ADMIN_PWD",
        ] {
            assert!(crate::runbook::vars::names_a_secret(s), "{s}");
        }
        for s in [
            "BACKUP_DIR",
            "KEYSPACE",
            "PASSAGE",
            "namespace",
            "MONKEY",
            "release",
            "AUTH_URL",
        ] {
            assert!(!crate::runbook::vars::names_a_secret(s), "{s}");
        }
    }
}
