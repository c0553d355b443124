//! The full-screen UI in a sandbox session of a runbook with steps and a
//! block marked `sandbox=skip`: the session starts at a marked step and
//! passes it by unasked (the frame clock's tick), the flow passes the rest
//! by itself, and each shows its own mark, apart from an operator's skip.

use crate::support::tui as support;

use runsheet::session::{Msg, Session, StepStatus};
use runsheet::tui::{App, Outputs, Theme};
use std::sync::Arc;
use support::*;

const PLAIN: Theme = Theme { color: false };

const RUNBOOK: &str = r#"# Release

## One

### Nodes {sandbox=skip reason="the cluster's node list does not exist in the sandbox"}

```bash
kubectl get nodes
```

### Deploy

```bash
./deploy.sh
```

```bash {sandbox=skip reason="purges the real CDN"}
curl -X PURGE https://cdn.example.com/
```

### Announce

Post in #ops that the release is out.

### Console {sandbox=skip reason="the web console is not there"}

Open the web console and check the banner.
"#;

fn sandbox_session() -> Session {
    let s = session_of(RUNBOOK, "staging");
    let mut info = s.info().clone();
    info.sandbox = true;
    info.drill = true;
    Session::new(Arc::new(s.runbook().as_ref().clone()), info, T0)
}

fn status(s: &Session, step: &str) -> StepStatus {
    s.state(step).map(|st| st.status.clone()).expect("a step")
}

#[test]
fn passes_are_marked_apart_from_a_skip_and_coverage_ends_the_drill() {
    let mut s = sandbox_session();
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut outputs = Outputs::new();
    // The session starts at a marked step: the first tick passes it by.
    let cmds = app.tick(&s, T0 + 100);
    assert_eq!(cmds.len(), 1, "the tick submits the pass of the first step");
    run_commands(&mut app, &mut s, cmds, T0 + 100);
    assert_eq!(
        status(&s, "nodes"),
        StepStatus::NotRehearsable {
            reason: "the cluster's node list does not exist in the sandbox".into()
        }
    );
    assert!(app.tick(&s, T0 + 200).is_empty(), "nothing more is due");
    // Deploy runs its first block; the second is passed by, not run.
    let effects = submit(
        &mut app,
        &mut s,
        T0 + 1_000,
        Msg::RunRequested {
            step: "deploy".into(),
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
    submit(
        &mut app,
        &mut s,
        T0 + 3_000,
        finished("deploy", 0, 0, 2_000),
    );
    assert_eq!(status(&s, "deploy"), StepStatus::Done);
    // The operator skips the manual announcement; the console after it is
    // passed by with no key pressed.
    submit(
        &mut app,
        &mut s,
        T0 + 4_000,
        Msg::Skipped {
            step: "announce".into(),
            reason: "nobody to tell in a drill".into(),
        },
    );
    assert!(matches!(
        status(&s, "console"),
        StepStatus::NotRehearsable { .. }
    ));
    assert!(s.is_complete());
    let mut shown_at = |step: &str| {
        app.select(step);
        text(&frame(
            &s,
            &mut app,
            &mut outputs,
            (110, 30),
            T0 + 5_000,
            &PLAIN,
        ))
    };
    let shown = shown_at("deploy");
    assert!(
        shown.contains("Rehearsed: 1 of 4 steps in the flow (25%); 2 not rehearsable"),
        "{shown}"
    );
    assert!(
        shown.contains("⊘ block 2 not rehearsable — purges the real CDN"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
    let shown = shown_at("console");
    assert!(
        shown.contains("⊘ not rehearsable — the web console is not there"),
        "{shown}"
    );
}

#[test]
fn outside_the_sandbox_the_marks_change_nothing() {
    let mut s = session_of(RUNBOOK, "staging");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    assert!(app.tick(&s, T0 + 100).is_empty());
    let effects = submit(
        &mut app,
        &mut s,
        T0 + 1_000,
        Msg::RunRequested {
            step: "nodes".into(),
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(status(&s, "nodes"), StepStatus::Running { action: 0 });
    // Nor can a pass be recorded for it.
    let refused = s.update(
        T0 + 1_500,
        Msg::NotRehearsable {
            step: "deploy".into(),
            action: None,
            reason: "x".into(),
        },
    );
    assert!(
        refused.is_err_and(|r| r.0.contains("only in the sandbox")),
        "a live session refuses a pass"
    );
}
