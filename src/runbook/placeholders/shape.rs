//! The shapes people write placeholders in, found in a piece of text:
//! `<namespace>`, `<your project>`, `[PAGE_ID]`, `YOUR_TOKEN`,
//! `your-api-key`, `/path/to/app`, `xxx`, `changeme`, `REPLACE_ME`. Each
//! found one names the variable it becomes. Words only: which parts of a
//! block are code, quotes or comments is the caller's (`shell.rs`, `sql.rs`).

use std::ops::Range;

/// One placeholder in a text: where, as written, and the variable it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub range: Range<usize>,
    pub text: String,
    pub var: String,
}

/// Words that open a placeholder's description and are not its name
/// (`<your-project-id>` → PROJECT_ID, `<votre-namespace>` → NAMESPACE).
const FILLER: [&str; 17] = [
    "your", "my", "the", "a", "an", "insert", "enter", "put", "type", "votre", "vos", "ton", "ta",
    "tes", "le", "la", "les",
];

/// HTML and XML tags, which look like `<name>` in a heredoc or an echo:
/// one of them is a tag when the text also closes it (`</table>`), since
/// `<table>` alone is as often a placeholder for a table's name.
const TAGS: [&str; 40] = [
    "a", "b", "i", "u", "p", "s", "em", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "h1",
    "h2", "h3", "h4", "h5", "h6", "div", "span", "pre", "code", "html", "head", "body", "title",
    "table", "thead", "tbody", "script", "style", "strong", "form", "xml", "section", "label",
];

/// Tags that are never closed (`<br>`): always tags.
const VOID_TAGS: [&str; 6] = ["br", "hr", "img", "meta", "link", "input"];

/// Words that stand for "put a value here" wherever they are (`changeme`,
/// `REPLACE_ME`, `xxx`): the variable is named after what they are given to.
const STAND_INS: [&str; 8] = [
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replace-me",
    "replaceme",
    "a_remplacer",
    "a-remplacer",
];

