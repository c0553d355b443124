//! Variable references in action text: `$NAME`, `${NAME}` (shell style,
//! everywhere) and `{{NAME}}` (Hurl style, in http blocks).

use std::collections::HashMap;
use std::ops::Range;

/// Variables runsheet itself sets for every command.
pub const PROVIDED: [&str; 4] = [
    "RUNSHEET_TARGET",
    "RUNSHEET_RUNBOOK",
    "RUNSHEET_STEP",
    "DATABASE_URL",
];

/// Environment variables a shell or the platform sets, never worth a warning.
const AMBIENT: &[&str] = &[
    "HOME",
    "PATH",
    "USER",
    "LOGNAME",
    "PWD",
    "OLDPWD",
    "SHELL",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "TERM",
    "HOSTNAME",
    "RANDOM",
    "SECONDS",
    "LINENO",
    "UID",
    "EUID",
    "PPID",
    "IFS",
    "BASH_SOURCE",
    "PIPESTATUS",
    "KUBECONFIG",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "PGHOST",
    "PGUSER",
    "PGDATABASE",
    "PGPORT",
    "PGPASSWORD",
    "REPLY",
    "OPTARG",
    "OPTIND",
    "BASH_REMATCH",
    "BASH_VERSION",
    "BASHPID",
    "FUNCNAME",
    "HOSTTYPE",
    "OSTYPE",
    "MACHTYPE",
    "SHLVL",
    "COLUMNS",
    "LINES",
    "EPOCHSECONDS",
    "EPOCHREALTIME",
    "MAPFILE",
    "DISPLAY",
    "SSH_AUTH_SOCK",
    "HISTFILE",
];

pub fn is_ambient(name: &str) -> bool {
    AMBIENT.contains(&name) || PROVIDED.contains(&name) || name.starts_with("XDG_")
}

/// Every reference with the byte range of its name.
pub fn references(text: &str) -> Vec<(String, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'$' => {
                let braced = bytes.get(i + 1) == Some(&b'{');
                let start = i + 1 + usize::from(braced);
                let end = name_end(bytes, start);
                if end > start && !bytes[start].is_ascii_digit() {
                    out.push((text[start..end].to_string(), start..end));
                }
                i = end.max(i + 1);
            }
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                let mut start = i + 2;
                while bytes.get(start) == Some(&b' ') {
                    start += 1;
                }
                let end = name_end(bytes, start);
                let mut close = end;
                while bytes.get(close) == Some(&b' ') {
                    close += 1;
                }
                if end > start && text.get(close..close + 2) == Some("}}") {
                    out.push((text[start..end].to_string(), start..end));
                }
                i = end.max(i + 2);
            }
            _ => i += 1,
        }
    }
    out
}

/// Replaces `$NAME`, `${NAME}` and `{{NAME}}` with resolved values, then the
/// process environment; unknown references are left as written.
pub fn expand(
    text: &str,
    values: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (name, range) in references(text) {
        let Some(value) = values.get(&name).cloned().or_else(|| env(&name)) else {
            continue;
        };
        // The reference's full extent: `$`, `${…}` or `{{ … }}` around the name.
        let (start, end) = reference_bounds(text, range.start, range.end);
        out.push_str(&text[last..start]);
        out.push_str(&value);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The full extent of the reference whose name is at `name_start..name_end`:
/// `$`, `${…}` or `{{ … }}` around it (just the name when it is none of those).
pub fn reference_bounds(text: &str, name_start: usize, name_end: usize) -> (usize, usize) {
    let before = &text[..name_start];
    if before.ends_with("${") && text[name_end..].starts_with('}') {
        return (name_start - 2, name_end + 1);
    }
    if before.ends_with('$') {
        return (name_start - 1, name_end);
    }
    let open = before.trim_end_matches(' ');
    if open.ends_with("{{") {
        let after = text[name_end..].trim_start_matches(' ');
        if after.starts_with("}}") {
            let close = text.len() - after.len() + 2;
            return (open.len() - 2, close);
        }
    }
    (name_start, name_end)
}

fn name_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
        end += 1;
    }
    end
}

/// Names a shell block assigns itself (`X=…`, `export X=…`, `for X in`,
/// `read X`), which are not the runbook's variables
/// (`shell_vars::analyse`, read as the shell splits words).
pub fn assigned_in_shell(code: &str) -> Vec<String> {
    super::shell_vars::analyse(code)
        .assigned
        .into_iter()
        .collect()
}

/// An environment-style name worth checking: upper case, as the runbooks'
/// own variables are; lower-case names are the script's locals.
pub fn looks_like_env(name: &str) -> bool {
    name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Words anywhere in a name that say its value is a credential.
const SECRET_WORDS: [&str; 11] = [
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "TOKEN",
    "SECRET",
    "CREDENTIAL",
    "APIKEY",
    "PRIVATE",
    "COOKIE",
    "BEARER",
    "MOTDEPASSE",
];

/// Whole `_`-separated parts that say the same (`DB_PASS`, `API_KEY`,
/// `MOT_DE_PASSE`), which as substrings would catch `KEYSPACE` or `PASSAGE`.
const SECRET_PARTS: [&str; 7] = ["KEY", "PASS", "PWD", "PW", "PASSE", "JETON", "CLE"];

/// A name whose value is a credential (`PGPASSWORD`, `api_token`,
/// `AWS_SECRET_ACCESS_KEY`, `DB_PASS`, `MOT_DE_PASSE`): the one rule by
/// which a placeholder's or an exported variable's value is masked.
pub fn names_a_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    SECRET_WORDS.iter().any(|w| upper.contains(w))
        || upper.split('_').any(|part| SECRET_PARTS.contains(&part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        references(text).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn finds_every_style() {
        assert_eq!(
            names(r#"psql "$PROD_DB_URL" -c x; echo ${STAGING_USERS} {{ TOKEN }} $1 \$NOT"#),
            vec!["PROD_DB_URL", "STAGING_USERS", "TOKEN"]
        );
    }

    #[test]
    fn spans_cover_the_name() {
        let text = "a ${X_Y} b";
        let (_, r) = &references(text)[0];
        assert_eq!(&text[r.clone()], "X_Y");
    }

    #[test]
    fn shell_assignments() {
        let code = "STAGING_USERS=$(psql -t)\nfor user in $(jq .); do\nread -r ANSWER\nexport KEYCLOAK_URL=x\n";
        let a = assigned_in_shell(code);
        for n in ["STAGING_USERS", "user", "ANSWER", "KEYCLOAK_URL"] {
            assert!(a.iter().any(|x| x == n), "{n} in {a:?}");
        }
    }

    #[test]
    fn expansion_of_every_reference_style() {
        let values: HashMap<String, String> = [("A".to_string(), "1".to_string())].into();
        let env = |n: &str| (n == "B").then(|| "2".to_string());
        assert_eq!(
            expand("$A-${A}-{{ A }}-{{A}}-$B-$C", &values, &env),
            "1-1-1-1-2-$C"
        );
    }
}
