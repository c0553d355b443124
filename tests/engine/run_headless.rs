//! The headless runner with real processes, real files and a real journal:
//! what a script, a CI drill or an operator with `--plain` gets.

use crate::support::workdir;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use workdir::Workdir;

/// A scratch folder (`Workdir`) with this file's shorthands.
struct Env(Workdir);

impl std::ops::Deref for Env {
    type Target = Workdir;
    fn deref(&self) -> &Workdir {
        &self.0
    }
}

impl Env {
    fn new() -> Env {
        Env(Workdir::new())
    }

    fn runbook(&self, name: &str, text: &str) -> PathBuf {
        self.write(name, text)
    }

    /// `runsheet run RUNBOOK --target staging --auto`, nobody at stdin.
    fn auto(&self, runbook: &Path) -> Output {
        self.0.auto(runbook, "staging")
    }

    fn journal(&self) -> PathBuf {
        let j = self.journals();
        assert_eq!(j.len(), 1, "expected one journal: {j:?}");
        j[0].clone()
    }
}

fn text(o: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Command lines of live processes containing `needle`, read from /proc.
fn processes_running(needle: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        panic!("/proc is needed to check for leftover processes");
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

fn records(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn types(journal: &Path) -> Vec<String> {
    records(journal)
        .iter()
        .filter_map(|r| r["type"].as_str().map(str::to_string))
        .collect()
}

fn verify(env: &Env, journal: &Path) -> Output {
    env.run(&["verify", &journal.to_string_lossy()], "")
}

const TWO_STEPS: &str = r#"# Two steps

## Phase

### Hello {#hello}

```bash
echo "hello from $RUNSHEET_TARGET"
```

### Count {#count}

```bash
for i in 1 2 3; do echo "line $i"; done
echo "to stderr" >&2
```
"#;

#[test]
fn an_unattended_run_completes_and_its_journal_verifies() {
    let env = Env::new();
    let rb = env.runbook("two.md", TWO_STEPS);
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("hello from staging"), "{}", text(&out));
    assert!(stdout.contains("session complete"));
    let j = env.journal();
    let name = j
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    assert!(name.starts_with("two--staging--"), "{name}");
    let t = types(&j);
    assert_eq!(t.first().map(String::as_str), Some("session-started"));
    assert_eq!(t.last().map(String::as_str), Some("session-ended"));
    for needed in [
        "run-requested",
        "action-started",
        "output",
        "action-finished",
    ] {
        assert!(t.iter().any(|x| x == needed), "{needed} in {t:?}");
    }
    let recs = records(&j);
    assert_eq!(recs[0]["target"], "staging");
    assert!(
        recs[0]["runbook_text"]
            .as_str()
            .unwrap_or("")
            .contains("# Two steps")
    );
    let stderr_chunk = recs
        .iter()
        .find(|r| r["type"] == "output" && r["stream"] == "stderr");
    assert!(stderr_chunk.is_some_and(|r| r["data"] == "to stderr\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&j)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
    }
    let v = verify(&env, &j);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let last_line = std::fs::read_to_string(&j).unwrap_or_default();
    let last_line = last_line.lines().last().unwrap_or("");
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(last_line.as_bytes()))
    };
    assert!(
        String::from_utf8_lossy(&v.stdout).contains(&hash),
        "{}",
        text(&v)
    );
}

#[test]
fn verify_names_the_first_record_that_was_edited() {
    let env = Env::new();
    let rb = env.runbook("two.md", TWO_STEPS);
    env.auto(&rb);
    let j = env.journal();
    let content = std::fs::read_to_string(&j).unwrap_or_default();
    let edited = content.replacen("hello from staging", "hello from elsewhere", 1);
    assert_ne!(content, edited);
    std::fs::write(&j, edited).unwrap();
    let v = verify(&env, &j);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    let line = content
        .lines()
        .position(|l| l.contains("hello from staging"))
        .map(|i| i + 2)
        .unwrap_or(0);
    assert!(
        String::from_utf8_lossy(&v.stdout).contains(&format!("BROKEN at line {line}")),
        "{}",
        text(&v)
    );
}

const DESTRUCTIVE: &str = r#"# Wipe

## Phase

### Wipe production {#wipe}

```bash {target=production}
rm -rf "$WORK/victim"
touch "$WORK/wiped"
```
"#;

#[test]
fn auto_never_passes_a_gate_on_a_protected_target() {
    let env = Env::new();
    let rb = env.runbook("wipe.md", DESTRUCTIVE);
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("type the target's name"),
        "{}",
        text(&out)
    );
    assert!(
        !env.dir.path().join("wiped").exists(),
        "the command must not run"
    );
}

