//! Which commands of a shell block need a person at a terminal, found by
//! rule: an editor, a pager, a full-screen monitor, a shell or database
//! prompt with no command given, a container or login with a terminal,
//! `read`, a confirmation prompt. Run with standard input closed, such a
//! command hangs until its timeout or fails without a word; runsheet hands
//! it the terminal instead, or refuses at once when there is none.
//!
//! Also: commands that never end by themselves (`tail -f`, `watch`,
//! `kubectl logs -f`, `sleep infinity`): not interactive, but a step that
//! holds one runs until its timeout or until it is cancelled.
//!
//! The block is read with the destructive rules' lexer (words, pipelines,
//! heredocs, redirections, substitutions); wrappers (`sudo`, `env`,
//! `nohup`, `time`, `timeout`, `sh -c '…'` …) name the program they run,
//! which is read in turn. What each program is, and which flags make it
//! interactive or not, is data: [`table`].

pub(super) mod lint;
mod table;
#[cfg(test)]
mod tests;

use super::destructive::shell_lex::{self, Command, Word};
use std::ops::Range;
use table::{Entry, When};

/// How a command needs a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Opens a text editor.
    Editor,
    /// Shows its text a screen at a time and waits for keys.
    Pager,
    /// Redraws a full screen until it is quit.
    Monitor,
    /// Opens a prompt (a shell, a database client, a REPL, a login) that
    /// reads what is typed until it is told to quit.
    Prompt,
    /// Gives a terminal to a command in a container, a pod or a session
    /// (`-it`, `tmux attach`).
    Terminal,
    /// Reads an answer typed at the terminal (`read`, `select`, `passwd`).
    Reads,
    /// Asks for a confirmation before it goes on (`apt-get install` with
    /// no `-y`, `terraform apply` with no `-auto-approve`).
    Confirms,
}

impl How {
    /// What the command does, after its name: "`vim` opens an editor".
    pub fn says(self) -> &'static str {
        match self {
            How::Editor => "opens an editor",
            How::Pager => "pages its output and waits for keys",
            How::Monitor => "draws a full screen until it is quit",
            How::Prompt => "opens a prompt that reads what is typed until it is quit",
            How::Terminal => "takes a terminal (a session or a container's shell)",
            How::Reads => "reads an answer from the terminal",
            How::Confirms => "asks for a confirmation",
        }
    }

    /// It draws on, or reads keys from, a real terminal: lines typed into
    /// a pipe cannot stand in for one.
    pub fn needs_terminal(self) -> bool {
        matches!(
            self,
            How::Editor | How::Pager | How::Monitor | How::Terminal
        )
    }
}

/// One interactive command in a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interactive {
    /// The program as named (`vim`, `kubectl exec`, `$EDITOR`).
    pub command: String,
    pub how: How,
    /// Where the command stands in the block's text.
    pub span: Range<usize>,
}

impl Interactive {
    /// "`vim` opens an editor".
    pub fn reason(&self) -> String {
        format!("`{}` {}", self.command, self.how.says())
    }
}

/// One command that never ends by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endless {
    pub command: String,
    pub span: Range<usize>,
}

/// What the rules found in one shell block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub interactive: Vec<Interactive>,
    pub endless: Vec<Endless>,
}

impl Scan {
    /// The first interactive command's reason, the one a step names.
    pub fn reason(&self) -> Option<String> {
        self.interactive.first().map(Interactive::reason)
    }

    /// Whether any of its interactive commands needs a real terminal.
    pub fn needs_terminal(&self) -> bool {
        self.interactive.iter().any(|i| i.how.needs_terminal())
    }
}

/// `sh -c '…'` inside `sh -c '…'` deeper than this is not a real runbook.
const MAX_DEPTH: usize = 6;

/// Words that may stand before the program without being it.
const RESERVED: &[&str] = &[
    "!", "if", "then", "else", "elif", "do", "while", "until", "{", "(", "time",
];

/// Scans a shell block.
pub fn scan(code: &str) -> Scan {
    let mut out = Scan::default();
    scan_into(code, 0, &|r| r, &mut out);
    out
}

