//! Checklists as teams write them, run at the plain console with real bash:
//! items and the blocks written inside them go in document order ("tick,
//! run, tick"), so the check of the dry run's output is asked between the
//! dry run and the real one; the journal says so.

use crate::support::{operator, workdir};

use operator::{Ask, Operator, say};
use workdir::Workdir;

fn runbook(dir: &str) -> String {
    format!(
        r#"# Release 4.2

## Migrate

### Migrate the database

- [ ] Pre-flight
  - [ ] Backups verified
  - [ ] Team notified
- [ ] Run the dry run:
  ```bash
  echo dry-run >> {dir}/log
  ```
- [ ] Confirm the dry run shows no errors
- [ ] Run it for real:
  ```bash
  echo real >> {dir}/log
  ```

## Vérifier

### Tableau de bord

* [x] Ouvrir le tableau de bord 📊
    + [X] Les erreurs sont à zéro
"#
    )
}

#[test]
fn the_dry_run_is_checked_between_the_dry_run_and_the_real_one() {
    let w = Workdir::new();
    let dir = w.path().to_string_lossy().into_owned();
    let rb = w.write("release.md", &runbook(&dir));
    let log = w.path().join("log");
    let cmd = w.cmd(&[
        "run",
        &rb.to_string_lossy(),
        "--target",
        "staging",
        "--plain",
    ]);
    let mut op = Operator::start(cmd);
    let mut asked = Vec::new();
    let status = op.drive(|m| {
        let ran = std::fs::read_to_string(&log).unwrap_or_default();
        match &m.ask {
            Ask::Tick(item) => {
                asked.push(format!(
                    "tick {item} after [{}]",
                    ran.trim().replace('\n', ",")
                ));
                say(["y"])
            }
            Ask::Run => {
                asked.push(format!("run after [{}]", ran.trim().replace('\n', ",")));
                say([""])
            }
            _ => say(["q"]),
        }
    });
    assert!(status.success(), "{}", op.transcript);
    assert_eq!(
        asked,
        [
            "tick Pre-flight after []",
            "tick Backups verified after []",
            "tick Team notified after []",
            "run after []",
            "tick Confirm the dry run shows no errors after [dry-run]",
            "run after [dry-run]",
            "tick Ouvrir le tableau de bord 📊 after [dry-run,real]",
            "tick Les erreurs sont à zéro after [dry-run,real]",
        ],
        "{}",
        op.transcript
    );
    // The children are asked under their parent.
    assert!(
        op.transcript.contains("    [ ] Backups verified"),
        "{}",
        op.transcript
    );
    // The journal has the same order: three ticks, the dry run, the check
    // of its output, the real run.
    let order: Vec<String> = w
        .records()
        .iter()
        .filter_map(|r| match r["type"].as_str()? {
            "checklist-ticked" if r["step"] == "migrate-the-database" => {
                Some(format!("tick {}", r["item"]))
            }
            "action-finished" => Some(format!("ran {}", r["action"])),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        ["tick 0", "tick 1", "tick 2", "ran 0", "tick 4", "ran 1"],
        "{}",
        w.journal_text()
    );
}
