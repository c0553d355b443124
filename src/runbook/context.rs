//! Where a runbook's shell blocks run: on the operator's machine, through a
//! wrapper command (`kubectl exec -i …`, `docker exec -i …`, `sudo -u …`) or
//! over ssh. The front matter names contexts (`contexts:`), a target may
//! pick one or declare its own inline, and a phase, step or block picks one
//! with `{context=…}`. Pure: parsing and checking only; running them is
//! `exec::context`.

use super::attributes::Attr;
use super::diagnostic::{Diagnostic, suggest};
use super::span::Span;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The name that always means the operator's own machine.
pub const LOCAL: &str = "local";

/// What a context is called when a target declares it inline.
pub fn inline_name(target: &str) -> String {
    format!("target:{target}")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Context {
    pub name: String,
    pub kind: ContextKind,
    /// Extra environment for the local stand-in a sandbox runs instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sandbox_env: Vec<(String, String)>,
    /// Variables sent there although the block does not name them
    /// (`pass:`); the only way the target's `DATABASE_URL` crosses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pass: Vec<String>,
    /// Where it is declared.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ContextKind {
    Local,
    /// A wrapper the block's shell runs under; its words may hold `$VARS`.
    Exec {
        argv: Vec<String>,
    },
    /// OpenSSH to `dest` (`user@host` or `host`), through `jump` if set.
    Ssh {
        dest: String,
        jump: Option<String>,
        port: Option<u16>,
    },
}

impl Context {
    pub fn local() -> Context {
        Context {
            name: LOCAL.into(),
            kind: ContextKind::Local,
            sandbox_env: Vec::new(),
            pass: Vec::new(),
            span: Span::new(0, 0),
        }
    }

    pub fn is_local(&self) -> bool {
        self.kind == ContextKind::Local
    }

    /// How `check` and the preflight describe it: "ssh deploy@db1 via ops@bastion".
    pub fn describe(&self) -> String {
        match &self.kind {
            ContextKind::Local => "this machine".into(),
            ContextKind::Exec { argv } => format!("exec {}", argv.join(" ")),
            ContextKind::Ssh { dest, jump, port } => {
                let mut s = format!("ssh {dest}");
                if let Some(p) = port {
                    s.push_str(&format!(" port {p}"));
                }
                if let Some(j) = jump {
                    s.push_str(&format!(" via {j}"));
                }
                s
            }
        }
    }
}

/// A context as the front matter writes it (also the inline fields of a
/// target).
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    pub exec: Option<Vec<String>>,
    pub ssh: Option<String>,
    pub jump: Option<String>,
    /// Variables to send there although no block names them.
    pub pass: Option<Vec<String>>,
    pub sandbox: Option<StandInSpec>,
}

/// What a sandbox's local stand-in for the context gets.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct StandInSpec {
    #[serde(default)]
    pub env: IndexMap<String, String>,
}

impl ContextSpec {
    pub fn is_empty(&self) -> bool {
        self.exec.is_none()
            && self.ssh.is_none()
            && self.jump.is_none()
            && self.pass.is_none()
            && self.sandbox.is_none()
    }
}