fn scan_into(code: &str, depth: usize, map: &dyn Fn(Range<usize>) -> Range<usize>, out: &mut Scan) {
    let commands = shell_lex::lex(code);
    for (index, cmd) in commands.iter().enumerate() {
        let fed = fed(&commands, index);
        let piped_out = commands[index + 1..]
            .iter()
            .any(|c| c.pipeline == cmd.pipeline && !c.piped_in);
        let end = cmd.words.last().map_or(0, |w| w.span.end);
        let after = code
            .get(end..)
            .unwrap_or_default()
            .trim_start_matches([' ', '\t']);
        let background = after.starts_with('&') && !after.starts_with("&&");
        let cx = Cx {
            code,
            depth,
            fed,
            piped_out,
            background,
            map,
        };
        let start = program_index(code, &cmd.words, 0);
        cx.command(&cmd.words, start, None, out);
    }
}

/// Whether the command's standard input comes from somewhere other than
/// the terminal: a pipe, a `<` file, a heredoc, a here-string, or, for a
/// loop condition (`while read l`), the loop's `done < file`.
fn fed(commands: &[Command], index: usize) -> bool {
    let cmd = &commands[index];
    let own = |c: &Command| {
        !c.heredocs.is_empty() || !c.herestrings.is_empty() || !c.stdin_files.is_empty()
    };
    let after_pipe = commands[..index].iter().any(|c| c.pipeline == cmd.pipeline) || cmd.piped_in;
    if own(cmd) || after_pipe {
        return true;
    }
    let opens_loop = cmd
        .words
        .first()
        .is_some_and(|w| matches!(w.text.as_str(), "while" | "until"));
    opens_loop && loop_end(commands, index).is_some_and(|d| own(&commands[d]))
}

