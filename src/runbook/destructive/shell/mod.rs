//! Shell rules, applied to each simple command from [`shell_lex`].
//!
//! A command is read the way the shell reads it: the first word that is
//! not an assignment or a reserved word is the program. A wrapper (`sudo`,
//! `env`, `timeout`, `kubectl exec --`, `xargs`, `find -exec` …) names the
//! program it runs, which is read in turn. A program runsheet knows is
//! checked by its family's rules (`files`, `cloud`, `migrations`,
//! `services`, `db`); after a program it does not know, a later word that
//! names one it knows is checked too, in case the unknown program is a
//! wrapper (lean towards flagging).
//!
//! When the analyser cannot tell what runs, it says so: a command word
//! that is a variable or a substitution, code handed to a shell or to
//! `eval` that is not a literal, a shell fed by a pipe, a script file,
//! inline Python/Perl/… code. Those findings are [`Rule::ShellOpaque`].
//!
//! Text that another program will run as shell or SQL (`sh -c`, `ssh host
//! '...'`, `psql -c`, heredocs, here-strings, `echo ... | psql`) is scanned
//! too, with spans mapped back into this text.
//!
//! Every word of a command is visited a bounded number of times, so a
//! line of 200 000 words costs twice a line of 100 000.

use std::cmp::Reverse;
use std::ops::Range;

use super::shell_lex::{self, Command, Word, expands, is_assignment};
use super::{Finding, Rule, finding};

mod cloud;
mod code;
mod db;
mod files;
mod migrations;
mod psql_meta;
mod services;
#[cfg(test)]
mod tests;
mod words;
mod wrappers;

use words::basename;

/// `sh -c "sh -c ..."` deeper than this is not a real runbook.
const MAX_DEPTH: usize = 8;

/// Wrappers inside wrappers (`find -exec xargs sudo env …`) deeper than
/// this are not a real runbook: what they run is called opaque.
const MAX_RUNS: usize = 16;

/// Words that may precede the program without being it.
const RESERVED: &[&str] = &[
    "!", "if", "then", "else", "elif", "do", "while", "until", "coproc",
];

/// Programs and keywords that neither run their arguments nor destroy
/// anything: after them, no later word is a program.
const HARMLESS: &[&str] = &[
    "echo",
    "printf",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "ack",
    "which",
    "type",
    "man",
    "whatis",
    "apropos",
    "whereis",
    "hash",
    "help",
    "test",
    "[",
    "[[",
    "true",
    "false",
    ":",
    "cd",
    "pushd",
    "popd",
    "exit",
    "return",
    "break",
    "continue",
    "shift",
    "set",
    "unset",
    "shopt",
    "read",
    "wait",
    "sleep",
    "cat",
    "ls",
    "mkdir",
    "touch",
    "head",
    "tail",
    "wc",
    "sort",
    "uniq",
    "cut",
    "tr",
    "date",
    "pwd",
    "jq",
    "yq",
    "diff",
    "cmp",
    "stat",
    "du",
    "df",
    "for",
    "case",
    "select",
    "function",
    "in",
    "done",
    "fi",
    "esac",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "seq",
    "id",
    "whoami",
    "hostname",
    "uname",
    "getent",
    "less",
    "more",
    "file",
    "md5sum",
    "sha256sum",
    "base64",
    "gzip",
    "gunzip",
    "zcat",
    "curl",
    "wget",
    "ping",
    "nc",
    "dig",
    "host",
    "nslookup",
    "openssl",
    "tput",
    "clear",
    "history",
    "ulimit",
    "umask",
    "getopts",
    "let",
    "printenv",
    "nproc",
    "free",
    "uptime",
    "ps",
    "top",
    "htop",
    "pgrep",
    "lsof",
    "ss",
    "netstat",
    "tar",
    "zip",
    "unzip",
    "column",
    "fold",
    "fmt",
    "nl",
    "paste",
    "join",
    "comm",
    "rev",
    "tac",
    "expand",
    "xxd",
    "od",
    "hexdump",
    "strings",
];

/// What a command does with what arrives on its standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stdin {
    /// Data: nothing runsheet needs to read.
    Data,
    /// SQL statements (psql, mysql).
    Sql,
    /// Shell code (`sh`, `bash -s`, `ssh host`, `at`).
    Shell,
    /// Redis commands (`redis-cli` without a command).
    Redis,
    /// Code in a language runsheet does not analyse (`python3 -`, `node`).
    Code,
}

/// What a program's rules say about the words after it.
pub(super) enum Next {
    /// The arguments from this index on are a command it runs.
    At(usize),
    /// A program runsheet knows; what it reads on standard input.
    Done(Stdin),
    /// Not a program runsheet knows: a later word may name the one it runs.
    Unknown,
}

