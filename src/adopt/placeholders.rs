//! Placeholders people leave in commands for the reader to fill in
//! (`<namespace>`, `[PAGE_ID]`, `YOUR_TOKEN`), each turned into a prompted
//! variable, found by the same rule as the session's
//! (`runbook::placeholders`): the variable adopt writes is the one a
//! session of the original would have asked for.

use std::ops::Range;

/// One placeholder in a line of code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// Byte range in the line, delimiters included.
    pub range: Range<usize>,
    /// The variable it becomes: `<pod-name>` → `POD_NAME`.
    pub name: String,
}

/// Placeholders in one line of code.
pub fn find(line: &str) -> Vec<Placeholder> {
    crate::runbook::placeholders::in_text(line, true)
        .into_iter()
        .map(|f| Placeholder {
            range: f.range,
            name: crate::runbook::placeholders::own_name(|_| false, &f.var),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<String> {
        find(line).into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn the_names_a_session_would_ask_for() {
        assert_eq!(
            names("kubectl -n <namespace> delete pod <pod-name>"),
            ["NAMESPACE", "POD_NAME"]
        );
        assert_eq!(names("curl https://api/pages/[PAGE_ID]"), ["PAGE_ID"]);
        // `<path>` never becomes `$PATH`.
        assert_eq!(names("cp x <path>"), ["PATH_VALUE"]);
    }

    #[test]
    fn shell_syntax_and_comments_are_not_placeholders() {
        for line in [
            "psql < dump.sql",
            "cat <<EOF",
            "diff <(ls a) <(ls b)",
            "if [ -f x ]; then",
            "echo ${arr[IDX]}",
            "echo $YOUR_TOKEN",
            "# replace <namespace> below",
        ] {
            assert!(find(line).is_empty(), "{line}: {:?}", find(line));
        }
    }
}
