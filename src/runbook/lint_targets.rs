//! `check`'s `shared-database`: two targets that declare their database
//! with the same text, or through the same variable, are one database
//! under two names, and a session on one of them would also run on the
//! other (seed 003's staging drill restored into production this way).
//! The session stops on it before its first step (`db::shared`); `check`
//! says so before anyone runs it.

use super::diagnostic::Diagnostic;
use super::model::{Runbook, Target};
use super::span::Span;
use super::vars;

/// The database a target declares, as written: its `database:`, else a
/// `DATABASE_URL` its `env:` sets (its steps get the same either way).
pub fn declared_database(target: &Target) -> Option<&String> {
    target.database.as_ref().or_else(|| {
        target
            .env
            .iter()
            .find(|(k, _)| k == "DATABASE_URL")
            .map(|(_, v)| v)
    })
}

/// A declaration with its references spelled one way (`${DB_URL}` and
/// `{{DB_URL}}` are `$DB_URL`) and its quotes and blanks trimmed, so that two
/// spellings of one declaration compare equal.
pub fn normalized(declared: &str) -> String {
    let text = declared.trim().trim_matches(['"', '\'']).trim();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (name, range) in vars::references(text) {
        let (start, end) = vars::reference_bounds(text, range.start, range.end);
        out.push_str(&text[last..start]);
        out.push('$');
        out.push_str(&name);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// How two declarations are one: the variable they both are, or None when
/// they are the same literal text.
pub fn same_declaration(a: &str, b: &str) -> Option<Option<String>> {
    let (a, b) = (normalized(a), normalized(b));
    if a.is_empty() || a != b {
        return None;
    }
    let refs = vars::references(&a);
    Some(match refs.as_slice() {
        [(name, range)] if vars::reference_bounds(&a, range.start, range.end) == (0, a.len()) => {
            Some(name.clone())
        }
        _ => None,
    })
}

/// A warning for every target that declares the same database as an
/// earlier one.
pub(super) fn check(rb: &Runbook, source: &str, diags: &mut Vec<Diagnostic>) {
    let declared: Vec<(&Target, &String)> = rb
        .targets
        .iter()
        .filter(|t| t.declared)
        .filter_map(|t| declared_database(t).map(|d| (t, d)))
        .collect();
    for (i, (second, text)) in declared.iter().enumerate() {
        let Some((first, how)) = declared[..i]
            .iter()
            .find_map(|(first, other)| same_declaration(other, text).map(|how| (first, how)))
        else {
            continue;
        };
        let through = match &how {
            Some(name) => format!("through the same variable `${name}`"),
            None => format!("with the same connection string `{}`", text.trim()),
        };
        diags.push(
            Diagnostic::warning(
                "shared-database",
                target_span(source, &second.name),
                format!(
                    "targets `{}` and `{}` declare their database {through}: they are one database, \
                     and a session on `{}` would run on `{}` too; the session stops on it before its first step",
                    first.name, second.name, second.name, first.name
                ),
            )
            .with_help(format!(
                "give each target the database it really has, through a variable of its own \
                 (`{}: {{ database: ${} }}`); a runbook that really has one database declares one target",
                second.name,
                own_variable(&second.name)
            )),
        );
    }
}

/// `STAGING_DB_URL` for `staging`: the variable a target's own database
/// is usually given by.
fn own_variable(target: &str) -> String {
    let name: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}_DB_URL")
}

/// Where target `name` is declared in the front matter: its key under
/// `targets:`, else the front matter's first line.
pub(super) fn target_span(source: &str, name: &str) -> Span {
    let head_end = source
        .strip_prefix("---")
        .and_then(|body| body.find("\n---").map(|e| e + 3))
        .unwrap_or(0);
    let mut at = 0;
    let mut in_targets = false;
    for line in source[..head_end].split_inclusive('\n') {
        if !line.starts_with([' ', '\t', '#']) {
            in_targets = line.trim_end().starts_with("targets:");
        } else if in_targets {
            let trimmed = line.trim_start();
            let key = trimmed.split(':').next().unwrap_or("").trim();
            let key = key.trim_matches(['"', '\'']);
            if key == name && trimmed.contains(':') {
                let start = at + (line.len() - trimmed.len());
                return Span::new(start, start + trimmed.find(':').unwrap_or(0));
            }
        }
        at += line.len();
    }
    Span::new(0, source.find('\n').unwrap_or(source.len()).min(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_variable_are_one_declaration() {
        assert_eq!(
            same_declaration("$DB_URL", " \"${DB_URL}\" "),
            Some(Some("DB_URL".into()))
        );
        assert_eq!(
            same_declaration("{{DB_URL}}", "$DB_URL"),
            Some(Some("DB_URL".into()))
        );
        assert_eq!(
            same_declaration(
                "postgresql://u@db.internal/app",
                "postgresql://u@db.internal/app"
            ),
            Some(None)
        );
        // One variable inside a longer text is that text, not the variable.
        assert_eq!(
            same_declaration("postgresql://$USER@h/app", "postgresql://$USER@h/app"),
            Some(None)
        );
        assert_eq!(same_declaration("$STAGING_DB_URL", "$PROD_DB_URL"), None);
        assert_eq!(
            same_declaration("postgresql://$USER@a/app", "postgresql://$USER@b/app"),
            None
        );
        assert_eq!(same_declaration("", ""), None);
    }

    #[test]
    fn a_target_is_found_by_its_key() {
        let src = "---\ntargets:\n  staging: { database: $DB_URL }\n  production:\n    database: $DB_URL\n---\n# T\n";
        let span = target_span(src, "production");
        assert_eq!(&src[span.start..span.end], "production");
        let span = target_span(src, "staging");
        assert_eq!(&src[span.start..span.end], "staging");
    }

    fn shared(front: &str) -> Vec<String> {
        let src = format!("---\n{front}---\n# T\n\n## P {{#p}}\n\n- [ ] done\n");
        super::super::parse::parse("r.md", &src)
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "shared-database")
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn check_warns_of_a_database_declared_twice() {
        let by_var = shared(
            "targets:\n  staging: { database: $DB_URL }\n  production: { env: { DATABASE_URL: \"${DB_URL}\" } }\n",
        );
        assert_eq!(by_var.len(), 1, "{by_var:?}");
        assert!(
            by_var[0].contains("`staging` and `production`"),
            "{by_var:?}"
        );
        assert!(
            by_var[0].contains("the same variable `$DB_URL`"),
            "{by_var:?}"
        );
        let by_text = shared(
            "targets:\n  a: { database: \"postgresql://db.internal/app\" }\n  b: { database: \"postgresql://db.internal/app\" }\n",
        );
        assert_eq!(by_text.len(), 1, "{by_text:?}");
        assert!(
            by_text[0].contains("the same connection string"),
            "{by_text:?}"
        );
        let apart = shared(
            "targets:\n  staging: { database: $STAGING_DB_URL }\n  production: { database: $PROD_DB_URL }\n",
        );
        assert!(apart.is_empty(), "{apart:?}");
    }
}