/// The state of checking one simple command.
pub(super) struct Cx<'t, 'o> {
    pub text: &'t str,
    /// Nesting of code inside code (`sh -c '…'`).
    pub depth: usize,
    /// End of the command: findings cover from their program to here.
    end: usize,
    /// The command's arguments come from `find`/`xargs`/`parallel`: a
    /// list runsheet cannot see.
    pub listed: bool,
    runs: usize,
    seen: Vec<Rule>,
    defs: &'o Definitions,
    out: &'o mut Vec<Finding>,
}

/// Functions and aliases the scanned text defines: calling them runs code
/// that depends on where and how they are called.
#[derive(Default)]
struct Definitions {
    functions: Vec<String>,
    aliases: Vec<String>,
    /// The text expands positional parameters (`$@`, `$1`…): a function's
    /// arguments may become its commands or their flags.
    positional: bool,
}

impl Definitions {
    fn of(text: &str, commands: &[Command]) -> Definitions {
        let mut defs = Definitions::default();
        for c in commands {
            let Some(first) = c.words.first() else {
                continue;
            };
            let after = text.get(first.span.end..).unwrap_or_default();
            let parens = after.trim_start_matches([' ', '\t']);
            let is_definition = c.words.len() == 1
                && parens.starts_with('(')
                && parens[1..].trim_start_matches([' ', '\t']).starts_with(')');
            if is_definition {
                defs.functions.push(first.text.clone());
            } else if first.text == "function" {
                if let Some(name) = c.words.get(1) {
                    defs.functions
                        .push(name.text.trim_end_matches("()").to_string());
                }
            } else if first.text == "alias" {
                let names = c.words[1..].iter().filter_map(|w| w.text.split_once('='));
                defs.aliases.extend(names.map(|(name, _)| name.to_string()));
            }
        }
        defs.positional = !defs.functions.is_empty() && expands_positional(text);
        defs
    }

    /// A call runsheet cannot follow: an alias defined here, or a function
    /// defined here, given arguments, in a text that expands them.
    fn hides(&self, name: &str, has_args: bool) -> bool {
        self.aliases.iter().any(|a| a == name)
            || (has_args && self.positional && self.functions.iter().any(|f| f == name))
    }
}

/// `$@`, `$*`, `$1`…`$9`, `${@…}`, `${1…}` anywhere in the text.
fn expands_positional(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        let at = |k: usize| b.get(i + k).copied().unwrap_or_default();
        let param = |c: u8| matches!(c, b'@' | b'*' | b'1'..=b'9');
        at(0) == b'$' && (param(at(1)) || (at(1) == b'{' && param(at(2))))
    })
}

impl Cx<'_, '_> {
    /// One finding per rule and command, from `start` to the command's end.
    pub fn flag(&mut self, rule: Rule, start: usize) {
        if !self.seen.contains(&rule) {
            self.seen.push(rule);
            let start = start.min(self.end);
            self.out.push(finding(rule, self.text, start..self.end));
        }
    }

    pub fn opaque(&mut self, start: usize) {
        self.flag(Rule::ShellOpaque, start);
    }

    pub fn push(&mut self, f: Finding) {
        self.out.push(f);
    }

    /// Checks `words[i..]` as a command of its own (what a wrapper runs).
    pub fn run(&mut self, words: &[Word], i: usize) -> Stdin {
        run(self, words, i, true)
    }

    /// Scans `word.text[offset..]` as shell code another shell will run.
    /// Code with an expansion in it is built at run time: opaque (and what
    /// can be read of it is still scanned).
    pub fn shell_code(&mut self, word: &Word, offset: usize) -> Stdin {
        if word.expanded {
            self.opaque(word.span.start);
        }
        let Some(code) = word.text.get(offset..) else {
            return Stdin::Data;
        };
        if self.depth >= MAX_DEPTH {
            self.opaque(word.span.start);
            return Stdin::Data;
        }
        let (found, reads) = scan_reads(code, self.depth + 1, self.listed);
        // Code built at run time is one opaque finding, not one per piece.
        let found = found
            .into_iter()
            .filter(|f| !(word.expanded && f.rule == Rule::ShellOpaque));
        for f in found {
            let span = word.source_span(f.span.start + offset..f.span.end + offset);
            self.push(Finding { span, ..f });
        }
        reads
    }

    /// The words joined with spaces, as `ssh`, `eval` and `watch` join
    /// their arguments before a shell runs them.
    pub fn shell_words(&mut self, words: &[Word]) -> Stdin {
        if words.is_empty() {
            return Stdin::Data;
        }
        self.shell_code(&Word::joined(words), 0)
    }

