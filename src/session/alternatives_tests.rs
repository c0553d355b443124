//! Offers of alternatives: where they stand, choosing, refusals, the fold.

use super::tests::session_of;
use super::*;

const OPTIONS_IN_A_PHASE: &str = r#"# Restore the service

## 1. Prepare {#prep}

### Stop the app {#stop}

```bash
echo stop
```

### Option A: restore from snapshot {#snap}

```bash
echo snapshot
```

### Option B: rebuild from WAL {#wal}

```bash
echo wal
```

### Start the app {#start}

```bash
echo start
```
"#;

fn ok(s: &mut Session, at: Millis, msg: Msg) -> Vec<Effect> {
    match s.update(at, msg.clone()) {
        Ok(e) => {
            assert_eq!(e.first(), Some(&Effect::Record(msg)));
            e[1..].to_vec()
        }
        Err(r) => panic!("{msg:?} was refused: {r}"),
    }
}

fn refused(s: &mut Session, msg: Msg) -> String {
    let before = s.clone();
    match s.update(9, msg.clone()) {
        Ok(e) => panic!("{msg:?} should be refused, got {e:?}"),
        Err(r) => {
            assert!(*s == before, "a refusal changed the session");
            r.0
        }
    }
}

fn run_ok(s: &mut Session, at: Millis, step: &str) {
    ok(s, at, Msg::RunRequested { step: step.into() });
    ok(s, at + 1, finished(step, 0));
}

fn finished(step: &str, exit: i32) -> Msg {
    Msg::ActionFinished {
        step: step.into(),
        action: 0,
        outcome: ActionOutcome {
            exit_code: Some(exit),
            duration_ms: 5,
            ..ActionOutcome::default()
        },
    }
}

fn choose(offer: &str, choice: Option<&str>) -> Msg {
    Msg::AlternativeChosen {
        offer: offer.into(),
        choice: choice.map(str::to_string),
        note: None,
    }
}

#[test]
fn options_among_steps_of_a_phase_are_one_offer_after_the_step_before() {
    let s = session_of("r.md", OPTIONS_IN_A_PHASE, "staging");
    let offers = s.offers();
    assert_eq!(offers.len(), 1, "{offers:?}");
    let o = &offers[0];
    assert_eq!(o.after.as_deref(), Some("stop"));
    let ids: Vec<&str> = o.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["snap", "wal"]);
    assert_eq!(
        o.label(),
        "2 options: A “Option A: restore from snapshot”, B “Option B: rebuild from WAL”"
    );
    // Not reached before the step it stands after is done.
    assert!(s.pending_offer().is_none());
}

#[test]
fn choosing_b_runs_only_b_and_the_flow_goes_on() {
    let mut s = session_of("r.md", OPTIONS_IN_A_PHASE, "staging");
    run_ok(&mut s, 1, "stop");
    assert_eq!(s.pending_offer().map(|o| o.id.as_str()), Some("snap"));
    // The next flow step waits for the choice.
    let why = refused(
        &mut s,
        Msg::RunRequested {
            step: "start".into(),
        },
    );
    assert!(why.contains("choose one (or none) first"), "{why}");
    // An option not chosen yet does not run either.
    let why = refused(&mut s, Msg::RunRequested { step: "wal".into() });
    assert!(why.contains("choose it first"), "{why}");
    let e = ok(&mut s, 3, choose("snap", Some("wal")));
    assert_eq!(
        e,
        vec![Effect::AlternativeChosen {
            offer: "snap".into(),
            choice: Some("wal".into())
        }]
    );
    assert_eq!(s.current(), Some("wal"));
    assert_eq!(s.next_step(), Some("wal"));
    assert_eq!(s.standing("snap"), Some(Standing::NotChosen));
    assert_eq!(s.standing("wal"), Some(Standing::Chosen));
    let why = refused(
        &mut s,
        Msg::RunRequested {
            step: "snap".into(),
        },
    );
    assert!(why.contains("not chosen"), "{why}");
    let why = refused(
        &mut s,
        Msg::RunRequested {
            step: "start".into(),
        },
    );
    assert!(why.contains("not done or skipped"), "{why}");
    run_ok(&mut s, 4, "wal");
    run_ok(&mut s, 6, "start");
    assert!(s.is_complete());
    let c = s
        .chosen("snap")
        .map(|c| (c.option.clone(), c.at, c.by.clone()));
    assert_eq!(c, Some((Some("wal".into()), 3, "alice".into())));
    // The not chosen option is not left to do.
    assert_eq!(status_of(&s, "snap"), StepStatus::Pending);
    ok(
        &mut s,
        9,
        Msg::SessionEnded {
            outcome: SessionEnd::Completed,
        },
    );
}

fn status_of(s: &Session, id: &str) -> StepStatus {
    s.state(id)
        .map_or(StepStatus::Pending, |x| x.status.clone())
}

