//! Programs that run code: shells, `eval`, `source`, `ssh`, `watch`,
//! `trap`, `alias`, `parallel`, and interpreters of languages runsheet does
//! not analyse. Literal shell code is scanned; code runsheet cannot read
//! (built at run time, in a file, in another language) is opaque.

use super::super::shell_lex::Word;
use super::words::{Options, first_operand, positionals, short_group};
use super::{Cx, Next, Stdin};

pub(super) const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "ash",
    "mksh",
    "yash",
    "fish",
    "busybox-sh",
    "rbash",
];

/// ssh short options that take a value.
const SSH_VALUE_FLAGS: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// Variables whose value the shell or the dynamic loader runs as code.
const CODE_VARIABLES: &[&str] = &[
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "PS4",
    "LD_PRELOAD",
    "LD_AUDIT",
];

/// An assignment (`NAME=value`) whose value will run as code is opaque.
pub(super) fn assignment(cx: &mut Cx, word: &Word) {
    let name = word.text.split(['=', '+']).next().unwrap_or_default();
    if CODE_VARIABLES.contains(&name) || name.starts_with("BASH_FUNC_") {
        cx.opaque(word.span.start);
    }
}

pub(super) fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let at = word.span.start;
    Some(match name {
        _ if SHELLS.contains(&name) => shell(cx, at, args),
        "su" | "runuser" => su(cx, args),
        "sg" => match positionals(args, Options::NONE).get(1) {
            Some(&k) => Next::Done(cx.shell_code(&args[k], 0)),
            None => Next::Done(Stdin::Shell),
        },
        "source" | "." => {
            // Runs a file runsheet does not read, in this very shell.
            cx.opaque(at);
            Next::Done(Stdin::Data)
        }
        "eval" => Next::Done(cx.shell_words(args)),
        "trap" => {
            // `trap 'code' SIGNAL…`: the code runs when the signal comes.
            match args.first() {
                Some(code) if !code.text.starts_with('-') && args.len() > 1 => {
                    cx.shell_code(code, 0);
                }
                _ => {}
            }
            Next::Done(Stdin::Data)
        }
        "alias" => {
            for a in args {
                if let Some(eq) = a.text.find('=') {
                    cx.shell_code(a, eq + 1);
                }
            }
            Next::Done(Stdin::Data)
        }
        "export" | "declare" | "typeset" | "local" | "readonly" => {
            for a in args.iter().filter(|a| a.text.contains('=')) {
                assignment(cx, a);
            }
            Next::Done(Stdin::Data)
        }
        "ssh" => {
            let remote = ssh_remote_command(args);
            if remote.is_empty() {
                Next::Done(Stdin::Shell)
            } else {
                Next::Done(cx.shell_words(remote))
            }
        }
        "watch" => Next::Done(cx.shell_words(watch_command(args))),
        "script" => match dash_c_code(args) {
            Some((code, offset)) => Next::Done(cx.shell_code(code, offset)),
            None => Next::Done(Stdin::Data),
        },
        "at" | "batch" => {
            // Commands come from stdin, or from `-f file`.
            if args.iter().any(|w| w.text == "-f") {
                cx.opaque(at);
                Next::Done(Stdin::Data)
            } else {
                Next::Done(Stdin::Shell)
            }
        }
        "parallel" => parallel(cx, args),
        _ => return interpreter(cx, at, name, args),
    })
}

/// `sh -c CODE`, `sh -s`, `sh FILE`, `sh` reading stdin.
fn shell(cx: &mut Cx, at: usize, args: &[Word]) -> Next {
    if let Some((code, offset)) = dash_c_code(args) {
        return Next::Done(cx.shell_code(code, offset));
    }
    let mut i = 0;
    let mut reads_stdin = false;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if matches!(t, "--rcfile" | "--init-file") {
            cx.opaque(at);
            i += 2;
            continue;
        }
        if let Some(group) = short_group(t).or_else(|| t.strip_prefix('+')) {
            reads_stdin |= group.contains('s');
            if group.ends_with('o') || group.ends_with('O') {
                i += 1;
            }
            i += 1;
            continue;
        }
        if t.starts_with("--") {
            i += 1;
            continue;
        }
        break;
    }
    if i < args.len() && !reads_stdin {
        // `bash script.sh`, `bash <(curl …)`: a file runsheet does not read.
        cx.opaque(at);
        return Next::Done(Stdin::Data);
    }
    Next::Done(Stdin::Shell)
}

/// The code string of `sh -c CODE` / `su -c CODE` / `su --command=CODE`.
pub(super) fn dash_c_code(args: &[Word]) -> Option<(&Word, usize)> {
    for (i, arg) in args.iter().enumerate() {
        let t = arg.text.as_str();
        if t == "--" {
            return None;
        }
        if let Some(value) = t.strip_prefix("--command=") {
            return Some((arg, t.len() - value.len()));
        }
        let takes_code = t == "--command" || short_group(t).is_some_and(|g| g.contains('c'));
        if takes_code {
            return args[i + 1..]
                .iter()
                .find(|w| !w.text.starts_with('-'))
                .map(|w| (w, 0));
        }
    }
    None
}

