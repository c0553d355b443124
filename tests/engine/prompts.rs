//! Variable prompts and who the operator is: an empty answer asks that one
//! variable again and loses none of the others; the journal names the
//! account that ran the session even when `$USER` is not set.

use crate::support::workdir::{Workdir, text};

const RELEASE: &str = r#"---
variables:
  RELEASE: { description: "Version to deploy" }
  TICKET: { description: "Change ticket" }
  TOKEN: { secret: true }
---
# Release

## Go {#go}

### Deploy {#deploy}

```bash
echo "release $RELEASE ticket $TICKET token $TOKEN"
```
"#;

#[test]
fn an_empty_answer_asks_again_and_keeps_what_was_typed() {
    let mut w = Workdir::new();
    // The secret from the environment: a piped test has no terminal for
    // a masked prompt (the full-screen test types one).
    w.set("TOKEN", "tok-3f9a1c77");
    let rb = w.write("release.md", RELEASE);
    let out = w.plain(&rb, "staging", "2.4.1\n\nINC-7\n\n");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("TICKET needs a value").count(),
        1,
        "said once, for the empty answer: {all}"
    );
    assert!(!stdout.contains("RELEASE needs a value"), "{all}");
    assert!(
        stdout.contains("release 2.4.1 ticket INC-7 token ***"),
        "the first answer kept, the second asked again: {all}"
    );
}

#[test]
fn answers_that_end_before_a_value_name_the_variable_left() {
    let mut w = Workdir::new();
    w.set("TOKEN", "tok-3f9a1c77");
    let rb = w.write("release.md", RELEASE);
    let out = w.plain(&rb, "staging", "2.4.1\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 variable is not set"), "{all}");
    assert!(
        stderr.contains("export TICKET=…   # Change ticket"),
        "{all}"
    );
    assert!(w.journals().is_empty(), "no session was started: {all}");
}

const ONE_STEP: &str = "# Who\n\n## P {#p}\n\n### S {#s}\n\n```bash\necho hi\n```\n";

/// The account the tests run as, by the system's user database.
fn account() -> String {
    match nix::unistd::User::from_uid(nix::unistd::getuid()) {
        Ok(Some(u)) => u.name,
        _ => panic!("the test's own account has no name in the user database"),
    }
}

#[test]
fn the_operator_is_the_accounts_name_when_user_is_not_set() {
    let w = Workdir::new();
    let rb = w.write("who.md", ONE_STEP);
    let out = w
        .cmd(&[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .output()
        .expect("run runsheet");
    assert!(out.status.success(), "{}", text(&out));
    let started = w
        .of_type("session-started")
        .pop()
        .expect("a session-started record");
    assert_eq!(started["operator"], account().as_str(), "{started}");
    assert_ne!(started["operator"], "unknown");
    // `$USER` when it is set: what the shell says the operator is.
    let w = Workdir::new();
    let rb = w.write("who.md", ONE_STEP);
    let out = w
        .cmd(&[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ])
        .env("USER", "night-shift")
        .output()
        .expect("run runsheet");
    assert!(out.status.success(), "{}", text(&out));
    let started = w.of_type("session-started").pop().expect("a record");
    assert_eq!(started["operator"], "night-shift");
}