/// Builds the context `name` from its spec; a problem is reported at `span`
/// and leaves the context out.
pub fn declare(
    name: &str,
    spec: ContextSpec,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<Context> {
    let err = |msg: String, help: &str| Diagnostic::error("bad-context", span, msg).with_help(help);
    let kind = match (spec.exec, spec.ssh) {
        (Some(_), Some(_)) => {
            diags.push(err(
                format!("context `{name}` has both `ssh:` and `exec:`; it can run in only one place"),
                "keep one: `ssh: user@host` runs over ssh, `exec: [docker, exec, -i, app]` runs through a wrapper; to run a wrapper on a remote host, write it in the block",
            ));
            return None;
        }
        (None, None) => {
            diags.push(err(
                format!("context `{name}` says neither `ssh:` nor `exec:`"),
                "write `ssh: user@host` or `exec: [kubectl, exec, -i, -n, ns, deploy/app, --]`",
            ));
            return None;
        }
        (Some(argv), None) => {
            if spec.jump.is_some() {
                diags.push(err(
                    format!("context `{name}`: `jump:` is for `ssh:` contexts"),
                    "remove `jump:`, or make the context `ssh: user@host`",
                ));
                return None;
            }
            if argv.is_empty() || argv[0].trim().is_empty() {
                diags.push(err(
                    format!("context `{name}` has an empty `exec:` list"),
                    "list the wrapper's words, e.g. `exec: [docker, exec, -i, app]`",
                ));
                return None;
            }
            ContextKind::Exec { argv }
        }
        (None, Some(dest)) => {
            let (dest, port) = match ssh_destination(&dest) {
                Ok(d) => d,
                Err(why) => {
                    diags.push(err(
                        format!("context `{name}`: `{dest}` is not an ssh destination: {why}"),
                        "write `user@host`, `host` or `user@host:port`, e.g. `deploy@db1.internal`",
                    ));
                    return None;
                }
            };
            if let Some(j) = &spec.jump
                && let Err(why) = ssh_destination(j)
            {
                diags.push(err(
                    format!("context `{name}`: jump host `{j}` is not an ssh destination: {why}"),
                    "write `user@host` or `user@host:port`, e.g. `ops@bastion.example.com`",
                ));
                return None;
            }
            ContextKind::Ssh {
                dest,
                jump: spec.jump,
                port,
            }
        }
    };
    let pass = spec.pass.unwrap_or_default();
    if let Some(bad) = pass
        .iter()
        .find(|n| !super::frontmatter::is_variable_name(n))
    {
        diags.push(err(
            format!("context `{name}`: `pass:` names `{bad}`, which is not a variable name"),
            "list variable names, e.g. `pass: [DATABASE_URL, PGPASSWORD]`",
        ));
        return None;
    }
    Some(Context {
        name: name.to_string(),
        kind,
        pass,
        sandbox_env: spec
            .sandbox
            .map(|s| s.env.into_iter().collect())
            .unwrap_or_default(),
        span,
    })
}

/// Every context of the front matter's `contexts:`, in order; `span_of`
/// finds a name's key in the source.
pub fn declare_all(
    specs: IndexMap<String, Option<ContextSpec>>,
    span_of: &dyn Fn(&str) -> Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Context> {
    let mut out = Vec::new();
    for (name, spec) in specs {
        let span = span_of(&name);
        if name == LOCAL || name.contains(':') || name.is_empty() {
            diags.push(
                Diagnostic::error(
                    "bad-context",
                    span,
                    format!("`{name}` cannot name a context"),
                )
                .with_help("`local` always means this machine; use letters, digits, `-` and `_`, e.g. `db` or `app`"),
            );
            continue;
        }
        out.extend(declare(&name, spec.unwrap_or_default(), span, diags));
    }
    out
}

/// The context of target `target`: one it names (`context: db`), or one
/// it declares inline (`ssh:`, `exec:`), added to `contexts` as
/// `target:<name>`.
pub fn for_target(
    target: &str,
    named: Option<String>,
    inline: ContextSpec,
    span: Span,
    contexts: &mut Vec<Context>,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    match (named, inline.is_empty()) {
        (Some(_), false) => {
            diags.push(
                Diagnostic::error(
                    "bad-context",
                    span,
                    format!(
                        "target `{target}` names a context and also declares its own `ssh:`/`exec:`"
                    ),
                )
                .with_help("keep `context: name`, or the inline `ssh:`/`exec:` fields, not both"),
            );
            None
        }
        (Some(name), true) => {
            if name == LOCAL {
                return None;
            }
            if contexts.iter().any(|c| c.name == name) {
                return Some(name);
            }
            let names: Vec<&str> = contexts.iter().map(|c| c.name.as_str()).collect();
            let hint = suggest(&name, names.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            diags.push(
                Diagnostic::error(
                    "unknown-context",
                    span,
                    format!("target `{target}` names unknown context `{name}`"),
                )
                .with_help(format!(
                    "{hint}declare it under `contexts:` in the front matter{}",
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(" (declared: {})", names.join(", "))
                    }
                )),
            );
            None
        }
        (None, false) => {
            let name = inline_name(target);
            let ctx = declare(&name, inline, span, diags)?;
            contexts.push(ctx);
            Some(name)
        }
        (None, true) => None,
    }
}

/// `user@host[:port]` → (`user@host`, port). A `$VARIABLE` anywhere is
/// taken as written: its value is known only when the session runs.
pub fn ssh_destination(text: &str) -> Result<(String, Option<u16>), String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("it is empty".into());
    }
    if t.contains('$') {
        return Ok((t.to_string(), None));
    }
    if t.starts_with('-') {
        return Err("it starts with `-`, which ssh would read as an option".into());
    }
    if let Some(bad) = t
        .chars()
        .find(|c| c.is_whitespace() || "'\"`;|&<>()\\".contains(*c))
    {
        return Err(format!("it holds `{bad}`"));
    }
    let (user_host, port) = match t.rsplit_once(':') {
        Some((uh, p)) if !uh.contains(':') => match p.parse::<u16>() {
            Ok(n) if n > 0 => (uh, Some(n)),
            _ => return Err(format!("`{p}` is not a port")),
        },
        Some(_) => return Err("it has more than one `:`".into()),
        None => (t, None),
    };
    let host = match user_host.split_once('@') {
        Some((user, host)) => {
            if user.is_empty() {
                return Err("the user before `@` is empty".into());
            }
            host
        }
        None => user_host,
    };
    if host.is_empty() || host.contains('@') {
        return Err("it names no host".into());
    }
    Ok((user_host.to_string(), port))
}

