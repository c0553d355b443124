//! Placeholders left in a runbook written for people (`<namespace>`,
//! `YOUR_TOKEN`) through the real binary and real bash: the session asks
//! for each (naming the line it came from) or takes it from the
//! environment, runs the commands with the value in place whatever it
//! holds (spaces, quotes, `$(…)` stay one literal word), journals it
//! (secrets masked); `--auto` with one missing refuses as for a declared
//! variable; and a block bash fails on says the runbook's line.

use crate::support::workdir::{Workdir, text};

const RB: &str = r#"# Inspect the pods

## Look {#look}

### Pods {#pods}

```bash
echo "pods in [<namespace>]" > pods.txt
printf '%s\n' <namespace> 'single <namespace>' >> pods.txt
echo "token YOUR_TOKEN" >> pods.txt
```
"#;

const NASTY: &str = "team a \"q\" 'z' $(touch pwned) `touch pwned2` *";
const TOKEN: &str = "tok-9f8e7d6c5b";

#[test]
fn a_placeholder_asked_for_runs_with_its_value_in_place_and_is_journaled() {
    let mut w = Workdir::new();
    w.set("TOKEN", TOKEN);
    let rb = w.write("pods.md", RB);
    let out = w.plain(&rb, "staging", &format!("{NASTY}\n\n"));
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("NAMESPACE (placeholder `<namespace>`, line 8): "),
        "the prompt names the placeholder and its line: {all}"
    );
    let written = std::fs::read_to_string(w.path().join("pods.txt")).unwrap_or_default();
    assert_eq!(
        written,
        format!("pods in [{NASTY}]\n{NASTY}\nsingle {NASTY}\ntoken {TOKEN}\n"),
        "{all}"
    );
    assert!(!w.path().join("pwned").exists() && !w.path().join("pwned2").exists());
    let started = &w.of_type("session-started")[0];
    assert_eq!(started["values"]["NAMESPACE"], NASTY, "{started}");
    assert!(started["values"].get("TOKEN").is_none(), "{started}");
    assert!(!w.journal_text().contains(TOKEN), "the token is a secret");
}

#[test]
fn auto_with_a_placeholder_unset_refuses_and_says_how_to_set_it() {
    let mut w = Workdir::new();
    w.set("TOKEN", TOKEN);
    let rb = w.write("pods.md", RB);
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("1 variable is not set"), "{all}");
    assert!(
        all.contains("export NAMESPACE=…   # placeholder `<namespace>`, line 8"),
        "{all}"
    );
    assert!(!w.path().join("pods.txt").exists(), "nothing ran: {all}");

    // From the environment, as a declared variable.
    w.set("NAMESPACE", "prod eu");
    let out = w.auto(&rb, "staging");
    assert!(out.status.success(), "{}", text(&out));
    let written = std::fs::read_to_string(w.path().join("pods.txt")).unwrap_or_default();
    assert!(
        written.starts_with("pods in [prod eu]\nprod eu\n"),
        "{written}"
    );
}

#[test]
fn a_block_bash_fails_on_names_the_runbook_line() {
    let w = Workdir::new();
    let rb = w.write(
        "broken.md",
        "# Broken\n\n## Go {#go}\n\n### Check {#check}\n\nSome words.\n\n```bash\necho one\necho two\nif then fi\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    // `if then fi` is line 3 of the block, line 12 of the runbook.
    assert!(all.contains("(runbook line 12)"), "{all}");
    let finished = w.of_type("action-finished");
    let failure = finished[0]["outcome"]["failure"]
        .as_str()
        .unwrap_or_default();
    assert!(
        failure.contains("line 3") && failure.ends_with("(runbook line 12)"),
        "{failure}"
    );
}

/// A pasted terminal session runs its commands only; its bash error names
/// the line the command is written on, past the output pasted above it.
#[test]
fn a_pasted_sessions_bash_error_names_the_commands_line() {
    let w = Workdir::new();
    let rb = w.write(
        "pasted.md",
        "# Pasted\n\n## Go {#go}\n\n### Check {#check}\n\n```console\n$ echo one\none\ntwo\n$ if then fi\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    // `if then fi` is the second command, on line 11 of the runbook.
    assert!(all.contains("(runbook line 11)"), "{all}");
}