    /// SQL in `word.text[offset..]`: its destructive statements, and what
    /// psql meta-commands in it run. SQL built at run time is opaque.
    pub fn sql_word(&mut self, word: &Word, offset: usize) {
        if word.expanded {
            self.opaque(word.span.start);
        }
        let Some(sql_text) = word.text.get(offset..) else {
            return;
        };
        for f in db::sql_findings(sql_text, self.depth) {
            let span = word.source_span(f.span.start + offset..f.span.end + offset);
            self.push(Finding { span, ..f });
        }
    }
}

pub(super) fn scan(text: &str, depth: usize) -> Vec<Finding> {
    scan_reads(text, depth, false).0
}

/// The findings in `text`, and what its first commands read on stdin
/// (so that `ssh host psql <<EOF` knows the heredoc is SQL).
fn scan_reads(text: &str, depth: usize, listed: bool) -> (Vec<Finding>, Stdin) {
    let commands = shell_lex::lex(text);
    let feeders = feeders(&commands);
    let defs = Definitions::of(text, &commands);
    let block = Block {
        text,
        commands: &commands,
        depth,
        listed,
        defs: &defs,
    };
    let mut out = Vec::new();
    let mut reads = Stdin::Data;
    for index in 0..commands.len() {
        let stdin = check(&block, index, feeders[index], &mut out);
        let cmd = &commands[index];
        let own_input =
            !cmd.heredocs.is_empty() || !cmd.herestrings.is_empty() || !cmd.stdin_files.is_empty();
        if reads == Stdin::Data && feeders[index].is_none() && !own_input {
            reads = stdin;
        }
    }
    // The same command can be reached twice (`ssh host dropdb x` is both a
    // dropdb and ssh's remote command); keep the widest span per start.
    out.sort_by_key(|f| (f.span.start, f.rule as usize, Reverse(f.span.end)));
    out.dedup_by(|later, kept| later.rule == kept.rule && later.span.start == kept.span.start);
    (out, reads)
}

/// For each command, the one before it in its pipeline (what feeds its
/// stdin), found in one pass.
fn feeders(commands: &[Command]) -> Vec<Option<usize>> {
    let mut last = std::collections::HashMap::new();
    commands
        .iter()
        .enumerate()
        .map(|(index, c)| last.insert(c.pipeline, index))
        .collect()
}

/// What every command of one scanned text shares.
struct Block<'b> {
    text: &'b str,
    commands: &'b [Command],
    depth: usize,
    listed: bool,
    defs: &'b Definitions,
}

fn check(block: &Block, index: usize, feeder: Option<usize>, out: &mut Vec<Finding>) -> Stdin {
    let cmd = &block.commands[index];
    let mut cx = Cx {
        text: block.text,
        depth: block.depth,
        end: cmd.words.last().map_or(0, |w| w.span.end),
        listed: block.listed,
        runs: 0,
        seen: Vec::new(),
        defs: block.defs,
        out,
    };
    let reads = run(&mut cx, &cmd.words, 0, true);
    feed(&mut cx, block.commands, index, feeder, reads);
    reads
}

/// Whether the word is an assignment as written (`NAME=…`).
pub(super) fn is_assignment_word(text: &str, word: &Word) -> bool {
    text.get(word.span.clone()).is_some_and(is_assignment)
}

/// The program name a word spells, or None when the shell computes it
/// (an expansion, a glob, braces).
pub(super) fn command_name(word: &Word) -> Option<&str> {
    let pattern = word.glob && !matches!(word.text.as_str(), "[" | "[[");
    (!word.expanded && !pattern).then(|| basename(&word.text))
}

/// Reads `words[i..]` as a command. `certain`: `words[i]` stands where the
/// shell looks for the program (not after a program runsheet does not know).
fn run(cx: &mut Cx, words: &[Word], mut i: usize, mut certain: bool) -> Stdin {
    cx.runs += 1;
    if cx.runs > MAX_RUNS {
        if let Some(w) = words.get(i) {
            cx.opaque(w.span.start);
        }
        return Stdin::Data;
    }
    while let Some(w) = words.get(i) {
        if certain && is_assignment_word(cx.text, w) {
            code::assignment(cx, w);
            i += 1;
            continue;
        }
        let Some(name) = command_name(w) else {
            if certain {
                cx.opaque(w.span.start);
                return Stdin::Data;
            }
            i += 1;
            continue;
        };
        if certain && RESERVED.contains(&name) {
            i += 1;
            continue;
        }
        if certain && cx.defs.hides(name, i + 1 < words.len()) {
            cx.opaque(w.span.start);
            return Stdin::Data;
        }
        match program(cx, w, name, &words[i + 1..]) {
            Next::At(k) => i += 1 + k,
            Next::Done(stdin) => return stdin,
            Next::Unknown => {
                i += 1;
                certain = false;
            }
        }
    }
    Stdin::Data
}

fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Next {
    if HARMLESS.contains(&name) {
        return Next::Done(Stdin::Data);
    }
    wrappers::program(cx, word, name, args)
        .or_else(|| code::program(cx, word, name, args))
        .or_else(|| db::program(cx, word, name, args))
        .or_else(|| files::program(cx, word, name, args))
        .or_else(|| cloud::program(cx, word, name, args))
        .or_else(|| services::program(cx, word, name, args))
        .or_else(|| migrations::program(cx, word, name, args))
        .unwrap_or(Next::Unknown)
}

/// What a command reads on stdin, when it reads SQL, shell code, Redis
/// commands or other code: its heredocs, here-strings, `< file`, and what
/// the command before it in the pipeline prints. Input runsheet cannot
/// read is opaque.
fn feed(cx: &mut Cx, commands: &[Command], index: usize, feeder: Option<usize>, reads: Stdin) {
    if reads == Stdin::Data {
        return;
    }
    let cmd = &commands[index];
    let at = cmd.words.first().map_or(0, |w| w.span.start);
    if !cmd.stdin_files.is_empty() || cmd.piped_in {
        cx.opaque(at);
    }
    let mut bodies: Vec<Range<usize>> = Vec::new();
    let mut strings: Vec<&Word> = Vec::new();
    let mut visible = literal_input(cx.text, cmd, &mut bodies, &mut strings);
    if let Some(f) = feeder {
        visible &= literal_feed(cx.text, &commands[f], &mut bodies, &mut strings);
    }
    if !visible || (reads == Stdin::Code && !(bodies.is_empty() && strings.is_empty())) {
        cx.opaque(at);
        return;
    }
    for body in bodies {
        let Some(body_text) = cx.text.get(body.clone()) else {
            continue;
        };
        let shift = |span: Range<usize>| span.start + body.start..span.end + body.start;
        let found = match reads {
            Stdin::Sql => db::sql_findings(body_text, cx.depth),
            Stdin::Shell if cx.depth < MAX_DEPTH => scan_reads(body_text, cx.depth + 1, false).0,
            Stdin::Redis => db::redis_findings(body_text),
            _ => Vec::new(),
        };
        for f in found {
            cx.push(Finding {
                span: shift(f.span),
                ..f
            });
        }
    }
    for word in strings {
        match reads {
            Stdin::Sql => cx.sql_word(word, 0),
            Stdin::Shell => {
                cx.shell_code(word, 0);
            }
            Stdin::Redis => {
                for f in db::redis_findings(&word.text) {
                    cx.push(Finding {
                        span: word.source_span(f.span),
                        ..f
                    });
                }
            }
            _ => {}
        }
    }
}

/// The command's own heredocs and here-strings; false when one of them is
/// built at run time.
fn literal_input<'c>(
    text: &str,
    cmd: &'c Command,
    bodies: &mut Vec<Range<usize>>,
    strings: &mut Vec<&'c Word>,
) -> bool {
    let mut visible = true;
    for h in &cmd.heredocs {
        let body = text.get(h.body.clone()).unwrap_or_default();
        visible &= h.quoted || !expands(body);
        bodies.push(h.body.clone());
    }
    for w in &cmd.herestrings {
        visible &= !w.expanded;
        strings.push(w);
    }
    visible
}

/// What a feeding command prints, when runsheet can read it: `echo` and
/// `printf` of literal words, `cat` of heredocs. Anything else (`curl`,
/// `base64 -d`, `cat file`) is input runsheet cannot see.
fn literal_feed<'c>(
    text: &str,
    feeder: &'c Command,
    bodies: &mut Vec<Range<usize>>,
    strings: &mut Vec<&'c Word>,
) -> bool {
    let skip = feeder
        .words
        .iter()
        .take_while(|w| is_assignment_word(text, w))
        .count();
    let words = &feeder.words[skip..];
    let Some(first) = words.first() else {
        return literal_input(text, feeder, bodies, strings);
    };
    let args = &words[1..];
    match command_name(first) {
        Some("echo") => {
            let printed: Vec<&Word> = args.iter().filter(|w| !w.text.starts_with('-')).collect();
            let visible = printed.iter().all(|w| !w.expanded);
            strings.extend(printed);
            visible
        }
        Some("printf") => {
            strings.extend(args);
            args.iter().all(|w| !w.expanded)
        }
        Some("cat") if args.is_empty() || args.iter().all(|w| w.text == "-") => {
            literal_input(text, feeder, bodies, strings) && feeder.stdin_files.is_empty()
        }
        _ => false,
    }
}
