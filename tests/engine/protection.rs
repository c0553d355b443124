//! What a session promises about its targets holds across a resume: a
//! changed runbook never lowers a target's protection and every change
//! that touches safety is named (and refused under `--auto`); every
//! target's database is identified before the first step, whatever kind of
//! step uses it, and checked again on resume; a crashed session resumes
//! by a relative journal path as by an absolute one.

use crate::support::pg;
use crate::support::workdir;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use workdir::{Workdir, text};

/// The issue's runbook: a protected production whose step wipes a folder.
const WIPE: &str = r#"---
targets:
  staging: { countdown: 1s }
  production:
    protected: true
    countdown: 1s
---
# Wipe

## Phase

### Wipe production {#wipe}

```bash {target=production}
rm -rf "$WORK/victim"
```
"#;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn victim(w: &Workdir) -> std::path::PathBuf {
    let v = w.path().join("victim");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("data"), "keep me").unwrap();
    v
}

/// Stopped at production's gate, `protected: true` edited to `false`:
/// `resume --auto --accept-changed-runbook` ran the `rm -rf` after a
/// countdown, and the summary said only text outside the steps changed.
#[test]
fn a_runbook_edited_to_unprotect_production_does_not_unprotect_the_session() {
    let w = Workdir::new();
    let dir = victim(&w);
    let rb = w.write("wipe.md", WIPE);
    let out = w.auto(&rb, "production");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(dir.exists());

    w.write(
        "wipe.md",
        &WIPE.replace("protected: true", "protected: false"),
    );
    let out = w.run(&["resume", "--auto", "--accept-changed-runbook"], "");
    let all = text(&out);
    assert!(dir.exists(), "the rm ran: {all}");
    assert_eq!(out.status.code(), Some(2), "{all}");
    let err = stderr(&out);
    assert!(
        err.contains("target `production`: protected: true → false"),
        "{err}"
    );
    assert!(err.contains("--auto does not resume"), "{err}");
    assert!(!err.contains("only text outside the steps"), "{err}");

    // A person who accepts the change still meets the gate: Enter runs
    // the step, Enter again refuses the gate, q leaves.
    let out = w.run(
        &["resume", "--plain", "--accept-changed-runbook"],
        "\n\nq\n",
    );
    let all = text(&out);
    assert!(dir.exists(), "the rm ran: {all}");
    assert!(all.contains("DESTRUCTIVE step on PRODUCTION"), "{all}");
    assert!(
        all.contains("stays protected"),
        "the operator is told the journal's protection holds: {all}"
    );
    assert_eq!(out.status.code(), Some(3), "{all}");
    // The journal verifies and still folds (report) with the kept gate.
    let journal = w.journals().pop().unwrap_or_default();
    let report = w.run(&["report", &journal.to_string_lossy()], "");
    assert_eq!(report.status.code(), Some(0), "{}", text(&report));
    assert!(
        !String::from_utf8_lossy(&report.stdout).contains("cannot be trusted"),
        "{}",
        text(&report)
    );
}

/// Every way a file can lower what guards a step, each on a fresh session
/// stopped at its gate: the gate is still there for a person who accepts
/// the change, and nothing ran.
#[test]
fn no_edit_of_the_runbook_removes_the_gate() {
    // A target named `prod` is protected only because it says so.
    let prod = WIPE.replace("production", "prod");
    let edits: &[(&str, &str, &str, &str)] = &[
        (
            &prod,
            "the protected line removed",
            "    protected: true\n",
            "",
        ),
        (
            &prod,
            "the targets removed, the step on the session's target",
            "targets:\n  staging: { countdown: 1s }\n  prod:\n    protected: true\n    countdown: 1s\n---\n# Wipe\n\n## Phase\n\n### Wipe prod {#wipe}\n\n```bash {target=prod}",
            "---\n# Wipe\n\n## Phase\n\n### Wipe prod {#wipe}\n\n```bash",
        ),
        (
            &prod,
            "the step moved onto a new unprotected target",
            "  prod:\n    protected: true\n    countdown: 1s\n---\n# Wipe\n\n## Phase\n\n### Wipe prod {#wipe}\n\n```bash {target=prod}",
            "  prod:\n    protected: true\n    countdown: 1s\n  live: {}\n---\n# Wipe\n\n## Phase\n\n### Wipe prod {#wipe}\n\n```bash {target=live}",
        ),
        (
            WIPE,
            "the action declared not destructive",
            "```bash {target=production}",
            "```bash {target=production destructive=false reason=\"only a temp dir\"}",
        ),
        (
            WIPE,
            "the command rewritten past the rules",
            "rm -rf \"$WORK/victim\"",
            "R=rm; $R -rf \"$WORK/victim\"",
        ),
    ];
    for (runbook, what, from, to) in edits {
        let w = Workdir::new();
        let dir = victim(&w);
        let rb = w.write("wipe.md", runbook);
        let target = if runbook.contains("prod:") {
            "prod"
        } else {
            "production"
        };
        let out = w.auto(&rb, target);
        assert_eq!(out.status.code(), Some(3), "{what}: {}", text(&out));
        let edited = runbook.replace(from, to);
        assert_ne!(&edited, runbook, "{what}: the edit must apply");
        w.write("wipe.md", &edited);
        let auto = w.run(&["resume", "--auto", "--accept-changed-runbook"], "");
        assert!(
            matches!(auto.status.code(), Some(2 | 3)),
            "{what}: {}",
            text(&auto)
        );
        assert!(dir.exists(), "{what}: the rm ran: {}", text(&auto));
        let out = w.run(
            &["resume", "--plain", "--accept-changed-runbook"],
            "\n\nq\n",
        );
        let all = text(&out);
        assert!(dir.exists(), "{what}: the rm ran: {all}");
        assert!(all.contains("DESTRUCTIVE step on "), "{what}: {all}");
    }
}

