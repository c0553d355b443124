//! Programs that run another program named by their arguments: the
//! wrapped command is read as a command of its own.

use super::super::shell_lex::Word;
use super::words::{Options, first_operand, has_short, long_name, positionals};
use super::{Cx, Next, Stdin};

/// `at(k)`: the command starts at argument `k`; without one, the wrapper
/// itself does what `alone` says.
fn at(args: &[Word], k: usize, alone: Stdin) -> Next {
    if k < args.len() {
        Next::At(k)
    } else {
        Next::Done(alone)
    }
}

fn opts<'a>(short: &'a str, long: &'a [&'a str]) -> Options<'a> {
    Options { short, long }
}

pub(super) fn program(cx: &mut Cx, _word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let data = Stdin::Data;
    Some(match name {
        "nohup" | "builtin" | "unbuffer" | "caffeinate" | "fakeroot" | "catchsegv" | "time"
        | "setsid" | "tini" | "dumb-init" | "valgrind" | "proxychains" | "proxychains4"
        | "torsocks" | "unshare" | "setpriv" | "with-contenv" => {
            at(args, first_operand(args, Options::NONE), data)
        }
        "exec" => at(args, first_operand(args, opts("a", &[])), data),
        "command" => {
            // `command -v x` / `-V` only looks the name up.
            if has_short(args, 'v') || has_short(args, 'V') {
                Next::Done(data)
            } else {
                at(args, first_operand(args, Options::NONE), data)
            }
        }
        "nice" => at(args, first_operand(args, opts("n", &["adjustment"])), data),
        "ionice" => {
            if has_short(args, 'p') || has_short(args, 'P') || has_short(args, 'u') {
                Next::Done(data)
            } else {
                at(
                    args,
                    first_operand(args, opts("cn", &["class", "classdata"])),
                    data,
                )
            }
        }
        "stdbuf" => at(
            args,
            first_operand(args, opts("ioe", &["input", "output", "error"])),
            data,
        ),
        "timeout" => {
            let k = first_operand(args, opts("sk", &["signal", "kill-after"]));
            at(args, k + 1, data)
        }
        "chroot" => {
            let k = first_operand(args, opts("", &["userspec", "groups"]));
            at(args, k + 1, Stdin::Shell)
        }
        "taskset" | "chrt" => {
            if has_short(args, 'p') {
                Next::Done(data)
            } else {
                let k = first_operand(args, Options::NONE);
                at(args, k + 1, data)
            }
        }
        "numactl" => at(
            args,
            first_operand(
                args,
                opts("NmCpPi", &["cpunodebind", "membind", "physcpubind"]),
            ),
            data,
        ),
        "prlimit" => {
            if args
                .iter()
                .any(|w| w.text.starts_with("--pid") || w.text == "-p")
            {
                Next::Done(data)
            } else {
                at(args, first_operand(args, Options::NONE), data)
            }
        }
        "nsenter" => at(
            args,
            first_operand(args, opts("tSG", &["target", "setuid", "setgid"])),
            Stdin::Shell,
        ),
        "strace" | "ltrace" => {
            if has_short(args, 'p') {
                Next::Done(data)
            } else {
                at(args, first_operand(args, opts("oepsuEaSIXbP", &[])), data)
            }
        }
        "systemd-run" => at(
            args,
            first_operand(
                args,
                opts("pEMHu", &["property", "setenv", "unit", "uid", "gid"]),
            ),
            data,
        ),
        "gosu" | "su-exec" | "s6-setuidgid" | "chpst" => {
            let k = first_operand(args, opts("ugU", &[]));
            at(args, k + 1, data)
        }
        "busybox" | "toybox" => at(args, first_operand(args, Options::NONE), data),
        "sudo" | "doas" => sudo(cx, name, args),
        "env" => env(cx, args),
        "flock" => flock(cx, args),
        "xargs" => listed(cx, args, xargs_command(args)),
        "bundle" | "pipx" | "poetry" | "pdm" | "uv" | "rbenv" | "pyenv" | "pnpm" | "yarn"
        | "npm" | "bun"
            if runs_next(name, args).is_some() =>
        {
            at(args, runs_next(name, args).unwrap_or(args.len()), data)
        }
        "npx" | "bunx" | "pnpx" | "uvx" => {
            at(args, first_operand(args, opts("p", &["package"])), data)
        }
        "direnv" => {
            // `direnv exec DIR command`
            let p = positionals(args, Options::NONE);
            match (p.first(), p.get(2)) {
                (Some(&v), Some(&k)) if args[v].text == "exec" => Next::At(k),
                _ => Next::Done(data),
            }
        }
        "aws-vault" | "op" | "doppler" | "infisical" | "dotenv" | "chamber" => {
            match args.iter().position(|w| w.text == "--") {
                Some(k) => at(args, k + 1, data),
                None => Next::Unknown,
            }
        }
        _ => return None,
    })
}

