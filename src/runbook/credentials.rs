//! Secrets written in the runbook itself: a password in a connection
//! string, a token after `Authorization: Bearer`, `export API_TOKEN=abc…`.
//! Runbooks written for people often carry them; whoever reads the file
//! reads them, so `check` says where, and the session masks each one in
//! everything it shows, journals and reports, as it does a secret variable.

use std::ops::Range;

use super::diagnostic::Diagnostic;
use super::model::Runbook;
use super::span::Span;

/// One secret written out in the runbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Literal {
    /// Where the value sits in the runbook's source.
    pub span: Span,
    pub value: String,
    /// What it is, for the operator: "the password of a connection string".
    pub what: &'static str,
}

/// Every literal secret of the runbook: in its blocks and in its front
/// matter (targets' databases and environments).
pub fn find(rb: &Runbook, source: &str) -> Vec<Literal> {
    let mut out = Vec::new();
    for a in rb.steps().flat_map(|(_, s)| s.actions.iter()) {
        for (range, what) in in_text(&a.code) {
            out.push(Literal {
                span: a.code_span.within(range.clone()),
                value: a.code[range].to_string(),
                what,
            });
        }
    }
    // Front matter values carry no span of their own: read in its text,
    // but for the sandbox's, which are a rehearsal's throwaway ones.
    let head = front_matter(source);
    let mut at = 0;
    let mut section = "";
    for line in head.split_inclusive('\n') {
        if !line.starts_with([' ', '\t', '#']) {
            section = line.split(':').next().unwrap_or("").trim();
        }
        if section != "sandbox" {
            for (range, what) in in_text(line) {
                out.push(Literal {
                    span: Span::new(at + range.start, at + range.end),
                    value: line[range].to_string(),
                    what,
                });
            }
        }
        at += line.len();
    }
    out.sort_by_key(|l| l.span.start);
    out.dedup_by(|a, b| a.span == b.span);
    out
}

/// The YAML between the opening `---` and the closing one, if any.
fn front_matter(source: &str) -> &str {
    let Some(body) = source.strip_prefix("---") else {
        return "";
    };
    let end = body.find("\n---").map_or(0, |e| e + 1);
    &source[..3 + end]
}

/// The values a session must mask because the runbook writes them out:
/// in its blocks, its targets' databases and environments, and its
/// variables' defaults.
pub fn values(rb: &Runbook) -> Vec<String> {
    let mut texts: Vec<&str> = rb
        .steps()
        .flat_map(|(_, s)| s.actions.iter())
        .map(|a| a.code.as_str())
        .collect();
    for t in &rb.targets {
        texts.extend(t.database.as_deref());
        texts.extend(t.env.iter().map(|(_, v)| v.as_str()));
    }
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        out.extend(in_text(text).into_iter().map(|(r, _)| text[r].to_string()));
    }
    for t in &rb.targets {
        out.extend(
            t.env
                .iter()
                .filter(|(k, v)| names_secret(k) && is_literal(v))
                .map(|(_, v)| v.clone()),
        );
    }
    out.extend(
        rb.variables
            .iter()
            .filter(|v| v.secret || names_secret(&v.name))
            .filter_map(|v| v.default.clone())
            .filter(|d| is_literal(d)),
    );
    out.sort();
    out.dedup();
    out
}

/// `check`'s warning for each literal secret.
pub(super) fn check(rb: &Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    for l in find(rb, source) {
        diags.push(
            Diagnostic::warning(
                "literal-secret",
                l.span,
                format!(
                    "{} is written in the runbook: the session masks it, but whoever reads the file reads it",
                    l.what
                ),
            )
            .with_help(
                "move it to a secret variable the session asks for, and write the variable here:\n\
                 variables:\n  DB_PASSWORD: { secret: true }\n\
                 then `${DB_PASSWORD}` in place of the value",
            ),
        );
    }
}

/// `text` with each literal secret in it written `***`, as the session's
/// masks write it in the journal.
pub fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, _) in in_text(text) {
        if r.start < at {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str("***");
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Literal secrets in one text, as byte ranges of their values.
pub fn in_text(text: &str) -> Vec<(Range<usize>, &'static str)> {
    let mut out = Vec::new();
    out.extend(
        url_passwords(text)
            .into_iter()
            .map(|r| (r, "the password of a connection string")),
    );
    out.extend(
        keyword_passwords(text)
            .into_iter()
            .map(|r| (r, "a connection string's `password=`")),
    );
    out.extend(
        secret_assignments(text)
            .into_iter()
            .map(|r| (r, "a secret assigned to a variable")),
    );
    out.extend(
        secret_flags(text)
            .into_iter()
            .map(|r| (r, "a secret given on a command line")),
    );
    out.extend(
        auth_headers(text)
            .into_iter()
            .map(|r| (r, "a credential in an `Authorization` header")),
    );
    out.retain(|(r, _)| is_literal(&text[r.clone()]));
    out.sort_by_key(|(r, _)| r.start);
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// `scheme://user:PASSWORD@host`.
pub fn url_passwords(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("://") {
        let start = at + 3;
        let rest = &text[start..];
        let end = rest
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || "\"'`".contains(c)
            })
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        let Some(at_sign) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at_sign];
        let Some(colon) = userinfo.find(':') else {
            continue;
        };
        let pw = start + colon + 1..start + at_sign;
        if !pw.is_empty() {
            out.push(pw);
        }
    }
    out
}

