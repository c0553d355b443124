//! Containers, processes, services and repositories: docker's data-losing
//! commands (and `docker exec`, a wrapper), `kill -9`/`pkill`/`killall`,
//! patronictl's member changes, stopping services, git's discarding ones.

use super::super::Rule;
use super::super::shell_lex::Word;
use super::words::{Options, first_operand, has_long, has_short, positionals, short_group, texts};
use super::{Cx, Next, Stdin};

const DOCKERS: &[&str] = &["docker", "podman", "nerdctl"];

pub(super) fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let at = word.span.start;
    let (rule, next) = match name {
        _ if DOCKERS.contains(&name) => docker(cx, at, args),
        "docker-compose" | "podman-compose" => compose(args),
        "kill" => (kills_hard(args).then_some(Rule::ShellKill), None),
        "pkill" | "killall" | "pkill9" => {
            let checks_only = args
                .iter()
                .any(|w| matches!(w.text.as_str(), "-0" | "-l" | "--list" | "-s0"));
            ((!checks_only).then_some(Rule::ShellKill), None)
        }
        "patronictl" => {
            let p = positionals(
                args,
                Options {
                    short: "cd",
                    long: &["config-file", "dcs-url"],
                },
            );
            let changes = texts(args, &p)
                .iter()
                .any(|v| matches!(*v, "remove" | "failover" | "switchover" | "reinit"));
            (changes.then_some(Rule::ShellPatroni), None)
        }
        "systemctl" => {
            let p = positionals(
                args,
                Options {
                    short: "HMpn",
                    long: &["host", "machine", "property"],
                },
            );
            if p.first().is_some_and(|&k| args[k].expanded) {
                cx.opaque(at);
            }
            let stops = texts(args, &p).first().is_some_and(|v| {
                matches!(
                    *v,
                    "stop"
                        | "disable"
                        | "mask"
                        | "kill"
                        | "isolate"
                        | "poweroff"
                        | "reboot"
                        | "halt"
                        | "kexec"
                        | "rescue"
                        | "emergency"
                        | "soft-reboot"
                )
            });
            (stops.then_some(Rule::ShellServiceStop), None)
        }
        "service" => {
            let stops = args.get(1).is_some_and(|w| w.text == "stop");
            (stops.then_some(Rule::ShellServiceStop), None)
        }
        "reboot" | "poweroff" | "halt" => (Some(Rule::ShellServiceStop), None),
        "shutdown" => {
            let cancels = args.iter().any(|w| w.text == "-c" || w.text == "--show");
            ((!cancels).then_some(Rule::ShellServiceStop), None)
        }
        "init" | "telinit" => {
            let stops = args
                .first()
                .is_some_and(|w| matches!(w.text.as_str(), "0" | "1" | "6"));
            (stops.then_some(Rule::ShellServiceStop), None)
        }
        "git" => (git(cx, at, args), None),
        _ => return None,
    };
    if let Some(rule) = rule {
        cx.flag(rule, at);
    }
    Some(next.unwrap_or(Next::Done(Stdin::Data)))
}

/// `kill -9`, `-KILL`, `-SIGKILL`, `-s KILL`, `--signal=9`, `-n 9`.
fn kills_hard(args: &[Word]) -> bool {
    let is_kill = |s: &str| {
        let s = s.trim_start_matches("SIG").trim_start_matches("sig");
        s == "9" || s.eq_ignore_ascii_case("kill")
    };
    args.iter().enumerate().any(|(i, w)| {
        let t = w.text.as_str();
        let next = || args.get(i + 1).is_some_and(|n| is_kill(&n.text));
        match t {
            "-s" | "-n" | "--signal" => next(),
            _ => {
                if let Some(v) = t.strip_prefix("--signal=") {
                    is_kill(v)
                } else if let Some(v) = t.strip_prefix("-s").or_else(|| t.strip_prefix("-n")) {
                    !v.is_empty() && is_kill(v) || is_kill(&t[1..])
                } else {
                    t.strip_prefix('-').is_some_and(is_kill)
                }
            }
        }
    })
}

