//! A rehearsal never reaches a real system: in a session run against the
//! sandbox, an action is refused before anything runs when what it would
//! reach names a real host, found as the action will really run
//! (variables expanded, with the finder `check` uses: `runbook::hosts`):
//! a shell block's command, with what earlier blocks exported; an http
//! step's URL; an s3 step's endpoint; the database of every target a
//! database step connects to (both sides of a compare); and every value the
//! action is given (its target's `env:`, `DATABASE_URL`), used or not.

use std::collections::HashMap;

use crate::runbook::hosts::{self, Found};
use crate::runbook::model::{Action, ActionKind, Target};
use crate::runbook::vars;

/// What one action would run with.
pub struct Reach<'a> {
    pub action: &'a Action,
    pub target: Option<&'a Target>,
    /// Its environment; the last assignment of a name wins.
    pub env: &'a [(String, String)],
    /// Names in `env` an earlier block exported (`driver::exports`).
    pub exported: &'a [String],
    /// The database of each other target it connects to, expanded: a
    /// compare's other side.
    pub databases: &'a [(String, String)],
    pub process_env: &'a dyn Fn(&str) -> Option<String>,
}

/// Why the action must not run in the sandbox, or None when it may.
pub fn refusal(sandbox: bool, reach: &Reach) -> Option<String> {
    if !sandbox {
        return None;
    }
    let reached = reached(reach);
    if reached.is_empty() {
        return None;
    }
    Some(format!(
        "refused in the sandbox: this action would reach {}, a real system, and a rehearsal must never. \
         Map it to the sandbox in the runbook's front matter: write the host as a variable the target sets \
         (`KEYCLOAK_URL: $PROD_KEYCLOAK_URL`) and give that variable a sandbox value under `sandbox: env:` \
         (`PROD_KEYCLOAK_URL: $APP_URL`), then start the rehearsal again",
        listed(&reached)
    ))
}

/// The real hosts the action would reach, each with where it came from.
fn reached(reach: &Reach) -> Vec<(String, String)> {
    let given: HashMap<String, String> = reach.env.iter().cloned().collect();
    let value_of = |n: &str| given.get(n).cloned().or_else(|| (reach.process_env)(n));
    let expanded = |text: &str| vars::expand(text, &given, reach.process_env);
    let written: Vec<String> = hosts::in_action(reach.action)
        .into_iter()
        .map(|f| f.host)
        .collect();
    // Where a host found in `text` once expanded came from.
    let origin = |text: &str, host: &str| -> String {
        if written.iter().any(|w| w == host) {
            return "written in the block: put it in a variable set by the target".to_string();
        }
        let name = vars::references(text)
            .into_iter()
            .map(|(n, _)| n)
            .find(|n| value_of(n).is_some_and(|v| v.contains(host)));
        match name {
            Some(n) if reach.exported.contains(&n) => {
                format!("the value of `${n}`, exported by an earlier block")
            }
            Some(n) => format!("the value of `${n}`"),
            None => "the command as it runs".to_string(),
        }
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut note = |found: Vec<Found>, from: &dyn Fn(&str) -> String| {
        for f in found {
            if !out.iter().any(|(h, _)| *h == f.host) {
                let why = from(&f.host);
                out.push((f.host, why));
            }
        }
    };
    let action = reach.action;
    match &action.kind {
        ActionKind::Shell { .. } => note(
            hosts::in_text(&action.kind, &expanded(&action.code)),
            &|h| origin(&action.code, h),
        ),
        ActionKind::Http(check) => note(hosts::in_url(&expanded(&check.url)), &|h| {
            origin(&check.url, h)
        }),
        ActionKind::S3(_) => {
            // The SDK's own order: the S3 endpoint, then any AWS endpoint.
            match ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
                .into_iter()
                .find_map(|n| value_of(n).filter(|v| !v.trim().is_empty()).map(|v| (n, v)))
            {
                Some((name, value)) => note(hosts::in_value(name, &value), &|_| {
                    format!("the S3 endpoint `{name}`")
                }),
                None => note(
                    vec![Found {
                        range: 0..0,
                        host: "AWS S3".to_string(),
                        what: "an S3 endpoint",
                    }],
                    &|_| {
                        "no `AWS_ENDPOINT_URL` is set, so the step would use AWS itself".to_string()
                    },
                ),
            }
        }
        ActionKind::Sql { .. }
        | ActionKind::Compare(_)
        | ActionKind::Migrations(_)
        | ActionKind::Batch(_) => {}
    }
    for (target, database) in reach.databases {
        note(hosts::in_value("DATABASE_URL", database), &|_| {
            format!("the database of target `{target}`")
        });
    }
    // What the action is given, used or not.
    let mut names: Vec<&str> = reach
        .target
        .map(|t| t.env.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    if reach.target.is_some_and(|t| t.database.is_some()) {
        names.push("DATABASE_URL");
    }
    for name in names {
        if let Some(value) = given.get(name) {
            note(hosts::in_value(name, value), &|_| {
                format!("the value of `{name}` the target gives")
            });
        }
    }
    out
}

/// At the start of a sandbox session: the real hosts the session's target
/// gives its steps (`env:`, its database) or the runbook's variables hold,
/// which no step has reached yet. One that a step would reach is refused
/// then; this says it before, once.
pub fn at_start(
    target: Option<&Target>,
    env: &[(String, String)],
    values: &HashMap<String, String>,
) -> Option<String> {
    let given: HashMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut names: Vec<&str> = target
        .map(|t| t.env.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    if target.is_some_and(|t| t.database.is_some()) {
        names.push("DATABASE_URL");
    }
    let mut found: Vec<(String, String)> = Vec::new();
    let mut note = |name: &str, value: &str, whose: &str| {
        for f in hosts::in_value(name, value) {
            if !found.iter().any(|(h, _)| *h == f.host) {
                found.push((f.host, format!("`{name}` {whose}")));
            }
        }
    };
    for name in names {
        if let Some(value) = given.get(name) {
            note(name, value, "the target gives");
        }
    }
    let mut variables: Vec<(&String, &String)> = values.iter().collect();
    variables.sort();
    for (name, value) in variables {
        note(name, value, "a variable of the runbook");
    }
    if found.is_empty() {
        return None;
    }
    Some(format!(
        "this rehearsal holds {}, a real system: a step that would reach it will be refused. \
         Map it under the runbook's `sandbox: env:` (the variable set to a sandbox value, `API_URL: $APP_URL`)",
        listed(&found)
    ))
}

/// `` `host` (where it came from), … ``
fn listed(hosts: &[(String, String)]) -> String {
    let list: Vec<String> = hosts
        .iter()
        .map(|(h, from)| format!("`{h}` ({from})"))
        .collect();
    list.join(", ")
}
