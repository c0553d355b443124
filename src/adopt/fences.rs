//! Which language an untyped fence (or a terminal transcript) should say,
//! read from what it holds. A simple rule for now: the lead plugs in
//! `runbook::fences::classify` (helper "fences") behind [`language_for`].

/// Languages whose blocks are terminal transcripts: `$ command` lines and
/// the output they printed.
pub const TRANSCRIPTS: [&str; 6] = [
    "console",
    "shell-session",
    "sh-session",
    "shellsession",
    "terminal",
    "term",
];

/// The language an untyped fence should be given (`bash`, `sql`, or
/// `console` for commands with their output pasted under them), or None
/// when it holds output, configuration or prose: the runbook's own rule
/// (`runbook::fences::classify`), the one `check` warns by.
pub fn language_for(info: &str, code: &str) -> Option<&'static str> {
    let v = crate::runbook::fences::classify(info, code);
    if !v.holds_commands {
        return None;
    }
    match v.suggested_lang {
        Some("bash") if v.output.is_some() => Some("console"),
        Some(l @ ("bash" | "sql")) => Some(l),
        _ => None,
    }
}

/// The command of a transcript line (`$ kubectl get pods` → `kubectl get
/// pods`), None for output.
pub fn prompt_command(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t == "$" {
        return Some("");
    }
    t.strip_prefix("$ ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_output_and_sql() {
        assert_eq!(language_for("", "kubectl get pods -n app\n"), Some("bash"));
        assert_eq!(
            language_for("", "sudo systemctl restart nginx\n"),
            Some("bash")
        );
        assert_eq!(
            language_for("", "SELECT count(*) FROM users;\n"),
            Some("sql")
        );
        assert_eq!(
            language_for("", "NAME   READY   STATUS\napi-1  1/1  Running\n"),
            None
        );
        assert_eq!(language_for("", "server {\n  listen 80;\n}\n"), None);
        assert_eq!(language_for("", "Select the right option\n"), None);
        assert_eq!(
            language_for("", "kubectl get pods\nNAME READY\napi-1 1/1\nweb-1 1/1\n"),
            Some("console")
        );
    }

    #[test]
    fn prompts() {
        assert_eq!(
            prompt_command("$ kubectl get pods"),
            Some("kubectl get pods")
        );
        assert_eq!(prompt_command("  $ ls"), Some("ls"));
        assert_eq!(prompt_command("$HOME/bin"), None);
        assert_eq!(prompt_command("NAME READY"), None);
    }
}
