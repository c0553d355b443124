//! Destructive calls in a Rails migration. A small Ruby lexer finds where
//! comments, strings and heredocs end, so that `# remove_column` or a
//! message string is not flagged while `execute <<~SQL ... SQL` is read
//! as SQL.

use std::ops::Range;

use super::{Reason, blank, excerpt, line_of, sql_reasons_in};

/// Besides every `remove_*` and `drop_*` method (columns, indexes,
/// references, foreign keys, constraints, tables, enums, views...).
const CALLS: &[&str] = &[
    "rename_column",
    "rename_table",
    // A type change can truncate or fail to cast existing data.
    "change_column",
    // Rails emits `DROP EXTENSION ... CASCADE`, dropping dependent columns.
    "disable_extension",
    // Reverts a block or an earlier migration: its creations are dropped.
    "revert",
    "delete_all",
    "destroy_all",
    "delete_by",
    "destroy_by",
    "truncate",
    "truncate_tables",
];
/// `change_table` block methods, flagged only on a receiver (`t.remove`).
const RECEIVER_CALLS: &[&str] = &["remove", "rename", "change"];
/// Calls whose string arguments are SQL.
const EXEC_CALLS: &[&str] = &[
    "execute",
    "exec_query",
    "exec_update",
    "exec_delete",
    "exec_insert",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    /// A string literal or heredoc; the token's range is its content.
    Str {
        interpolates: bool,
        sql_heredoc: bool,
    },
    Punct(u8),
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

struct Lexed<'a> {
    text: &'a str,
    toks: Vec<Tok>,
    /// Start offsets of `#` comments, to end excerpts before them.
    comments: Vec<usize>,
}

impl Lexed<'_> {
    fn word(&self, k: usize) -> Option<&str> {
        let t = self.toks.get(k)?;
        (t.kind == Kind::Ident)
            .then(|| self.text.get(t.start..t.end))
            .flatten()
    }

    fn punct(&self, k: usize, c: u8) -> bool {
        self.toks.get(k).is_some_and(|t| t.kind == Kind::Punct(c))
    }

    fn is_str(&self, k: usize) -> bool {
        self.toks
            .get(k)
            .is_some_and(|t| matches!(t.kind, Kind::Str { .. }))
    }
}

pub(super) fn reasons(text: &str) -> Vec<Reason> {
    let lexed = lex(text);
    let skip = down_regions(&lexed);
    let skipped = |t: &Tok| skip.iter().any(|r| r.contains(&t.start));
    let mut out = Vec::new();
    let mut sql_strings = Vec::new();
    for (k, t) in lexed.toks.iter().enumerate() {
        if skipped(t) {
            continue;
        }
        match t.kind {
            Kind::Ident => {
                let word = lexed.word(k).unwrap_or_default();
                if EXEC_CALLS.contains(&word) {
                    sql_strings.extend(call_strings(&lexed, k));
                } else if is_destructive_call(&lexed, k, word) {
                    out.push(call_reason(&lexed, k, word));
                }
            }
            // A heredoc tagged SQL is SQL whoever it is handed to.
            Kind::Str {
                sql_heredoc: true, ..
            } => sql_strings.push(k),
            _ => {}
        }
    }
    sql_strings.sort_unstable();
    sql_strings.dedup();
    for k in sql_strings {
        if let Some(t) = lexed.toks.get(k) {
            out.extend(string_sql(text, t));
        }
    }
    out.sort_by_key(|r| r.line);
    out
}

fn is_destructive_call(lexed: &Lexed, k: usize, word: &str) -> bool {
    let after_dot = k > 0 && lexed.punct(k - 1, b'.');
    let defined = (k > 0 && lexed.word(k - 1) == Some("def"))
        || (k > 2
            && after_dot
            && lexed.word(k - 2) == Some("self")
            && lexed.word(k - 3) == Some("def"));
    // `remove_column: true` is a hash key, not a call.
    let label = lexed.toks.get(k).is_some_and(|t| {
        let rest = lexed.text.as_bytes().get(t.end..).unwrap_or_default();
        rest.first() == Some(&b':') && rest.get(1) != Some(&b':')
    });
    if defined || label {
        return false;
    }
    word.starts_with("remove_")
        || word.starts_with("drop_")
        || CALLS.contains(&word)
        || (after_dot && RECEIVER_CALLS.contains(&word))
}

