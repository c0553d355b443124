//! Variables a shell block exported, carried to the next shell blocks of
//! the same target. The session folds what was journaled
//! (`session::exports`); a secret is journaled masked, so its value lives
//! here only, for this run: a resumed session says it is gone.

use std::collections::HashMap;

use crate::runbook::vars::names_a_secret;
use crate::secrets::{MASK, Secrets};
use crate::session::Msg;
use crate::session::Session;

/// The real values of exported secrets, by (target, name).
#[derive(Default)]
pub(super) struct Carry {
    secrets: HashMap<(String, String), String>,
}

impl Carry {
    /// What the next shell block of `target` is given: every name an
    /// earlier block exported, a secret with its real value, or left out
    /// when this run does not know it (exported before a resume).
    pub(super) fn vars_for(&self, session: &Session, target: &str) -> Vec<(String, String)> {
        let Some(carried) = session.exports().of_target(target) else {
            return Vec::new();
        };
        carried
            .iter()
            .filter_map(|(name, var)| {
                if !var.secret {
                    return Some((name.clone(), var.value.clone()));
                }
                self.secrets
                    .get(&(target.to_string(), name.clone()))
                    .map(|v| (name.clone(), v.clone()))
            })
            .collect()
    }

    /// The record of what a block exported, secrets masked: a value is
    /// secret when its name says so, when the runbook declares that
    /// variable secret, or when it is a known secret's value. Such values
    /// join `secrets`, so later output masks them too.
    pub(super) fn record(
        &mut self,
        session: &Session,
        secrets: &mut Secrets,
        (step, action, target): (&str, usize, &str),
        vars: Vec<(String, String)>,
    ) -> Option<Msg> {
        if vars.is_empty() {
            return None;
        }
        let mut secret = Vec::new();
        let mut shown = Vec::with_capacity(vars.len());
        for (name, value) in vars {
            let declared_secret = session
                .runbook()
                .variables
                .iter()
                .any(|v| v.secret && v.name == name);
            let known = !value.is_empty() && secrets.redact(&value) != value;
            if !value.is_empty() && (names_a_secret(&name) || declared_secret || known) {
                secrets.add(value.clone());
                self.secrets
                    .insert((target.to_string(), name.clone()), value);
                secret.push(name.clone());
                shown.push((name, MASK.to_string()));
            } else {
                shown.push((name, value));
            }
        }
        Some(Msg::VarsExported {
            step: step.to_string(),
            action,
            target: target.to_string(),
            vars: shown,
            secret,
        })
    }
}

/// After a resume: the secrets earlier blocks exported, which the journal
/// never held, so later blocks will not get them.
pub(super) fn lost_on_resume(session: &Session) -> Option<String> {
    let lost: Vec<String> = session
        .exports()
        .targets()
        .flat_map(|(target, vars)| {
            vars.iter()
                .filter(|(_, v)| v.secret)
                .map(move |(name, _)| format!("{name} (target {target})"))
        })
        .collect();
    if lost.is_empty() {
        return None;
    }
    let names = lost.join(", ");
    let how = "run the step that exports it again (or declare it in the front matter as a secret \
               variable, which a resume asks for)";
    Some(format!(
        "exported secret{} {names} from before the stop {} not journaled, so later blocks will not \
         get {}: {how}",
        if lost.len() > 1 { "s" } else { "" },
        if lost.len() > 1 { "were" } else { "was" },
        if lost.len() > 1 { "them" } else { "it" },
    ))
}
