//! A shell's error names the line of the script it ran (`bash: line 3:
//! …`), which is the block's line, not the runbook's: this maps it to the
//! runbook line the operator can open.

use super::model::{Action, Runbook};

/// The shell's error message about a line of `action`'s code found in its
/// output (about the last line named), with the runbook's line added:
/// "bash: line 3: syntax error … (runbook line 45)". None when the output
/// names no line of the script.
pub fn with_runbook_line(rb: &Runbook, action: &Action, output: &str) -> Option<String> {
    // The last error names the line; bash may say more than one thing
    // about it (a syntax error, then the line's text): the first is told.
    let errors: Vec<(String, usize)> = output.lines().filter_map(script_line).collect();
    let (_, line) = errors.last()?;
    let (message, line) = errors.iter().find(|(_, l)| l == line)?.clone();
    let lines = action.code.lines().count().max(1);
    if line == 0 || line > lines {
        return None;
    }
    let first = rb.lines.line_of(action.code_span.start) + 1;
    // A pasted session runs its commands only: its line is where the
    // command is written in the fence.
    let in_fence = action
        .command_lines
        .get(line - 1)
        .copied()
        .unwrap_or(line - 1);
    Some(format!("{message} (runbook line {})", first + in_fence))
}

/// The message and the script line a shell's error line names: bash says
/// `bash: line 3: …` or `bash: -c: line 3: …`, dash `sh: 3: …`.
fn script_line(text: &str) -> Option<(String, usize)> {
    let text = text.trim_end_matches('\r').trim();
    let (program, rest) = text.split_once(": ")?;
    let name = program.rsplit('/').next().unwrap_or(program);
    if !matches!(name, "bash" | "sh" | "dash") {
        return None;
    }
    let rest = rest.strip_prefix("-c: ").unwrap_or(rest);
    let rest = rest.strip_prefix("line ").unwrap_or(rest);
    let (number, after) = rest.split_once(':')?;
    let line = number.trim().parse().ok()?;
    if after.trim().is_empty() {
        return None;
    }
    Some((text.to_string(), line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::parse;

    const RB: &str =
        "# T\n\n## P\n\n### S\n\n```bash\necho one\necho two\nkubectl get pods -n <ns\n```\n";

    fn action(rb: &Runbook) -> &Action {
        &rb.phases[0].steps[0].actions[0]
    }

    #[test]
    fn bash_and_dash_errors_name_the_runbook_line() {
        let rb = parse("r.md", RB).runbook;
        // The code starts on line 8 of the runbook: its line 3 is line 10.
        for out in [
            "one\nbash: line 3: syntax error near unexpected token `newline'\n",
            "bash: -c: line 3: syntax error near unexpected token `newline'",
            "/bin/sh: 3: Syntax error: newline unexpected",
            "sh: line 3: x: command not found",
        ] {
            let got = with_runbook_line(&rb, action(&rb), out).unwrap_or_default();
            assert!(got.ends_with("(runbook line 10)"), "{out:?} → {got:?}");
            assert!(got.contains(": 3: ") || got.contains("line 3:"), "{got}");
        }
    }

    #[test]
    fn output_that_names_no_script_line_is_left_alone() {
        let rb = parse("r.md", RB).runbook;
        for out in [
            "error: line 3: bad",
            "bash: warning: something",
            "bash: line 9: beyond the block",
            "grep: line 2: x",
            "",
        ] {
            assert_eq!(with_runbook_line(&rb, action(&rb), out), None, "{out:?}");
        }
    }
}
