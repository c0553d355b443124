//! One line of a fence: is it a prompt, and what follows the prompt; does
//! the text read as a command, a sentence or something else.

use super::words::{ALONE, AMBIGUOUS, COMMANDS, PROSE_SECOND, SQL_STARTS};

/// What a fence's commands are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Shell,
    /// PostgreSQL (`postgres=# `).
    Sql,
    PowerShell,
    Python,
    MySql,
}

impl Lang {
    /// The fence language that says so.
    pub fn fence(self) -> &'static str {
        match self {
            Lang::Shell => "bash",
            Lang::Sql => "sql",
            Lang::PowerShell => "powershell",
            Lang::Python => "pycon",
            Lang::MySql => "mysql",
        }
    }

    /// runsheet runs it (a ```bash or ```sql block).
    pub fn runnable(self) -> bool {
        matches!(self, Lang::Shell | Lang::Sql)
    }
}

/// A prompt found at the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub lang: Lang,
    /// A continuation prompt (`postgres-# `, `    -> `, `... `).
    pub more: bool,
    /// Byte length of the prompt (what is stripped).
    pub len: usize,
}

/// How much a line looks like a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    /// A program and its arguments.
    Command,
    /// Only `NAME=value`: a command among commands, but an env file alone.
    Assignment,
}

/// The prompt opening `line`, if any. `root_hash`: `# ` may be a root
/// prompt (not in a script, where it opens a comment).
pub fn prompt(line: &str, root_hash: bool) -> Option<Prompt> {
    let indent = line.len() - line.trim_start().len();
    let t = &line[indent..];
    let at = |lang, more, len: usize| {
        Some(Prompt {
            lang,
            more,
            len: indent + len,
        })
    };
    if let Some(rest) = t.strip_prefix(">>>") {
        return (rest.is_empty() || rest.starts_with(' ')).then_some(Prompt {
            lang: Lang::Python,
            more: false,
            len: indent + 3 + usize::from(rest.starts_with(' ')),
        });
    }
    if let Some(len) = powershell(t) {
        return at(Lang::PowerShell, false, len);
    }
    if t.starts_with("mysql> ") {
        return at(Lang::MySql, false, 7);
    }
    if indent > 0 && t.starts_with("-> ") {
        return at(Lang::MySql, true, 3);
    }
    if let Some((len, more)) = psql(t) {
        return at(Lang::Sql, more, len);
    }
    let (len, sigil) = shell(t)?;
    let rest = &t[len..];
    let ok = match sigil {
        '#' if len == 2 => root_hash && strength(rest) == Some(Strength::Command),
        _ => starts_like_command(rest),
    };
    ok.then_some(Prompt {
        lang: Lang::Shell,
        more: false,
        len: indent + len,
    })
}

/// `PS C:\Users\me> `, `PS /home/me> `, `PS> `.
fn powershell(t: &str) -> Option<usize> {
    let rest = t.strip_prefix("PS")?;
    if rest.starts_with("> ") {
        return Some(4);
    }
    let r = rest.strip_prefix(' ')?;
    let end = r.find("> ")?;
    let path = &r[..end];
    (path.contains('\\') || path.starts_with('/') || path.contains(':')).then_some(2 + 1 + end + 2)
}

/// `postgres=# `, `app=> `, and their continuations `postgres-# `,
/// `postgres(# `, `postgres'# `.
fn psql(t: &str) -> Option<(usize, bool)> {
    let name_len = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)?;
    if name_len == 0 || t.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let rest = &t[name_len..];
    let mut chars = rest.chars();
    let state = chars.next()?;
    let sigil = chars.next()?;
    if !matches!(state, '=' | '-' | '(' | '\'' | '"' | '*') || !matches!(sigil, '#' | '>') {
        return None;
    }
    let after = &rest[2..];
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    // `a=> b` in a log is not a prompt: psql's are followed by SQL or a
    // backslash command.
    let body = after.trim_start();
    let more = state != '=';
    if !(more || body.is_empty() || body.starts_with('\\') || sql_start(body)) {
        return None;
    }
    Some((name_len + 2 + usize::from(!after.is_empty()), more))
}

/// A shell prompt: `$ `, `% `, `# `, `user@host:~/dir$ `, `[root@db ~]# `,
/// `(venv) $ `, `~/app$ `, `bash-5.1$ `. Returns its length and sigil.
fn shell(t: &str) -> Option<(usize, char)> {
    let mut start = 0;
    // A virtualenv or conda prefix: `(venv) `.
    if t.starts_with('(')
        && let Some(close) = t.find(") ")
        && !t[1..close].contains(' ')
    {
        start = close + 2;
    }
    let s = &t[start..];
    for sigil in ['$', '%', '#'] {
        if s.starts_with(sigil) && s[1..].starts_with(' ') {
            return Some((start + 2, sigil));
        }
    }
    // `[user@host dir]$ `
    if s.starts_with('[')
        && let Some(close) = s.find(']')
        && s[..close].contains('@')
    {
        let after = &s[close + 1..];
        for sigil in ['$', '#', '%'] {
            if after.starts_with(sigil) && after[1..].starts_with(' ') {
                return Some((start + close + 3, sigil));
            }
        }
    }
    // `user@host:~/dir$ `, `~/app$ `, `bash-5.1$ `, `user@host ~ % `: up to
    // three words, the last ending in the sigil.
    let mut end = 0;
    for (i, word) in s.split(' ').take(3).enumerate() {
        end += word.len() + usize::from(i > 0);
        let Some(sigil) = word.chars().last().filter(|c| matches!(c, '$' | '#' | '%')) else {
            continue;
        };
        let prefix = &s[..end - 1];
        let host_like = prefix.contains('@')
            || prefix.starts_with('~')
            || prefix.starts_with("bash-")
            || prefix.starts_with("sh-")
            || (i == 0 && prefix.ends_with(":~"));
        if host_like && s[end..].starts_with(' ') && !prefix.contains("://") {
            return Some((start + end + 1, sigil));
        }
        if i > 0 || !prefix.contains('@') {
            break;
        }
    }
    None
}

