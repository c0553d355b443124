//! `{sandbox=skip reason=…}` with real child processes: a sandbox session
//! (its variables applied, as `run --sandbox` leaves them; no databases
//! needed, so none is started) never runs
//! what is marked, journals it as not rehearsable with the runbook's
//! reason and goes on by itself; a live session runs every marked block.

use crate::support::workdir::{Workdir, text};
use std::path::Path;
use std::process::Output;

/// Every block appends its name to `$WORK/ran`: what really ran, in order.
const RUNBOOK: &str = r#"# Release

## One

### Nodes {sandbox=skip reason="the cluster's node list does not exist in the sandbox"}

```bash
echo nodes >> "$WORK/ran"
```

### Write

```bash
echo write >> "$WORK/ran"
```

### Deploy

```bash
echo deploy-1 >> "$WORK/ran"
```

```bash {sandbox=skip reason="purges the real CDN"}
echo purge >> "$WORK/ran"
```

```bash
echo deploy-3 >> "$WORK/ran"
```

## Cluster {sandbox=skip reason="no cluster to drain in the sandbox"}

### Drain

```bash
echo drain >> "$WORK/ran"
```

## Last

### Console {sandbox=skip reason="the web console is not there"}

Open the web console and check the banner.
"#;

fn ran(w: &Workdir) -> Vec<String> {
    std::fs::read_to_string(w.path().join("ran"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn records(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// `runsheet run … --target staging --auto`, in the sandbox or not.
fn auto(w: &Workdir, rb: &Path, sandbox: bool) -> Output {
    let mut cmd = w.cmd(&[
        "run",
        &rb.to_string_lossy(),
        "--target",
        "staging",
        "--auto",
    ]);
    if sandbox {
        cmd.env("RUNSHEET_SANDBOX", w.path().join("sandbox"))
            .env("RUNSHEET_SANDBOX_APPLIED", "1");
    } else {
        cmd.env_remove("RUNSHEET_SANDBOX")
            .env_remove("RUNSHEET_SANDBOX_APPLIED");
    }
    cmd.output().expect("run runsheet")
}

fn journal(w: &Workdir) -> std::path::PathBuf {
    let j = w.journals();
    assert_eq!(j.len(), 1, "expected one journal: {j:?}");
    j[0].clone()
}

#[test]
fn a_sandbox_session_passes_by_what_is_marked_and_says_why() {
    let w = Workdir::new();
    let rb = w.write("rb.md", RUNBOOK);
    let out = auto(&w, &rb, true);
    let printed = text(&out);
    assert!(!printed.contains("sandbox started"), "{printed}");
    // The flow went on by itself to the end: nobody was asked anything.
    assert_eq!(out.status.code(), Some(0), "{printed}");
    assert_eq!(ran(&w), ["write", "deploy-1", "deploy-3"], "{printed}");
    // The console says so with its own mark, not as an operator's skip.
    assert!(
        printed.contains(
            "⊘ Nodes not rehearsable — the cluster's node list does not exist in the sandbox"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("⊘ block 2 not rehearsable — purges the real CDN"),
        "{printed}"
    );
    assert!(
        printed.contains("⊘ Console not rehearsable — the web console is not there"),
        "{printed}"
    );
    assert!(!printed.contains("skipped"), "{printed}");

    let journal = journal(&w);
    let passed: Vec<(String, Option<u64>, String)> = records(&journal)
        .iter()
        .filter(|r| r["type"] == "not-rehearsable")
        .map(|r| {
            (
                r["step"].as_str().unwrap_or_default().to_string(),
                r["action"].as_u64(),
                r["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        passed,
        vec![
            (
                "nodes".into(),
                None,
                "the cluster's node list does not exist in the sandbox".into()
            ),
            ("deploy".into(), Some(1), "purges the real CDN".into()),
            (
                "drain".into(),
                None,
                "no cluster to drain in the sandbox".into()
            ),
            (
                "console".into(),
                None,
                "the web console is not there".into()
            ),
        ]
    );
    assert!(
        !records(&journal).iter().any(|r| r["type"] == "skipped"),
        "no operator's skip was recorded"
    );
    // The journal folds back to the same session: verify and replay read it.
    let verified = w.run(&["verify", &journal.to_string_lossy()], "");
    assert!(verified.status.success(), "{}", text(&verified));
}

#[test]
fn a_live_session_runs_every_marked_block() {
    let w = Workdir::new();
    let rb = w.write("rb.md", RUNBOOK);
    let out = auto(&w, &rb, false);
    let printed = text(&out);
    // It runs all there is to run, then stops at the manual step: a person
    // opens the console there.
    assert_eq!(
        ran(&w),
        ["nodes", "write", "deploy-1", "purge", "deploy-3", "drain"],
        "{printed}"
    );
    assert_eq!(out.status.code(), Some(3), "{printed}");
    assert!(!printed.contains("not rehearsable"), "{printed}");
    assert!(
        !records(&journal(&w))
            .iter()
            .any(|r| r["type"] == "not-rehearsable")
    );
}
