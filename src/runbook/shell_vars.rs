//! What a shell block does with variables, read from its text as a shell
//! would split it (quotes, comments, heredocs), for `check`: the names it
//! uses where the shell expands them (not inside single quotes: `awk
//! '{print $NF}'`), the names it sets (`x=1`, `for f in`, `read -p "…" a
//! b`, `local`, `printf -v`), and the names it exports (`export X=…`,
//! `declare -x`, after `set -a`), which carry over to the next blocks of
//! its target.

use std::collections::BTreeSet;
use std::ops::Range;

/// What one shell block does with variables.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShellVars {
    /// References the shell expands, with the byte range of the name.
    pub used: Vec<(String, Range<usize>)>,
    /// Names the block sets, exported or not.
    pub assigned: BTreeSet<String>,
    /// Names the block exports.
    pub exported: BTreeSet<String>,
    /// It reads settings from elsewhere (`source f`, `. f`, `eval`): any
    /// name may come from there.
    pub sources: bool,
}

/// Builtins whose arguments are names set (`NAME` or `NAME=value`).
const DECLARING: [&str; 5] = ["export", "declare", "typeset", "local", "readonly"];

/// Words that come before a command without being one.
const KEYWORDS: [&str; 9] = [
    "while", "until", "if", "then", "do", "else", "elif", "!", "time",
];

/// Options of `read` and `mapfile` that take a value (the next word).
const READ_OPTS_WITH_VALUE: [&str; 7] = ["-p", "-d", "-t", "-n", "-N", "-u", "-i"];
const MAPFILE_OPTS_WITH_VALUE: [&str; 5] = ["-d", "-n", "-O", "-s", "-u"];

pub fn analyse(code: &str) -> ShellVars {
    let (words, expanding) = split(code);
    let mut out = ShellVars {
        used: crate::runbook::vars::references(code)
            .into_iter()
            .filter(|(_, r)| dollar_expands(code, r, &expanding) && !defaulted(code, r))
            .collect(),
        ..ShellVars::default()
    };
    let mut allexport = false;
    for command in words.split(|w| w.is_empty()) {
        // Keywords before a command (`while read line`, `if ! x=…`).
        let mut i = command
            .iter()
            .take_while(|w| KEYWORDS.contains(&w.as_str()))
            .count();
        // Leading assignments (`A=1 B=2 cmd`), and the command after them.
        while let Some(w) = command.get(i) {
            match assignment(w) {
                Some(name) => {
                    if allexport {
                        out.exported.insert(name.clone());
                    }
                    out.assigned.insert(name);
                    i += 1;
                }
                None => break,
            }
        }
        let Some(cmd) = command.get(i).map(String::as_str) else {
            continue;
        };
        let args = &command[i + 1..];
        match cmd {
            c if DECLARING.contains(&c) => {
                let exports =
                    cmd == "export" || args.iter().any(|a| a.starts_with('-') && a.contains('x'));
                let unexport = args.iter().any(|a| a == "-n" && cmd == "export");
                for a in args.iter().filter(|a| !a.starts_with('-')) {
                    let name = a.split(['=', '[']).next().unwrap_or("");
                    let name = name.trim_end_matches('+');
                    if is_name(name) {
                        out.assigned.insert(name.to_string());
                        if exports && !unexport {
                            out.exported.insert(name.to_string());
                        }
                    }
                }
            }
            "read" => names_after_options(args, &READ_OPTS_WITH_VALUE, &["-a"], &mut out),
            "mapfile" | "readarray" => {
                names_after_options(args, &MAPFILE_OPTS_WITH_VALUE, &[], &mut out);
            }
            "for" | "select" => {
                if let Some(name) = args.first().filter(|n| is_name(n)) {
                    out.assigned.insert(name.clone());
                }
            }
            "getopts" => {
                if let Some(name) = args.get(1).filter(|n| is_name(n)) {
                    out.assigned.insert(name.clone());
                }
            }
            "printf" => {
                if let Some(p) = args.iter().position(|a| a == "-v")
                    && let Some(name) = args.get(p + 1).filter(|n| is_name(n))
                {
                    out.assigned.insert(name.clone());
                }
            }
            "set" => {
                let on = args.iter().any(|a| {
                    (a.starts_with('-') && !a.starts_with("--") && a.contains('a'))
                        || a == "allexport"
                });
                if on {
                    allexport = true;
                }
            }
            "source" | "." | "eval" => out.sources = true,
            _ => {}
        }
    }
    out
}