fn call_reason(lexed: &Lexed, k: usize, word: &str) -> Reason {
    let text = lexed.text;
    let at = lexed.toks.get(k).map_or(0, |t| t.start);
    // Show the receiver too: `t.remove :email` reads better than `remove :email`.
    let start = if k > 1 && lexed.punct(k - 1, b'.') && lexed.word(k - 2).is_some() {
        lexed.toks.get(k - 2).map_or(at, |t| t.start)
    } else {
        at
    };
    let line_end = text
        .get(at..)
        .and_then(|s| s.find('\n'))
        .map_or(text.len(), |n| at + n);
    let end = lexed
        .comments
        .iter()
        .copied()
        .find(|&c| c > at && c < line_end)
        .unwrap_or(line_end);
    Reason {
        rule: format!("rails-{}", word.replace('_', "-")),
        excerpt: excerpt(text.get(start..end).unwrap_or(word)),
        line: Some(line_of(text, at)),
    }
}

/// The string literals passed to the call at `k`: `execute "..."`,
/// `execute(<<~SQL.squish)`, `execute "a" + "b"`, `execute "a" \ "b"`.
fn call_strings(lexed: &Lexed, k: usize) -> Vec<usize> {
    let mut j = k + 1;
    if lexed.punct(j, b'(') {
        j += 1;
    }
    let mut out = Vec::new();
    while lexed.is_str(j) {
        out.push(j);
        j += 1;
        while lexed.punct(j, b'.') && lexed.word(j + 1).is_some() {
            j += 2;
        }
        if lexed.punct(j, b'+') || lexed.punct(j, b'\\') {
            j += 1;
        }
    }
    out
}

fn string_sql(text: &str, t: &Tok) -> Vec<Reason> {
    let Kind::Str { interpolates, .. } = t.kind else {
        return Vec::new();
    };
    let Some(content) = text.get(t.start..t.end) else {
        return Vec::new();
    };
    sql_reasons_in(&mask_ruby_string(content, interpolates), text, t.start)
}

/// Same-length copy of a Ruby string's content that PostgreSQL's lexer
/// can read: `#{...}` becomes an identifier-like run of `_`, and
/// backslashes become spaces (the SQL scanner would take `\` for a
/// psql meta-command ending the statement).
fn mask_ruby_string(content: &str, interpolates: bool) -> String {
    let mut out = String::with_capacity(content.len());
    let b = content.as_bytes();
    let mut i = 0;
    while let Some(c) = content.get(i..).and_then(|s| s.chars().next()) {
        let len = c.len_utf8();
        if c == '\\' {
            out.push(' ');
            let next = content.get(i + 1..).and_then(|s| s.chars().next());
            match next {
                Some('\\') => out.push(' '),
                Some('n' | 't' | 'r') if interpolates => out.push(' '),
                Some(n) => out.push(n),
                None => {}
            }
            i += 1 + next.map_or(0, char::len_utf8);
        } else if interpolates && c == '#' && b.get(i + 1) == Some(&b'{') {
            let end = interpolation_end(b, i + 2);
            blank(content.get(i..end).unwrap_or_default(), '_', &mut out);
            i = end;
        } else {
            out.push(c);
            i += len;
        }
    }
    out
}

