//! Fences as people write them: with no language, or as a terminal session
//! (`$ kubectl get pods` and what it printed). Pure: a fence's info string
//! and text in, a verdict out.
//!
//! - `classify` says whether a fence holds commands, which lines they are
//!   (prompts stripped, continuations kept), what is their output, and the
//!   language that would run them: `check` warns about untyped fences that
//!   hold commands, `adopt` writes the language in.
//! - `split` is what a runnable fence (```console, or ```bash with prompts)
//!   runs: only its commands; the output is kept as the sample shown.

pub mod lint;
mod pending;
pub mod prompt;
#[cfg(test)]
mod tests;
mod words;

use pending::Pending;
pub use prompt::Lang;
use prompt::{Strength, prompt, sql_start, strength};

/// How a fence's language says it should be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// No language at all (or an indented block).
    Untyped,
    /// `text`, `plaintext`, `output`: shown on purpose.
    Text,
    /// `bash`, `sh`, `shell`: a script, every line runs.
    Script,
    /// `console`, `shell-session`: prompts before commands, output after.
    Session,
    /// `sql`, `psql`, `postgresql`.
    Sql,
    /// Any other language (yaml, json, python…): not read here.
    Other,
}

pub fn family(lang: &str) -> Family {
    let lang = lang.trim().to_ascii_lowercase();
    match lang.as_str() {
        "" => Family::Untyped,
        "bash" | "sh" | "shell" => Family::Script,
        "sql" | "psql" | "postgresql" => Family::Sql,
        l if words::TEXT_LANGS.contains(&l) => Family::Text,
        l if words::SESSION_LANGS.contains(&l) => Family::Session,
        _ => Family::Other,
    }
}

/// What a fence holds, read by rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FenceVerdict {
    /// It holds commands runsheet could run (shell or SQL).
    pub holds_commands: bool,
    /// The commands as they would run: prompts stripped, continuations
    /// and heredocs kept, output left out.
    pub commands: String,
    /// What the fence shows the commands printed.
    pub output: Option<String>,
    /// The line of the fence's text (0 = the line after the opening fence)
    /// holding the first command.
    pub first_command_line: Option<usize>,
    /// The language to write on the fence: `bash`, `sql` when it holds
    /// commands (`powershell`, `pycon`, `mysql` when runsheet cannot run
    /// them), `text` otherwise.
    pub suggested_lang: Option<&'static str>,
    /// What the commands are written in.
    pub lang: Option<Lang>,
    /// Its commands carry prompts (`$ `, `postgres=# `).
    pub prompted: bool,
    /// Where each command line starts in `commands` and in the fence's text.
    pub(crate) origins: Vec<(usize, usize)>,
}

impl FenceVerdict {
    /// Where offset `at` of `commands` was in the fence's text.
    pub fn origin(&self, at: usize) -> usize {
        match self.origins.partition_point(|(c, _)| *c <= at) {
            0 => at,
            i => {
                let (c, s) = self.origins[i - 1];
                s + (at - c)
            }
        }
    }

    /// Lines of sample output left out of the commands.
    pub fn output_lines(&self) -> usize {
        self.output.as_deref().map_or(0, |o| o.lines().count())
    }
}

/// Reads a fence: `info` is its info string (language and attributes),
/// `code` its text.
pub fn classify(info: &str, code: &str) -> FenceVerdict {
    let lang = info
        .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
        .next()
        .unwrap_or("");
    read(family(lang), code)
}

/// What a runnable fence runs, when that is not its text as written: the
/// commands of a ```console block, of a ```bash block written with prompts,
/// of a ```sql block copied from psql. None: the fence runs as written.
pub fn split(lang: &str, code: &str) -> Option<FenceVerdict> {
    let fam = family(lang);
    let v = read(fam, code);
    let changed = match fam {
        Family::Session => true,
        Family::Script | Family::Sql => v.prompted,
        _ => false,
    };
    changed.then_some(v)
}

struct Line<'a> {
    /// Offset of the line in the fence's text.
    at: usize,
    text: &'a str,
}

fn lines(code: &str) -> Vec<Line<'_>> {
    let mut at = 0;
    code.split_inclusive('\n')
        .map(|l| {
            let line = Line {
                at,
                text: l.trim_end_matches(['\n', '\r']),
            };
            at += l.len();
            line
        })
        .collect()
}

