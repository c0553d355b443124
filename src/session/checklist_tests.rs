//! Items and actions in document order: "tick, run, tick".

use super::tests::{resumed, session_of};
use super::*;

/// The checklist of issue 16 as teams write it: a parent with children, a
/// dry run in an item, the check of its output, the real run.
const MIGRATE: &str = r#"# Migrate

## Release

### Migrate {#migrate}

- [ ] Pre-flight
  - [ ] Backups verified
  - [ ] Team notified
- [ ] Run the dry run:
  ```bash
  ./migrate --dry-run
  ```
- [ ] Confirm the dry run shows no errors
- [ ] Run it for real:
  ```bash
  ./migrate
  ```

### After {#after}

```bash
echo after
```

- [ ] Dashboards green
"#;

fn session() -> Session {
    session_of("migrate.md", MIGRATE, "local")
}

fn ok(s: &mut Session, at: Millis, msg: Msg) -> Vec<Effect> {
    match s.update(at, msg.clone()) {
        Ok(effects) => effects[1..].to_vec(),
        Err(r) => panic!("{msg:?} was rejected: {r}"),
    }
}

/// Refused, and the session is exactly as it was.
fn refused(s: &mut Session, msg: Msg) -> String {
    let before = s.clone();
    match s.update(5, msg.clone()) {
        Ok(e) => panic!("{msg:?} should be refused, got {e:?}"),
        Err(r) => {
            assert!(*s == before, "a refusal changed the session");
            r.0
        }
    }
}

fn tick(step: &str, item: usize) -> Msg {
    Msg::ChecklistTicked {
        step: step.into(),
        item,
        checked: true,
    }
}

fn run(step: &str) -> Msg {
    Msg::RunRequested { step: step.into() }
}

fn finished(step: &str, action: usize, exit_code: i32) -> Msg {
    Msg::ActionFinished {
        step: step.into(),
        action,
        outcome: ActionOutcome {
            exit_code: Some(exit_code),
            signal: None,
            timed_out: false,
            cancelled: false,
            duration_ms: 20,
            error: None,
            failure: None,
            needs_approval: None,
        },
    }
}

fn status(s: &Session, step: &str) -> StepStatus {
    s.state(step)
        .map(|x| x.status.clone())
        .unwrap_or(StepStatus::Pending)
}

fn ticked(s: &Session, step: &str) -> Vec<bool> {
    s.state(step).map(|x| x.ticked.clone()).unwrap_or_default()
}

#[test]
fn items_and_blocks_go_in_the_order_they_are_written() {
    let mut s = session();
    // The three pre-flight items come before the dry run.
    assert_eq!(s.next_in_order("migrate"), Next::Tick(0));
    let why = refused(&mut s, run("migrate"));
    assert!(
        why.contains("“Pre-flight”") && why.contains("first command"),
        "{why}"
    );
    ok(&mut s, 1, tick("migrate", 0));
    ok(&mut s, 2, tick("migrate", 1));
    let why = refused(&mut s, run("migrate"));
    assert!(why.contains("“Team notified”"), "{why}");
    ok(&mut s, 3, tick("migrate", 2));
    assert_eq!(s.next_in_order("migrate"), Next::Run(0));
    assert_eq!(
        ok(&mut s, 4, run("migrate")),
        vec![Effect::RunAction {
            step: "migrate".into(),
            action: 0
        }]
    );
    // The dry run succeeds: its item is ticked by it, and the step waits
    // for the check of its output before the real run.
    assert_eq!(ok(&mut s, 5, finished("migrate", 0, 0)), vec![]);
    assert_eq!(status(&s, "migrate"), StepStatus::AwaitingChecklist);
    assert_eq!(
        ticked(&s, "migrate"),
        [true, true, true, true, false, false]
    );
    assert_eq!(s.next_in_order("migrate"), Next::Tick(4));
    let why = refused(&mut s, run("migrate"));
    assert!(
        why.contains("“Confirm the dry run shows no errors”"),
        "{why}"
    );
    // The real run's item is its success, not a box to tick ahead.
    let why = refused(&mut s, tick("migrate", 5));
    assert!(why.contains("when its command succeeds"), "{why}");
    assert_eq!(ok(&mut s, 6, tick("migrate", 4)), vec![]);
    assert_eq!(s.next_in_order("migrate"), Next::Run(1));
    assert_eq!(
        ok(&mut s, 7, run("migrate")),
        vec![Effect::RunAction {
            step: "migrate".into(),
            action: 1
        }]
    );
    assert_eq!(status(&s, "migrate"), StepStatus::Running { action: 1 });
    let e = ok(&mut s, 9, finished("migrate", 1, 0));
    assert_eq!(
        e,
        vec![Effect::StepSettled {
            step: "migrate".into()
        }]
    );
    assert_eq!(status(&s, "migrate"), StepStatus::Done);
    // One run, from its start to the real run's end.
    let st = s.state("migrate").expect("state");
    assert_eq!(
        (st.attempts, st.started_at, st.finished_at),
        (1, Some(4), Some(9))
    );
}