/// After a `$ ` prompt: a command, not "$ 12.00 total" or "$ Total".
fn starts_like_command(rest: &str) -> bool {
    let Some(first) = rest.split_whitespace().next() else {
        return false;
    };
    let Some(c) = first.chars().next() else {
        return false;
    };
    if c.is_ascii_digit() || first.ends_with(':') {
        return false;
    }
    if c.is_uppercase() {
        return is_assignment(first) || strength(rest).is_some();
    }
    c.is_alphabetic() || matches!(c, '.' | '/' | '~' | '_' | '(' | '{' | '!' | '[' | '\\')
}

/// `NAME=value`.
pub fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether a line without a prompt reads as a command.
pub fn strength(line: &str) -> Option<Strength> {
    let t = line.trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    let first = *words.first()?;
    if first.ends_with(':') || first.contains("://") {
        return None;
    }
    if is_assignment(first) {
        let rest = words.iter().position(|w| !is_assignment(w));
        return match rest {
            Some(i) => {
                let tail = t.splitn(i + 1, char::is_whitespace).last().unwrap_or("");
                Some(strength(tail).unwrap_or(Strength::Assignment))
            }
            None => Some(Strength::Assignment),
        };
    }
    let word = first.trim_start_matches(['(', '{', '!']);
    let second = words.get(1).map(|w| second_word(w));
    let prose = second.is_some_and(|w| PROSE_SECOND.contains(&w.as_str()));
    let rest = t[first.len()..].trim();
    if AMBIGUOUS.contains(&word) {
        let plain = words.len() == 2 && is_plain_word(words[1]) && !ends_sentence(t);
        let alone = words.len() == 1 && ALONE.contains(&word);
        return (!prose && (alone || evidence(rest) || plain)).then_some(Strength::Command);
    }
    if COMMANDS.contains(&word) {
        return (!prose && !sentence(t, rest)).then_some(Strength::Command);
    }
    if ["./", "../", "~/"].iter().any(|p| word.starts_with(p)) && word.len() > 2 {
        return Some(Strength::Command);
    }
    if word.starts_with('/') && word.len() > 1 {
        let base = word.rsplit('/').next().unwrap_or("");
        return (COMMANDS.contains(&base) || (words.len() > 1 && flags(rest)))
            .then_some(Strength::Command);
    }
    // `myapp status | grep ok`: an unknown program feeding a known one.
    let lower_ident = word
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
        && word.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if lower_ident && !prose {
        let fed = t.split(['|', '&', ';']).skip(1).any(|part| {
            part.split_whitespace()
                .next()
                .is_some_and(|w| COMMANDS.contains(&w) || AMBIGUOUS.contains(&w))
        }) && (t.contains(" | ") || t.contains(" && "));
        if fed {
            return Some(Strength::Command);
        }
    }
    None
}

/// The second word lowercased, cut at an apostrophe ("l'installation" → "l").
fn second_word(w: &str) -> String {
    w.split(['\'', '’'])
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

fn is_plain_word(w: &str) -> bool {
    w.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && !w.ends_with('.')
}

fn ends_sentence(t: &str) -> bool {
    t.ends_with('.') && !t.ends_with("..") || t.ends_with(['!', '?', ','])
}

/// A sentence that happens to start with a program's name.
fn sentence(t: &str, rest: &str) -> bool {
    ends_sentence(t) && t.split_whitespace().count() >= 4 && !evidence(rest)
}

fn flags(rest: &str) -> bool {
    rest.split_whitespace()
        .any(|w| w.starts_with('-') && w.len() > 1)
}

/// Shell, not English: a flag, a path, a variable, a pipe, a quote, a file.
pub fn evidence(rest: &str) -> bool {
    if rest.contains(['/', '$', '|', '>', '<', '=', '"', '*', ';', '&', '~', '`']) || flags(rest) {
        return true;
    }
    rest.split_whitespace().any(|w| {
        let w = w.trim_end_matches([',', ')']);
        w.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && b.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        })
    })
}

/// A line opening an SQL statement (`SELECT …`, `update users set …`), not
/// a sentence ("Select the region", "Update the config").
pub fn sql_start(t: &str) -> bool {
    let mut words = t.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    let bare = first.trim_end_matches(';');
    if !SQL_STARTS.contains(&bare.to_lowercase().as_str()) {
        return false;
    }
    let Some(second) = words.next() else {
        return t.trim_end().ends_with(';');
    };
    if bare.len() > 1 && bare.chars().all(|c| c.is_ascii_uppercase()) {
        return true;
    }
    if PROSE_SECOND.contains(&second_word(second).as_str()) {
        return false;
    }
    let lower = format!(" {} ", t.to_lowercase());
    t.trim_end().ends_with(';')
        || [
            " from ", " set ", " into ", " table ", " where ", " index ", " values",
        ]
        .iter()
        .any(|k| lower.contains(k))
}
