//! The front matter adopt writes or merges: the targets the runbook's
//! words name (production protected), the variables its commands use and
//! never set (placeholders included; secret when the name says so), and a
//! database on every target when a block needs one. Keys runsheet does not
//! take (a wiki's `title:`, `tags:`) are kept as YAML comments, so `check`
//! can read the rest.

use super::{Edit, EditKind, Found, Note, secret_name};
use crate::runbook::model::ActionKind;
use crate::runbook::role::fold;
use crate::runbook::{Parsed, frontmatter, vars};
use std::collections::HashSet;

/// The keys runsheet's front matter takes.
const KEYS: [&str; 4] = ["runsheet", "targets", "variables", "sandbox"];

/// Environment words and the target each names, in the order written.
const ENVIRONMENTS: &[(&[&str], &str)] = &[
    (&["staging"], "staging"),
    (&["uat"], "uat"),
    (&["recette"], "recette"),
    (&["preprod"], "preprod"),
    (&["preproduction"], "preprod"),
    (&["pre", "prod"], "preprod"),
    (&["pre", "production"], "preprod"),
    (&["production"], "production"),
    (&["prod"], "production"),
];

struct Var {
    name: String,
    secret: bool,
    description: String,
}

pub fn edit(
    source: &str,
    lines: &[&str],
    interim: &Parsed,
    placeholders: &[Found],
    notes: &mut Vec<Note>,
) -> Option<Edit> {
    let rb = &interim.runbook;
    let declared: HashSet<&str> = rb.variables.iter().map(|v| v.name.as_str()).collect();
    // A SQL block needs a database on its own target, or on every target
    // the session may run on when it pins none.
    let lacks = |t: &str| rb.target(t).is_none_or(|t| t.database.is_none());
    let any_lacks = rb.targets.iter().any(|t| t.database.is_none());
    let needs_db = rb.steps().any(|(_, s)| {
        s.actions.iter().any(|a| {
            let sql = matches!(
                a.kind,
                ActionKind::Sql { .. }
                    | ActionKind::Compare(_)
                    | ActionKind::Migrations(_)
                    | ActionKind::Batch(_)
            );
            sql && a.target.as_deref().map_or(any_lacks, lacks)
        })
    });
    let targets_declared = rb.targets.iter().any(|t| t.declared);
    let mut vars: Vec<Var> = Vec::new();
    let mut seen: HashSet<String> = declared.iter().map(|s| s.to_string()).collect();
    for p in placeholders {
        if seen.insert(p.name.clone()) {
            let written = if p.name == "DATABASE_URL" {
                "a connection string with its password".to_string()
            } else {
                format!("{} in the runbook", p.written)
            };
            vars.push(Var {
                name: p.name.clone(),
                secret: p.secret,
                description: format!("{written} (line {})", p.line),
            });
        }
    }
    for name in undeclared(interim) {
        if seen.insert(name.clone()) {
            vars.push(Var {
                secret: secret_name(&name),
                description: "used by the runbook's commands".into(),
                name,
            });
        }
    }
    let targets: Vec<&str> = if targets_declared {
        Vec::new()
    } else {
        let mut t = environments(source);
        if t.is_empty() && needs_db {
            t = vec!["staging", "production"];
        }
        t
    };
    if needs_db && !targets_declared && seen.insert("DATABASE_URL".into()) {
        vars.push(Var {
            name: "DATABASE_URL".into(),
            secret: true,
            description: "the database the SQL blocks run on".into(),
        });
    }
    if needs_db && targets_declared {
        notes.push(Note {
            line: 1,
            text: "a SQL block runs on a target with no `database:`: add one to the target in the front matter".into(),
        });
    }
    let mut add: Vec<String> = Vec::new();
    if !targets.is_empty() {
        add.push("targets:".into());
        for t in &targets {
            let protected = *t == "production";
            if !protected && !needs_db {
                add.push(format!("  {t}:"));
                continue;
            }
            add.push(format!("  {t}:"));
            if protected {
                add.push("    protected: true".into());
            }
            if needs_db {
                add.push("    database: $DATABASE_URL".into());
            }
        }
    }
    let var_lines: Vec<String> = vars
        .iter()
        .flat_map(|v| {
            let mut l = vec![format!("  {}:", v.name)];
            if v.secret {
                l.push("    secret: true".into());
            }
            l.push(format!("    description: {}", yaml_string(&v.description)));
            l
        })
        .collect();
    let mut diags = Vec::new();
    let len = frontmatter::parse(source, &mut diags).len;
    let bom = frontmatter::bom_len(source);
    if len <= bom {
        if add.is_empty() && var_lines.is_empty() {
            return None;
        }
        let mut out = vec!["---".to_string()];
        out.extend(add);
        if !var_lines.is_empty() {
            out.push("variables:".into());
            out.extend(var_lines);
        }
        out.push("---".into());
        out.push(String::new());
        return Some(Edit {
            first: 0,
            removed: 0,
            lines: out,
            why: summary(&targets, &vars, 0),
            kind: EditKind::FrontMatter,
        });
    }
    merge(lines, source, len, add, var_lines, &targets, &vars)
}

