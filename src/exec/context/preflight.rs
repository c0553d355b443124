//! Before the first step of a live session (and again on each resume):
//! every context the session will use is reached once, and who answered
//! there is named — the ssh server's host key, the host's or pod's name,
//! the user — so that an unreachable host or a missing pod stops the
//! session before anything runs, and a resume that lands somewhere else
//! is caught (`driver::contexts`). For ssh, the shared connection every
//! later block goes through is opened here and ended with the session
//! (`Masters`).

use std::process::Stdio;
use std::time::Duration;

use super::{Place, no_bash, place, ssh, wrapper};
use crate::exec::interpreter::Interpreter;
use crate::runbook::context::{Context, ContextKind};
use crate::session::ContextIdentity;

/// How long reaching one context may take (ssh's own connect timeout is
/// 10 s; a wrapper such as `kubectl exec` may have to find its pod).
const REACH: Duration = Duration::from_secs(30);

/// What the probe prints there: one marked line, whatever else a login
/// or a wrapper prints around it.
const PROBE: &str = "printf 'runsheet-probe %s %s\\n' \"$(uname -n)\" \"$(id -un)\"";
const MARK: &str = "runsheet-probe ";

/// A context as the preflight found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    /// `ssh` or `exec`.
    pub kind: &'static str,
    pub identity: ContextIdentity,
}

/// The shared ssh connections this session opened; dropping it ends them
/// (`ssh -O exit`), so nothing of the session stays connected after it.
#[derive(Default)]
pub struct Masters {
    exits: Vec<Vec<String>>,
}

impl Masters {
    pub fn len(&self) -> usize {
        self.exits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exits.is_empty()
    }
}

