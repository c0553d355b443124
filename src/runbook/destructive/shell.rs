//! Shell rules, applied to each simple command from [`shell_lex`].
//!
//! Destructive programs hide behind wrappers (`sudo`, `docker exec`,
//! `kubectl exec --`, `xargs`, `env`), so a program is recognised by the
//! basename of any word of the command, and its arguments are the words
//! after it. Text that another program will run as shell or SQL (`sh -c`,
//! `ssh host '...'`, `psql -c`, heredocs, here-strings, `echo ... | psql`)
//! is scanned too, with spans mapped back into this text.

use std::cmp::Reverse;
use std::ops::Range;

use super::shell_lex::{self, Command, Word, is_assignment};
use super::{Finding, Rule, finding, sql};

/// ssh short options that take a value.
const SSH_VALUE_FLAGS: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// `sh -c "sh -c ..."` deeper than this is not a real runbook.
const MAX_DEPTH: usize = 8;

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh"];

/// Words that may precede the program without being it.
const RESERVED: &[&str] = &[
    "!", "if", "then", "else", "elif", "do", "while", "until", "time",
];

/// Programs that only print or search their arguments.
const PRINTERS: &[&str] = &["echo", "printf"];
const SEARCHERS: &[&str] = &[
    "grep", "egrep", "fgrep", "rg", "which", "type", "man", "whatis", "apropos",
];

/// Short options taking a value: the rest of the group, or the next word.
const PSQL_VALUE_FLAGS: &str = "cdfFhLopPRTUv";
const PG_RESTORE_VALUE_FLAGS: &str = "dfFhIjLnNpPStTU";