/// A runbook whose session stops at a checklist, before a step that runs.
const TWO: &str = r#"---
targets:
  staging:
    countdown: 3s
    timeout: 5m
    database: $STAGING_DB_URL
  production:
    protected: true
    database: $PROD_DB_URL
variables:
  STAGING_DB_URL: { secret: true }
  PROD_DB_URL: { secret: true }
  TICKET: { default: "INC-1" }
  PASSWORD: { secret: true }
---
# Two

## Phase

### Before {#before}

- [ ] Client told

### Run {#run}

```bash
echo "run $TICKET"
```

### Last {#last}

```bash
echo last
```
"#;

/// Each safety change, made to a session stopped at its checklist, is
/// named in the summary and refused under `--auto`; a change of prose
/// alone is not.
#[test]
fn every_safety_change_is_named_and_refused_under_auto() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "    countdown: 3s\n",
            "    countdown: 0s\n",
            "target `staging`: countdown: 3s → 0s",
        ),
        (
            "    timeout: 5m\n",
            "    timeout: 1h\n",
            "target `staging`: timeout: 5m → 1h",
        ),
        (
            "database: $STAGING_DB_URL",
            "database: $PROD_DB_URL",
            "target `staging`: database: $STAGING_DB_URL → $PROD_DB_URL",
        ),
        (
            "  production:\n",
            "  prod:\n    protected: false\n  production:\n",
            "target `prod` was added",
        ),
        (
            "echo \"run $TICKET\"",
            "echo \"run $TICKET\"; rm -r \"$WORK/x\"",
            "step `run`: action 1's text changed",
        ),
        (
            "```bash\necho \"run",
            "```bash {timeout=1s}\necho \"run",
            "step `run`: action 1's timeout",
        ),
        (
            "```bash\necho \"run",
            "```bash {target=production}\necho \"run",
            "step `run`: action 1 now runs on `production`",
        ),
        (
            "```bash\necho \"run",
            "```bash {interactive}\necho \"run",
            "step `run`: action 1's interactive",
        ),
        (
            "### Last {#last}\n\n```bash\necho last\n```\n",
            "",
            "step `last` was removed",
        ),
        (
            "### Before {#before}",
            "### Added {#added}\n\n```bash\necho added\n```\n\n### Before {#before}",
            "step `added` was added",
        ),
        (
            "  PASSWORD: { secret: true }",
            "  PASSWORD: { secret: false }",
            "variable `PASSWORD`: secret",
        ),
    ];
    for (from, to, named) in cases {
        let mut w = Workdir::new();
        w.set("STAGING_DB_URL", "postgres://nobody@127.0.0.1:1/none")
            .set("PROD_DB_URL", "postgres://nobody@127.0.0.1:2/none")
            .set("PASSWORD", "not-a-real-one");
        let rb = w.write("two.md", TWO);
        let out = w.auto(&rb, "staging");
        assert_eq!(out.status.code(), Some(3), "{named}: {}", text(&out));
        let edited = TWO.replace(from, to);
        assert_ne!(edited, TWO, "{named}: the edit must apply");
        w.write("two.md", &edited);
        let out = w.run(&["resume", "--auto", "--accept-changed-runbook"], "");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{named}: {}", text(&out));
        assert!(err.contains(named), "{named}: {err}");
        assert!(err.contains("safety"), "{named}: {err}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("run INC-1"),
            "{named}: a step ran: {}",
            text(&out)
        );
    }
    // Reordering two steps.
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", "postgres://nobody@127.0.0.1:1/none")
        .set("PROD_DB_URL", "postgres://nobody@127.0.0.1:2/none")
        .set("PASSWORD", "not-a-real-one");
    let rb = w.write("two.md", TWO);
    w.auto(&rb, "staging");
    let run = "### Run {#run}\n\n```bash\necho \"run $TICKET\"\n```\n\n";
    let last = "### Last {#last}\n\n```bash\necho last\n```\n";
    w.write(
        "two.md",
        &TWO.replace(&format!("{run}{last}"), &format!("{last}\n{run}")),
    );
    let out = w.run(&["resume", "--auto", "--accept-changed-runbook"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("reordered"), "{}", text(&out));

    // Prose only: --auto goes on (and stops at the checklist again).
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", "postgres://nobody@127.0.0.1:1/none")
        .set("PROD_DB_URL", "postgres://nobody@127.0.0.1:2/none")
        .set("PASSWORD", "not-a-real-one");
    let rb = w.write("two.md", TWO);
    w.auto(&rb, "staging");
    w.write(
        "two.md",
        &TWO.replace("# Two\n", "# Two\n\nA word of introduction.\n"),
    );
    let out = w.run(&["resume", "--auto", "--accept-changed-runbook"], "");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        !stderr(&out).contains("safety"),
        "prose is not a safety change: {}",
        text(&out)
    );
}