#[test]
fn a_gate_runs_the_step_only_once_the_targets_name_is_typed() {
    let env = Env::new();
    let rb = env.runbook("wipe.md", DESTRUCTIVE);
    // Enter to run, a wrong name, then the right one.
    let out = env.run(
        &["run", &rb.to_string_lossy(), "--target", "staging"],
        "\nprod\nproduction\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.dir.path().join("wiped").exists());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("DESTRUCTIVE step on PRODUCTION"),
        "{stdout}"
    );
    assert!(stdout.contains("shell-rm-recursive-force"), "{stdout}");
    assert!(
        stdout.contains("`prod` is not the target's name"),
        "{stdout}"
    );
    let typed: Vec<String> = records(&env.journal())
        .iter()
        .filter(|r| r["type"] == "gate-answered")
        .filter_map(|r| r["typed"].as_str().map(str::to_string))
        .collect();
    assert_eq!(typed, vec!["prod", "production"]);
}

#[test]
fn a_refused_gate_is_journaled_and_nothing_runs() {
    let env = Env::new();
    let rb = env.runbook("wipe.md", DESTRUCTIVE);
    let out = env.run(
        &["run", &rb.to_string_lossy(), "--target", "staging"],
        "\n\nq\n",
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(!env.dir.path().join("wiped").exists());
    assert!(types(&env.journal()).iter().any(|t| t == "gate-refused"));
}

const CHECKLIST: &str = r#"# Checklist

## Phase

### Before {#before}

- [ ] Backup checked
- [ ] Client told

### After {#after}

```bash
echo after
```
"#;

#[test]
fn auto_ticks_nothing() {
    let env = Env::new();
    let rb = env.runbook("c.md", CHECKLIST);
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("never ticks"),
        "{}",
        text(&out)
    );
    assert!(
        !types(&env.journal())
            .iter()
            .any(|t| t == "checklist-ticked")
    );
}

#[test]
fn an_operator_ticks_skips_with_a_reason_and_notes() {
    let env = Env::new();
    let rb = env.runbook("c.md", CHECKLIST);
    let out = env.run(
        &["run", &rb.to_string_lossy(), "--target", "staging"],
        "y\nn\nchecked with Bob\ny\ns\nnot needed today\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let recs = records(&env.journal());
    assert!(
        recs.iter()
            .any(|r| r["type"] == "note" && r["text"] == "checked with Bob")
    );
    assert!(recs.iter().any(|r| r["type"] == "skipped"
        && r["step"] == "after"
        && r["reason"] == "not needed today"));
}

#[test]
fn an_answer_that_is_not_one_of_the_choices_is_named_and_asked_again() {
    let env = Env::new();
    let rb = env.runbook("two.md", TWO_STEPS);
    let out = env.run(
        &["run", &rb.to_string_lossy(), "--target", "staging"],
        "yes\n\n\n",
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("`yes` is not one of the answers shown"),
        "{all}"
    );
    assert!(all.contains("hello from staging"), "{all}");
}

#[test]
fn secrets_never_reach_the_journal_or_the_screen_even_split_across_writes() {
    let env = Env::new();
    let rb = env.runbook(
        "s.md",
        "---\nvariables:\n  API_TOKEN: { secret: true }\n---\n# S\n\n## P\n\n### Leak {#leak}\n\n```bash\nprintf 'token=%s' \"${API_TOKEN:0:5}\"; sleep 0.3; printf '%s end\\n' \"${API_TOKEN:5}\"\necho \"again $API_TOKEN\"\n```\n",
    );
    let out = env
        .cmd(&[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
        ])
        .env("API_TOKEN", "tok-1234567890-secret")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = std::fs::read_to_string(env.journal()).unwrap_or_default();
    assert!(!journal.contains("tok-1234567890-secret"));
    assert!(
        !journal.contains("67890-secret"),
        "second half of the split secret leaked"
    );
    let outputs: String = records(&env.journal())
        .iter()
        .filter(|r| r["type"] == "output")
        .filter_map(|r| r["data"].as_str().map(str::to_string))
        .collect();
    assert_eq!(outputs, "token=*** end\nagain ***\n");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("token=*** end") && !stdout.contains("tok-1234567890"),
        "{stdout}"
    );
    // The session start records the variable's name, never its value.
    assert!(journal.contains("\"variables\":[\"API_TOKEN\"]"));
}

