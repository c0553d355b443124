//! A far side without bash. Every block there, and the preflight's probe,
//! starts under `bash -c BOOTSTRAP` (`wrapper`); where there is no bash
//! the wrapper or the remote shell says so in its own words ("env:
//! 'bash': No such file or directory", "sh: 1: bash: not found", docker's
//! `exec: "bash": executable file not found`) and ends with 127. That is
//! told apart from a block's own "command not found" and turned into
//! what to do.

/// How shells, `env`, sudo and container runtimes say that `bash` itself
/// could not be started (lowercased).
const SAYINGS: [&str; 7] = [
    "bash: not found",
    "'bash': no such file or directory",
    "bash: no such file or directory",
    "\"bash\": executable file not found",
    "bash: command not found",
    "command not found: bash",
    "unknown command: bash",
];

/// The line of `stderr` that says bash could not be started there, when
/// the wrapper failed. A line of the block's own (bash names it
/// `/dev/fd/3`) is never one: that bash did start.
pub fn said(success: bool, stderr: &str) -> Option<String> {
    if success {
        return None;
    }
    stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/dev/fd/3:"))
        .find(|l| {
            // GNU tools quote with the locale's marks: env: ‘bash’: …
            let l = l.to_lowercase().replace(['‘', '’', '`'], "'");
            SAYINGS.iter().any(|s| l.contains(s))
        })
        .map(str::to_string)
}

/// What the session says of context `name` whose far side said `said`.
pub fn message(name: &str, said: &str) -> String {
    format!(
        "context `{name}`: there is no `bash` on the far side ({said}); runsheet's blocks run under bash there: \
         install it there (`apk add bash`, `apt-get install bash`), or point the context at a host, image or \
         container that has it; nothing was run"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ways_a_missing_bash_is_said_are_known() {
        for line in [
            "env: 'bash': No such file or directory",
            "env: ‘bash’: No such file or directory",
            "sh: 1: bash: not found",
            "sh: 1: exec: bash: not found",
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown",
            "sudo: bash: command not found",
            "zsh:1: command not found: bash",
            "bash: line 1: bash: command not found",
        ] {
            assert_eq!(said(false, line).as_deref(), Some(line), "{line}");
        }
    }

    #[test]
    fn a_block_s_own_missing_command_is_not_a_missing_bash() {
        assert_eq!(
            said(false, "/dev/fd/3: line 2: bash: command not found"),
            None
        );
        assert_eq!(said(false, "bash: line 1: psql: command not found"), None);
        assert_eq!(
            said(false, "/dev/fd/3: line 1: foo: command not found"),
            None
        );
        assert_eq!(said(true, "sh: 1: bash: not found"), None);
    }
}
