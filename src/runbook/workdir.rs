//! `workdir:`'s shape, as `check` sees it: the folder a session's
//! commands run in, written relative to the runbook's file, with `~` and
//! `$VAR` taken from the environment when a session starts
//! (`run::workdir::resolve`, which touches the file system).

use super::vars::references;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape_error("../app"), None);
        assert_eq!(shape_error("~/src/app"), None);
        assert_eq!(shape_error("$REPO/app"), None);
        assert!(shape_error("  ").is_some());
        assert!(shape_error("~bob/app").is_some());
        assert!(shape_error("a/$/b").is_some());
    }
}
