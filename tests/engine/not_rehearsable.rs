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

/// The sandbox run of `a_sandbox_session_…`, for what reads its journal.
fn sandbox_run() -> (Workdir, std::path::PathBuf, String) {
    let w = Workdir::new();
    let rb = w.write("rb.md", RUNBOOK);
    let out = auto(&w, &rb, true);
    let printed = text(&out);
    assert_eq!(out.status.code(), Some(0), "{printed}");
    let j = journal(&w);
    (w, j, printed)
}

#[test]
fn the_coverage_counts_what_was_not_rehearsable_in_the_flow_and_names_it() {
    let (w, journal, printed) = sandbox_run();
    // The flow: Nodes, Write, Deploy, Drain, Console; two ran to success.
    let line = "Rehearsed: 2 of 5 steps in the flow (40%); 3 not rehearsable";
    // The session's last lines say it, under how it ended.
    let end = printed
        .split("■ session complete")
        .nth(1)
        .unwrap_or_default();
    assert!(end.contains(line), "{printed}");
    assert!(
        end.contains("⊘ block 2 of Deploy not rehearsable — purges the real CDN"),
        "{printed}"
    );
    let report = |format: &str| {
        let out = w.run(
            &["report", &journal.to_string_lossy(), "--format", format],
            "",
        );
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let md = report("markdown");
    let section = md
        .split("## Coverage")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_default();
    assert_eq!(
        section.trim(),
        format!(
            "{line}\n\n\
             - not rehearsable: Nodes (the cluster's node list does not exist in the sandbox)\n\
             - not rehearsable: Drain (no cluster to drain in the sandbox)\n\
             - not rehearsable: Console (the web console is not there)\n\
             - block 2 of Deploy not rehearsable (purges the real CDN)"
        ),
        "{md}"
    );
    // The timeline marks them as such, not as skipped.
    assert!(
        md.contains("not rehearsable — the web console is not there"),
        "{md}"
    );
    assert!(!md.contains("## Skipped steps"), "{md}");
    let html = report("html");
    assert!(html.contains(line), "{html}");
    assert!(
        html.contains("not rehearsable: Console (the web console is not there)"),
        "{html}"
    );
    // The drill's own parser reads the line the report writes.
    let read = crate::support::tui_drill::Coverage::from_report(&md).expect("a coverage line");
    assert_eq!((read.rehearsed, read.total), (2, 5));
    let folded = crate::support::tui_drill::Coverage::from_journal(&journal);
    assert_eq!((folded.rehearsed, folded.total), (2, 5));
}

#[test]
fn replay_shows_the_passes_with_their_mark() {
    use runsheet::replay::{Controls, Player, screen};
    let (_w, journal, _) = sandbox_run();
    let mut c = Controls::new(Player::open_as(&journal, "rb.jsonl").expect("open"));
    c.player.set_playing(false);
    while !c.player.at_end() {
        c.handle_key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Right,
                crossterm::event::KeyModifiers::NONE,
            ),
            0,
        );
    }
    let (w, h) = (120, 36);
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    screen::prepare(&mut c, ratatui::layout::Rect::new(0, 0, w, h));
    terminal
        .draw(|f| screen::draw(f, &c, &runsheet::tui::Theme { color: false }, 0))
        .expect("draw");
    let shown = crate::support::tui::text(terminal.backend().buffer());
    // Every pass has the mark in the tree, none the operator's skip mark.
    for title in ["Nodes", "Drain", "Console"] {
        assert!(
            shown.lines().any(|l| l.contains('⊘') && l.contains(title)),
            "{title}:\n{shown}"
        );
    }
    assert!(!shown.contains('↷'), "{shown}");
    // The step the replay ends on, Deploy: its passed block has the mark
    // too, and the step says why.
    assert!(shown.contains("⊘ ▶ bash on staging"), "{shown}");
    assert!(
        shown.contains("⊘ block 2 not rehearsable — purges the real CDN"),
        "{shown}"
    );
}