impl Drop for Masters {
    fn drop(&mut self) {
        for argv in self.exits.drain(..) {
            if let Some((program, rest)) = argv.split_first() {
                let _ = std::process::Command::new(program)
                    .args(rest)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

/// Reaches every context given (each with its block's environment),
/// concurrently. The masters
/// opened are returned even when a context failed: dropping them ends
/// them.
pub async fn reach_all(
    contexts: Vec<(Context, Vec<(String, String)>)>,
) -> (Masters, Vec<(String, Reached)>) {
    let checks = contexts.into_iter().map(|(ctx, env)| async move {
        let (exit, found) = reach(&ctx, &env).await;
        (ctx.name.clone(), exit, found)
    });
    let mut masters = Masters::default();
    let mut out = Vec::new();
    for (name, exit, found) in futures::future::join_all(checks).await {
        masters.exits.extend(exit);
        out.push((name, found));
    }
    (masters, out)
}

/// What reaching one context came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reached {
    Found(Found),
    /// Its words need a value the session has not got yet (a variable an
    /// earlier step exports): it is reached when its first block runs.
    Later(String),
    /// It did not answer: why, and what to do.
    Failed(String),
}

/// Reaches one context: the `-O exit` command of the master it opened,
/// if any, and who answered there.
pub async fn reach(ctx: &Context, env: &[(String, String)]) -> (Option<Vec<String>>, Reached) {
    let (exit, found) = reach_place(ctx, env).await;
    let reached = match found {
        Ok(f) => Reached::Found(f),
        Err(Unset(why)) => Reached::Later(why),
        Err(Said(why)) => Reached::Failed(why),
    };
    (exit, reached)
}

enum Why {
    Unset(String),
    Said(String),
}
use Why::{Said, Unset};

async fn reach_place(
    ctx: &Context,
    env: &[(String, String)],
) -> (Option<Vec<String>>, Result<Found, Why>) {
    let head = format!("context `{}` ({})", ctx.name, ctx.describe());
    let place = match place(ctx, env) {
        Ok(p) => p,
        Err(e) => return (None, Err(Unset(e))),
    };
    match (&ctx.kind, &place) {
        (ContextKind::Ssh { .. }, Place::Ssh { dest, jump, port }) => {
            let (exit, found) = reach_ssh(&ctx.name, &head, dest, jump.as_deref(), *port).await;
            let found = found.map_err(Said).map(|(host_key, hostname, user)| Found {
                name: ctx.name.clone(),
                kind: "ssh",
                identity: ContextIdentity {
                    reached: ctx.describe(),
                    host_key: Some(host_key),
                    hostname,
                    user,
                },
            });
            (exit, found)
        }
        (_, Place::Exec(words)) => {
            let found = probe(words).await.map_err(|failed| match failed.no_bash {
                Some(line) => Said(no_bash::message(&ctx.name, &line)),
                None => Said(format!(
                    "{head}: the wrapper did not run a probe there: {}. Check that it works from this shell (`{} true`: the container or pod exists, you may exec into it), then start again; nothing was run",
                    failed.said,
                    ctx_words(ctx)
                )),
            });
            let found = found.map(|(hostname, user)| Found {
                name: ctx.name.clone(),
                kind: "exec",
                identity: ContextIdentity {
                    reached: ctx.describe(),
                    host_key: None,
                    hostname,
                    user,
                },
            });
            (None, found)
        }
        _ => (
            None,
            Err(Said(format!("{head}: cannot be reached from here"))),
        ),
    }
}

/// The wrapper as the runbook writes it (its `$VARS` unexpanded: a value
/// may be a secret).
fn ctx_words(ctx: &Context) -> String {
    match &ctx.kind {
        ContextKind::Exec { argv } => argv.join(" "),
        _ => ctx.describe(),
    }
}

/// Opens the shared connection (when a private socket folder exists),
/// reads the host key ssh verified from its log, then probes through it.
async fn reach_ssh(
    name: &str,
    head: &str,
    dest: &str,
    jump: Option<&str>,
    port: Option<u16>,
) -> (
    Option<Vec<String>>,
    Result<(String, String, String), String>,
) {
    let Some(dir) = ssh::ensure_control_dir() else {
        // Without a private folder for the socket, no shared connection:
        // the probe's own connection says which key it verified.
        let mut words = ssh::argv(dest, jump, port, ssh::Mode::Piped);
        words.insert(1, "-v".into());
        let found = match probe_with_stderr(&words).await {
            Ok((hostname, user, stderr)) => match host_key_in(&stderr) {
                Some(key) => Ok((key, hostname, user)),
                None => Err(format!(
                    "{head}: ssh did not say which host key it verified; nothing was run"
                )),
            },
            Err(ProbeFailed {
                no_bash: Some(line),
                ..
            }) => Err(no_bash::message(name, &line)),
            Err(failed) => Err(unreachable(head, dest, jump, port, &failed.said, false).await),
        };
        return (None, found);
    };
    static LOGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LOGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = dir.join(format!("{}-preflight-{n}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let mut master = ssh::argv(dest, jump, port, ssh::Mode::Master);
    master.splice(
        1..1,
        ["-v".to_string(), "-E".into(), log.display().to_string()],
    );
    // What ssh says beside its log, a bastion's `ProxyCommand` included,
    // goes to the log too, read below for the error.
    let opened = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
    {
        Ok(f) => run_quiet(&master, Stdio::from(f)).await,
        Err(e) => Err(format!("cannot write {}: {e}", log.display())),
    };
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    if let Err(e) = opened {
        let why = format!("{e}{}", ssh_errors(&said));
        // Through a bastion, a target that never showed its key was not
        // reached: what failed was the bastion.
        let bastion_failed = jump.is_some() && host_key_in(&said).is_none();
        return (
            None,
            Err(unreachable(head, dest, jump, port, &why, bastion_failed).await),
        );
    }
    let exit = ssh::argv(dest, jump, port, ssh::Mode::Exit);
    let Some(key) = host_key_in(&said) else {
        return (
            Some(exit),
            Err(format!(
                "{head}: ssh did not say which host key it verified; nothing was run"
            )),
        );
    };
    let words = ssh::argv(dest, jump, port, ssh::Mode::Piped);
    let found = match probe(&words).await {
        Ok((hostname, user)) => Ok((key, hostname, user)),
        Err(ProbeFailed {
            no_bash: Some(line),
            ..
        }) => Err(no_bash::message(name, &line)),
        Err(failed) => Err(format!(
            "{head}: the host was reached but the probe failed there: {}; nothing was run",
            failed.said
        )),
    };
    (Some(exit), found)
}

/// Runs a command to its end within `REACH`, its output discarded and
/// its standard error to `stderr`; an error says how it ended.
async fn run_quiet(argv: &[String], stderr: Stdio) -> Result<(), String> {
    let Some((program, rest)) = argv.split_first() else {
        return Err("no command".into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true);
    // Not `output()`: tokio's pipes both streams whatever was set, and a
    // bastion's `ProxyCommand` would hold them open long after the
    // backgrounded master's parent has exited.
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    let status = tokio::time::timeout(REACH, child.wait())
        .await
        .map_err(|_| format!("no answer within {} s", REACH.as_secs()))?
        .map_err(|e| format!("lost `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {}", ended(status)))
    }
}

/// Runs the probe through a wrapper's words and the block bootstrap:
/// the host's or pod's name and the user, from its marked line.
async fn probe(words: &[String]) -> Result<(String, String), ProbeFailed> {
    probe_with_stderr(words).await.map(|(h, u, _)| (h, u))
}

/// Why the probe did not answer, and, when the far side has no bash,
/// the line that said so.
struct ProbeFailed {
    said: String,
    no_bash: Option<String>,
}

impl From<String> for ProbeFailed {
    fn from(said: String) -> Self {
        ProbeFailed {
            said,
            no_bash: None,
        }
    }
}

async fn probe_with_stderr(words: &[String]) -> Result<(String, String, String), ProbeFailed> {
    let argv = wrapper::argv(words, Interpreter::Sh);
    let Some((program, rest)) = argv.split_first() else {
        return Err(String::from("the context's `exec:` list is empty").into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest)
        .env_remove("BASH_ENV")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{program}`: {e}"))?;
    // Held open until the probe ends: its end is the far side's signal to
    // stop (`wrapper::BOOTSTRAP`).
    let mut stdin = child.stdin.take();
    if let Some(s) = stdin.as_mut() {
        use tokio::io::AsyncWriteExt;
        let _ = s.write_all(&wrapper::payload(PROBE, &[])).await;
    }
    let out = tokio::time::timeout(REACH, child.wait_with_output()).await;
    drop(stdin);
    let out = out
        .map_err(|_| format!("no answer within {} s", REACH.as_secs()))?
        .map_err(|e| format!("lost `{program}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = stdout.lines().find_map(|l| l.trim_end().strip_prefix(MARK));
    match (out.status.success(), line) {
        (true, Some(line)) => {
            let (host, user) = line.split_once(' ').unwrap_or((line, ""));
            Ok((host.to_string(), user.to_string(), stderr))
        }
        _ => Err(ProbeFailed {
            said: format!(
                "`{program}` {}{}",
                ended(out.status),
                last_lines(&ssh_errors_or_all(&stderr))
            ),
            no_bash: no_bash::said(out.status.success(), &stderr),
        }),
    }
}

fn ended(status: std::process::ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("exited with {c}"),
        None => "was killed".into(),
    }
}

/// The last few lines of what a command said, on one line.
fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let from = lines.len().saturating_sub(4);
    format!(": {}", lines[from..].join(" / "))
}

/// `debug1: Server host key: ssh-ed25519 SHA256:…` → `ssh-ed25519 SHA256:…`.
pub fn host_key_in(log: &str) -> Option<String> {
    log.lines()
        .rev()
        .find_map(|l| {
            l.split_once("Server host key: ")
                .map(|(_, k)| k.trim().to_string())
        })
        .filter(|k| !k.is_empty())
}

/// What ssh said beside its debug lines.
fn ssh_errors(log: &str) -> String {
    let said: Vec<&str> = log
        .lines()
        .filter(|l| !l.starts_with("debug") && !l.trim().is_empty())
        .collect();
    last_lines(&said.join("\n"))
}

fn ssh_errors_or_all(text: &str) -> String {
    let said: Vec<&str> = text.lines().filter(|l| !l.starts_with("debug")).collect();
    said.join("\n")
}

/// The error of an ssh context that could not be reached: what ssh said
/// and what to do about it (`bastion_failed`: about the `jump:` host).
async fn unreachable(
    head: &str,
    dest: &str,
    jump: Option<&str>,
    port: Option<u16>,
    said: &str,
    bastion_failed: bool,
) -> String {
    let (server, keyed) = match jump.filter(|_| bastion_failed) {
        Some(j) => (format!("the bastion's (`{j}`)"), bastion_host(j).await),
        None => (
            "the server's".to_string(),
            resolved_host(dest, jump, port).await,
        ),
    };
    let advice = if said.contains("Host key verification failed")
        || said.contains("host key is known")
    {
        let (host, port) = keyed;
        format!(
            "{server} host key is not known here. Ask the host's owner for its fingerprint, compare it with `ssh-keyscan -p {port} {host} | ssh-keygen -lf -`, and only then add it: `ssh-keyscan -p {port} {host} >> ~/.ssh/known_hosts` (runsheet checks host keys strictly, the bastion's too)"
        )
    } else if said.contains("IDENTIFICATION HAS CHANGED") {
        let (host, _) = keyed;
        format!(
            "{server} host key is not the one known_hosts has: the host was reinstalled, or someone is in the middle. Ask its owner; only when they confirm the new key, `ssh-keygen -R {host}` and add the new one"
        )
    } else if said.contains("Permission denied") {
        "the server refused every key offered: check that your agent holds the key (`ssh-add -l`) and that the user is right; `ssh -v` shows what was offered".into()
    } else if said.contains("Could not resolve") {
        "the host name does not resolve: check the destination, your VPN and DNS".into()
    } else if said.contains("Connection refused")
        || said.contains("timed out")
        || said.contains("No route")
        || said.contains("no answer within")
    {
        "the host does not answer: check the VPN, the port, and the `jump:` bastion if there is one"
            .into()
    } else {
        format!("run `ssh {dest} true` by hand to see what fails")
    };
    format!("{head}: cannot reach it{said}. {advice}; nothing was run")
}

/// The host and port of a jump's last hop (the one that reaches the
/// target), its config applied.
async fn bastion_host(jump: &str) -> (String, u16) {
    let last = jump.rsplit(',').next().unwrap_or(jump).trim();
    let (dest, port) =
        crate::runbook::context::ssh_destination(last).unwrap_or_else(|_| (last.to_string(), None));
    resolved_host(&dest, None, port).await
}

/// The host and port ssh connects to for `dest`, its config applied
/// (`ssh -G`): an alias is not what `ssh-keyscan` needs.
async fn resolved_host(dest: &str, jump: Option<&str>, port: Option<u16>) -> (String, u16) {
    let fallback = (
        dest.rsplit_once('@').map_or(dest, |(_, h)| h).to_string(),
        port.unwrap_or(22),
    );
    let mut argv = ssh::argv(dest, jump, port, ssh::Mode::Piped);
    argv.insert(1, "-G".into());
    let Some((program, rest)) = argv.split_first() else {
        return fallback;
    };
    let Ok(out) = tokio::process::Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .output()
        .await
    else {
        return fallback;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
    };
    (
        get("hostname ").unwrap_or(fallback.0),
        get("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or(fallback.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_context_is_named_in_words_and_the_same_one_is_not() {
        let then = ContextIdentity {
            reached: "exec kubectl exec -i deploy/pg --".into(),
            host_key: None,
            hostname: "veylant-pg-7f4c".into(),
            user: "postgres".into(),
        };
        assert_eq!(then.changed_from(&then.clone()), None);
        let now = ContextIdentity {
            hostname: "veylant-pg-9c2d".into(),
            ..then.clone()
        };
        assert_eq!(
            now.changed_from(&then).as_deref(),
            Some("the pod or container was veylant-pg-7f4c and is now veylant-pg-9c2d")
        );
        let host = |key: &str| ContextIdentity {
            reached: "ssh db1".into(),
            host_key: Some(key.into()),
            hostname: "db1".into(),
            user: "deploy".into(),
        };
        let said = host("ssh-ed25519 SHA256:new")
            .changed_from(&host("ssh-ed25519 SHA256:old"))
            .unwrap_or_default();
        assert!(
            said.contains("host key was ssh-ed25519 SHA256:old and is now ssh-ed25519 SHA256:new"),
            "{said}"
        );
    }

    #[test]
    fn the_host_key_is_read_from_ssh_s_log() {
        let log = "debug1: Connecting to 127.0.0.1 [127.0.0.1] port 2222.\n\
                   debug1: Server host key: ssh-ed25519 SHA256:abcDEF123\n\
                   debug1: Host '[127.0.0.1]:2222' is known and matches the ED25519 host key.\n";
        assert_eq!(
            host_key_in(log).as_deref(),
            Some("ssh-ed25519 SHA256:abcDEF123")
        );
        assert_eq!(host_key_in("debug1: nothing\n"), None);
        assert_eq!(
            ssh_errors("debug1: x\nHost key verification failed.\n"),
            ": Host key verification failed."
        );
    }
}