/// The `done` that closes the loop opened by `commands[index]`.
fn loop_end(commands: &[Command], index: usize) -> Option<usize> {
    let mut open = 0usize;
    for (k, c) in commands.iter().enumerate().skip(index) {
        for w in &c.words {
            match w.text.as_str() {
                "while" | "until" | "for" | "select" => open += 1,
                "done" => {
                    open = open.saturating_sub(1);
                    if open == 0 {
                        return Some(k);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// The index of the first word that is neither an assignment nor a
/// reserved word.
fn program_index(code: &str, words: &[Word], from: usize) -> usize {
    let mut i = from;
    while let Some(w) = words.get(i) {
        let written = code.get(w.span.clone()).unwrap_or_default();
        let assignment = written
            .split_once('=')
            .is_some_and(|(name, _)| is_name(name) && !w.text.starts_with('-'));
        if assignment || RESERVED.contains(&w.text.as_str()) {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What every rule needs to know about the command it reads.
struct Cx<'a> {
    code: &'a str,
    depth: usize,
    /// Its standard input is not the terminal.
    fed: bool,
    /// Its standard output goes into a pipe.
    piped_out: bool,
    /// It runs in the background (`… &`): the block does not wait for it.
    background: bool,
    map: &'a dyn Fn(Range<usize>) -> Range<usize>,
}

impl Cx<'_> {
    /// Reads `words[i..]` as a command: a wrapper's command in turn, a
    /// program from the table, or `$EDITOR`.
    /// `outer`: where the wrapper that runs it stands, the span to show.
    fn command(&self, words: &[Word], i: usize, outer: Option<Range<usize>>, out: &mut Scan) {
        let Some(first) = words.get(i) else {
            return;
        };
        let args = &words[i + 1..];
        let end = words.last().map_or(first.span.end, |w| w.span.end);
        let span = outer.unwrap_or_else(|| (self.map)(first.span.start..end));
        if first.expanded {
            let raw = self.code.get(first.span.clone()).unwrap_or_default();
            if let Some(how) = editor_variable(raw) {
                out.interactive.push(Interactive {
                    command: raw.to_string(),
                    how,
                    span,
                });
            }
            return;
        }
        let name = basename(&first.text);
        // `docker compose exec` is `docker-compose exec`.
        if matches!(name, "docker" | "podman")
            && let Some(k) = table::positional(args, &[], 0)
            && args[k].text == "compose"
        {
            return self.program("docker-compose", span, &args[k + 1..], out);
        }
        self.program(name, span, args, out)
    }

    fn program(&self, name: &str, span: Range<usize>, args: &[Word], out: &mut Scan) {
        if let Some(next) = table::wrapped(name, args) {
            match next {
                table::Wrapped::At(k) => {
                    let k = program_index(self.code, args, k);
                    if name == "timeout" {
                        // What `timeout` runs ends when it says.
                        let mut bounded = Scan::default();
                        self.command(args, k, Some(span), &mut bounded);
                        out.interactive.extend(bounded.interactive);
                    } else {
                        self.command(args, k, Some(span), out)
                    }
                }
                table::Wrapped::Code(k) => self.code_word(&args[k], out),
                table::Wrapped::Itself(how) => out.interactive.push(Interactive {
                    command: name.to_string(),
                    how,
                    span,
                }),
                table::Wrapped::Remote { at, tty } => {
                    let mut remote = Scan::default();
                    self.code_word(&Word::joined(&args[at..]), &mut remote);
                    // `ssh -t host cmd`: the author asked for a terminal.
                    if tty && remote.interactive.is_empty() {
                        out.interactive.push(Interactive {
                            command: name.to_string(),
                            how: How::Terminal,
                            span: span.clone(),
                        });
                    }
                    out.interactive.extend(remote.interactive);
                    out.endless.extend(remote.endless);
                }
                table::Wrapped::Nothing => {}
            }
            return;
        }
        for entry in table::ENTRIES {
            if let Some(found) = self.entry(entry, name, args) {
                let command = match entry.sub {
                    Some(_) => format!("{name} {}", found.1),
                    None => name.to_string(),
                };
                match found.0 {
                    Verdict::Interactive(how) => out.interactive.push(Interactive {
                        command,
                        how,
                        span: span.clone(),
                    }),
                    Verdict::Endless if self.background => {}
                    Verdict::Endless => out.endless.push(Endless {
                        command,
                        span: span.clone(),
                    }),
                }
            }
        }
    }

    /// Code another shell runs (`sh -c '…'`), read as a block of its own.
    fn code_word(&self, word: &Word, out: &mut Scan) {
        if self.depth >= MAX_DEPTH || word.expanded {
            return;
        }
        let outer = self.map;
        let map = |r: Range<usize>| outer(word.source_span(r));
        let mut inner = Scan::default();
        scan_into(&word.text, self.depth + 1, &map, &mut inner);
        if self.fed {
            // The code reads what the outer command is fed (`ssh h psql <
            // dump.sql`): only what draws on a terminal still needs one.
            inner.interactive.retain(|i| i.how.needs_terminal());
        }
        out.interactive.extend(inner.interactive);
        out.endless.extend(inner.endless);
    }

    /// What an entry of the table says about this command, with the
    /// subcommand it matched.
    fn entry<'w>(&self, e: &Entry, name: &str, args: &'w [Word]) -> Option<(Verdict, &'w str)> {
        if !e.names.contains(&name) {
            return None;
        }
        let (sub, rest) = match e.sub {
            Some(subs) => {
                let k = table::positional(args, e.values, 0)?;
                let word = args[k].text.as_str();
                if !subs.contains(&word) {
                    return None;
                }
                (word, &args[k + 1..])
            }
            None => ("", args),
        };
        // Options of the command it runs (`docker exec app ls -la`,
        // `kubectl exec pod -- top`) are not its own.
        let own = &rest[..table::own_end(rest, e.values, e.own_until)];
        let has = |flags: &[&str]| flags.iter().any(|f| table::has_flag(own, f));
        if e.fed_ok && self.fed {
            return None;
        }
        if e.pipe_ok && self.piped_out {
            return None;
        }
        if has(e.never) {
            return None;
        }
        let positionals = table::positionals(rest, e.values);
        let verdict = match e.when {
            When::Always => true,
            When::Unless(flags) => !has(flags),
            When::With(flags) => has(flags),
            When::Operands(n) => positionals <= n,
        };
        verdict.then_some((e.verdict(), sub))
    }
}

/// What one table entry concludes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Interactive(How),
    Endless,
}

/// `$EDITOR`, `${EDITOR}`, `${EDITOR:-vi}`, `"$VISUAL"`, `$PAGER`.
fn editor_variable(raw: &str) -> Option<How> {
    let bare = raw.trim_matches('"').trim_start_matches('$');
    let bare = bare.trim_start_matches('{');
    let named = |v: &str| {
        bare.strip_prefix(v)
            .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
    };
    if ["EDITOR", "VISUAL", "GIT_EDITOR", "SUDO_EDITOR"]
        .iter()
        .any(|v| named(v))
    {
        Some(How::Editor)
    } else if named("PAGER") {
        Some(How::Pager)
    } else {
        None
    }
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}