#[test]
fn a_missing_variable_is_named_before_anything_runs() {
    let env = Env::new();
    let rb = env.runbook(
        "v.md",
        "---\nvariables:\n  PROD_DB_URL: { secret: true, description: \"URL of production\" }\n---\n# V\n\n## P\n\n```bash\necho $PROD_DB_URL\n```\n",
    );
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("export PROD_DB_URL=…   # URL of production"),
        "{stderr}"
    );
    assert!(env.journals().is_empty(), "no session was started");
}

#[test]
fn a_timeout_stops_the_command_and_every_process_it_started() {
    let env = Env::new();
    let rb = env.runbook(
        "t.md",
        "# T\n\n## P\n\n### Slow {#slow}\n\n```bash {timeout=1s}\nsleep 31.7 &\n(sleep 31.7; echo never) &\nsleep 31.7\n```\n",
    );
    let started = Instant::now();
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("timed out after 1s (its limit)"),
        "{}",
        text(&out)
    );
    std::thread::sleep(Duration::from_millis(200));
    let left = processes_running("sleep 31.7");
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// `read` is found by rule and would get the terminal: `interactive=false`
/// keeps the block supervised, its standard input closed.
#[test]
fn a_command_waiting_for_input_gets_none_instead_of_hanging() {
    let env = Env::new();
    let rb = env.runbook(
        "i.md",
        "# I\n\n## P\n\n```bash {timeout=20s interactive=false}\nread -r answer || true\necho \"got:[$answer]\"\n```\n",
    );
    let started = Instant::now();
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&out.stdout).contains("got:[]"));
}

/// What is typed while an `interactive` command runs is that command's
/// input: the console reads its answers a line at a time, only when it
/// asks, never ahead.
#[test]
fn the_lines_typed_for_an_interactive_command_reach_it() {
    let env = Env::new();
    let rb = env.runbook(
        "it.md",
        "# It\n\n## P\n\n### Ask {#ask}\n\n```bash {interactive}\nread -r first\nread -r second\necho \"got:[$first][$second]\"\n```\n\n### After {#after}\n\n- [ ] ok\n",
    );
    // Everything typed ahead, in one write: Enter to run, the two lines
    // the command reads, then the tick.
    let out = env.run(
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--plain",
        ],
        "\nhello\nworld\ny\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("got:[hello][world]"),
        "{}",
        text(&out)
    );
    let recs = records(&env.journal());
    assert!(
        recs.iter()
            .any(|r| r["type"] == "checklist-ticked" && r["step"] == "after"),
        "{recs:?}"
    );
}

/// bash sources `$BASH_ENV` even with `--norc`: whatever the caller's shell
/// setup names must run neither before a supervised step nor before an
/// interactive one (both start from one command line).
#[test]
fn no_step_sources_the_callers_bash_env() {
    let mut env = Env::new();
    let setup = env.write("setup.sh", "echo sourced >> \"$WORK/sourced\"\n");
    let sourced = env.path().join("sourced");
    // The setup file works: a plain bash given it does source it.
    let bash = std::process::Command::new("bash")
        .args(["-c", "true"])
        .env("BASH_ENV", &setup)
        .env("WORK", env.path())
        .status()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert!(
        bash.success() && sourced.exists(),
        "the setup file is not sourced by bash"
    );
    std::fs::remove_file(&sourced).unwrap_or_else(|e| panic!("{e}"));
    env.0.set("BASH_ENV", &setup.to_string_lossy());
    let rb = env.runbook(
        "b.md",
        "# B\n\n## P\n\n### Ask {#ask}\n\n```bash {interactive}\necho interactive >> \"$WORK/ran\"\n```\n\n### Plain {#plain}\n\n```bash\necho supervised >> \"$WORK/ran\"\n```\n",
    );
    let out = env.run(
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--plain",
        ],
        "\n\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ran = std::fs::read_to_string(env.path().join("ran")).unwrap_or_default();
    assert_eq!(ran, "interactive\nsupervised\n", "{}", text(&out));
    assert!(!sourced.exists(), "a step sourced BASH_ENV: {}", text(&out));
}

const FLAKY: &str = r#"# Flaky

## Phase

### Flaky {#flaky}

```bash
n=$(cat "$WORK/count" 2>/dev/null || echo 0)
echo $((n + 1)) > "$WORK/count"
[ "$n" -ge 1 ] || { echo "not yet" >&2; exit 3; }
echo "ok on attempt $((n + 1))"
```

### Next {#next}

```bash
echo next
```
"#;