/// Index just past the `}` closing an interpolation whose body starts
/// at `from`.
fn interpolation_end(b: &[u8], from: usize) -> usize {
    let mut depth = 1;
    let mut j = from;
    while j < b.len() {
        match b[j] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            b'\\' => j += 1,
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// `def down ... end`, `def self.down ... end`, `dir.down do ... end`
/// and `dir.down { ... }` only run on rollback; their `remove_column`
/// is the inverse of an `add_column` that runs forward. Blocks end at
/// the `end` indented like their opening line (the layout every
/// generator and formatter produces); without one, nothing is skipped.
fn down_regions(lexed: &Lexed) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (k, t) in lexed.toks.iter().enumerate() {
        let end = if lexed.word(k) == Some("def") {
            let name = if lexed.word(k + 1) == Some("self") && lexed.punct(k + 2, b'.') {
                k + 3
            } else {
                k + 1
            };
            (lexed.word(name) == Some("down"))
                .then(|| matching_end(lexed, k))
                .flatten()
        } else if lexed.punct(k, b'.') && lexed.word(k + 1) == Some("down") {
            if lexed.word(k + 2) == Some("do") {
                matching_end(lexed, k + 1)
            } else if lexed.punct(k + 2, b'{') {
                matching_brace(lexed, k + 2)
            } else {
                None
            }
        } else {
            None
        };
        if let Some(end) = end {
            out.push(t.start..end);
        }
    }
    out
}

fn matching_end(lexed: &Lexed, k: usize) -> Option<usize> {
    let text = lexed.text;
    let indent = indentation(text, lexed.toks.get(k)?.start);
    for (j, t) in lexed.toks.iter().enumerate().skip(k + 1) {
        // Heredoc bodies start at column 0 whatever the code's layout.
        if matches!(t.kind, Kind::Str { .. }) || !first_on_line(text, t.start) {
            continue;
        }
        let column = t.start - line_start(text, t.start);
        if column == indent && lexed.word(j) == Some("end") {
            return Some(t.end);
        }
        if column < indent {
            return None;
        }
    }
    None
}

fn matching_brace(lexed: &Lexed, k: usize) -> Option<usize> {
    let mut depth = 0usize;
    for t in lexed.toks.iter().skip(k) {
        match t.kind {
            Kind::Punct(b'{') => depth += 1,
            Kind::Punct(b'}') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(t.end);
                }
            }
            _ => {}
        }
    }
    None
}

fn line_start(text: &str, pos: usize) -> usize {
    text.get(..pos)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |n| n + 1)
}

fn first_on_line(text: &str, pos: usize) -> bool {
    text.get(line_start(text, pos)..pos)
        .is_some_and(|s| s.bytes().all(|b| b == b' ' || b == b'\t'))
}

fn indentation(text: &str, pos: usize) -> usize {
    let start = line_start(text, pos);
    text.get(start..)
        .unwrap_or_default()
        .bytes()
        .take_while(|&b| b == b' ' || b == b'\t')
        .count()
}

// ---- lexer ----

struct PendingHeredoc {
    tok: usize,
    tag: String,
    /// `<<~` or `<<-`: the terminator may be indented.
    indented: bool,
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    toks: Vec<Tok>,
    comments: Vec<usize>,
    heredocs: Vec<PendingHeredoc>,
}

fn lex(text: &str) -> Lexed<'_> {
    let mut lx = Lexer {
        text,
        b: text.as_bytes(),
        i: 0,
        toks: Vec::new(),
        comments: Vec::new(),
        heredocs: Vec::new(),
    };
    while lx.i < lx.b.len() {
        if lx.at_line_start() && lx.line_directive() {
            continue;
        }
        lx.step();
    }
    Lexed {
        text,
        toks: lx.toks,
        comments: lx.comments,
    }
}

