//! Alternatives offered where they stand, in the plain console: the
//! operator picks one option (only its steps run) or none, `--auto` takes
//! none and says so; the choice is journaled and reported (real shell,
//! real files, real journal).

use crate::support::workdir::{self, Workdir};

/// Two ways to restore, written as people write them, each leaving a
/// marker file; the step after them runs whichever was chosen.
fn runbook(dir: &str) -> String {
    format!(
        r#"# 🔧 Restore the orders database

## 1. Prepare

### Stop the application

```bash
touch {dir}/ran-stop
```

### Option A: restore from the nightly snapshot

Fast, loses up to a day of orders.

```bash
touch {dir}/ran-option-a
```

### Option B: rebuild from the WAL archive

Slower, loses nothing.

```bash
touch {dir}/ran-option-b
```

### Start the application

```bash
touch {dir}/ran-start
```

## Dépannage

### Le service ne démarre pas

```bash
touch {dir}/ran-depannage
```
"#
    )
}

#[test]
fn choosing_option_b_in_the_console_runs_only_b() {
    let env = Workdir::new();
    let dir = env.path().to_string_lossy().into_owned();
    let rb = env.write("restore.md", &runbook(&dir));
    // Run “Stop”, pick b, run B, run “Start”, none at the troubleshooting.
    let out = env.run(
        &["run", &rb.to_string_lossy(), "--target", "staging"],
        "\nb\n\n\nn\n",
    );
    let text = workdir::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("At “Stop the application”: 2 options"),
        "{text}"
    );
    assert!(text.contains("Slower, loses nothing."), "{text}");
    for ran in ["stop", "option-b", "start"] {
        assert!(
            env.path().join(format!("ran-{ran}")).exists(),
            "{ran} did not run:\n{text}"
        );
    }
    for never in ["option-a", "depannage"] {
        assert!(
            !env.path().join(format!("ran-{never}")).exists(),
            "{never} ran:\n{text}"
        );
    }
    let chosen = env.of_type("alternative-chosen");
    assert_eq!(chosen.len(), 2, "{chosen:?}");
    assert!(
        chosen[0]["choice"]
            .as_str()
            .is_some_and(|c| c.contains("option-b")),
        "{chosen:?}"
    );
    assert!(chosen[1].get("choice").is_none(), "{chosen:?}");
    // The report says what was offered and chosen, and who chose.
    let journal = env.journals().pop().unwrap_or_default();
    let md = env.run(
        &["report", &journal.to_string_lossy(), "--format", "markdown"],
        "",
    );
    let md = String::from_utf8_lossy(&md.stdout).into_owned();
    assert!(md.contains("## Alternatives"), "{md}");
    assert!(
        md.contains("chosen B “Option B: rebuild from the WAL archive”"),
        "{md}"
    );
    assert!(md.contains("none chosen"), "{md}");
    let not_chosen = md
        .lines()
        .find(|l| l.contains("| Option A: restore from the nightly snapshot |"))
        .unwrap_or_else(|| panic!("no row for option A:\n{md}"));
    assert!(not_chosen.contains("not chosen"), "{not_chosen}");
}

#[test]
fn auto_takes_none_of_the_options_and_journals_why() {
    let env = Workdir::new();
    let dir = env.path().to_string_lossy().into_owned();
    let rb = env.write("restore.md", &runbook(&dir));
    let out = env.auto(&rb, "staging");
    let text = workdir::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("--auto takes none of them"), "{text}");
    for never in ["option-a", "option-b", "depannage"] {
        assert!(
            !env.path().join(format!("ran-{never}")).exists(),
            "{never} ran:\n{text}"
        );
    }
    assert!(env.path().join("ran-start").exists(), "{text}");
    let chosen = env.of_type("alternative-chosen");
    assert_eq!(chosen.len(), 2, "{chosen:?}");
    assert!(
        chosen
            .iter()
            .all(|c| c["note"] == "auto: none chosen" && c.get("choice").is_none()),
        "{chosen:?}"
    );
}
