//! A gate that needs approvals, with no team store to ask: it says it
//! cannot open, the typed name does not run anything, and `withdraw`
//! refuses the step. `--auto` never passes it.

use crate::support::workdir::{Workdir, text};

const RUNBOOK: &str = "---\ntargets:\n  production: { protected: true, approvals: 1 }\n---\n# R\n\n## P\n\n### Wipe {#wipe}\n\n```bash\nrm -rf \"$WORK/scratch\"\n```\n";

#[test]
fn without_a_store_the_gate_says_it_cannot_open_and_nothing_runs() {
    let w = Workdir::new();
    let rb = w.write("r.md", RUNBOOK);
    std::fs::create_dir_all(w.path().join("scratch")).unwrap();
    let out = w.plain(&rb, "production", "\nproduction\n\nwithdraw\nq\n");
    let all = text(&out);
    assert!(all.contains("no store is set: it cannot open"), "{all}");
    assert!(all.contains("waiting for 1 approval"), "{all}");
    assert!(all.contains("not run (refusal recorded"), "{all}");
    assert!(w.path().join("scratch").exists(), "it ran: {all}");
    assert!(w.of_type("action-started").is_empty());
    assert_eq!(w.of_type("gate-refused").len(), 1);

    let out = w.auto(&w.write("r2.md", RUNBOOK), "production");
    assert_ne!(out.status.code(), Some(0));
    assert!(w.path().join("scratch").exists());
}