/// Adds to a front matter that is already there: its lines kept, keys
/// runsheet does not take commented out, new keys and variables appended.
fn merge(
    lines: &[&str],
    source: &str,
    len: usize,
    add: Vec<String>,
    var_lines: Vec<String>,
    targets: &[&str],
    vars: &[Var],
) -> Option<Edit> {
    let closing = source[..len].lines().count().saturating_sub(1);
    let yaml = lines.get(1..closing)?;
    let mut out: Vec<String> = Vec::new();
    let mut commented = 0;
    let mut in_foreign = false;
    let mut in_vars = false;
    // Where new variables go: after the last line of `variables:`.
    let mut variables_end = None;
    for line in yaml {
        let top = !line.starts_with([' ', '\t', '#']) && !line.trim().is_empty();
        if top {
            let key = line.split(':').next().unwrap_or("").trim();
            in_foreign = !KEYS.contains(&key);
            in_vars = key == "variables";
            if in_vars {
                let inline = line.split_once(':').map_or("", |(_, v)| v.trim());
                in_vars = inline.is_empty() || inline == "{}";
                out.push(if inline == "{}" {
                    "variables:".into()
                } else {
                    line.to_string()
                });
                variables_end = in_vars.then_some(out.len());
                continue;
            }
        }
        if in_foreign && !line.trim().is_empty() {
            out.push(format!("# {line}"));
            commented += 1;
            continue;
        }
        out.push(line.to_string());
        if in_vars && line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            variables_end = Some(out.len());
        }
    }
    if add.is_empty() && var_lines.is_empty() && commented == 0 {
        return None;
    }
    if !var_lines.is_empty() {
        match variables_end {
            Some(at) => {
                for (i, l) in var_lines.into_iter().enumerate() {
                    out.insert(at + i, l);
                }
            }
            None => {
                out.push("variables:".into());
                out.extend(var_lines);
            }
        }
    }
    out.extend(add);
    let mut lines_out = vec![lines.first().map_or("---".to_string(), |l| l.to_string())];
    lines_out.extend(out);
    lines_out.push(
        lines
            .get(closing)
            .map_or("---".to_string(), |l| l.to_string()),
    );
    Some(Edit {
        first: 0,
        removed: closing + 1,
        lines: lines_out,
        why: summary(targets, vars, commented),
        kind: EditKind::FrontMatter,
    })
}

fn summary(targets: &[&str], vars: &[Var], commented: usize) -> String {
    let mut parts = Vec::new();
    if !targets.is_empty() {
        parts.push(format!("targets {}", targets.join(", ")));
    }
    if !vars.is_empty() {
        let names: Vec<String> = vars
            .iter()
            .map(|v| {
                if v.secret {
                    format!("{} (secret)", v.name)
                } else {
                    v.name.clone()
                }
            })
            .collect();
        parts.push(format!("variables {}", names.join(", ")));
    }
    if commented > 0 {
        parts.push(format!(
            "{commented} line(s) runsheet does not read kept as comments"
        ));
    }
    format!("front matter: {}", parts.join("; "))
}

/// The targets the runbook's words name, staging-like first.
fn environments(source: &str) -> Vec<&'static str> {
    let words = fold(source);
    let mut found: Vec<&'static str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let hit = ENVIRONMENTS
            .iter()
            .filter(|(seq, _)| {
                words[i..].starts_with(&seq.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            })
            .max_by_key(|(seq, _)| seq.len());
        match hit {
            Some((seq, name)) => {
                if !found.contains(name) {
                    found.push(name);
                }
                i += seq.len();
            }
            None => i += 1,
        }
    }
    let order = ["staging", "uat", "recette", "preprod", "production"];
    order.into_iter().filter(|n| found.contains(n)).collect()
}

/// Variables the runbook's blocks use but no block sets, nothing declares
/// and the environment does not provide: the ones `check` would warn of.
/// A name exported by any block counts as set (exports carry over).
fn undeclared(parsed: &Parsed) -> Vec<String> {
    let rb = &parsed.runbook;
    let declared: HashSet<&str> = rb.variables.iter().map(|v| v.name.as_str()).collect();
    let target_env: HashSet<&str> = rb
        .targets
        .iter()
        .flat_map(|t| t.env.iter().map(|(k, _)| k.as_str()))
        .collect();
    let assigned: HashSet<String> = rb
        .steps()
        .flat_map(|(_, s)| s.actions.iter())
        .filter(|a| matches!(a.kind, ActionKind::Shell { .. }))
        .flat_map(|a| {
            let mut names = vars::assigned_in_shell(&a.code);
            names.extend(read_into(&a.code));
            names
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (_, s) in rb.steps() {
        for a in &s.actions {
            for (name, _) in vars::references(&a.code) {
                if declared.contains(name.as_str())
                    || target_env.contains(name.as_str())
                    || assigned.contains(&name)
                    || vars::is_ambient(&name)
                    || !vars::looks_like_env(&name)
                    || out.contains(&name)
                {
                    continue;
                }
                out.push(name);
            }
        }
    }
    out
}

/// The names `read -p "Question: " NAME` sets: the words after its
/// options and prompt.
fn read_into(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        for cmd in line.split([';', '&', '|']) {
            let cmd = cmd.trim();
            if !(cmd.starts_with("read ") || cmd.contains(" read ")) {
                continue;
            }
            // Past the quoted prompt, if any.
            let tail = cmd.rsplit(['"', '\'']).next().unwrap_or(cmd);
            out.extend(
                tail.split_whitespace()
                    .filter(|w| !w.starts_with('-') && *w != "read")
                    .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .map(str::to_string),
            );
        }
    }
    out
}

/// A YAML double-quoted string.
fn yaml_string(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_sets_the_names_after_its_prompt() {
        assert_eq!(read_into("read -p \"Ticket: \" TICKET"), ["TICKET"]);
        assert_eq!(read_into("read -r A B"), ["A", "B"]);
    }

    #[test]
    fn environments_from_words() {
        assert_eq!(
            environments("Deploy to prod after staging"),
            ["staging", "production"]
        );
        assert_eq!(
            environments("Bascule en préprod puis en production"),
            ["preprod", "production"]
        );
        assert_eq!(environments("the pre-prod cluster"), ["preprod"]);
        assert!(environments("a product of the process").is_empty());
    }
}