fn read(fam: Family, code: &str) -> FenceVerdict {
    let ls = lines(code);
    let root_hash = fam != Family::Script;
    let prompts: Vec<Option<prompt::Prompt>> = ls
        .iter()
        .map(|l| prompt(l.text, root_hash).filter(|p| allowed(fam, p.lang)))
        .collect();
    let first_content = ls.iter().position(|l| {
        let t = l.text.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with("--")
    });
    // In a script, a `$ ` line further down may be a heredoc's text: it is
    // a session only if it starts like one.
    let main = match fam {
        Family::Script | Family::Sql => first_content.and_then(|i| prompts[i]).map(|p| p.lang),
        _ => prompts.iter().flatten().find(|p| !p.more).map(|p| p.lang),
    };
    let mut b = Build::new(code);
    match main {
        Some(lang) => prompted(&ls, &prompts, lang, &mut b),
        None if matches!(fam, Family::Script | Family::Sql) => {
            let lang = if fam == Family::Sql {
                Lang::Sql
            } else {
                Lang::Shell
            };
            for l in &ls {
                b.command(l, 0, Some(lang));
            }
            b.strong = first_content.is_some();
        }
        None => unprompted(&ls, &mut b),
    }
    b.finish(fam, main.is_some())
}

fn allowed(fam: Family, lang: Lang) -> bool {
    match fam {
        Family::Script => lang == Lang::Shell,
        Family::Sql => lang == Lang::Sql,
        Family::Session => matches!(lang, Lang::Shell | Lang::Sql | Lang::PowerShell),
        _ => true,
    }
}

/// The verdict being built, line by line.
struct Build<'a> {
    code: &'a str,
    commands: String,
    origins: Vec<(usize, usize)>,
    output: Vec<&'a str>,
    first: Option<usize>,
    lang: Option<Lang>,
    /// A real command was seen (not only `NAME=value` lines).
    strong: bool,
}

impl<'a> Build<'a> {
    fn new(code: &'a str) -> Self {
        Build {
            code,
            commands: String::new(),
            origins: Vec::new(),
            output: Vec::new(),
            first: None,
            lang: None,
            strong: false,
        }
    }

    /// Line `l` runs, less its first `strip` bytes.
    fn command(&mut self, l: &Line<'a>, strip: usize, lang: Option<Lang>) {
        let strip = strip.min(l.text.len());
        let text = &l.text[strip..];
        if self.first.is_none() && !text.trim().is_empty() {
            self.first = Some(self.code[..l.at].matches('\n').count());
        }
        if self.lang.is_none() {
            self.lang = lang;
        }
        self.origins.push((self.commands.len(), l.at + strip));
        self.commands.push_str(text);
        self.commands.push('\n');
    }

    fn output(&mut self, l: &Line<'a>) {
        self.output.push(l.text);
    }

    fn finish(mut self, fam: Family, prompted: bool) -> FenceVerdict {
        while self.output.last().is_some_and(|l| l.trim().is_empty()) {
            self.output.pop();
        }
        let first_out = self.output.iter().position(|l| !l.trim().is_empty());
        let output = first_out.map(|i| self.output[i..].join("\n"));
        if !self.code.ends_with('\n') && self.commands.ends_with('\n') {
            self.commands.pop();
        }
        let runnable = self.lang.is_some_and(Lang::runnable);
        let holds_commands = self.strong && runnable;
        let suggested_lang = match self.lang {
            Some(l) if self.strong => Some(l.fence()),
            _ if fam == Family::Other => None,
            _ => Some("text"),
        };
        FenceVerdict {
            holds_commands,
            commands: self.commands,
            output,
            first_command_line: self.first,
            suggested_lang,
            lang: self.lang,
            prompted,
            origins: self.origins,
        }
    }
}

