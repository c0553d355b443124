//! Fences as people write them: `check` names a command sitting in a block
//! with no language and the fix; a runbook whose commands all sit in such
//! blocks is invalid, and `run` refuses it with the same words; a block
//! pasted from a terminal shows in the outline what it runs.

use crate::check;
use crate::support::workdir::{Workdir, text};

fn json(file: &str) -> serde_json::Value {
    let (_, stdout, stderr) = check(&["check", "--format", "json", file]);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect(&stderr);
    v[0].clone()
}

fn diagnostics<'a>(o: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    o["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

#[test]
fn untyped_command_fences_are_warned_with_the_fix_that_works() {
    let file = "tests/format/runbooks/untyped-fences-en.md";
    let (code, stdout, stderr) = check(&["check", "--color", "never", file]);
    // Nothing runs: every command sits in an untyped fence.
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    assert!(stdout.contains("invalid"), "{stdout}");
    let o = json(file);
    let warned: Vec<(u64, String, String)> = diagnostics(&o, "untyped-commands")
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
                d["help"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The overview's fence (context) is left alone, the YAML and the price
    // are not commands; the prompted session and the fence in the list item are.
    assert_eq!(warned.len(), 2, "{warned:#?}");
    assert_eq!(warned[0].0, 16);
    assert!(
        warned[0].1.contains("`$ kubectl get pods -n prod`"),
        "{}",
        warned[0].1
    );
    assert_eq!(
        warned[0].2,
        "write ```bash on line 15 to run it, or ```text to keep it as an example"
    );
    assert_eq!(warned[1].0, 36);
    assert_eq!(
        warned[1].2,
        "write ```bash on line 35 to run it, or ```text to keep it as an example"
    );
    let errors = diagnostics(&o, "no-runnable-commands");
    assert_eq!(errors.len(), 1, "{o:#}");
    assert_eq!(errors[0]["severity"], "error");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing in this runbook runs"),
        "{o:#}"
    );
    assert!(
        errors[0]["help"].as_str().unwrap().contains("line 15, 35"),
        "{o:#}"
    );
    assert_eq!(o["valid"], false);
    // The rendered warning quotes the command's line.
    assert!(stderr.contains("warning[untyped-commands]"), "{stderr}");
    assert!(stderr.contains("$ kubectl get pods -n prod"), "{stderr}");
}

#[test]
fn a_french_runbook_with_commands_in_text_and_untyped_fences_is_invalid() {
    let file = "tests/format/runbooks/untyped-fences-fr.md";
    let o = json(file);
    assert_eq!(o["valid"], false, "{o:#}");
    let warned = diagnostics(&o, "untyped-commands");
    // ```text is the author's choice: not warned; the psql session is, with
    // ```sql, and so is the root prompt in the alternative section.
    assert_eq!(warned.len(), 2, "{o:#}");
    assert_eq!(warned[0]["line"], 18);
    assert!(
        warned[0]["help"]
            .as_str()
            .unwrap()
            .starts_with("write ```sql on line 17")
    );
    assert_eq!(warned[1]["line"], 28);
    let errors = diagnostics(&o, "no-runnable-commands");
    assert_eq!(errors.len(), 1, "{o:#}");
    assert!(
        errors[0]["help"]
            .as_str()
            .unwrap()
            .contains("line 9, 17, 27"),
        "{o:#}"
    );
}

#[test]
fn a_runbook_that_runs_something_is_only_warned() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## P\n\n### Run\n\n```bash\necho ran\n```\n\n### Example\n\n```\nsudo systemctl status app\n```\n",
    );
    let (code, stdout, stderr) = check(&["check", rb.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(stderr.contains("warning[untyped-commands]"), "{stderr}");
    assert!(!stderr.contains("no-runnable-commands"), "{stderr}");
}

#[test]
fn run_refuses_a_runbook_whose_commands_all_sit_in_untyped_fences() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## P\n\n### Restart\n\n```\nsudo systemctl restart app\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("error[no-runnable-commands]"), "{all}");
    assert!(all.contains("nothing in this runbook runs"), "{all}");
    assert!(all.contains("nothing was run"), "{all}");
    assert!(!all.contains("session complete"), "{all}");
}

#[test]
fn the_outline_shows_what_a_pasted_session_runs() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## P\n\n### Pods\n\n```console\n$ kubectl get pods \\\n>   -n prod\nNAME   READY\nweb-1  1/1\n```\n",
    );
    let (code, stdout, stderr) = check(&["check", "--color", "never", rb.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(
        stdout.contains("line 7, a terminal session: runs its commands, 2 lines of output shown, not run\n     │ kubectl get pods \\\n     │   -n prod\n"),
        "{stdout}"
    );
    let o = json(rb.to_str().unwrap());
    let runs = &o["phases"][0]["steps"][0]["runs"][0];
    assert_eq!(runs["line"], 7);
    assert_eq!(runs["commands"], "kubectl get pods \\\n  -n prod\n");
    assert_eq!(runs["output_lines"], 2);
    assert_eq!(o["phases"][0]["steps"][0]["kind"], "shell");
}