/// `read -r -p "Name: " a b`: every word after the options is a name set;
/// `with_value` options take the next word, `array` ones name an array.
fn names_after_options(args: &[String], with_value: &[&str], array: &[&str], out: &mut ShellVars) {
    let mut i = 0;
    let mut any = false;
    while let Some(a) = args.get(i) {
        if array.contains(&a.as_str()) {
            if let Some(n) = args.get(i + 1).filter(|n| is_name(n)) {
                out.assigned.insert(n.clone());
                any = true;
            }
            i += 2;
        } else if with_value.contains(&a.as_str()) {
            i += 2;
        } else if a.starts_with('-') && a.len() > 1 {
            i += 1;
        } else {
            if is_name(a) {
                out.assigned.insert(a.clone());
                any = true;
            }
            i += 1;
        }
    }
    if !any {
        // `read` with no name sets REPLY, `mapfile` MAPFILE.
        out.assigned.insert("REPLY".into());
        out.assigned.insert("MAPFILE".into());
    }
}

/// `NAME=…`, `NAME+=…` or `NAME[i]=…`: the name.
fn assignment(word: &str) -> Option<String> {
    let (left, _) = word.split_once('=')?;
    let left = left.trim_end_matches('+');
    let name = left.split('[').next().unwrap_or("");
    is_name(name).then(|| name.to_string())
}

pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `${NAME:-default}`, `${NAME-}`, `${NAME:=v}`, `${NAME:+x}`: written for
/// a name that may well be unset, so never worth a warning.
fn defaulted(code: &str, r: &Range<usize>) -> bool {
    code[..r.start].ends_with("${")
        && [":-", ":=", ":+", "-", "=", "+"]
            .iter()
            .any(|op| code[r.end..].starts_with(op))
}

/// Whether the `$` before the name at `r` is one the shell expands.
fn dollar_expands(code: &str, r: &Range<usize>, expanding: &[bool]) -> bool {
    let before = &code[..r.start];
    let dollar = if before.ends_with("${") {
        r.start - 2
    } else if before.ends_with('$') {
        r.start - 1
    } else {
        // `{{NAME}}` (Hurl style) is not the shell's.
        return false;
    };
    expanding.get(dollar).copied().unwrap_or(false)
}