#[test]
fn a_failed_unattended_run_is_resumed_and_retried_by_a_person() {
    let env = Env::new();
    let rb = env.runbook("f.md", FLAKY);
    let out = env.auto(&rb);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("continue with: runsheet resume"));
    // `resume` with no argument takes the latest session.
    let out = env.run(&["resume"], "r\n\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok on attempt 2"));
    let t = types(&env.journal());
    assert!(t.iter().any(|x| x == "resumed"));
    assert_eq!(t.last().map(String::as_str), Some("session-ended"));
    let v = verify(&env, &env.journal());
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let again = env.run(&["resume"], "");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("has ended"));
}

#[test]
fn a_changed_runbook_is_described_and_needs_consent() {
    let env = Env::new();
    let rb = env.runbook("f.md", FLAKY);
    env.auto(&rb);
    env.runbook("f.md", &FLAKY.replace("echo next", "echo next, changed"));
    let out = env.run(&["resume", "--auto"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("! step `next`: action 1's text changed"),
        "{stderr}"
    );
    // A changed command is a safety change: --auto never goes on over it,
    // consent or not; a person does.
    let out = env.run(&["resume", "--auto", "--accept-changed-runbook"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--auto does not resume"));
    let out = env.run(&["resume", "--plain", "--accept-changed-runbook"], "r\n\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("next, changed"));
    let resumed = records(&env.journal())
        .into_iter()
        .find(|r| r["type"] == "resumed")
        .unwrap_or_default();
    assert_eq!(resumed["runbook_changed"], true);
}

#[test]
fn consent_to_a_changed_runbook_leaves_the_next_answers_to_the_session() {
    let env = Env::new();
    let rb = env.runbook("f.md", FLAKY);
    env.auto(&rb);
    env.runbook("f.md", &FLAKY.replace("echo next", "echo next, changed"));
    // All typed ahead: `y` for the consent, `r` to retry, Enter to run next.
    let out = env.run(&["resume", "--plain"], "y\nr\n\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("ok on attempt 2"), "{all}");
    assert!(all.contains("next, changed"), "{all}");
}

#[test]
fn two_sessions_cannot_run_the_same_runbook_on_the_same_target() {
    let env = Env::new();
    let rb = env.runbook("c.md", CHECKLIST);
    // The first session waits at its checklist, stdin held open.
    let mut first = env
        .cmd(&["run", &rb.to_string_lossy(), "--target", "staging"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.journals().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = env.auto(&rb);
    let other_target = env.run(
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "production",
            "--auto",
        ],
        "",
    );
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("another runsheet"),
        "{}",
        text(&second)
    );
    assert_eq!(
        other_target.status.code(),
        Some(3),
        "another target is another lock: {}",
        text(&other_target)
    );
    // The killed session left a stale lock: reported, and cleared on request.
    let stale = env.auto(&rb);
    assert!(
        String::from_utf8_lossy(&stale.stderr).contains("died without releasing its lock"),
        "{}",
        text(&stale)
    );
    let unlock = env.run(
        &["unlock", &rb.to_string_lossy(), "--target", "staging"],
        "",
    );
    assert_eq!(unlock.status.code(), Some(0), "{}", text(&unlock));
    let after = env.auto(&rb);
    assert_eq!(after.status.code(), Some(3), "{}", text(&after));
}

const NOISY: &str = r#"# Noisy

## Phase

### One {#one}

```bash
for i in $(seq 1 200); do echo "one $i"; done
```

### Two {#two}

```bash
for i in $(seq 1 30); do echo "two $i"; sleep 0.01; done
```

### Three {#three}

```bash
for i in $(seq 1 30); do echo "three $i"; sleep 0.01; done
```

### Four {#four}

```bash
echo four
```
"#;

/// kill -9 at arbitrary points: whatever the runner had synced is in the
/// journal, the chain verifies, and resume picks up.
#[test]
fn kill_9_at_random_points_then_resume() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..12 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = 20 + (seed >> 33) % 900;
        let env = Env::new();
        let rb = env.runbook("noisy.md", NOISY);
        let mut child = env
            .cmd(&[
                "run",
                &rb.to_string_lossy(),
                "--target",
                "staging",
                "--auto",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).to_string();
        let Some(j) = env.journals().first().cloned() else {
            // Killed before the journal existed: nothing to check.
            continue;
        };
        let v = verify(&env, &j);
        assert_eq!(
            v.status.code(),
            Some(0),
            "round {round} ({delay} ms): {}",
            text(&v)
        );
        // Every step the runner reported done was journaled before it said so.
        let done_printed = printed.matches("✔ done").count();
        let done_journaled = records(&j)
            .iter()
            .filter(|r| r["type"] == "action-finished")
            .count();
        assert!(
            done_journaled >= done_printed,
            "round {round}: printed {done_printed} done, journal has {done_journaled}"
        );
        if types(&j).last().map(String::as_str) == Some("session-ended") {
            continue;
        }
        // Resume: a step cut mid-run is in doubt; a person re-runs it.
        let resumed = env.run(&["resume", &j.to_string_lossy()], "r\nr\nr\nr\n");
        let code = resumed.status.code();
        assert!(
            code == Some(0),
            "round {round} ({delay} ms): {}",
            text(&resumed)
        );
        let v = verify(&env, &j);
        assert_eq!(
            v.status.code(),
            Some(0),
            "round {round} after resume: {}",
            text(&v)
        );
        assert_eq!(types(&j).last().map(String::as_str), Some("session-ended"));
    }
}

const SLOW: &str = r#"# Slow

## Phase

### Wait {#wait}

```bash
echo started
for i in $(seq 1 200); do [ -f "$WORK/fast" ] && break; sleep 0.1; done
echo finished
```

### Next {#next}

```bash
echo next-step-ran
```
"#;

/// Starts a session whose step sleeps, waits until the step is running,
/// and returns the child.
fn start_slow(env: &Env, auto: bool) -> std::process::Child {
    let rb = env.runbook("slow.md", SLOW);
    let mut args = vec![
        "run".to_string(),
        rb.to_string_lossy().to_string(),
        "--target".into(),
        "staging".into(),
    ];
    if auto {
        args.push("--auto".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = env
        .cmd(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if !auto && let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n");
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let running = env
            .journals()
            .first()
            .is_some_and(|j| types(j).iter().any(|t| t == "output"));
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn signal(child: &std::process::Child, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, sig).expect("kill");
}

fn printed_line(out: &Output, line: &str) -> bool {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l == line)
}

#[test]
fn a_hang_up_lets_the_running_step_finish_then_stops_resumably() {
    let env = Env::new();
    let child = start_slow(&env, true);
    signal(&child, nix::sys::signal::Signal::SIGHUP);
    // The step is still running after the hang-up; let it finish.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(env.dir.path().join("fast"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(printed_line(&out, "finished"), "{}", text(&out));
    assert!(
        !printed_line(&out, "next-step-ran"),
        "nothing new starts after a hang-up"
    );
    let j = env.journal();
    let recs = records(&j);
    assert!(recs.iter().any(|r| r["type"] == "interrupted"
        && r["reason"].as_str().is_some_and(|s| s.contains("SIGHUP"))));
    assert!(recs.iter().any(|r| r["type"] == "action-finished"
        && r["step"] == "wait"
        && r["outcome"]["exit_code"] == 0));
    let v = verify(&env, &j);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let out = env.run(&["resume", "--auto", &j.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(printed_line(&out, "next-step-ran"), "{}", text(&out));
}

#[test]
fn sigterm_stops_the_step_records_why_and_the_session_resumes() {
    let env = Env::new();
    let child = start_slow(&env, true);
    let started = Instant::now();
    signal(&child, nix::sys::signal::Signal::SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the step was not stopped"
    );
    assert!(!printed_line(&out, "finished"));
    let j = env.journal();
    let recs = records(&j);
    assert!(recs.iter().any(|r| r["type"] == "interrupted"
        && r["reason"].as_str().is_some_and(|s| s.contains("SIGTERM"))));
    assert!(
        recs.iter()
            .any(|r| r["type"] == "action-finished" && r["outcome"]["cancelled"] == true)
    );
    let v = verify(&env, &j);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    // The stopped step failed as cancelled: resuming retries it.
    std::fs::write(env.dir.path().join("fast"), "").unwrap();
    let out = env.run(&["resume", &j.to_string_lossy()], "r\n\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(printed_line(&out, "finished"));
}

#[test]
fn ctrl_c_cancels_the_running_command_and_the_operator_decides() {
    let env = Env::new();
    let mut child = start_slow(&env, false);
    signal(&child, nix::sys::signal::Signal::SIGINT);
    // After the cancel, the failure prompt: skip with a reason.
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"s\nstopped on purpose\n\n");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stopping the command"), "{stdout}");
    assert!(
        stdout.contains("failed") && stdout.contains("cancelled"),
        "{stdout}"
    );
    let recs = records(&env.journal());
    assert!(recs.iter().any(|r| r["type"] == "cancel-requested"));
    assert!(
        recs.iter()
            .any(|r| r["type"] == "skipped" && r["reason"] == "stopped on purpose")
    );
}