/// The countdown fixed when the session started holds when the file
/// shortens it.
#[test]
fn a_shortened_countdown_keeps_the_sessions_longer_one() {
    let rb_text = WIPE
        .replace("  staging: { countdown: 1s }\n", "")
        .replace(
            "    protected: true\n    countdown: 1s\n",
            "    countdown: 4s\n",
        )
        .replace("  production:\n", "  production:\n    protected: false\n");
    let w = Workdir::new();
    let dir = victim(&w);
    let rb = w.write("wipe.md", &rb_text);
    // Enter runs the step, Enter during the countdown cancels, q leaves.
    let out = w.plain(&rb, "production", "\n\nq\n");
    assert!(text(&out).contains("runs in 4s"), "{}", text(&out));
    assert!(dir.exists());
    w.write(
        "wipe.md",
        &rb_text.replace("countdown: 4s", "countdown: 0s"),
    );
    let out = w.run(
        &["resume", "--plain", "--accept-changed-runbook"],
        "\n\nq\n",
    );
    let all = text(&out);
    assert!(all.contains("runs in 4s"), "{all}");
    assert!(dir.exists(), "{all}");
}

// ---------------------------------------------------------------------------
// The wrong database

/// Staging and production targets, a write through a shell step on
/// staging after a checklist (where `--auto` stops).
const DB: &str = r#"---
targets:
  staging: { database: $STAGING_DB_URL }
  production: { protected: true, database: $PROD_DB_URL }
variables:
  STAGING_DB_URL: { secret: true }
  PROD_DB_URL: { secret: true }
---
# Db

## Phase

### Ready {#ready}

- [ ] Go ahead

### Write {#write}

```bash
psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE marker (id int)"
```
"#;

fn has_marker(c: &pg::Cluster, db: &str) -> bool {
    c.psql(
        db,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'marker'",
    ) == "1"
}

fn db_setup() -> (String, String, String) {
    let (staging, production) = pg::pair();
    let db = pg::unique_db("protect");
    staging.create_db(&db);
    production.create_db(&db);
    (
        db.clone(),
        format!("{}?sslmode=disable", staging.url(&db)),
        format!("{}?sslmode=disable", production.url(&db)),
    )
}