impl Lexer<'_> {
    fn at_line_start(&self) -> bool {
        self.i == 0 || self.b.get(self.i - 1) == Some(&b'\n')
    }

    fn line_end(&self, from: usize) -> usize {
        self.b
            .get(from..)
            .and_then(|s| s.iter().position(|&c| c == b'\n'))
            .map_or(self.b.len(), |n| from + n)
    }

    fn rest(&self) -> &str {
        self.text.get(self.i..).unwrap_or_default()
    }

    /// `=begin ... =end` comments and the `__END__` data section; true
    /// if something was consumed.
    fn line_directive(&mut self) -> bool {
        let line = self.text.get(self.i..self.line_end(self.i)).unwrap_or("");
        let line = line.trim_end();
        if line == "__END__" {
            self.i = self.b.len();
            return true;
        }
        let begins = line
            .strip_prefix("=begin")
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']));
        if !begins {
            return false;
        }
        self.comments.push(self.i);
        let mut pos = self.line_end(self.i);
        while pos < self.b.len() {
            pos += 1;
            let at_end = self.text.get(pos..).is_some_and(|s| s.starts_with("=end"));
            pos = self.line_end(pos);
            if at_end {
                break;
            }
        }
        self.i = (pos + 1).min(self.b.len());
        true
    }

    fn step(&mut self) {
        let c = self.b[self.i];
        match c {
            b'\n' => {
                self.i += 1;
                self.heredoc_bodies();
            }
            b'#' => {
                self.comments.push(self.i);
                self.i = self.line_end(self.i);
            }
            b'\'' => self.quoted(b'\'', false),
            b'"' | b'`' => self.quoted(c, true),
            b'%' if self.percent_literal() => {}
            b'<' if self.heredoc_marker() => {}
            c if c == b'_' || c.is_ascii_alphabetic() => self.ident(),
            c if c.is_ascii_digit() => {
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|&d| d.is_ascii_alphanumeric() || d == b'_' || d == b'.')
                {
                    self.i += 1;
                }
            }
            c if c.is_ascii_whitespace() => self.i += 1,
            c if c.is_ascii() => {
                self.push(Kind::Punct(c), self.i, self.i + 1);
                self.i += 1;
            }
            _ => self.i += self.rest().chars().next().map_or(1, char::len_utf8),
        }
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        self.toks.push(Tok { kind, start, end });
    }

    fn ident(&mut self) {
        let start = self.i;
        let mut j = start;
        while self
            .b
            .get(j)
            .is_some_and(|&c| c == b'_' || c.is_ascii_alphanumeric())
        {
            j += 1;
        }
        if matches!(self.b.get(j), Some(b'?' | b'!')) && self.b.get(j + 1) != Some(&b'=') {
            j += 1;
        }
        self.push(Kind::Ident, start, j);
        self.i = j;
    }

    fn quoted(&mut self, close: u8, interpolates: bool) {
        let start = self.i + 1;
        let end = self.string_end(start, close, None, interpolates);
        self.push(
            Kind::Str {
                interpolates,
                sql_heredoc: false,
            },
            start,
            end,
        );
        self.i = (end + 1).min(self.b.len());
    }

    /// Index of the delimiter closing a string whose content starts at
    /// `from` (or the end of the text); `open` nests when it differs
    /// from `close`, as in `%q(a (b) c)`.
    fn string_end(&self, from: usize, close: u8, open: Option<u8>, interp: bool) -> usize {
        let mut depth = 0usize;
        let mut j = from;
        while let Some(&c) = self.b.get(j) {
            match c {
                b'\\' => {
                    j += 2;
                    continue;
                }
                b'#' if interp && self.b.get(j + 1) == Some(&b'{') => {
                    j = interpolation_end(self.b, j + 2);
                    continue;
                }
                c if Some(c) == open => depth += 1,
                c if c == close => {
                    if depth == 0 {
                        return j;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            j += 1;
        }
        self.b.len()
    }

    /// `%q(...)`, `%Q[...]`, `%(...)`, `%w[...]`...; a `%` followed by
    /// a space or `=` is the operator.
    fn percent_literal(&mut self) -> bool {
        let i = self.i;
        let (letter, delim_at) = match self.b.get(i + 1) {
            Some(&l) if b"qQwWiIxrs".contains(&l) => (Some(l), i + 2),
            Some(_) => (None, i + 1),
            None => return false,
        };
        let Some(&open) = self.b.get(delim_at) else {
            return false;
        };
        let usable = open.is_ascii_punctuation() && open != b'=';
        if !usable || (letter.is_none() && !b"([{<|!/^".contains(&open)) {
            return false;
        }
        let close = match open {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            c => c,
        };
        let nest = (close != open).then_some(open);
        let interpolates = !matches!(letter, Some(b'q' | b'w' | b'i' | b's'));
        let start = delim_at + 1;
        let end = self.string_end(start, close, nest, interpolates);
        self.push(
            Kind::Str {
                interpolates,
                sql_heredoc: false,
            },
            start,
            end,
        );
        self.i = (end + 1).min(self.b.len());
        true
    }

    /// `<<~TAG`, `<<-TAG`, `<<TAG`, `<<~'TAG'`: the body starts on the
    /// next line, so the token is filled in by `heredoc_bodies`.
    fn heredoc_marker(&mut self) -> bool {
        if self.b.get(self.i + 1) != Some(&b'<') {
            return false;
        }
        let mut k = self.i + 2;
        let indented = matches!(self.b.get(k), Some(b'~' | b'-'));
        if indented {
            k += 1;
        }
        let (tag, interpolates, after) = match self.b.get(k) {
            Some(&q @ (b'\'' | b'"' | b'`')) => {
                let line_end = self.line_end(k);
                let Some(close) = self
                    .b
                    .get(k + 1..line_end)
                    .and_then(|s| s.iter().position(|&c| c == q))
                    .map(|n| k + 1 + n)
                else {
                    return false;
                };
                (self.text.get(k + 1..close), q != b'\'', close + 1)
            }
            // `list <<item` appends: a bare tag must be upper case.
            Some(&c) if c.is_ascii_uppercase() || (indented && c.is_ascii_alphabetic()) => {
                let mut end = k;
                while self
                    .b
                    .get(end)
                    .is_some_and(|&c| c == b'_' || c.is_ascii_alphanumeric())
                {
                    end += 1;
                }
                (self.text.get(k..end), true, end)
            }
            _ => return false,
        };
        let Some(tag) = tag.filter(|t| !t.is_empty()) else {
            return false;
        };
        let sql_heredoc = tag.to_ascii_uppercase().contains("SQL");
        self.heredocs.push(PendingHeredoc {
            tok: self.toks.len(),
            tag: tag.to_string(),
            indented,
        });
        let eof = self.b.len();
        self.push(
            Kind::Str {
                interpolates,
                sql_heredoc,
            },
            eof,
            eof,
        );
        self.i = after;
        true
    }

    /// Reads the bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) {
        for doc in std::mem::take(&mut self.heredocs) {
            let start = self.i;
            let mut pos = start;
            let mut end = self.b.len();
            while pos < self.b.len() {
                let line_end = self.line_end(pos);
                let line = self.text.get(pos..line_end).unwrap_or_default();
                let line = line.trim_end_matches('\r');
                let closes = if doc.indented {
                    line.trim() == doc.tag
                } else {
                    line == doc.tag
                };
                let next = (line_end + 1).min(self.b.len());
                if closes {
                    end = pos;
                    pos = next;
                    break;
                }
                pos = next;
            }
            if let Some(t) = self.toks.get_mut(doc.tok) {
                t.start = start;
                t.end = end;
            }
            self.i = pos;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(String, Option<usize>)> {
        reasons(text)
            .into_iter()
            .map(|r| (r.rule, r.line))
            .collect()
    }

    fn r(rule: &str, line: usize) -> (String, Option<usize>) {
        (rule.to_string(), Some(line))
    }

    #[test]
    fn dsl_calls_are_flagged_with_lines() {
        let text = "class RemoveEmail < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :email, :string\n    drop_table :old\n    rename_column :a, :b, :c\n    change_column :a, :b, :text\n    remove_foreign_key :a, :b\n  end\nend\n";
        assert_eq!(
            rules(text),
            vec![
                r("rails-remove-column", 3),
                r("rails-drop-table", 4),
                r("rails-rename-column", 5),
                r("rails-change-column", 6),
                r("rails-remove-foreign-key", 7),
            ]
        );
        let first = &reasons(text)[0];
        assert_eq!(first.excerpt, "remove_column :users, :email, :string");
    }

    #[test]
    fn comments_strings_and_lookalikes_are_not_calls() {
        let text = "# remove_column :users, :email\n\
                    def change\n  \
                      add_column :users, :x, :string # then drop_table later\n  \
                      say \"remove_column is not run\"\n  \
                      change_column_default :a, :b, 1\n  \
                      change_column_null :a, :b, false\n  \
                      add_index :a, :b, remove_column: true\n\
                    end\n\
                    =begin\n\
                    drop_table :x\n\
                    =end\n\
                    def remove_helper; end\n\
                    __END__\n\
                    drop_table :y\n";
        assert_eq!(rules(text), vec![]);
    }

    #[test]
    fn change_table_receiver_calls() {
        let text = "change_table :users do |t|\n  t.remove :email\n  t.rename :a, :b\n  t.change :price, :decimal\n  t.string :x\n  t.remove_references :org\nend\n";
        assert_eq!(
            rules(text),
            vec![
                r("rails-remove", 2),
                r("rails-rename", 3),
                r("rails-change", 4),
                r("rails-remove-references", 6),
            ]
        );
        assert_eq!(reasons(text)[0].excerpt, "t.remove :email");
    }

    #[test]
    fn execute_strings_are_read_as_sql() {
        let text = "def up\n  execute \"DROP TABLE legacy\"\n  execute(\"UPDATE users SET a = 1 WHERE id = 2\")\n  execute 'DELETE FROM t WHERE x = \\'y\\''\n  connection.execute %q(TRUNCATE audit)\n  exec_query \"SELECT 1\"\n  say \"DROP TABLE not run\"\nend\n";
        assert_eq!(rules(text), vec![r("sql-drop", 2), r("sql-truncate", 5)]);
        assert_eq!(reasons(text)[0].excerpt, "DROP TABLE legacy");
    }

    #[test]
    fn heredocs_are_sql_with_lines_and_interpolation() {
        let text = "def up\n  execute <<~SQL.squish\n    UPDATE users\n    SET name = '#{name}'\n    WHERE id = #{id};\n    DELETE FROM #{table}\n  SQL\n  foo = <<~EOS\n    DROP TABLE not_sql_tag\n  EOS\n  sql = <<-SQL\n    ALTER TABLE t DROP COLUMN c\n  SQL\n  add_column :a, :b, :c\nend\n";
        assert_eq!(
            rules(text),
            vec![r("sql-delete-without-where", 6), r("sql-alter-drop", 12)]
        );
        assert_eq!(reasons(text)[0].excerpt, "DELETE FROM #{table}");
    }

    #[test]
    fn escaped_quotes_do_not_end_statements() {
        let text = "execute \"UPDATE t SET a = \\\"b\\\" WHERE id = 1\"\n";
        assert_eq!(rules(text), vec![]);
        let text = "execute \"DELETE FROM t\\nWHERE id = 1\"\n";
        assert_eq!(rules(text), vec![]);
    }

    #[test]
    fn down_methods_and_blocks_are_skipped() {
        let text = "class AddEmail < ActiveRecord::Migration[7.1]\n  def up\n    add_column :users, :email, :string\n  end\n\n  def down\n    remove_column :users, :email\n    execute <<~SQL\n  DROP TABLE x\nend\n    SQL\n  end\n\n  def self.down\n    drop_table :y\n  end\nend\n";
        assert_eq!(rules(text), vec![]);
        let text = "def change\n  reversible do |dir|\n    dir.up { execute \"UPDATE t SET a = 1 WHERE b\" }\n    dir.down { execute \"DROP TABLE t\" }\n    dir.down do\n      remove_column :a, :b\n    end\n  end\n  remove_index :a, :b\nend\n";
        assert_eq!(rules(text), vec![r("rails-remove-index", 9)]);
    }

    #[test]
    fn an_unmatched_down_is_not_skipped() {
        let text = "def down = remove_column(:a, :b)\n";
        assert_eq!(rules(text), vec![r("rails-remove-column", 1)]);
    }

    const FRAGMENTS: &[&str] = &[
        "execute ",
        "<<~SQL",
        "<<-SQL",
        "<<SQL",
        "<<~'SQL'",
        "SQL",
        "\n",
        "  ",
        "\"",
        "'",
        "#{",
        "}",
        "{",
        "#",
        "=begin",
        "=end",
        "__END__",
        "def down",
        "def self.down",
        "end",
        "dir.down ",
        "do",
        "DROP TABLE x",
        "remove_column :a",
        "%q(",
        "%(",
        ")",
        "\\",
        "é",
        "t.remove",
        ";",
        "(",
        "+",
        ".",
        "?",
        ":",
        "%",
        "<<",
    ];

    proptest::proptest! {
        #[test]
        fn never_panics_on_ruby_like_text(
            parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..60)
        ) {
            let text = parts.concat();
            for r in reasons(&text) {
                proptest::prop_assert!(r.line.is_some_and(|l| l <= text.lines().count() + 1));
            }
        }

        #[test]
        fn never_panics_on_any_text(text in "(?s).{0,300}") {
            let _ = reasons(&text);
        }

        #[test]
        fn masking_keeps_offsets(text in "(?s).{0,200}", interpolates: bool) {
            proptest::prop_assert_eq!(mask_ruby_string(&text, interpolates).len(), text.len());
        }
    }

    #[test]
    fn shift_operator_is_not_a_heredoc() {
        let text = "list <<item\nclass << self\n  drop_table :x\nend\n";
        assert_eq!(rules(text), vec![r("rails-drop-table", 3)]);
    }
}