/// A fence whose commands carry prompts: prompted lines and their
/// continuations run; every other line is output.
fn prompted<'a>(
    ls: &[Line<'a>],
    prompts: &[Option<prompt::Prompt>],
    main: Lang,
    b: &mut Build<'a>,
) {
    let mut pending = Pending::None;
    let mut seen_output = false;
    let mut last_command = false;
    for (l, p) in ls.iter().zip(prompts) {
        let p = p.filter(|p| p.lang == main);
        let was_command = std::mem::replace(&mut last_command, true);
        if pending.open() {
            let strip = match p {
                Some(p) if p.more => p.len,
                _ if main == Lang::Shell => ps2(l.text),
                _ => 0,
            };
            // A new main prompt ends an SQL statement left open.
            if !(main == Lang::Sql && p.is_some_and(|p| !p.more)) {
                pending = pending.after(main, &l.text[strip..]);
                b.command(l, strip, Some(main));
                continue;
            }
        }
        match p {
            Some(p) if !p.more => {
                let text = &l.text[p.len..];
                if text.trim().is_empty() {
                    last_command = false;
                    continue;
                }
                pending = Pending::None.after(main, text);
                b.strong = true;
                seen_output = false;
                b.command(l, p.len, Some(main));
            }
            Some(p) => {
                // A continuation prompt after output: psql's, shown alone.
                b.command(l, p.len, Some(main));
            }
            None if main == Lang::Shell && ps2(l.text) > 0 && was_command => {
                // `> ` under `for … do`: the shell asking for more.
                b.command(l, ps2(l.text), Some(main));
                pending = pending.after(main, &l.text[ps2(l.text)..]);
                continue;
            }
            None => {
                let t = l.text.trim_start();
                let comment = t.starts_with('#') || (main == Lang::Sql && t.starts_with("--"));
                if comment && !seen_output && main.runnable() {
                    b.command(l, 0, Some(main));
                } else {
                    last_command = false;
                    if !t.is_empty() || seen_output {
                        seen_output |= !t.is_empty();
                        b.output(l);
                    }
                }
            }
        }
    }
}

/// Length of a `> ` secondary prompt opening a continued line.
fn ps2(text: &str) -> usize {
    if text == ">" {
        1
    } else if text.starts_with("> ") {
        2
    } else {
        0
    }
}

/// A fence with no prompts: lines that read as commands run, the lines
/// after them are their output, until a blank line and another command.
fn unprompted<'a>(ls: &[Line<'a>], b: &mut Build<'a>) {
    let mut pending = Pending::None;
    let mut lang: Option<Lang> = None;
    let mut in_output = false;
    let mut blank_before = true;
    for (i, l) in ls.iter().enumerate() {
        let t = l.text.trim();
        if pending.open() {
            let main = lang.unwrap_or(Lang::Shell);
            pending = pending.after(main, l.text);
            b.command(l, 0, Some(main));
            continue;
        }
        if t.is_empty() {
            blank_before = true;
            if in_output {
                b.output(l);
            }
            continue;
        }
        let may_start = !in_output || blank_before;
        blank_before = false;
        let is_comment = t.starts_with('#') && !t.starts_with("#!");
        if is_comment && may_start && comment_leads(ls, i) {
            in_output = false;
            b.command(l, 0, lang.or(Some(Lang::Shell)));
            continue;
        }
        let shell = strength(t);
        let sql = lang != Some(Lang::Shell) && sql_start(t) && terminated(ls, i);
        // Once a block is SQL, only a statement starts a command.
        let sql_ok = sql || lang != Some(Lang::Sql);
        if may_start && (shell.is_some() || sql) && sql_ok {
            let this = if sql && shell.is_none() {
                Lang::Sql
            } else {
                Lang::Shell
            };
            if lang.is_some_and(|l| l != this) {
                in_output = true;
                b.output(l);
                continue;
            }
            lang = Some(this);
            in_output = false;
            b.strong |= sql || shell == Some(Strength::Command);
            pending = Pending::None.after(this, l.text);
            b.command(l, 0, Some(this));
        } else {
            in_output = true;
            b.output(l);
        }
    }
}

/// A comment line opens commands when the next content line is one.
fn comment_leads(ls: &[Line], i: usize) -> bool {
    ls[i + 1..]
        .iter()
        .map(|l| l.text.trim())
        .find(|t| !t.is_empty() && !t.starts_with('#'))
        .is_some_and(|t| strength(t).is_some() || sql_start(t))
}

/// An SQL statement starting at line `i` ends with `;` before a blank line.
fn terminated(ls: &[Line], i: usize) -> bool {
    ls[i..]
        .iter()
        .map(|l| l.text.trim())
        .take_while(|t| !t.is_empty())
        .any(|t| t.ends_with(';'))
}
