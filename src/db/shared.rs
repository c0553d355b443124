//! Two targets on one database stop the session before its first step,
//! whether they share a variable, the same text, or two spellings of one
//! server (`localhost` and `127.0.0.1`, the PG* defaults): the preflight
//! identified each (`preflight::identify_all`), and the identities decide.
//! A target that could not be identified cannot be compared: that is said,
//! and is no reason to stop.

use super::preflight::{PreflightError, declared_database};
use crate::runbook::lint_targets::same_declaration;
use crate::session::{DbIdentity, Session};

/// What the preflight's identities say about the targets' databases.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// One line per target that could not be compared with the others.
    pub warnings: Vec<String>,
    /// Why the session must stop: two targets are one database.
    pub stop: Option<String>,
}

/// Judges what `identify_all` found for the targets of `session`.
pub fn judge(session: &Session, found: &[(String, Result<DbIdentity, PreflightError>)]) -> Verdict {
    let own = session.info().target.as_str();
    let known: Vec<(&str, &DbIdentity)> = found
        .iter()
        .filter_map(|(t, r)| r.as_ref().ok().map(|id| (t.as_str(), id)))
        .collect();
    let all: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
    let warnings = found
        .iter()
        .filter_map(|(t, r)| r.as_ref().err().map(|e| unchecked(own, t, e, &all)))
        .collect();
    let mut pairs: Vec<(&str, &str, &DbIdentity)> = Vec::new();
    for (i, (a, id)) in known.iter().enumerate() {
        for (b, other) in &known[i + 1..] {
            if id.same_database(other) {
                // The session's own target first: it is the one this session runs on.
                let (a, b) = if *b == own { (*b, *a) } else { (*a, *b) };
                pairs.push((a, b, id));
            }
        }
    }
    pairs.sort_by_key(|(a, b, _)| *a != own && *b != own);
    let stop = pairs
        .first()
        .map(|(a, b, id)| shared(session, own, (a, b), id));
    Verdict { warnings, stop }
}

/// `could not check `staging` against `production` (…)`.
fn unchecked(own: &str, target: &str, why: &PreflightError, all: &[&str]) -> String {
    let others: Vec<String> = all
        .iter()
        .filter(|t| **t != target)
        .map(|t| format!("`{t}`"))
        .collect();
    let why = match why {
        PreflightError::Unset(_) | PreflightError::RealHost(_) => {
            format!("target `{target}`: {why}")
        }
        _ => why.to_string(),
    };
    if others.is_empty() {
        return why;
    }
    let pair = if all.contains(&own) && own != target {
        format!("`{own}` against `{target}`")
    } else {
        format!("`{target}` against {}", others.join(", "))
    };
    format!("could not check {pair} ({why}): if they are one database, the session cannot tell")
}

/// The stop: both targets, the database they both are, how they came to
/// be one, and what to do.
fn shared(session: &Session, own: &str, (a, b): (&str, &str), id: &DbIdentity) -> String {
    let declared = |t: &str| session.target(t).and_then(declared_database).cloned();
    let role = |t: &str| {
        if t == own {
            format!("`{t}` (this session's target)")
        } else {
            format!("`{t}`")
        }
    };
    let how = match (declared(a), declared(b)) {
        (Some(x), Some(y)) => match same_declaration(&x, &y) {
            Some(Some(var)) => format!("both take their database from `${var}`"),
            Some(None) => "both declare the same connection string".to_string(),
            None => format!(
                "`{}` and `{}` reach the same server and database",
                x.trim(),
                y.trim()
            ),
        },
        (Some(x), None) | (None, Some(x)) => format!(
            "`{}` reaches the database the PG* environment (PGHOST, PGPORT, PGDATABASE) gives the other",
            x.trim()
        ),
        (None, None) => {
            "both connect through the PG* environment (PGHOST, PGPORT, PGDATABASE)".to_string()
        }
    };
    format!(
        "targets {} and {} are the same database ({}): {how}, so a step on one would run on the other; \
         nothing was run. Give each target its own database (its `database:` set to that target's server), \
         or, if the runbook really has one database, declare only the targets it really has; then `runsheet resume`",
        role(a),
        role(b),
        describe(id),
    )
}

/// `app on 127.0.0.1:5433 (cluster 7301…)`: what tells two databases apart.
pub fn describe(id: &DbIdentity) -> String {
    match &id.system_identifier {
        Some(sys) => format!("{} on {} (cluster {sys})", id.database, id.server),
        None => format!("{} on {}", id.database, id.server),
    }
}
