//! The values the operator sees, through the real binary and the plain
//! console: a gate names where it lands and shows the command with the
//! values it runs with (secrets `***`), a countdown names the rule and the
//! command, instructions and checklists show values; a resume with a
//! different value says so and asks (`--auto` refuses).

use crate::support::workdir;

use std::process::{Output, Stdio};
use workdir::{Workdir, text};

const SECRET: &str = "tok-s3cr3t-v4lue";

const RB: &str = r#"---
targets:
  staging: { countdown: 1s }
  production: { protected: true }
variables:
  RELEASE: { description: "release to deploy" }
  TOKEN: { secret: true }
---
# Values

## Phase

### Check {#check}

Deploying release `$RELEASE` today.

- [ ] Release $RELEASE is tagged

### Wipe {#wipe}

```bash
rm -rf "$WORK/victim/$RELEASE"
echo "token $TOKEN" > /dev/null
```
"#;

fn workdir() -> Workdir {
    let mut w = Workdir::new();
    w.set("TOKEN", SECRET);
    w.write("values.md", RB);
    w.write("victim/2.4.1/file", "precious\n");
    w
}

/// Runs runsheet with `env` on top of the workdir's, stdin piped.
fn run(w: &Workdir, args: &[&str], env: &[(&str, Option<&str>)], stdin: &str) -> Output {
    use std::io::Write;
    let mut cmd = w.cmd(args);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runsheet");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("wait runsheet")
}

fn start_on_production(w: &Workdir, stdin: &str) -> String {
    let out = run(
        w,
        &["run", "values.md", "--target", "production", "--plain"],
        &[("RELEASE", Some("2.4.1"))],
        stdin,
    );
    text(&out)
}

#[test]
fn the_console_gate_shows_where_and_what_with_values_never_a_secret() {
    let w = workdir();
    // Tick, Enter to run the wipe, Enter refuses the gate, q.
    let all = start_on_production(&w, "y\n\n\nq\n");
    for want in [
        "Deploying release `2.4.1` today.",
        "values: $RELEASE = 2.4.1",
        "[ ] Release 2.4.1 is tagged",
        "DESTRUCTIVE step on PRODUCTION",
        "where it lands: production (protected)",
        "no database declared: the commands run here, on ",
        "shell-rm-recursive-force",
        "— rm -rf \"$WORK/victim/2.4.1\"",
        "what will run on production:",
        "│ rm -rf \"$WORK/victim/2.4.1\"",
        "│ echo \"token ***\" > /dev/null",
        "values: $RELEASE = 2.4.1 · $TOKEN = *** (secret)",
    ] {
        assert!(all.contains(want), "`{want}` not shown:\n{all}");
    }
    assert!(!all.contains(SECRET), "{all}");
    assert!(w.path().join("victim/2.4.1/file").exists(), "{all}");
    // The journal keeps the value, never the secret.
    let started = &w.of_type("session-started")[0];
    assert_eq!(started["values"]["RELEASE"], "2.4.1", "{started}");
    assert!(started["values"].get("TOKEN").is_none(), "{started}");
    assert!(!w.journal_text().contains(SECRET));
}

#[test]
fn the_console_countdown_names_the_rule_and_the_command() {
    let w = workdir();
    let check = RB.find("### Check").unwrap();
    let wipe = RB.find("### Wipe").unwrap();
    let rb = format!("{}{}", &RB[..check], &RB[wipe..]);
    w.write("values.md", &rb);
    let out = run(
        &w,
        &["run", "values.md", "--target", "staging", "--auto"],
        &[("RELEASE", Some("2.4.1"))],
        "",
    );
    let all = text(&out);
    for want in [
        "`Wipe` is destructive and runs on staging after a countdown:",
        "shell-rm-recursive-force: ",
        "where it lands: staging",
        "│ rm -rf \"$WORK/victim/2.4.1\"",
        "it runs in 1s",
    ] {
        assert!(all.contains(want), "`{want}` not shown:\n{all}");
    }
    assert!(!all.contains(SECRET), "{all}");
}

#[test]
fn a_resume_with_another_value_says_so_and_asks() {
    let w = workdir();
    // Tick, then quit at the wipe.
    let all = start_on_production(&w, "y\nq\n");
    assert!(all.contains("stopped at `wipe`"), "{all}");

    let again = [("RELEASE", Some("2.4.2"))];
    // --auto refuses, saying how to go on.
    let out = run(&w, &["resume", "--auto"], &again, "");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("RELEASE: 2.4.1 → 2.4.2"), "{all}");
    assert!(
        all.contains("--auto does not change a session's values"),
        "{all}"
    );
    assert!(all.contains("export RELEASE=2.4.1"), "{all}");
    assert!(w.of_type("resumed").is_empty(), "{all}");

    // No: not resumed, nothing journaled.
    let out = run(&w, &["resume", "--plain"], &again, "n\n");
    let all = text(&out);
    assert!(all.contains("RELEASE: 2.4.1 → 2.4.2"), "{all}");
    assert!(all.contains("not resumed"), "{all}");
    assert!(w.of_type("resumed").is_empty(), "{all}");

    // Yes: resumed with the new value, journaled, and shown from there.
    let out = run(&w, &["resume", "--plain"], &again, "y\n\n\nq\n");
    let all = text(&out);
    let resumed = w.of_type("resumed");
    assert_eq!(resumed.len(), 1, "{all}");
    assert_eq!(resumed[0]["values"]["RELEASE"], "2.4.2", "{all}");
    assert!(all.contains("│ rm -rf \"$WORK/victim/2.4.2\""), "{all}");

    // Not set at all: the session's own value stands in, nothing asked.
    let out = run(&w, &["resume", "--plain"], &[("RELEASE", None)], "\n\nq\n");
    let all = text(&out);
    assert!(!all.contains("RELEASE (release to deploy):"), "{all}");
    assert!(!all.contains("→"), "{all}");
    assert!(all.contains("│ rm -rf \"$WORK/victim/2.4.2\""), "{all}");
    assert_eq!(w.of_type("resumed").len(), 2, "{all}");
    assert!(!w.journal_text().contains(SECRET));
}