/// `STAGING_DB_URL` set to production's database, written another way
/// (`localhost` for `127.0.0.1`): the shell step's `$DATABASE_URL` would
/// be production. Refused before anything runs.
#[test]
fn two_targets_on_one_database_stop_a_session_of_shell_steps() {
    let (db, _, prod) = db_setup();
    let (_, production) = pg::pair();
    let direct = DB.replace("### Ready {#ready}\n\n- [ ] Go ahead\n\n", "");
    // The same, with staging's database set through its `env`.
    let through_env = direct.replace(
        "staging: { database: $STAGING_DB_URL }",
        "staging: { env: { DATABASE_URL: $STAGING_DB_URL } }",
    );
    assert_ne!(direct, through_env);
    for runbook in [direct, through_env] {
        let mut w = Workdir::new();
        w.set("STAGING_DB_URL", &prod.replace("127.0.0.1", "localhost"))
            .set("PROD_DB_URL", &prod);
        let rb = w.write("db.md", &runbook);
        let out = w.auto(&rb, "staging");
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains("are the same database"), "{all}");
        assert!(!has_marker(production, &db), "the shell step wrote: {all}");
        assert!(w.of_type("action-started").is_empty(), "{all}");
    }
}

/// The session identified both databases; resumed with the two URLs
/// swapped, it refuses before the shell step writes, naming the target,
/// the database it used and the one it found.
#[test]
fn a_resume_onto_swapped_databases_is_refused_before_any_step() {
    let (db, staging_url, prod_url) = db_setup();
    let (staging, production) = pg::pair();
    let mut w = Workdir::new();
    w.set("STAGING_DB_URL", &staging_url)
        .set("PROD_DB_URL", &prod_url);
    let rb = w.write("db.md", DB);
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let identified = w.strings("database-identified", "target");
    assert_eq!(
        identified,
        ["production", "staging"],
        "both targets, though only shell steps use them"
    );

    // Later settings win: the two URLs swapped.
    w.set("STAGING_DB_URL", &prod_url)
        .set("PROD_DB_URL", &staging_url);
    let out = w.run(&["resume", "--plain"], "y\n\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("target `production`") || all.contains("target `staging`"),
        "{all}"
    );
    assert!(
        all.contains(&format!("127.0.0.1:{}", staging.port())),
        "{all}"
    );
    assert!(
        all.contains(&format!("127.0.0.1:{}", production.port())),
        "{all}"
    );
    assert!(!has_marker(staging, &db), "{all}");
    assert!(!has_marker(production, &db), "{all}");
}

// ---------------------------------------------------------------------------
// Resuming by a relative path

const SLOW: &str = r#"# Slow

## Phase

### Wait {#wait}

```bash
echo started
sleep 30
```

### Next {#next}

```bash
echo next-step-ran
```
"#;

/// A session killed with `kill -9` mid-step, resumed from the journals'
/// folder by the journal's bare file name.
#[test]
fn a_crashed_session_resumes_by_a_relative_journal_path() {
    let w = Workdir::new();
    let rb = w.write("slow.md", SLOW);
    let mut child = w
        .cmd(&[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !w.journal_text().contains("\"action-started\"") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let journal = w.journals().pop().unwrap_or_default();
    let name = journal
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = journal.parent().unwrap_or(Path::new("/"));
    // From the journals' folder: `resume NAME.jsonl`; then from the work
    // folder by `data/journals/NAME.jsonl`.
    let out = w
        .cmd(&["resume", &name, "--plain"])
        .current_dir(folder)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(!all.contains("died without releasing its lock"), "{all}");
    assert!(all.contains("may or may not have completed"), "{all}");
    let relative = format!("data/journals/{name}");
    let out = w.run(
        &["resume", &relative, "--plain"],
        "s\nkilled in the test\n\n",
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("next-step-ran"), "{all}");
}

/// The other way round: a session started with a relative data folder
/// (`RUNSHEET_DATA_DIR=data`), crashed, resumed by the journal's absolute
/// path.
#[test]
fn a_crashed_session_of_a_relative_data_dir_resumes_by_an_absolute_path() {
    let w = Workdir::new();
    w.write("slow.md", SLOW);
    let mut child = w
        .cmd(&["run", "slow.md", "--target", "staging", "--auto"])
        .env("RUNSHEET_DATA_DIR", "data")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !w.journal_text().contains("\"action-started\"") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let journal = w.journals().pop().unwrap_or_default();
    assert!(journal.is_absolute());
    // From elsewhere: the runbook is found again by the journal (it was
    // given as `slow.md`), and the lock is the session's own.
    let out = w
        .cmd(&["resume", &journal.to_string_lossy(), "--plain"])
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            if let Some(mut i) = c.stdin.take() {
                let _ = i.write_all(b"s\nkilled in the test\n\n");
            }
            c.wait_with_output()
        })
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("next-step-ran"), "{all}");
    assert!(!all.contains("is gone"), "{all}");
}
