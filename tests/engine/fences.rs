//! A block pasted from a terminal runs its commands only: prompts
//! stripped, the output it shows left out (and shown, not run).

use crate::support::workdir::{Workdir, text};

#[test]
fn a_console_session_runs_its_commands_only_and_succeeds() {
    let w = Workdir::new();
    // Run as bash, the output lines would fail (`hi: command not found`).
    let rb = w.write(
        "r.md",
        "# R\n\n## P\n\n### Greet {#greet}\n\n```console\n$ echo hi\nhi\n$ echo \"two\" \\\n>   words\ntwo words\n```\n\n### After {#after}\n\n```bash\necho after-ran\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("command not found"), "{all}");
    assert!(all.contains("after-ran"), "{all}");
    // The console shows what runs, then what the runbook says it printed.
    assert!(all.contains("│ echo hi\n"), "{all}");
    assert!(all.contains("the runbook shows it printed:"), "{all}");
    // The journal holds what ran: the two commands' output, nothing else.
    let journal = w.journal_text();
    let output: String = w
        .of_type("output")
        .iter()
        .filter(|r| r.to_string().contains("\"greet\""))
        .map(|r| r.to_string())
        .collect();
    assert!(output.contains("hi"), "{journal}");
    assert!(output.contains("two words"), "{journal}");
    assert!(!journal.contains("command not found"), "{journal}");
}

#[test]
fn a_bash_block_written_with_prompts_runs_its_commands() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## P\n\n### Greet {#greet}\n\n```bash\n$ printf 'ok-%s\\n' split\nok-split\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("ok-split"), "{all}");
    assert!(!all.contains("command not found"), "{all}");
}

#[test]
fn run_refuses_a_runbook_with_only_untyped_command_fences() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## Deploy\n\n### Pull\n\n```\n$ git pull\n```\n\n### Restart\n\n```\nsudo systemctl restart app\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("nothing in this runbook runs"), "{all}");
    assert!(!all.contains("session complete"), "{all}");
    assert!(w.journals().is_empty(), "a session was started: {all}");
}