/// aws global options whose value is a separate word.
const AWS_VALUE_OPTIONS: &[&str] = &[
    "--profile",
    "--region",
    "--endpoint-url",
    "--output",
    "--query",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

pub(super) fn scan(text: &str, depth: usize) -> Vec<Finding> {
    let commands = shell_lex::lex(text);
    let mut out = Vec::new();
    for index in 0..commands.len() {
        check(text, &commands, index, depth, &mut out);
    }
    // The same command can be reached twice (`ssh host dropdb x` is both a
    // dropdb and ssh's remote command); keep the widest span per start.
    out.sort_by_key(|f| (f.span.start, f.rule as usize, Reverse(f.span.end)));
    out.dedup_by(|later, kept| later.rule == kept.rule && later.span.start == kept.span.start);
    out
}

fn check(text: &str, commands: &[Command], index: usize, depth: usize, out: &mut Vec<Finding>) {
    let cmd = &commands[index];
    let words = program_words(text, &cmd.words);
    let end = cmd.words.last().map_or(0, |w| w.span.end);
    let mut seen: Vec<Rule> = Vec::new();
    let mut flag = |rule: Rule, start: usize, out: &mut Vec<Finding>| {
        if !seen.contains(&rule) {
            seen.push(rule);
            out.push(finding(rule, text, start..end));
        }
    };
    let program = first_program(words);
    let printer = program.is_some_and(|p| PRINTERS.contains(&p));
    let searcher = program.is_some_and(|p| SEARCHERS.contains(&p));

    if !printer && !searcher {
        for (i, word) in words.iter().enumerate() {
            let args = &words[i + 1..];
            let start = word.span.start;
            match basename(&word.text) {
                "pg_restore" if pg_restore_cleans(args) => {
                    flag(Rule::ShellPgRestoreClean, start, out);
                }
                "dropdb" => flag(Rule::ShellDropdb, start, out),
                "rm" if rm_recursive_force(args) => flag(Rule::ShellRmRecursiveForce, start, out),
                "kubectl" if kubectl_deletes(args) => flag(Rule::ShellKubectlDelete, start, out),
                "aws" if aws_deletes(args) => flag(Rule::ShellAwsS3Rm, start, out),
                "psql" => {
                    for (sql_word, offset) in psql_commands(args) {
                        sql_in_word(sql_word, offset, out);
                    }
                }
                name if name == "su" || SHELLS.contains(&name) => {
                    if let Some((code, offset)) = dash_c_code(args) {
                        shell_in_word(code, offset, depth, out);
                    }
                }
                // These join their arguments into one line for a shell.
                "ssh" => shell_in_words(ssh_remote_command(args), depth, out),
                "eval" => shell_in_words(args, depth, out),
                "watch" => shell_in_words(watch_command(args), depth, out),
                _ => {}
            }
        }
    }

    if !searcher {
        let flush = words.iter().position(|w| {
            w.text.eq_ignore_ascii_case("flushall") || w.text.eq_ignore_ascii_case("flushdb")
        });
        if let Some(at) = flush {
            let anchor = words[..at]
                .iter()
                .rev()
                .find(|w| basename(&w.text) == "redis-cli")
                .unwrap_or(&words[at]);
            flag(Rule::ShellRedisFlush, anchor.span.start, out);
        }
        stdin(text, commands, index, depth, out);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    Sql,
    Shell,
}

/// Scans what a psql or shell command reads on stdin: its heredocs and
/// here-strings, and what `echo`/`printf`/`cat <<EOF` pipe into it.
fn stdin(text: &str, commands: &[Command], index: usize, depth: usize, out: &mut Vec<Finding>) {
    let cmd = &commands[index];
    let words = program_words(text, &cmd.words);
    let Some(input) = stdin_kind(words) else {
        return;
    };
    let mut bodies: Vec<Range<usize>> = cmd.heredocs.iter().map(|h| h.body.clone()).collect();
    let mut strings: Vec<&Word> = cmd.herestrings.iter().collect();
    let feeder = commands[..index]
        .iter()
        .rev()
        .find(|c| c.pipeline == cmd.pipeline);
    if let Some(feeder) = feeder {
        let feeder_words = program_words(text, &feeder.words);
        let args = feeder_words.get(1..).unwrap_or_default();
        match first_program(feeder_words) {
            Some("echo") => strings.extend(args.iter().filter(|w| !w.text.starts_with('-'))),
            Some("printf") => strings.extend(args),
            Some("cat") => {
                bodies.extend(feeder.heredocs.iter().map(|h| h.body.clone()));
                strings.extend(&feeder.herestrings);
            }
            _ => {}
        }
    }
    for body in bodies {
        let Some(body_text) = text.get(body.clone()) else {
            continue;
        };
        let shift = |span: Range<usize>| span.start + body.start..span.end + body.start;
        match input {
            Input::Sql => {
                for f in sql_statement_findings(body_text) {
                    out.push(shell_sql(shift(f.span), f.excerpt));
                }
            }
            Input::Shell if depth < MAX_DEPTH => {
                for f in scan(body_text, depth + 1) {
                    out.push(Finding {
                        span: shift(f.span),
                        ..f
                    });
                }
            }
            Input::Shell => {}
        }
    }
    for word in strings {
        match input {
            Input::Sql => sql_in_word(word, 0, out),
            Input::Shell => shell_in_word(word, 0, depth, out),
        }
    }
}

fn stdin_kind(words: &[Word]) -> Option<Input> {
    if words.iter().any(|w| basename(&w.text) == "psql") {
        return Some(Input::Sql);
    }
    let shell_reads_stdin = words.iter().enumerate().any(|(i, w)| {
        SHELLS.contains(&basename(&w.text)) && dash_c_code(&words[i + 1..]).is_none()
    });
    let ssh_reads_stdin = words
        .iter()
        .enumerate()
        .any(|(i, w)| basename(&w.text) == "ssh" && ssh_remote_command(&words[i + 1..]).is_empty());
    (shell_reads_stdin || ssh_reads_stdin).then_some(Input::Shell)
}

/// SQL findings, the first per statement: a ShellSql finding stands for
/// one statement whatever SQL rules it broke.
fn sql_statement_findings(sql_text: &str) -> Vec<Finding> {
    let mut last = None;
    let mut out = Vec::new();
    for (statement, f) in sql::scan(sql_text) {
        if last != Some(statement) {
            last = Some(statement);
            out.push(f);
        }
    }
    out
}

fn shell_sql(span: Range<usize>, excerpt: String) -> Finding {
    Finding {
        rule: Rule::ShellSql,
        span,
        excerpt,
    }
}

fn sql_in_word(word: &Word, offset: usize, out: &mut Vec<Finding>) {
    let Some(sql_text) = word.text.get(offset..) else {
        return;
    };
    for f in sql_statement_findings(sql_text) {
        let span = word.source_span(f.span.start + offset..f.span.end + offset);
        out.push(shell_sql(span, f.excerpt));
    }
}

fn shell_in_word(word: &Word, offset: usize, depth: usize, out: &mut Vec<Finding>) {
    let Some(code) = word.text.get(offset..) else {
        return;
    };
    if depth >= MAX_DEPTH {
        return;
    }
    for f in scan(code, depth + 1) {
        let span = word.source_span(f.span.start + offset..f.span.end + offset);
        out.push(Finding { span, ..f });
    }
}

fn shell_in_words(words: &[Word], depth: usize, out: &mut Vec<Finding>) {
    if !words.is_empty() {
        shell_in_word(&Word::joined(words), 0, depth, out);
    }
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

/// The words from the first one that is not a `NAME=value` assignment.
fn program_words<'w>(text: &str, words: &'w [Word]) -> &'w [Word] {
    let skip = words
        .iter()
        .take_while(|w| text.get(w.span.clone()).is_some_and(is_assignment))
        .count();
    &words[skip..]
}

fn first_program(words: &[Word]) -> Option<&str> {
    words
        .iter()
        .map(|w| basename(&w.text))
        .find(|name| !RESERVED.contains(name))
}

fn basename(word: &str) -> &str {
    word.rsplit_once('/').map_or(word, |(_, name)| name)
}

fn rm_recursive_force(args: &[Word]) -> bool {
    let (mut recursive, mut force) = (false, false);
    for arg in args {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            // getopt_long accepts any unambiguous prefix: `--rec`, `--f`.
            let name = long.split('=').next().unwrap_or_default();
            if !name.is_empty() {
                recursive |= "recursive".starts_with(name);
                force |= "force".starts_with(name);
            }
        } else if let Some(short) = t.strip_prefix('-') {
            recursive |= short.contains(['r', 'R']);
            force |= short.contains('f');
        }
    }
    recursive && force
}