/// libpq's `password=VALUE` in a key=value connection string.
fn keyword_passwords(text: &str) -> Vec<Range<usize>> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for (at, key) in lower.match_indices("password=") {
        // `PGPASSWORD=` and `--password=` are the assignments' and flags'.
        let before = lower[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            continue;
        }
        out.push(value_at(text, at + key.len()));
    }
    out
}

/// Words that make a variable's or a flag's value a secret. Stricter than
/// `vars::names_a_secret` (which masks): this one warns about a value
/// written out, and must not fire on `--key-id alias/x` or `SSH_KEY=~/.ssh/id`.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "MOT_DE_PASSE",
    "MOTDEPASSE",
];

fn names_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// `NAME=VALUE` (bare, after `export`, or in a YAML `NAME: VALUE`) where the
/// name says secret.
fn secret_assignments(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let starts_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !(starts_word && (c.is_ascii_alphabetic() || c == b'_')) {
            i += 1;
            continue;
        }
        let name_end = i + text[i..]
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(text.len() - i);
        let name = &text[i..name_end];
        let after = &text[name_end..];
        let value_start = if after.starts_with('=') && !after.starts_with("==") {
            Some(name_end + 1)
        } else if let Some(rest) = after.strip_prefix(':') {
            // YAML: `DB_PASSWORD: hunter2`, not a URL's `scheme:`.
            rest.starts_with(' ')
                .then(|| name_end + 1 + (rest.len() - rest.trim_start_matches(' ').len()))
        } else {
            None
        };
        if let Some(v) = value_start
            && names_secret(name)
            && !name.starts_with("--")
        {
            out.push(value_at(text, v));
        }
        i = name_end.max(i + 1);
    }
    out
}

/// `--password=VALUE`, `--password VALUE`, `--token VALUE`, `mysql -pVALUE`.
fn secret_flags(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("--") {
        let rest = &text[at + 2..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty()
            || !names_secret(name)
            || name.ends_with("-file")
            || name.ends_with("-env")
        {
            continue;
        }
        let after = at + 2 + name_len;
        match text[after..].chars().next() {
            Some('=') => out.push(value_at(text, after + 1)),
            Some(' ') => {
                let v =
                    after + 1 + (text[after + 1..].len() - text[after + 1..].trim_start().len());
                if !text[v..].starts_with('-') {
                    out.push(value_at(text, v));
                }
            }
            _ => {}
        }
    }
    // mysql's `-pSECRET` (no space: with one, mysql asks).
    for (at, _) in text.match_indices(" -p") {
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        let line = &text[line_start..at];
        if !line
            .split_whitespace()
            .any(|w| w.starts_with("mysql") || w.starts_with("mariadb"))
        {
            continue;
        }
        let v = at + 3;
        if text[v..].starts_with(|c: char| !c.is_whitespace()) {
            out.push(value_at(text, v));
        }
    }
    out
}

/// `Authorization: Bearer TOKEN`, `Authorization: Basic B64`, `X-Api-Key: KEY`.
fn auth_headers(text: &str) -> Vec<Range<usize>> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    for header in [
        "authorization:",
        "x-api-key:",
        "private-token:",
        "x-auth-token:",
    ] {
        for (at, _) in lower.match_indices(header) {
            let mut v = at + header.len();
            v += text[v..].len() - text[v..].trim_start_matches(' ').len();
            if header == "authorization:" {
                let scheme_len = text[v..]
                    .find(|c: char| !c.is_ascii_alphabetic())
                    .unwrap_or(0);
                let scheme = lower[v..v + scheme_len].to_string();
                if ["bearer", "basic", "token"].contains(&scheme.as_str())
                    && text[v + scheme_len..].starts_with(' ')
                {
                    v += scheme_len + 1;
                }
            }
            out.push(value_at(text, v));
        }
    }
    out
}

/// The value that starts at `at`: quoted (its inside) or up to a space,
/// quote, `;`, `&`, `|`, `)`, or the line's end.
fn value_at(text: &str, at: usize) -> Range<usize> {
    let rest = &text[at..];
    if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let inner = &rest[1..];
        let end = inner.find([q, '\n']).unwrap_or(inner.len());
        return at + 1..at + 1 + end;
    }
    let end = rest
        .find(|c: char| c.is_whitespace() || "\"'`;&|)".contains(c))
        .unwrap_or(rest.len());
    at..at + end
}

