//! Whether a command goes on to the next line: a trailing `\`, a pipe or
//! `&&` at the end, an open quote, a heredoc, an SQL statement without its
//! `;`. Approximate on purpose: it only decides which lines of a pasted
//! session belong to the command above them.

use super::Lang;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    None,
    /// `\`, `|`, `&&`, `||` at the end of the line.
    Line,
    /// Inside a quote opened on an earlier line.
    Quote(char),
    /// Inside heredocs: their delimiters, in order (`<<-` ones trimmed).
    Heredoc(Vec<(String, bool)>),
    /// An SQL statement not yet ended by `;`.
    Statement,
}

impl Pending {
    pub fn open(&self) -> bool {
        *self != Pending::None
    }

    /// The state after `text`, a line of the command.
    pub fn after(self, lang: Lang, text: &str) -> Pending {
        match (lang, self) {
            (Lang::Sql | Lang::MySql, _) => {
                let t = text.trim();
                if t.is_empty() || t.ends_with(';') || t.starts_with('\\') || t.ends_with("\\g") {
                    Pending::None
                } else {
                    Pending::Statement
                }
            }
            (Lang::Python, _) => Pending::None,
            (_, Pending::Heredoc(mut open)) => {
                if let Some((delim, dash)) = open.first() {
                    let t = if *dash { text.trim_start() } else { text };
                    if t.trim_end() == delim {
                        open.remove(0);
                    }
                }
                if open.is_empty() {
                    Pending::None
                } else {
                    Pending::Heredoc(open)
                }
            }
            (_, Pending::Quote(q)) => shell_line(text, Some(q)),
            (_, _) => shell_line(text, None),
        }
    }
}

/// Reads one shell line from inside quote `quote` (or none).
fn shell_line(text: &str, quote: Option<char>) -> Pending {
    let mut quote = quote;
    let mut heredocs = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut word_start = true;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some('\'') => {
                if c == '\'' {
                    quote = None;
                }
            }
            Some(q) => {
                if c == '\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\\' => i += 1,
                '\'' | '"' => quote = Some(c),
                '#' if word_start => break,
                '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) != Some(&'<') => {
                    i += 2;
                    let dash = chars.get(i) == Some(&'-');
                    if dash {
                        i += 1;
                    }
                    while chars.get(i) == Some(&' ') {
                        i += 1;
                    }
                    let mut delim = String::new();
                    while let Some(&d) = chars.get(i) {
                        if d.is_whitespace() || matches!(d, ';' | '|' | '&' | '>' | '<' | ')') {
                            break;
                        }
                        if !matches!(d, '\'' | '"') {
                            delim.push(d);
                        }
                        i += 1;
                    }
                    if !delim.is_empty() {
                        heredocs.push((delim, dash));
                    }
                    continue;
                }
                _ => {}
            },
        }
        word_start = c.is_whitespace() || matches!(c, ';' | '|' | '&' | '(');
        i += 1;
    }
    if let Some(q) = quote {
        return Pending::Quote(q);
    }
    if !heredocs.is_empty() {
        return Pending::Heredoc(heredocs);
    }
    let t = text.trim_end();
    if t.ends_with('\\') || t.ends_with('|') || t.ends_with("&&") || t.ends_with("||") {
        Pending::Line
    } else {
        Pending::None
    }
}
