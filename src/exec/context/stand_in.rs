//! What a sandbox runs instead of a context: the same script on this
//! machine, with the context's `sandbox: env:` and libpq's variables for
//! the target's database, so a `pg_dump` written for "the pod" reaches the
//! target's sandbox database.

use crate::runbook::context::Context;

/// libpq's variables a stand-in derives from the target's database URL.
const PG_VARS: [&str; 5] = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"];

/// What a local stand-in for `ctx` runs a block (`script`) with: what of
/// `env` (the block's own environment) would cross into the context
/// (`crossing`), the target's `DATABASE_URL` standing in for the one the
/// context has of its own, the context's sandbox env, then PGHOST, PGPORT,
/// PGUSER, PGPASSWORD, PGDATABASE read from that `DATABASE_URL`, each
/// unless already set here or in the process's environment (`process_env`).
/// A block that would miss a variable there misses it in the drill too.
pub fn stand_in_env(
    ctx: &Context,
    script: &str,
    env: &[(String, String)],
    process_env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let mut out = super::crossing::crossing(ctx, script, env);
    out.extend(
        env.iter()
            .filter(|(k, _)| k == super::crossing::DATABASE_URL)
            .cloned(),
    );
    let derived = out
        .iter()
        .rev()
        .find(|(k, _)| k == super::crossing::DATABASE_URL)
        .map(|(_, url)| pg_vars(url))
        .unwrap_or_default();
    // The sandbox env may name what the stand-in derives (`POSTGRES_DB:
    // $PGDATABASE`, for a pod whose image sets POSTGRES_DB).
    let mut values: std::collections::HashMap<String, String> = env.iter().cloned().collect();
    for (name, value) in &derived {
        values
            .entry((*name).to_string())
            .or_insert_with(|| value.clone());
    }
    for (k, v) in &ctx.sandbox_env {
        out.push((
            k.clone(),
            crate::runbook::vars::expand(v, &values, process_env),
        ));
    }
    for (name, value) in derived {
        let set = out.iter().any(|(k, _)| k == name) || process_env(name).is_some();
        if !set {
            out.push((name.to_string(), value));
        }
    }
    out
}

/// libpq's variables for a connection string; none for one it cannot read.
fn pg_vars(url: &str) -> Vec<(&'static str, String)> {
    let Ok(config) = url.parse::<tokio_postgres::Config>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(host) = config.get_hosts().first() {
        let host = match host {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        };
        out.push((PG_VARS[0], host));
    }
    if let Some(port) = config.get_ports().first() {
        out.push((PG_VARS[1], port.to_string()));
    }
    if let Some(user) = config.get_user() {
        out.push((PG_VARS[2], user.to_string()));
    }
    if let Some(pw) = config.get_password() {
        out.push((PG_VARS[3], String::from_utf8_lossy(pw).into_owned()));
    }
    if let Some(db) = config.get_dbname() {
        out.push((PG_VARS[4], db.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::context::ContextKind;
    use crate::runbook::span::Span;

    fn pod() -> Context {
        Context {
            name: "db".into(),
            kind: ContextKind::Exec {
                argv: vec!["kubectl".into(), "exec".into()],
            },
            sandbox_env: vec![
                ("APP".into(), "$RUNSHEET_TARGET-app".into()),
                ("POSTGRES_DB".into(), "$PGDATABASE".into()),
            ],
            pass: Vec::new(),
            span: Span::new(0, 0),
        }
    }

    #[test]
    fn the_stand_in_reaches_the_targets_database_unless_told_otherwise() {
        let env = vec![
            ("RUNSHEET_TARGET".to_string(), "staging".to_string()),
            (
                "DATABASE_URL".to_string(),
                "postgres://app:s3cret@127.0.0.1:5433/shop".to_string(),
            ),
            ("PGUSER".to_string(), "given".to_string()),
            ("UNNAMED".to_string(), "stays-here".to_string()),
        ];
        let none = |_: &str| None;
        let script = "pg_dump -U \"$PGUSER\"";
        let out = stand_in_env(&pod(), script, &env, &none);
        let get = |k: &str| {
            out.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("APP"), Some("staging-app"));
        assert_eq!(get("PGHOST"), Some("127.0.0.1"));
        assert_eq!(get("PGPORT"), Some("5433"));
        assert_eq!(get("PGUSER"), Some("given"));
        assert_eq!(get("PGPASSWORD"), Some("s3cret"));
        assert_eq!(get("PGDATABASE"), Some("shop"));
        assert_eq!(get("POSTGRES_DB"), Some("shop"));
        assert_eq!(get("UNNAMED"), None, "the real context would not get it");
        let from_process = |k: &str| (k == "PGHOST").then(|| "elsewhere".to_string());
        let out = stand_in_env(&pod(), script, &env, &from_process);
        assert!(!out.iter().any(|(k, _)| k == "PGHOST"), "{out:?}");
    }
}