/// A value written out, not a reference, a prompt or a placeholder.
fn is_literal(value: &str) -> bool {
    const PLACEHOLDERS: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "token",
        "changeme",
        "change_me",
        "mot_de_passe",
        "motdepasse",
        "your_password",
        "yourpassword",
        "redacted",
    ];
    let v = value.trim();
    if v.len() < 4 {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    let referenced = v.starts_with('$')
        || v.starts_with('<')
        || v.starts_with('[')
        || v.starts_with('{')
        || v.starts_with('%')
        || v.contains("${")
        || v.contains("$(")
        || v.contains("{{");
    let masked = v
        .chars()
        .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.');
    // `secret: true` is a setting, not a secret.
    let setting = [
        "true", "false", "yes", "no", "null", "none", "required", "optional",
    ]
    .contains(&lower.trim_end_matches(',').trim_end_matches('}'))
        || v.chars().all(|c| c.is_ascii_digit());
    let placeholder = PLACEHOLDERS.contains(&lower.as_str())
        || lower.starts_with("your")
        || lower.starts_with("my_")
        || lower.starts_with("<")
        || lower.contains("xxx");
    !(referenced || masked || placeholder || setting)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        in_text(text).into_iter().map(|(r, _)| &text[r]).collect()
    }

    #[test]
    fn passwords_written_in_the_shapes_people_write_them() {
        let cases: &[(&str, &str)] = &[
            (
                "pg_dump \"postgres://deploy:s3cret@db.prod:5432/shop\" -Fc",
                "s3cret",
            ),
            (
                "psql postgresql://app:Tr0ub4dor@10.0.0.5/app -c 'select 1'",
                "Tr0ub4dor",
            ),
            (
                "psql \"host=db user=app password=hunter22 dbname=app\"",
                "hunter22",
            ),
            ("export PGPASSWORD=hunter22\npsql -h db", "hunter22"),
            ("API_TOKEN='abc123def' ./deploy.sh", "abc123def"),
            ("DB_PASSWORD: wh4tever", "wh4tever"),
            ("vault login --token s.abcdEFGH1234", "s.abcdEFGH1234"),
            ("mysql -u root -pRootPass1 -e 'show databases'", "RootPass1"),
            (
                "curl -H \"Authorization: Bearer eyJhbGciOi.x.y\" https://api",
                "eyJhbGciOi.x.y",
            ),
            (
                "GET https://api/x\nAuthorization: Basic dXNlcjpwYXNz",
                "dXNlcjpwYXNz",
            ),
            ("curl -H 'X-Api-Key: k-9f8e7d6c' https://api", "k-9f8e7d6c"),
            ("aws configure set aws_secret_access_key wJalrXUtnFEMI", ""),
            (
                "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
                "wJalrXUtnFEMI/K7MDENG",
            ),
        ];
        for (text, want) in cases {
            let got = found(text);
            if want.is_empty() {
                continue;
            }
            assert_eq!(got, vec![*want], "{text}");
        }
    }

    #[test]
    fn masked_writes_each_literal_as_the_journal_does() {
        assert_eq!(
            masked("postgres://app:Tr0ub4dor@db/app and TOKEN=abcd1234"),
            "postgres://app:***@db/app and TOKEN=***"
        );
        assert_eq!(masked("$DATABASE_URL"), "$DATABASE_URL");
    }

    #[test]
    fn references_placeholders_and_ordinary_words_are_not_secrets() {
        for text in [
            "psql \"$DATABASE_URL\" -c 'select 1'",
            "pg_dump postgres://deploy:${DB_PASSWORD}@db/shop",
            "psql postgres://user:<password>@host/db",
            "psql postgres://user:password@host/db",
            "psql postgres://user:****@host/db",
            "psql postgres://user:xxxx@host/db",
            "export PGPASSWORD=\"$(vault read -field=pw secret/db)\"",
            "TOKEN=$(cat /run/secrets/token)",
            "vault login --token-file /etc/token",
            "mysql -u root -p -e 'show databases'",
            "curl -H \"Authorization: Bearer $TOKEN\" https://api",
            "curl https://example.com/path?a=1",
            "echo \"password reset done\"",
            "SELECT * FROM users WHERE password_changed_at > now() - interval '1 day';",
            "git clone https://github.com/org/repo.git",
            "PWD=/tmp ls",
            "if [ \"$TOKEN\" == \"\" ]; then exit 1; fi",
            "password=$1",
            "  PROD_DB_URL: { secret: true, description: \"URL (postgres://…)\" }",
            "  API_TOKEN:\n    secret: true",
            "TOKEN_TTL=3600",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
