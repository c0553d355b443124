//! Drills teach the runbook's real timings: `runsheet history` lists past
//! sessions and each step's median and slowest time, and a later session
//! shows them and flags a step that runs longer than every rehearsal.

use crate::support::workdir;

use workdir::{Workdir, text};

const RUNBOOK: &str = r#"# Failover drill

## Switch {#switch}

### Drain {#drain estimate=5m}

```bash
sleep "${NAP:-0.1}"
echo drained
```

### Promote {#promote}

```bash
echo promoted
```
"#;

fn run(w: &mut Workdir, drill: bool, nap: &str) -> std::process::Output {
    w.set("NAP", nap);
    let rb = w.path().join("failover.md");
    let mut args = vec![
        "run",
        rb.to_str().unwrap_or_default(),
        "--target",
        "staging",
        "--plain",
    ];
    if drill {
        args.push("--drill");
    }
    let out = w.run(&args, "\n\n\n\n");
    assert!(out.status.success(), "{}", text(&out));
    out
}

#[test]
fn drills_become_the_expected_times_of_the_next_session() {
    let mut w = Workdir::new();
    w.write("failover.md", RUNBOOK);
    let first = run(&mut w, true, "0.1");
    // Nothing rehearsed yet: the runbook's own estimate is shown.
    assert!(text(&first).contains("est. 5m"), "{}", text(&first));
    run(&mut w, true, "0.3");

    let history = w.run(&["history", "failover.md"], "");
    assert!(history.status.success(), "{}", text(&history));
    let listing = String::from_utf8_lossy(&history.stdout).into_owned();
    assert!(
        listing.contains("2 sessions of “Failover drill”"),
        "{listing}"
    );
    assert_eq!(
        listing.matches("  staging  drill  completed").count(),
        2,
        "{listing}"
    );
    let drain = listing
        .lines()
        .find(|l| l.trim_start().starts_with("Drain"))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(drain.contains("  2  "), "two runs: {drain}");
    assert!(
        drain.trim_end().ends_with("5m"),
        "the runbook's estimate beside: {drain}"
    );

    // The live session shows the rehearsed times, and flags the step that
    // takes longer than every rehearsal while it runs.
    let live = run(&mut w, false, "1.6");
    let all = text(&live);
    assert!(all.contains("rehearsed: median"), "{all}");
    assert!(all.contains("(2 runs)"), "{all}");
    assert!(
        all.contains("⚠ running longer than every rehearsal"),
        "{all}"
    );
    assert_eq!(
        all.matches("running longer than every rehearsal").count(),
        1,
        "{all}"
    );
    let after = w.run(&["history", "failover.md"], "");
    assert!(String::from_utf8_lossy(&after.stdout).contains("staging  live   completed"));
}

#[test]
fn a_runbook_never_run_says_so() {
    let w = Workdir::new();
    w.write("failover.md", RUNBOOK);
    let out = w.run(&["history", "failover.md"], "");
    assert!(out.status.success());
    assert!(
        text(&out).contains("no past session of “Failover drill”"),
        "{}",
        text(&out)
    );
}