fn pg_restore_cleans(args: &[Word]) -> bool {
    let mut value_next = false;
    for arg in args {
        let t = arg.text.as_str();
        if std::mem::take(&mut value_next) {
            continue;
        }
        if t == "--" {
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            // `--c` is ambiguous (`--clean`, `--create`); `--cl` is not.
            let name = long.split('=').next().unwrap_or_default();
            if name.len() >= 2 && "clean".starts_with(name) {
                return true;
            }
        } else if let Some(short) = t.strip_prefix('-') {
            for (k, c) in short.char_indices() {
                if c == 'c' {
                    return true;
                }
                if PG_RESTORE_VALUE_FLAGS.contains(c) {
                    value_next = k + 1 == short.len();
                    break;
                }
            }
        }
    }
    false
}

/// SQL given to psql on the command line: (word, offset of the SQL in it).
fn psql_commands(args: &[Word]) -> Vec<(&Word, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or_default();
            if name.len() >= 2 && "command".starts_with(name) {
                match t.find('=') {
                    Some(eq) => found.push((arg, eq + 1)),
                    None => {
                        if let Some(value) = args.get(i + 1) {
                            found.push((value, 0));
                        }
                        i += 1;
                    }
                }
            }
        } else if let Some(short) = t.strip_prefix('-') {
            for (k, c) in short.char_indices() {
                if !PSQL_VALUE_FLAGS.contains(c) {
                    continue;
                }
                let rest = 1 + k + c.len_utf8();
                if rest < t.len() {
                    if c == 'c' {
                        found.push((arg, rest));
                    }
                } else {
                    if c == 'c'
                        && let Some(value) = args.get(i + 1)
                    {
                        found.push((value, 0));
                    }
                    i += 1;
                }
                break;
            }
        }
        i += 1;
    }
    found
}

/// The code string of `sh -c CODE` / `su -c CODE` / `su --command=CODE`.
fn dash_c_code(args: &[Word]) -> Option<(&Word, usize)> {
    for (i, arg) in args.iter().enumerate() {
        let t = arg.text.as_str();
        if let Some(value) = t.strip_prefix("--command=") {
            return Some((arg, t.len() - value.len()));
        }
        let takes_code =
            t == "--command" || (t.starts_with('-') && !t.starts_with("--") && t.contains('c'));
        if takes_code {
            return args[i + 1..]
                .iter()
                .find(|w| !w.text.starts_with('-'))
                .map(|w| (w, 0));
        }
    }
    None
}

fn kubectl_deletes(args: &[Word]) -> bool {
    args.iter()
        .take_while(|w| w.text != "--")
        .any(|w| w.text == "delete")
}

fn aws_deletes(args: &[Word]) -> bool {
    let mut positional = Vec::new();
    let mut value_next = false;
    for arg in args {
        let t = arg.text.as_str();
        if std::mem::take(&mut value_next) {
            continue;
        }
        if t.starts_with('-') {
            value_next = AWS_VALUE_OPTIONS.contains(&t);
        } else {
            positional.push(t);
        }
    }
    match positional.as_slice() {
        ["s3", "rm" | "rb" | "mv", ..] => true,
        ["s3", "sync", ..] => args.iter().any(|w| w.text == "--delete"),
        [
            "s3api",
            "delete-object" | "delete-objects" | "delete-bucket",
            ..,
        ] => true,
        _ => false,
    }
}
