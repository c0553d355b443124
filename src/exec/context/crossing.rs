//! What of a block's environment goes to the far side of a context.
//!
//! A local block gets every variable of the session, and the target's
//! database as `DATABASE_URL`. Sent into a pod, a container or a host, the
//! same set would override what lives there (a Rails container's own
//! `DATABASE_URL` would become the operator's connection string, password
//! included) and would put every secret of the session on a machine that
//! only needed one. So what crosses is what the block asks for: the names
//! its script writes (`$NAME`, `${NAME…}`), the names the context lists in
//! `pass:`, and runsheet's own `RUNSHEET_*`. `DATABASE_URL` crosses only
//! when `pass:` names it, even if the block writes it: there, it means the
//! far side's own.

use crate::runbook::context::Context;

/// The name under which a block receives its target's database.
pub const DATABASE_URL: &str = "DATABASE_URL";

/// The entries of `env` that cross into `ctx` for a block whose script is
/// `script`, in their order.
pub fn crossing(ctx: &Context, script: &str, env: &[(String, String)]) -> Vec<(String, String)> {
    let named = written(script);
    env.iter()
        .filter(|(k, _)| crosses(ctx, &named, k))
        .cloned()
        .collect()
}

/// Every name the script writes after a `$`: `$NAME`, `${NAME…}`,
/// `${#NAME}`, `${!NAME}`, quoted or not, and `{{ NAME }}`. Wider than what
/// the shell would expand (a `$NAME` inside single quotes counts): a name
/// too many sends one of the session's values the block spelled out; a
/// name too few would break the block.
fn written(script: &str) -> std::collections::HashSet<String> {
    let mut out: std::collections::HashSet<String> = crate::runbook::vars::references(script)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let bytes = script.as_bytes();
    for (i, _) in script.match_indices('$') {
        let mut start = i + 1;
        if bytes.get(start) == Some(&b'{') {
            start += 1;
            if matches!(bytes.get(start), Some(b'#' | b'!')) {
                start += 1;
            }
        }
        let end = bytes[start.min(bytes.len())..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(bytes.len(), |n| start + n);
        if end > start && !bytes[start].is_ascii_digit() {
            out.insert(script[start..end].to_string());
        }
    }
    out
}

fn crosses(ctx: &Context, named: &std::collections::HashSet<String>, name: &str) -> bool {
    if ctx.pass.iter().any(|p| p == name) {
        return true;
    }
    if name == DATABASE_URL {
        return false;
    }
    name.starts_with("RUNSHEET_") || named.contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::context::ContextKind;
    use crate::runbook::span::Span;

    fn app(pass: &[&str]) -> Context {
        Context {
            name: "app".into(),
            kind: ContextKind::Exec {
                argv: vec!["docker".into(), "exec".into(), "-i".into(), "app".into()],
            },
            sandbox_env: Vec::new(),
            pass: pass.iter().map(|p| (*p).to_string()).collect(),
            span: Span::new(0, 0),
        }
    }

    fn env() -> Vec<(String, String)> {
        [
            ("API_TOKEN", "tok"),
            ("OTHER_SECRET", "hidden"),
            ("PGPASSWORD", "pw"),
            ("DATABASE_URL", "postgres://app:pw@db/shop"),
            ("RUNSHEET_TARGET", "production"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec()
    }

    fn names(out: &[(String, String)]) -> Vec<&str> {
        out.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn only_what_the_block_names_crosses_and_never_the_targets_database_unasked() {
        let script = "curl -H \"Authorization: $API_TOKEN\" x\necho \"${DATABASE_URL:-none}\"";
        let out = crossing(&app(&[]), script, &env());
        assert_eq!(names(&out), ["API_TOKEN", "RUNSHEET_TARGET"]);
        let out = crossing(&app(&[]), "echo ${#PGPASSWORD} '${!OTHER_SECRET}'", &env());
        assert_eq!(
            names(&out),
            ["OTHER_SECRET", "PGPASSWORD", "RUNSHEET_TARGET"]
        );
    }

    #[test]
    fn pass_sends_a_name_the_block_does_not_write_the_database_included() {
        let out = crossing(
            &app(&["PGPASSWORD", "DATABASE_URL"]),
            "pg_dump shop",
            &env(),
        );
        assert_eq!(
            names(&out),
            ["PGPASSWORD", "DATABASE_URL", "RUNSHEET_TARGET"]
        );
    }
}