/// The block's words, quotes removed, an empty word between commands;
/// and, per byte, whether a `$` there would be expanded (outside single
/// quotes, comments and the body of a quoted heredoc).
fn split(code: &str) -> (Vec<String>, Vec<bool>) {
    let bytes = code.as_bytes();
    let mut expanding = vec![true; bytes.len()];
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let mut i = 0;
    let end_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' => {
                if let Some(next) = code[i + 1..].chars().next() {
                    if next != '\n' {
                        word.push(next);
                        in_word = true;
                    }
                    expanding[i] = false;
                    if i + 1 < bytes.len() {
                        expanding[i + 1] = false;
                    }
                    i += 1 + next.len_utf8();
                } else {
                    i += 1;
                }
                continue;
            }
            b'\'' => {
                let close = code[i + 1..].find('\'').map_or(bytes.len(), |p| i + 1 + p);
                for e in &mut expanding[i..close.min(bytes.len())] {
                    *e = false;
                }
                word.push_str(&code[i + 1..close.min(bytes.len())]);
                in_word = true;
                i = close + 1;
                continue;
            }
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let close = j.min(bytes.len());
                word.push_str(&code[i + 1..close.max(i + 1)].replace("\\\"", "\""));
                in_word = true;
                i = close + 1;
                continue;
            }
            b'#' if !in_word => {
                let eol = code[i..].find('\n').map_or(bytes.len(), |p| i + p);
                for e in &mut expanding[i..eol] {
                    *e = false;
                }
                i = eol;
                continue;
            }
            b'<' if code[i..].starts_with("<<") && !code[i..].starts_with("<<<") => {
                end_word(&mut words, &mut word, &mut in_word);
                let mut j = i + 2;
                if bytes.get(j) == Some(&b'-') {
                    j += 1;
                }
                while bytes.get(j) == Some(&b' ') {
                    j += 1;
                }
                let quoted = matches!(bytes.get(j), Some(b'\'' | b'"' | b'\\'));
                let rest = &code[j..];
                let delim: String = rest
                    .trim_start_matches(['\'', '"', '\\'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                let skip =
                    rest.len() - rest.trim_start_matches(['\'', '"', '\\']).len() + delim.len();
                let after = &code[j + skip..];
                let closing_quote = usize::from(after.starts_with(['\'', '"']));
                if !delim.is_empty() {
                    heredocs.push((delim, quoted));
                }
                i = j + skip + closing_quote;
                continue;
            }
            b'\n' => {
                end_word(&mut words, &mut word, &mut in_word);
                words.push(String::new());
                i += 1;
                // Heredoc bodies start on the next line: skip them, whole.
                for (delim, quoted) in std::mem::take(&mut heredocs) {
                    while i < bytes.len() {
                        let eol = code[i..].find('\n').map_or(bytes.len(), |p| i + p);
                        let line = code[i..eol].trim();
                        if quoted {
                            for e in &mut expanding[i..eol] {
                                *e = false;
                            }
                        }
                        i = (eol + 1).min(bytes.len());
                        if line == delim {
                            break;
                        }
                    }
                }
                continue;
            }
            b';' | b'&' | b'|' | b'(' | b')' | b'{' | b'}'
                if !in_word || c != b'{' && c != b'}' =>
            {
                end_word(&mut words, &mut word, &mut in_word);
                words.push(String::new());
            }
            b' ' | b'\t' => end_word(&mut words, &mut word, &mut in_word),
            _ => {
                let ch = code[i..].chars().next().unwrap_or(' ');
                word.push(ch);
                in_word = true;
                i += ch.len_utf8();
                continue;
            }
        }
        i += 1;
    }
    end_word(&mut words, &mut word, &mut in_word);
    (words, expanding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(code: &str) -> Vec<String> {
        analyse(code).used.into_iter().map(|(n, _)| n).collect()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_quotes_comments_and_quoted_heredocs_do_not_expand() {
        assert_eq!(
            used("awk '{print $NF}' $FILE # not $THIS\necho \"$A ${B}\" \\$NOT"),
            ["FILE", "A", "B"]
        );
        assert_eq!(
            used("cat <<'EOF' > x\n$LITERAL\nEOF\ncat <<EOF\n$EXPANDED\nEOF\necho $AFTER"),
            ["EXPANDED", "AFTER"]
        );
    }

    #[test]
    fn names_set_as_people_write_them() {
        let v = analyse(
            "x=1; echo $x\nfor f in *.sql; do psql -f \"$f\"; done\n\
             read -r -p \"Namespace: \" ns other\nlocal lv=2\nprintf -v when '%s' now\n\
             while read line; do :; done\narr[0]=a\nn+=1\nA=1 B=2 cmd\n\
             getopts ab opt\nmapfile -t lines < f",
        );
        assert_eq!(
            v.assigned,
            set(&[
                "A", "B", "arr", "f", "line", "lines", "lv", "n", "ns", "opt", "other", "when", "x"
            ])
        );
        assert!(v.exported.is_empty());
    }

    #[test]
    fn names_exported() {
        let v = analyse(
            "export BACKUP_DIR=/var/backups/$(date +%F)\nexport A B=1\ndeclare -x lower=1\n\
             declare -r RO=1\nset -a\nALL=1\nset +a",
        );
        assert_eq!(v.exported, set(&["A", "ALL", "B", "BACKUP_DIR", "lower"]));
        assert!(v.assigned.contains("RO"));
        assert!(!v.sources);
        assert!(analyse(". ./env.sh").sources);
        assert!(analyse("source .env && echo hi").sources);
    }

    #[test]
    fn a_name_given_a_default_is_not_a_use_to_check() {
        assert_eq!(
            used("echo ${A:-x} ${B-} ${C:=1} ${D:+y} ${E:?needed} ${F}"),
            ["E", "F"]
        );
    }

    #[test]
    fn read_with_no_name_sets_reply() {
        assert!(analyse("read -p 'Go? '").assigned.contains("REPLY"));
    }
}