/// `{context=…}` on a heading or block must name a declared context or
/// `local`.
pub fn check_attr(a: &Attr, names: &[String], diags: &mut Vec<Diagnostic>) -> String {
    let name = a.text().to_string();
    if name == LOCAL || names.contains(&name) {
        return name;
    }
    let choices: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !n.starts_with("target:"))
        .chain([LOCAL])
        .collect();
    let hint = suggest(&name, choices.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    diags.push(
        Diagnostic::error(
            "unknown-context",
            a.value_span,
            format!("unknown context `{name}`"),
        )
        .with_help(format!(
            "{hint}this runbook's contexts are {}; declare others under `contexts:` in the front matter",
            choices.join(", ")
        )),
    );
    name
}

/// The context a shell block runs in: the block's, else its step's, else
/// its phase's, else its target's, else this machine. `None` means local.
pub fn resolve<'a>(contexts: &'a [Context], chosen: [Option<&str>; 4]) -> Option<&'a Context> {
    let name = chosen.into_iter().flatten().next()?;
    if name == LOCAL {
        return None;
    }
    contexts.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_take_user_host_and_port() {
        assert_eq!(
            ssh_destination("deploy@db1.internal"),
            Ok(("deploy@db1.internal".into(), None))
        );
        assert_eq!(ssh_destination("db1"), Ok(("db1".into(), None)));
        assert_eq!(
            ssh_destination("root@127.0.0.1:2222"),
            Ok(("root@127.0.0.1".into(), Some(2222)))
        );
        for bad in [
            "",
            "-oProxyCommand=x",
            "a b",
            "@host",
            "u@",
            "u@h:x",
            "u@h:0",
            "a;b",
        ] {
            assert!(ssh_destination(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_nearest_choice_wins_and_local_means_none() {
        let ctx = |n: &str| Context {
            name: n.into(),
            kind: ContextKind::Exec {
                argv: vec!["env".into()],
            },
            sandbox_env: Vec::new(),
            pass: Vec::new(),
            span: Span::new(0, 0),
        };
        let all = [ctx("db"), ctx("app")];
        let pick = |c: [Option<&str>; 4]| resolve(&all, c).map(|c| c.name.clone());
        assert_eq!(
            pick([None, Some("app"), Some("db"), None]),
            Some("app".into())
        );
        assert_eq!(pick([Some("local"), Some("app"), None, None]), None);
        assert_eq!(pick([None, None, None, Some("db")]), Some("db".into()));
        assert_eq!(pick([None; 4]), None);
    }
}