/// Package and environment managers: the index of the command their `exec`
/// / `run` / `dlx` subcommand runs (not a script name: those are checked
/// as migrations).
fn runs_next(name: &str, args: &[Word]) -> Option<usize> {
    let p = positionals(args, Options::NONE);
    let verb = args.get(*p.first()?)?.text.as_str();
    let runs = match name {
        "bundle" | "rbenv" | "pyenv" => verb == "exec",
        "pipx" | "poetry" | "pdm" | "uv" => verb == "run",
        "pnpm" => verb == "dlx" || verb == "exec",
        "yarn" => verb == "dlx" || verb == "exec",
        "npm" => verb == "exec" || verb == "x",
        "bun" => verb == "x",
        _ => false,
    };
    if !runs {
        return None;
    }
    let after = p[0] + 1;
    Some(after + first_operand(&args[after..], Options::NONE))
}

/// `sudo [options] [VAR=value…] command`; with `-s`/`-i` the command is
/// joined into a line for the target user's shell.
fn sudo(cx: &mut Cx, name: &str, args: &[Word]) -> Next {
    let options = if name == "doas" {
        opts("uC", &[])
    } else {
        opts(
            "ugpCDrtUTRh",
            &[
                "user",
                "group",
                "host",
                "prompt",
                "close-from",
                "chdir",
                "role",
                "type",
                "other-user",
                "command-timeout",
            ],
        )
    };
    let k = first_operand(args, options);
    let flags = &args[..k.min(args.len())];
    let shell = has_short(flags, 's')
        || has_short(flags, 'i')
        || flags
            .iter()
            .any(|w| matches!(long_name(&w.text), Some("shell" | "login")));
    let no_command = has_short(flags, 'e')
        || has_short(flags, 'l')
        || has_short(flags, 'v')
        || has_short(flags, 'k')
        || has_short(flags, 'K');
    if no_command && name == "sudo" {
        return Next::Done(Stdin::Data);
    }
    if shell {
        return if k < args.len() {
            Next::Done(cx.shell_words(&args[k..]))
        } else {
            Next::Done(Stdin::Shell)
        };
    }
    at(args, k, Stdin::Data)
}

/// `env [options] [NAME=value…] command`; `-S 'string'` splits a string
/// into the command and its arguments.
fn env(cx: &mut Cx, args: &[Word]) -> Next {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if let Some(value) = t.strip_prefix("--split-string=") {
            let offset = t.len() - value.len();
            return Next::Done(cx.shell_code(arg, offset));
        }
        if t == "-S" || t == "--split-string" {
            return match args.get(i + 1) {
                Some(code) => Next::Done(cx.shell_code(code, 0)),
                None => Next::Done(Stdin::Data),
            };
        }
        if let Some(rest) = t
            .strip_prefix("-S")
            .filter(|r| !r.is_empty() && !t.starts_with("--"))
        {
            let offset = t.len() - rest.len();
            return Next::Done(cx.shell_code(arg, offset));
        }
        if t == "--" {
            i += 1;
            break;
        }
        if t.starts_with('-') && t.len() > 1 {
            if matches!(t, "-u" | "-C" | "--unset" | "--chdir") {
                i += 1;
            }
            i += 1;
            continue;
        }
        if t == "-" {
            i += 1;
            continue;
        }
        if super::is_assignment_word(cx.text, arg) {
            super::code::assignment(cx, arg);
            i += 1;
            continue;
        }
        break;
    }
    at(args, i, Stdin::Data)
}

/// `flock [options] FILE command…` or `flock FILE -c 'code'`.
fn flock(cx: &mut Cx, args: &[Word]) -> Next {
    if let Some(k) = args
        .iter()
        .position(|w| matches!(w.text.as_str(), "-c" | "--command"))
    {
        return Next::Done(match args.get(k + 1) {
            Some(code) => cx.shell_code(code, 0),
            None => Stdin::Data,
        });
    }
    let k = first_operand(args, opts("wE", &["timeout", "wait", "conflict-exit-code"]));
    at(args, k + 1, Stdin::Data)
}

/// xargs options that take the next word as their value (GNU's optional
/// values, `-i[R]`, `-l[N]`, `-e[E]`, never do).
fn xargs_command(args: &[Word]) -> usize {
    first_operand(
        args,
        opts(
            "adEILnPs",
            &[
                "arg-file",
                "delimiter",
                "max-args",
                "max-procs",
                "max-chars",
                "process-slot-var",
            ],
        ),
    )
}

/// A command run once per item of a list runsheet cannot see: its rules
/// apply with `listed` set (so plain `rm` counts).
pub(super) fn listed(cx: &mut Cx, args: &[Word], k: usize) -> Next {
    if k >= args.len() {
        return Next::Done(Stdin::Data);
    }
    let was = std::mem::replace(&mut cx.listed, true);
    cx.run(args, k);
    cx.listed = was;
    Next::Done(Stdin::Data)
}