#[test]
fn unknown_offers_options_and_second_choices_are_refused() {
    let mut s = session_of("r.md", OPTIONS_IN_A_PHASE, "staging");
    let why = refused(&mut s, choose("nope", None));
    assert!(why.contains("no options at `nope`"), "{why}");
    let why = refused(&mut s, choose("snap", Some("stop")));
    assert!(why.contains("`stop` is not one of 2 options"), "{why}");
    ok(&mut s, 1, choose("snap", None));
    let why = refused(&mut s, choose("snap", Some("wal")));
    assert!(why.contains("already made (none)"), "{why}");
}

#[test]
fn the_flow_is_not_complete_until_a_last_offer_is_decided() {
    let text = "# T\n\n## Deploy {#deploy}\n\n```bash\necho go\n```\n\n\
                ## Troubleshooting\n\n### Disk full {#disk}\n\n```bash\ndf -h\n```\n\n\
                ### Lock timeout {#lock}\n\n```bash\necho lock\n```\n";
    let mut s = session_of("t.md", text, "staging");
    assert_eq!(s.offers().len(), 1);
    // One troubleshooting section: each of its sub-sections is an option.
    let ids: Vec<&str> = s.offers()[0]
        .options
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["disk", "lock"]);
    let e = ok(
        &mut s,
        1,
        Msg::RunRequested {
            step: "deploy".into(),
        },
    );
    assert!(!e.is_empty());
    let e = ok(&mut s, 2, finished("deploy", 0));
    assert!(!e.contains(&Effect::FlowComplete), "{e:?}");
    assert!(!s.is_complete());
    let why = refused(
        &mut s,
        Msg::SessionEnded {
            outcome: SessionEnd::Completed,
        },
    );
    assert!(why.contains("steps remain"), "{why}");
    let e = ok(
        &mut s,
        3,
        Msg::AlternativeChosen {
            offer: "disk".into(),
            choice: None,
            note: Some("auto: none chosen".into()),
        },
    );
    assert!(e.contains(&Effect::FlowComplete), "{e:?}");
    assert_eq!(
        s.chosen("disk").and_then(|c| c.note.as_deref()),
        Some("auto: none chosen")
    );
    assert_eq!(s.standing("lock"), Some(Standing::NotChosen));
}