#[test]
fn an_item_after_a_block_waits_for_it() {
    let mut s = session();
    for i in 0..3 {
        ok(&mut s, 1, tick("migrate", i));
    }
    let why = refused(&mut s, tick("migrate", 4));
    assert!(
        why.contains("comes after the block `./migrate --dry-run`"),
        "{why}"
    );
    ok(&mut s, 2, run("migrate"));
    // Still running the dry run: its output is not there to confirm.
    refused(&mut s, tick("migrate", 4));
    // Items before it may be unticked and ticked again meanwhile.
    ok(
        &mut s,
        3,
        Msg::ChecklistTicked {
            step: "migrate".into(),
            item: 1,
            checked: false,
        },
    );
    ok(&mut s, 4, tick("migrate", 1));
}

#[test]
fn a_new_run_asks_again_what_was_ticked_about_the_last() {
    let mut s = session();
    for i in 0..3 {
        ok(&mut s, 1, tick("migrate", i));
    }
    ok(&mut s, 2, run("migrate"));
    ok(&mut s, 3, finished("migrate", 0, 0));
    ok(&mut s, 4, tick("migrate", 4));
    ok(&mut s, 5, run("migrate"));
    // The real run fails; the retry starts again from the dry run.
    ok(&mut s, 6, finished("migrate", 1, 2));
    assert!(matches!(status(&s, "migrate"), StepStatus::Failed { .. }));
    ok(&mut s, 7, run("migrate"));
    assert_eq!(
        ticked(&s, "migrate"),
        [true, true, true, false, false, false]
    );
    assert_eq!(status(&s, "migrate"), StepStatus::Running { action: 0 });
    ok(&mut s, 8, finished("migrate", 0, 0));
    assert_eq!(status(&s, "migrate"), StepStatus::AwaitingChecklist);
    assert_eq!(s.next_in_order("migrate"), Next::Tick(4));
}

#[test]
fn a_checklist_after_the_blocks_is_ticked_once_they_ran() {
    let mut s = session();
    for i in 0..3 {
        ok(&mut s, 1, tick("migrate", i));
    }
    ok(&mut s, 2, run("migrate"));
    ok(&mut s, 3, finished("migrate", 0, 0));
    ok(&mut s, 4, tick("migrate", 4));
    ok(&mut s, 5, run("migrate"));
    ok(&mut s, 6, finished("migrate", 1, 0));
    assert_eq!(s.next_in_order("after"), Next::Run(0));
    refused(&mut s, tick("after", 0));
    ok(&mut s, 7, run("after"));
    assert_eq!(ok(&mut s, 8, finished("after", 0, 0)), vec![]);
    assert_eq!(status(&s, "after"), StepStatus::AwaitingChecklist);
    assert_eq!(s.next_in_order("after"), Next::Tick(0));
    let e = ok(&mut s, 9, tick("after", 0));
    assert!(e.contains(&Effect::StepSettled {
        step: "after".into()
    }));
}

#[test]
fn a_paused_step_resumes_where_it_stood() {
    let start = session();
    let mut s = start.clone();
    let mut log = Vec::new();
    let mut apply = |s: &mut Session, at: Millis, m: Msg| {
        ok(s, at, m.clone());
        log.push((at, m));
    };
    for i in 0..3 {
        apply(&mut s, 1, tick("migrate", i));
    }
    apply(&mut s, 2, run("migrate"));
    apply(&mut s, 3, finished("migrate", 0, 0));
    // The fold of the same messages is the same session: paused at the
    // real run, its dry run's item ticked.
    let mut folded = start.clone();
    for (at, m) in &log {
        folded.replay(*at, m).expect("replays");
    }
    assert!(folded == s);
    assert_eq!(folded.state("migrate").map(|x| x.next_action), Some(1));
    // Across a stop and a resume it goes on at the real run.
    ok(&mut folded, 100, resumed());
    assert_eq!(folded.next_in_order("migrate"), Next::Tick(4));
    ok(&mut folded, 101, tick("migrate", 4));
    assert_eq!(
        ok(&mut folded, 102, run("migrate")),
        vec![Effect::RunAction {
            step: "migrate".into(),
            action: 1
        }]
    );
}