/// `su [-] [user] [-c code]`, `runuser -u user -- command`.
fn su(cx: &mut Cx, args: &[Word]) -> Next {
    if let Some((code, offset)) = dash_c_code(args) {
        return Next::Done(cx.shell_code(code, offset));
    }
    if args
        .iter()
        .any(|w| w.text == "-u" || w.text.starts_with("--user"))
    {
        let k = first_operand(
            args,
            Options {
                short: "ugGs",
                long: &["user", "group", "shell"],
            },
        );
        if k < args.len() {
            return Next::At(k);
        }
    }
    Next::Done(Stdin::Shell)
}

/// The words after ssh's options and destination: the remote command.
fn ssh_remote_command(args: &[Word]) -> &[Word] {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            return args.get(i + 2..).unwrap_or_default();
        }
        let Some(flags) = t.strip_prefix('-').filter(|f| !f.is_empty()) else {
            return &args[i + 1..];
        };
        for (k, c) in flags.char_indices() {
            if SSH_VALUE_FLAGS.contains(c) {
                if k + c.len_utf8() == flags.len() {
                    i += 1;
                }
                break;
            }
        }
        i += 1;
    }
    &[]
}

/// The words after watch's options: the command it runs through `sh -c`.
fn watch_command(args: &[Word]) -> &[Word] {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if !t.starts_with('-') {
            break;
        }
        if matches!(t, "-n" | "--interval" | "-q" | "--equexit") {
            i += 1;
        }
        i += 1;
        if t == "--" {
            break;
        }
    }
    args.get(i..).unwrap_or_default()
}

/// `parallel [options] 'command {}' ::: items`: the command is a line for
/// a shell, run once per item; without one, the items are the commands.
fn parallel(cx: &mut Cx, args: &[Word]) -> Next {
    let k = first_operand(
        args,
        Options {
            short: "jSaIdECNnL",
            long: &[
                "jobs",
                "sshlogin",
                "arg-file",
                "colsep",
                "delimiter",
                "results",
                "joblog",
                "tmpdir",
                "timeout",
                "workdir",
                "retries",
                "delay",
                "halt",
                "memfree",
                "load",
                "block",
                "env",
            ],
        },
    );
    let rest = args.get(k..).unwrap_or_default();
    let end = rest
        .iter()
        .position(|w| w.text.starts_with(":::"))
        .unwrap_or(rest.len());
    if end == 0 {
        return Next::Done(Stdin::Shell);
    }
    let was = std::mem::replace(&mut cx.listed, true);
    cx.shell_words(&rest[..end]);
    cx.listed = was;
    Next::Done(Stdin::Data)
}

/// Languages runsheet does not analyse: inline code (`python -c`,
/// `perl -e`, `node -e`) and code read from stdin are opaque; a script
/// named on the command line is a program like any other.
fn interpreter(cx: &mut Cx, at: usize, name: &str, args: &[Word]) -> Option<Next> {
    // Short letters that take inline code, and long options that do.
    let (code_letters, code_long): (&str, &[&str]) = match name {
        _ if name.starts_with("python") || name == "pypy" || name == "pypy3" => ("c", &[]),
        "perl" => ("eE", &[]),
        "ruby" | "lua" | "luajit" | "Rscript" | "osascript" | "jruby" => ("e", &[]),
        _ if name.starts_with("lua") => ("e", &[]),
        "node" | "nodejs" => ("ep", &["eval", "print"]),
        "php" => ("r", &[]),
        "pwsh" | "powershell" => ("cCeE", &["command", "encodedcommand"]),
        "mongosh" | "mongo" => ("", &["eval"]),
        "expect" => ("c", &[]),
        "tclsh" | "wish" | "irb" | "deno" | "julia" => ("e", &[]),
        "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => return Some(awk(cx, at, args)),
        _ => return None,
    };
    for a in args
        .iter()
        .map(|w| w.text.as_str())
        .take_while(|t| *t != "--")
    {
        let inline = short_group(a).is_some_and(|g| g.contains(|c| code_letters.contains(c)))
            || a.strip_prefix("--")
                .is_some_and(|l| code_long.contains(&l.split('=').next().unwrap_or_default()))
            || (name.starts_with("pwsh") || name.starts_with("powershell"))
                && a.to_ascii_lowercase().starts_with("-c");
        if inline {
            cx.opaque(at);
            return Some(Next::Done(Stdin::Data));
        }
        if !a.starts_with('-') {
            break;
        }
    }
    if name == "deno" && args.first().is_some_and(|w| w.text == "eval") {
        cx.opaque(at);
        return Some(Next::Done(Stdin::Data));
    }
    let operands = positionals(
        args,
        Options {
            short: "mWXIM",
            long: &[],
        },
    );
    match operands.first() {
        None => Some(Next::Done(Stdin::Code)),
        Some(&k) if args[k].text == "-" => Some(Next::Done(Stdin::Code)),
        Some(&k) => Some(super::migrations::script(cx, at, &args[k], &args[k + 1..])),
    }
}

/// awk runs commands through `system()` and `print | "cmd"`; a program
/// that does either is opaque.
fn awk(cx: &mut Cx, at: usize, args: &[Word]) -> Next {
    if args
        .iter()
        .any(|w| w.text == "-f" || w.text.starts_with("--file"))
    {
        return Next::Done(Stdin::Data);
    }
    let operands = positionals(
        args,
        Options {
            short: "Fvf",
            long: &[],
        },
    );
    if let Some(&k) = operands.first() {
        let program = &args[k];
        let t = program.text.as_str();
        if program.expanded || t.contains("system") || t.contains('|') {
            cx.opaque(at);
        }
    }
    Next::Done(Stdin::Data)
}
