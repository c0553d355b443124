//! `workdir:`: the folder a session's commands run in, written relative to
//! the runbook's file (so the runbook works from wherever the operator
//! stands), with `~` and `$VAR` taken from the environment. The same rule
//! resolves `sandbox: workdir:`, the folder of a rehearsal's assets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::vars::{expand, references};

/// What is wrong with a declared folder's shape, before anything is
/// resolved (`check`): None when it is fine.
pub fn shape_error(declared: &str) -> Option<String> {
    if declared.trim().is_empty() {
        return Some("is empty".into());
    }
    if declared.contains('\0') {
        return Some("holds a NUL byte".into());
    }
    if declared.starts_with('~') && !(declared == "~" || declared.starts_with("~/")) {
        // `~user` would need the password database; a runbook shared
        // between operators should not depend on who they are.
        return Some("starts with `~name`: only `~` (your home folder) is expanded".into());
    }
    if declared.contains('$') && references(declared).is_empty() && !declared.contains("$$") {
        return Some("holds a `$` that names no variable (write `$NAME` or `${NAME}`)".into());
    }
    None
}

/// `declared` made a folder: variables from `values`, then `env`; `~`
/// as `$HOME`; a relative path from the runbook's folder `base`. The
/// folder must exist; `what` names the field in the messages
/// (`workdir:`, `sandbox: workdir:`).
pub fn resolve(
    what: &str,
    declared: &str,
    base: &Path,
    values: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf, String> {
    if let Some(why) = shape_error(declared) {
        return Err(format!("the runbook's `{what}` `{declared}` {why}"));
    }
    let unset: Vec<String> = references(declared)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| !values.contains_key(n) && env(n).is_none())
        .collect();
    if let Some(name) = unset.first() {
        return Err(format!(
            "the runbook's `{what}` `{declared}` uses ${name}, which is not set: `export {name}=…` (the folder it names), then start again; nothing was run"
        ));
    }
    let expanded = expand(declared, values, env);
    let path = match expanded.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = env("HOME").ok_or_else(|| {
                format!("the runbook's `{what}` `{declared}` starts with `~`, and HOME is not set: set HOME, or write the folder out")
            })?;
            PathBuf::from(format!("{home}{rest}"))
        }
        _ => PathBuf::from(&expanded),
    };
    let path = if path.is_relative() {
        base.join(path)
    } else {
        path
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Ok(std::fs::canonicalize(&path).unwrap_or(path)),
        Ok(_) => Err(format!(
            "the runbook's `{what}` `{declared}` is {}, which is a file, not a folder: point `{what}` at the folder the commands run in; nothing was run",
            path.display()
        )),
        Err(e) => Err(format!(
            "the runbook's `{what}` `{declared}` is {} ({}), which cannot be entered: {e}. Create that folder (or fix `{what}` in the front matter, relative paths start from the runbook's folder {}), then start again; nothing was run",
            path.display(),
            if expanded == declared {
                "as written".to_string()
            } else {
                format!("expanded to `{expanded}`")
            },
            base.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(shape_error("../app"), None);
        assert_eq!(shape_error("~/src/app"), None);
        assert_eq!(shape_error("$REPO/app"), None);
        assert!(shape_error("  ").is_some());
        assert!(shape_error("~bob/app").is_some());
        assert!(shape_error("a/$/b").is_some());
    }

    #[test]
    fn relative_from_the_runbook_home_and_variables() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(d.path().join("repo/app")).unwrap_or_else(|e| panic!("{e}"));
        let root = std::fs::canonicalize(d.path()).unwrap_or_else(|e| panic!("{e}"));
        let none = HashMap::new();
        let env = |n: &str| match n {
            "HOME" => Some(root.join("repo").to_string_lossy().into_owned()),
            "REPO" => Some(root.join("repo").to_string_lossy().into_owned()),
            _ => None,
        };
        let want = root.join("repo/app");
        let got = |decl: &str| resolve("workdir:", decl, &root, &none, &env);
        assert_eq!(got("repo/app"), Ok(want.clone()));
        assert_eq!(got("~/app"), Ok(want.clone()));
        assert_eq!(got("$REPO/app"), Ok(want.clone()));
        assert_eq!(got("${REPO}/./app"), Ok(want));
    }

    #[test]
    fn missing_folder_and_unset_variable_say_what_to_do() {
        let base = Path::new("/nowhere-runsheet");
        let none = HashMap::new();
        let env = env_of(&[]);
        let e = resolve("workdir:", "app", base, &none, &env).unwrap_err();
        assert!(
            e.contains("/nowhere-runsheet/app") && e.contains("Create that folder"),
            "{e}"
        );
        let e = resolve("workdir:", "$REPO/app", base, &none, &env).unwrap_err();
        assert!(e.contains("$REPO") && e.contains("export REPO="), "{e}");
    }
}
