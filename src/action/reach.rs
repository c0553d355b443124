//! A rehearsal never reaches a real system: in a session run against the
//! sandbox, an action whose command, URL or given values (its target's
//! `env:`, `DATABASE_URL`) name a real host is refused before anything
//! runs. The host is found as the action will really run, variables
//! expanded, with the finder `check` uses (`runbook::hosts`).

use std::collections::HashMap;

use crate::runbook::hosts::{self, Found};
use crate::runbook::model::{Action, ActionKind, Target};
use crate::runbook::vars;

/// Why the action must not run in the sandbox, or None when it may.
pub fn refusal(
    sandbox: bool,
    action: &Action,
    target: Option<&Target>,
    env: &[(String, String)],
    process_env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if !sandbox {
        return None;
    }
    // The last assignment of a name wins, as in the command's environment.
    let given: HashMap<String, String> = env.iter().cloned().collect();
    let written: Vec<String> = hosts::in_action(action)
        .into_iter()
        .map(|f| f.host)
        .collect();
    let mut reached: Vec<(String, String)> = Vec::new();
    let mut note = |found: Vec<Found>, from: &dyn Fn(&str) -> String| {
        for f in found {
            if !reached.iter().any(|(h, _)| *h == f.host) {
                let why = from(&f.host);
                reached.push((f.host, why));
            }
        }
    };
    let expanded = |text: &str| vars::expand(text, &given, process_env);
    let (given_ref, written_ref) = (&given, &written);
    let from_text = |text: &str| {
        let text = text.to_string();
        move |host: &str| -> String {
            if written_ref.iter().any(|w| w == host) {
                return "written in the block: put it in a variable set by the target".to_string();
            }
            let names: Vec<String> = vars::references(&text)
                .into_iter()
                .map(|(n, _)| n)
                .filter(|n| {
                    given_ref
                        .get(n)
                        .cloned()
                        .or_else(|| process_env(n))
                        .is_some_and(|v| v.contains(host))
                })
                .collect();
            match names.first() {
                Some(n) => format!("the value of `${n}`"),
                None => "the command as it runs".to_string(),
            }
        }
    };
    match &action.kind {
        ActionKind::Shell { .. } => {
            note(
                hosts::in_text(&action.kind, &expanded(&action.code)),
                &from_text(&action.code),
            );
        }
        ActionKind::Http(check) => {
            note(hosts::in_url(&expanded(&check.url)), &from_text(&check.url));
        }
        _ => {}
    }
    // What the action is given, used or not.
    let mut names: Vec<&str> = target
        .map(|t| t.env.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    if target.is_some_and(|t| t.database.is_some()) {
        names.push("DATABASE_URL");
    }
    for name in names {
        if let Some(value) = given.get(name) {
            let from = |_: &str| format!("the value of `{name}` the target gives");
            note(hosts::in_value(name, value), &from);
        }
    }
    if reached.is_empty() {
        return None;
    }
    let list: Vec<String> = reached
        .iter()
        .map(|(h, why)| format!("`{h}` ({why})"))
        .collect();
    Some(format!(
        "refused in the sandbox: this action would reach {}, a real system, and a rehearsal must never. \
         Map it to the sandbox in the runbook's front matter: write the host as a variable the target sets \
         (`KEYCLOAK_URL: $PROD_KEYCLOAK_URL`) and give that variable a sandbox value under `sandbox: env:` \
         (`PROD_KEYCLOAK_URL: $APP_URL`), then start the rehearsal again",
        list.join(", ")
    ))
}