fn docker(cx: &mut Cx, at: usize, args: &[Word]) -> (Option<Rule>, Option<Next>) {
    let options = Options {
        short: "Hcl",
        long: &[
            "host",
            "context",
            "config",
            "log-level",
            "tlscacert",
            "tlscert",
            "tlskey",
        ],
    };
    let p = positionals(args, options);
    if p.first().is_some_and(|&k| args[k].expanded) {
        cx.opaque(at);
    }
    let verbs = texts(args, &p);
    let Some(&first) = p.first() else {
        return (None, None);
    };
    let after = &args[first + 1..];
    match verbs.as_slice() {
        ["exec", ..] => {
            // `docker exec [options] CONTAINER command…`
            let k = first_operand(
                after,
                Options {
                    short: "euw",
                    long: &["env", "user", "workdir", "env-file", "detach-keys"],
                },
            );
            (None, Some(at_or_done(first + 1 + k + 1, args)))
        }
        ["run" | "create", ..] => (None, Some(Next::Unknown)),
        ["compose", ..] => {
            let (rule, next) = compose(after);
            let next = next.map(|n| match n {
                Next::At(k) => Next::At(first + 1 + k),
                other => other,
            });
            (rule, next)
        }
        ["system" | "container" | "volume", "prune", ..] => (Some(Rule::ShellDockerData), None),
        ["volume", "rm" | "remove", ..] => (Some(Rule::ShellDockerData), None),
        ["rm" | "container", ..] if verbs.first() == Some(&"rm") || verbs.get(1) == Some(&"rm") => {
            let volumes = has_short(after, 'v') || has_long(after, "volumes", 7);
            (volumes.then_some(Rule::ShellDockerData), None)
        }
        _ => (None, None),
    }
}

fn at_or_done(k: usize, args: &[Word]) -> Next {
    if k < args.len() {
        Next::At(k)
    } else {
        Next::Done(Stdin::Data)
    }
}

/// `docker compose down -v`, `compose rm -v`; `compose exec|run SERVICE command`.
fn compose(args: &[Word]) -> (Option<Rule>, Option<Next>) {
    let options = Options {
        short: "fp",
        long: &[
            "file",
            "project-name",
            "env-file",
            "profile",
            "project-directory",
        ],
    };
    let p = positionals(args, options);
    let Some(&first) = p.first() else {
        return (None, None);
    };
    let after = &args[first + 1..];
    let volumes = has_short(after, 'v') || has_long(after, "volumes", 7);
    match args[first].text.as_str() {
        "down" | "rm" if volumes => (Some(Rule::ShellDockerData), None),
        "exec" | "run" => {
            let k = first_operand(
                after,
                Options {
                    short: "euwp",
                    long: &[
                        "env",
                        "user",
                        "workdir",
                        "index",
                        "entrypoint",
                        "name",
                        "publish",
                        "volume",
                    ],
                },
            );
            (None, Some(at_or_done(first + 1 + k + 1, args)))
        }
        _ => (None, None),
    }
}

/// git commands that throw work away: `push --force`/`--delete`/`+ref`/
/// `:ref`/`--mirror`, `reset --hard`, `clean -f`, `branch -D`,
/// `stash drop|clear`, `checkout -f`.
fn git(cx: &mut Cx, at: usize, args: &[Word]) -> Option<Rule> {
    let options = Options {
        short: "Cc",
        long: &[
            "git-dir",
            "work-tree",
            "namespace",
            "exec-path",
            "config-env",
        ],
    };
    let p = positionals(args, options);
    if p.first().is_some_and(|&k| args[k].expanded) {
        cx.opaque(at);
    }
    let &first = p.first()?;
    let after = &args[first + 1..];
    let sub = positionals(
        after,
        Options {
            short: "o",
            long: &["repo", "push-option"],
        },
    );
    let subs = texts(after, &sub);
    let discards = match args[first].text.as_str() {
        "push" => {
            has_short(after, 'f')
                || has_short(after, 'd')
                || [
                    "force",
                    "force-with-lease",
                    "force-if-includes",
                    "delete",
                    "mirror",
                    "prune",
                ]
                .iter()
                .any(|n| has_long(after, n, n.len()))
                || subs
                    .iter()
                    .skip(1)
                    .any(|r| r.starts_with('+') || r.starts_with(':'))
        }
        "reset" => has_long(after, "hard", 4),
        "clean" => {
            (has_short(after, 'f') || has_long(after, "force", 5))
                && !(has_short(after, 'n') || has_long(after, "dry-run", 3))
        }
        "branch" => {
            after
                .iter()
                .any(|w| short_group(&w.text).is_some_and(|g| g.contains('D')))
                || (has_long(after, "delete", 6) && has_long(after, "force", 5))
        }
        "stash" => matches!(subs.first(), Some(&("drop" | "clear"))),
        "checkout" | "switch" => has_short(after, 'f') || has_long(after, "force", 5),
        _ => false,
    };
    discards.then_some(Rule::ShellGitDiscard)
}