#[test]
fn alternative_phases_side_by_side_are_options_with_their_steps() {
    let text = "# T\n\n## Check {#check}\n\n```bash\necho check\n```\n\n\
                ## Option A: restore from snapshot {#a}\n\n### Fetch {#a1}\n\n```bash\necho a1\n```\n\n\
                ### Load {#a2}\n\n```bash\necho a2\n```\n\n\
                ## Option B: rebuild from WAL {#b}\n\n```bash\necho b\n```\n\n\
                ## Verify {#verify}\n\n```bash\necho verify\n```\n";
    let mut s = session_of("p.md", text, "staging");
    assert_eq!(s.offers().len(), 1, "{:?}", s.offers());
    let o = s.offers()[0].clone();
    assert_eq!(o.after.as_deref(), Some("check"));
    let opts: Vec<(&str, Vec<&str>)> = o
        .options
        .iter()
        .map(|x| (x.id.as_str(), x.steps.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(opts[0], ("a", vec!["a1", "a2"]));
    assert_eq!(opts[1].0, "b");
    run_ok(&mut s, 1, "check");
    let plan_before = s.plan();
    ok(&mut s, 3, choose(&o.id, Some("a")));
    assert_eq!(s.flow(), ["check", "a1", "a2", "verify"]);
    assert_eq!(s.plan(), plan_before, "no estimates here");
    run_ok(&mut s, 4, "a1");
    assert_eq!(s.current(), Some("a2"));
    run_ok(&mut s, 6, "a2");
    run_ok(&mut s, 8, "verify");
    assert!(s.is_complete());
}

#[test]
fn an_offer_at_the_start_is_asked_first() {
    let text = "# T\n\n## Scenario 1: fresh install {#fresh}\n\n```bash\necho fresh\n```\n\n\
                ## Scenario 2: upgrade {#upgrade}\n\n```bash\necho up\n```\n\n\
                ## Verify {#verify}\n\n```bash\necho verify\n```\n";
    let mut s = session_of("s.md", text, "staging");
    let o = s.pending_offer().cloned();
    assert_eq!(o.as_ref().map(|o| o.after.clone()), Some(None));
    assert_eq!(o.map(|o| o.options.len()), Some(2));
    let why = refused(
        &mut s,
        Msg::RunRequested {
            step: "verify".into(),
        },
    );
    assert!(why.contains("choose one"), "{why}");
    ok(&mut s, 1, choose("fresh", Some("upgrade")));
    assert_eq!(s.current(), Some("upgrade"));
    assert_eq!(s.flow(), ["upgrade", "verify"]);
}

#[test]
fn an_offer_after_a_failed_step_is_reachable_and_its_option_runs() {
    let text = "# T\n\n## Migrate {#migrate}\n\n```bash\nfalse\n```\n\n\
                ## If the migration fails {#iff}\n\n```bash\necho repair\n```\n\n\
                ## Verify {#verify}\n\n```bash\necho verify\n```\n";
    let mut s = session_of("f.md", text, "staging");
    assert_eq!(s.offers().len(), 1);
    assert!(s.pending_offer().is_none());
    ok(
        &mut s,
        1,
        Msg::RunRequested {
            step: "migrate".into(),
        },
    );
    ok(&mut s, 2, finished("migrate", 1));
    assert_eq!(s.pending_offer().map(|o| o.id.as_str()), Some("iff"));
    ok(&mut s, 3, choose("iff", Some("iff")));
    assert_eq!(s.current(), Some("iff"));
    // The chosen option runs with the failure standing before it.
    run_ok(&mut s, 4, "iff");
    assert!(matches!(
        status_of(&s, "migrate"),
        StepStatus::Failed { .. }
    ));
    // The flow goes on only once the failure is settled.
    let why = refused(
        &mut s,
        Msg::RunRequested {
            step: "verify".into(),
        },
    );
    assert!(why.contains("not done or skipped"), "{why}");
    run_ok(&mut s, 6, "migrate");
    run_ok(&mut s, 8, "verify");
    assert!(s.is_complete());
}

#[test]
fn a_context_section_is_never_run_or_confirmed() {
    let text = "# T\n\n## Overview {#overview}\n\nWhat this does.\n\n\
                ## Contacts {#contacts}\n\n- [ ] call Bob\n\n\
                ## Deploy {#deploy}\n\n```bash\necho go\n```\n";
    let mut s = session_of("c.md", text, "staging");
    assert!(s.offers().is_empty());
    ok(
        &mut s,
        1,
        Msg::ChecklistTicked {
            step: "contacts".into(),
            item: 0,
            checked: true,
        },
    );
    // Its last box ticked does not settle it, nor does a confirmation.
    assert_eq!(status_of(&s, "contacts"), StepStatus::Pending);
    let why = refused(
        &mut s,
        Msg::ConfirmedDone {
            step: "contacts".into(),
        },
    );
    assert!(why.contains("is context"), "{why}");
    run_ok(&mut s, 2, "deploy");
    assert!(s.is_complete());
}

#[test]
fn the_fold_keeps_the_choice() {
    let mut s = session_of("r.md", OPTIONS_IN_A_PHASE, "staging");
    let mut journal = vec![(0, Msg::SessionStarted(s.info().clone()))];
    let msgs = [
        (
            1,
            Msg::RunRequested {
                step: "stop".into(),
            },
        ),
        (2, finished("stop", 0)),
        (3, choose("snap", Some("snap"))),
        (
            4,
            Msg::RunRequested {
                step: "snap".into(),
            },
        ),
    ];
    for (at, m) in msgs {
        ok(&mut s, at, m.clone());
        journal.push((at, m));
    }
    let folded = fold(s.runbook().clone(), journal).unwrap_or_else(|e| panic!("{e}"));
    assert!(folded == s);
    assert_eq!(folded.flow(), ["stop", "snap", "start"]);
    assert_eq!(folded.standing("wal"), Some(Standing::NotChosen));
}

#[test]
fn the_plan_counts_the_chosen_option_and_the_choice_reads_in_a_few_words() {
    let text = "# T\n\n## Stop {#stop estimate=1m}\n\n```bash\necho stop\n```\n\n\
                ## Option A: snapshot {#a estimate=5m}\n\n```bash\necho a\n```\n\n\
                ## Option B: WAL {#b estimate=20m}\n\n```bash\necho b\n```\n\n\
                ## Start {#start estimate=1m}\n\n```bash\necho start\n```\n";
    let mut s = session_of("e.md", text, "staging");
    let minutes = |s: &Session| s.plan().map(|p| p.high.as_secs() / 60);
    assert_eq!(minutes(&s), Some(2), "no option counts before the choice");
    run_ok(&mut s, 1, "stop");
    ok(&mut s, 3, choose("a", Some("b")));
    assert_eq!(minutes(&s), Some(22), "the chosen option counts");
    assert_eq!(s.remaining().map(|p| p.high.as_secs() / 60), Some(21));
    assert_eq!(
        s.describe_choice("a", Some("b")),
        "at “Stop”: 2 options: A “Option A: snapshot”, B “Option B: WAL”; chosen B “Option B: WAL”"
    );
    assert!(s.describe_choice("a", None).ends_with("; none chosen"));
}