/// Every placeholder in `text`, in order, none overlapping.
pub fn find(text: &str) -> Vec<Found> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let found = match b[i] {
            b'<' => angle(text, i),
            b'[' => bracket(text, i),
            b'/' => path_to(text, i),
            c if c.is_ascii_alphabetic() && word_starts(b, i) => word(text, i),
            _ => None,
        };
        match found {
            Some(f) => {
                i = f.range.end;
                out.push(f);
            }
            None => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn word_starts(b: &[u8], i: usize) -> bool {
    i == 0 || !(is_word_byte(b[i - 1]) || matches!(b[i - 1], b'$' | b'-' | b'.'))
}

/// `<namespace>`, `<your project id>`, `<DB-HOST>`, `<nom_du_pod>`: a name
/// of letters (and `_ - .` or up to four words) between angle brackets,
/// not glued to a word before it (`Vec<String>`), not a heredoc (`<<EOF`),
/// a process substitution `<(…)`, a tag (`<b>`, `</div>`) or a comparison
/// (`x < 3 and y > 2`, `a <> b`).
fn angle(text: &str, i: usize) -> Option<Found> {
    let b = text.as_bytes();
    // Glued to a word, `v<version>` and `app-<env>` are placeholders all
    // the same, `Vec<String>` a type: a glued one must start lower case.
    let glued = i > 0 && is_word_byte(b[i - 1]);
    if i > 0 && b[i - 1] == b'<' {
        return None;
    }
    if glued && !text[i + 1..].starts_with(|c: char| c.is_lowercase()) {
        return None;
    }
    let rest = &text[i + 1..];
    let close = rest.find(['>', '\n', '<'])?;
    if !rest[close..].starts_with('>') || close == 0 || close > 60 {
        return None;
    }
    let inner = &rest[..close];
    let first = inner.chars().next()?;
    if !first.is_alphabetic() || inner.ends_with([' ', '-', '.']) {
        return None;
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ');
    if !inner.chars().all(allowed) || inner.contains("  ") {
        return None;
    }
    let words: Vec<&str> = inner.split(' ').collect();
    if words.len() > 4 {
        return None;
    }
    if words.len() > 1 {
        // Spaced words are a description (`<your project id>`), not
        // operands of a comparison (`<b AND c>`): all lower case, or all
        // upper case with a filler word first (`<INSERT DATE>`).
        let lower = inner.chars().all(|c| !c.is_uppercase());
        let filler = FILLER.contains(&words[0].to_lowercase().as_str());
        if !(lower || filler) {
            return None;
        }
    }
    let lower = inner.to_ascii_lowercase();
    if VOID_TAGS.contains(&lower.as_str())
        || TAGS.contains(&lower.as_str())
            && text.to_ascii_lowercase().contains(&format!("</{lower}>"))
    {
        return None;
    }
    // `<3>`, `<v1>`, `<x>`: a number, a version or a letter, not a name.
    if inner.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    // `echo "usage: deploy.sh <env>"` documents arguments, asks for none.
    if line_of(text, i).to_ascii_lowercase().contains("usage") {
        return None;
    }
    let end = i + 1 + close + 1;
    Some(Found {
        range: i..end,
        text: text[i..end].to_string(),
        var: name_of(inner)?,
    })
}

/// The line of `text` holding byte `i`.
fn line_of(text: &str, i: usize) -> &str {
    let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
    let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
    &text[start..end]
}

/// Words a script prints in brackets (`echo "[INFO] done"`): log levels
/// and statuses, not values to fill in.
const BRACKET_WORDS: [&str; 18] = [
    "INFO", "WARN", "WARNING", "ERROR", "DEBUG", "TRACE", "FATAL", "CRITICAL", "NOTE", "TODO",
    "DONE", "FAIL", "FAILED", "SUCCESS", "SKIP", "SKIPPED", "PASS", "OK",
];

/// `[PAGE_ID]`, `[CLUSTER-NAME]`: upper case in square brackets. Not a
/// test (`[ -f x ]`, `[[ … ]]`), an index (`${a[0]}`, `arr[IDX]`), or a
/// glob class (`[abc]`, `[A-Z]`).
fn bracket(text: &str, i: usize) -> Option<Found> {
    let b = text.as_bytes();
    if i > 0 && (is_word_byte(b[i - 1]) || matches!(b[i - 1], b'[' | b'$' | b'{')) {
        return None;
    }
    let rest = &text[i + 1..];
    let close = rest.find([']', '\n'])?;
    if !rest[close..].starts_with(']') || rest[close + 1..].starts_with(']') {
        return None;
    }
    let inner = &rest[..close];
    let letters = inner.bytes().filter(u8::is_ascii_uppercase).count();
    let shape = inner
        .bytes()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_' || c == b'-');
    // `[A-Z]` and `[ABC]` are classes: a name has a separator or is long.
    let named = inner.contains('_') || (letters >= 4 && !inner.contains('-'));
    if !shape
        || letters < 2
        || !named
        || !inner.as_bytes()[0].is_ascii_uppercase()
        || BRACKET_WORDS.contains(&inner)
    {
        return None;
    }
    let end = i + 1 + close + 1;
    Some(Found {
        range: i..end,
        text: text[i..end].to_string(),
        var: name_of(inner)?,
    })
}

/// `/path/to/app`, `/path/to/your/backup.sql`, `/chemin/vers/le/dossier`.
fn path_to(text: &str, i: usize) -> Option<Found> {
    let b = text.as_bytes();
    if i > 0 && (is_word_byte(b[i - 1]) || b[i - 1] == b'/' || b[i - 1] == b'.') {
        return None;
    }
    let rest = &text[i..];
    let lower = rest.get(..16).unwrap_or(rest).to_ascii_lowercase();
    let prefix = ["/path/to/", "/chemin/vers/"]
        .into_iter()
        .find(|p| lower.starts_with(p))?;
    let len = rest
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
        .unwrap_or(rest.len());
    let written = rest[..len].trim_end_matches(['/', '.']);
    let tail: Vec<&str> = written
        .get(prefix.len()..)?
        .split('/')
        .filter(|c| !c.is_empty() && !FILLER.contains(&c.to_lowercase().as_str()))
        .collect();
    let last = tail.last()?;
    let var = format!("{}_PATH", name_of(last)?);
    Some(Found {
        range: i..i + written.len(),
        text: written.to_string(),
        var,
    })
}

/// `YOUR_TOKEN`, `your-api-key`, `VOTRE_PROJET`; `xxx`, `XXXX`,
/// `sk-xxxxxxxx`, `changeme`, `REPLACE_ME`.
fn word(text: &str, i: usize) -> Option<Found> {
    let rest = &text[i..];
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let w = rest[..len].trim_end_matches('-');
    if w.is_empty() {
        return None;
    }
    let after = &rest[w.len()..];
    // `YOUR_TOKEN=…` assigns, `${YOUR_TOKEN}` reads: a variable already.
    if after.starts_with('=') && !after.starts_with("==") || text[..i].ends_with("${") {
        return None;
    }
    let lower = w.to_ascii_lowercase();
    let var = if let Some(tail) = ["your_", "your-", "votre_", "votre-"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    {
        // Only the shapes of one case: `your-api-key`, `YOUR_API_KEY`,
        // never prose-like mixed `Your-Thing`.
        let one_case = w == lower || w == w.to_ascii_uppercase();
        if tail.is_empty() || !one_case || !tail.chars().next()?.is_ascii_alphabetic() {
            return None;
        }
        name_of(tail)?
    } else if STAND_INS.contains(&lower.as_str()) || is_x_run(w) {
        stand_in_name(text, i)
    } else {
        return None;
    };
    Some(Found {
        range: i..i + w.len(),
        text: w.to_string(),
        var,
    })
}

/// `xxx`, `XXXX`, or a token that ends in x after a prefix
/// (`sk-xxxxxxxx`, `AKIAXXXXXXXXXXXXXXXX`, `xxxx-xxxx`), never a word that
/// merely holds x (`XXXXXXXabc123` is filler text, `Xerxes` a name).
fn is_x_run(w: &str) -> bool {
    let all_x = w.len() >= 3 && (w.bytes().all(|c| c == b'x') || w.bytes().all(|c| c == b'X'));
    if all_x {
        return true;
    }
    ["xxxx", "XXXX"].iter().any(|run| {
        let x = run.as_bytes()[0];
        w.find(run).is_some_and(|at| {
            let tail = &w.as_bytes()[at..];
            tail.last() == Some(&x) && tail.iter().all(|&c| c == x || c == b'-' || c == b'_')
        })
    })
}

/// The variable a stand-in becomes: the option, key or variable it is the
/// value of (`--token xxx` → TOKEN, `"password": "changeme"` → PASSWORD),
/// or VALUE.
fn stand_in_name(text: &str, i: usize) -> String {
    let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
    let written = text[line_start..i].trim_end_matches(['"', '\'']);
    // `KEY=xxx`, `key: xxx`, `"key": "xxx"` name it; after a space only an
    // option does (`--token xxx`), never the command (`echo xxx`).
    let assigned = written.trim_end_matches(' ').ends_with(['=', ':']);
    let before = written.trim_end_matches(['"', '\'', ' ', '=', ':']);
    let key_start = before
        .char_indices()
        .rfind(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
        .map_or(0, |(n, c)| n + c.len_utf8());
    let word = &before[key_start..];
    if word.eq_ignore_ascii_case("bearer") && written.ends_with(' ') {
        return "TOKEN".to_string();
    }
    let option = word.starts_with('-') && written.ends_with(' ');
    let key = word.trim_start_matches('-');
    match name_of(key) {
        Some(name)
            if (assigned || option)
                && key.len() > 1
                && name.starts_with(|c: char| c.is_ascii_alphabetic()) =>
        {
            name
        }
        _ => "VALUE".to_string(),
    }
}

/// A variable name from a placeholder's words: filler words dropped,
/// accents off, upper case, `_` between words. None when nothing is left.
pub fn name_of(written: &str) -> Option<String> {
    let ascii: String = written.chars().map(unaccent).collect();
    let words: Vec<String> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let start = words
        .iter()
        .position(|w| !FILLER.contains(&w.to_ascii_lowercase().as_str()))
        .unwrap_or(words.len());
    let words = if start == words.len() {
        &words[..]
    } else {
        &words[start..]
    };
    let name = words.join("_");
    if name.is_empty() {
        return None;
    }
    Some(if name.as_bytes()[0].is_ascii_digit() {
        format!("V_{name}")
    } else {
        name
    })
}

fn unaccent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'À' | 'Â' | 'Ä' | 'Á' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'î' | 'ï' | 'í' => 'i',
        'Î' | 'Ï' | 'Í' => 'I',
        'ô' | 'ö' | 'ó' => 'o',
        'Ô' | 'Ö' | 'Ó' => 'O',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'Ù' | 'Û' | 'Ü' | 'Ú' => 'U',
        'ç' => 'c',
        'Ç' => 'C',
        other => other,
    }
}
