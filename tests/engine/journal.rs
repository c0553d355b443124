//! The session journal on real files: writing, durability batching,
//! verification of the hash chain, torn-tail repair, resume, the session
//! lock, and a write failure being fatal.

use std::error::Error;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use runsheet::journal::paths::{free_journal_path, journal_file_name, latest_journal};
use runsheet::journal::{
    Durability, GENESIS_PREV, JournalError, JournalWriter, LockError, SessionLock, read,
    read_lines, repair, verify,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type TestResult = Result<(), Box<dyn Error>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Ev {
    SessionStarted { runbook: String, target: String },
    Output { chunk: String },
    StepDone { step: String },
}

fn ts(ms: i64) -> Result<Timestamp, Box<dyn Error>> {
    let base: Timestamp = "2026-11-21T14:03:12.345Z".parse()?;
    Ok(base.checked_add(jiff::SignedDuration::from_millis(ms))?)
}

fn started() -> Ev {
    Ev::SessionStarted {
        runbook: "000-migration.md".into(),
        target: "production".into(),
    }
}

fn step(n: u32) -> Ev {
    Ev::StepDone {
        step: format!("step-{n}"),
    }
}

/// A closed journal holding `started()` then `step(1)`..`step(n - 1)`.
async fn journal_with(path: &Path, n: u32) -> Result<Vec<Ev>, Box<dyn Error>> {
    let (w, task) = JournalWriter::create(path, ts(0)?, started()).await?;
    let mut bodies = vec![started()];
    for i in 1..n {
        w.append(ts(i64::from(i))?, step(i), Durability::Sync)
            .await?;
        bodies.push(step(i));
    }
    w.close().await?;
    task.await?;
    Ok(bodies)
}

fn lines(path: &Path) -> Result<Vec<String>, Box<dyn Error>> {
    Ok(fs::read_to_string(path)?
        .lines()
        .map(String::from)
        .collect())
}

fn write_lines(path: &Path, lines: &[String]) -> TestResult {
    fs::write(
        path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )?;
    Ok(())
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn create_append_close_reads_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("new/sub/j.jsonl");
    let (w, task) = JournalWriter::create(&path, ts(0)?, started()).await?;
    let mut expected = vec![started()];
    for (i, (body, durability)) in [
        (step(1), Durability::Sync),
        (
            Ev::Output {
                chunk: "a\n".into(),
            },
            Durability::Batched,
        ),
        (
            Ev::Output {
                chunk: "b\"é".into(),
            },
            Durability::Batched,
        ),
        (step(2), Durability::Sync),
        (Ev::Output { chunk: "c".into() }, Durability::Batched),
    ]
    .into_iter()
    .enumerate()
    {
        let seq = w
            .append(ts(i as i64 + 1)?, body.clone(), durability)
            .await?;
        assert_eq!(seq, i as u64 + 1);
        expected.push(body);
    }
    w.close().await?;
    task.await?;

    let journal = read::<Ev>(&path)?;
    assert_eq!(journal.torn_tail, None);
    let bodies: Vec<Ev> = journal.records.iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies, expected);
    for (i, r) in journal.records.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.v, 1);
        assert_eq!(r.ts, ts(i as i64)?);
    }
    assert_eq!(journal.records[0].prev, GENESIS_PREV);

    let text = lines(&path)?;
    assert!(text[0].starts_with(&format!(
        r#"{{"v":1,"seq":0,"ts":"2026-11-21T14:03:12.345Z","prev":"{GENESIS_PREV}","type":"session-started""#
    )));
    assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
    let parent = path.parent().ok_or("no parent")?;
    assert_eq!(fs::metadata(parent)?.permissions().mode() & 0o777, 0o700);
    Ok(())
}

#[tokio::test]
async fn create_refuses_an_existing_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    fs::write(&path, "")?;
    let err = JournalWriter::create(&path, ts(0)?, started()).await.err();
    assert!(matches!(err, Some(JournalError::Io { .. })), "{err:?}");
    assert_eq!(fs::read(&path)?, b"");
    Ok(())
}

#[tokio::test]
async fn batched_records_reach_the_file_without_close() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    let (w, _task) = JournalWriter::create(&path, ts(0)?, started()).await?;
    let chunk = Ev::Output {
        chunk: "rows migrated: 1200".into(),
    };
    assert_eq!(w.append(ts(1)?, chunk, Durability::Batched).await?, 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let on_disk = fs::read_to_string(&path)?;
    assert_eq!(on_disk.lines().count(), 2, "{on_disk}");
    assert!(on_disk.contains("rows migrated: 1200"));
    assert!(on_disk.ends_with('\n'));
    Ok(())
}

#[tokio::test]
async fn clones_append_concurrently_in_one_chain() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    let (w, task) = JournalWriter::create(&path, ts(0)?, started()).await?;
    let at = ts(1)?;
    let mut handles = Vec::new();
    for t in 0..4 {
        let w = w.clone();
        handles.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..50 {
                let durability = if i % 10 == 0 {
                    Durability::Sync
                } else {
                    Durability::Batched
                };
                let body = Ev::Output {
                    chunk: format!("{t}-{i}"),
                };
                seqs.push(w.append(at, body, durability).await?);
            }
            Ok::<_, JournalError>(seqs)
        }));
    }
    let mut seqs = Vec::new();
    for h in handles {
        seqs.extend(h.await??);
    }
    w.close().await?;
    task.await?;
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=200).collect::<Vec<u64>>());
    let report = verify(&path)?;
    assert_eq!(report.first_break, None);
    assert_eq!(report.records, 201);
    // Each returned seq is the record that holds that body.
    let journal = read::<Ev>(&path)?;
    assert_eq!(journal.records.len(), 201);
    Ok(())
}

#[tokio::test]
async fn verify_an_intact_journal() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 6).await?;
    let report = verify(&path)?;
    let text = lines(&path)?;
    assert_eq!(report.records, 6);
    assert_eq!(report.first_break, None);
    assert!(!report.torn_tail);
    assert_eq!(report.final_hash, Some(sha256_hex(&text[5])));
    Ok(())
}

#[tokio::test]
async fn verify_finds_an_edited_record() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 6).await?;
    let before = verify(&path)?.final_hash;
    let mut text = lines(&path)?;
    text[2] = text[2].replace("step-2", "step-X");
    write_lines(&path, &text)?;
    let report = verify(&path)?;
    let b = report.first_break.ok_or("no break")?;
    assert_eq!((b.line, b.seq), (4, Some(3)));
    assert!(
        b.reason
            .starts_with("prev does not match the hash of line 3"),
        "{}",
        b.reason
    );
    // Only the edited line's successor notices; the final hash is the same
    // because the last line is untouched.
    assert_eq!(report.final_hash, before);
    Ok(())
}

#[tokio::test]
async fn verify_finds_a_removed_record() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 6).await?;
    let mut text = lines(&path)?;
    text.remove(2);
    write_lines(&path, &text)?;
    let b = verify(&path)?.first_break.ok_or("no break")?;
    assert_eq!((b.line, b.seq), (3, Some(3)));
    assert!(b.reason.starts_with("seq 3 follows 1"), "{}", b.reason);
    Ok(())
}

#[tokio::test]
async fn verify_finds_swapped_records() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 6).await?;
    let mut text = lines(&path)?;
    text.swap(2, 3);
    write_lines(&path, &text)?;
    let b = verify(&path)?.first_break.ok_or("no break")?;
    assert_eq!(b.line, 3);
    Ok(())
}

#[tokio::test]
async fn verify_refuses_an_unknown_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 3).await?;
    let mut text = lines(&path)?;
    text[1] = text[1].replacen(r#""v":1"#, r#""v":7"#, 1);
    write_lines(&path, &text)?;
    let b = verify(&path)?.first_break.ok_or("no break")?;
    assert_eq!((b.line, b.seq), (2, None));
    assert!(
        b.reason.starts_with("unknown schema version 7"),
        "{}",
        b.reason
    );
    Ok(())
}

#[tokio::test]
async fn verify_reports_garbage_in_the_middle() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 4).await?;
    let mut text = lines(&path)?;
    text[1] = "{oops".into();
    write_lines(&path, &text)?;
    let b = verify(&path)?.first_break.ok_or("no break")?;
    assert_eq!(b.line, 2);
    assert!(b.reason.starts_with("not JSON"), "{}", b.reason);
    match read::<Ev>(&path) {
        Err(JournalError::Corrupt { line: 2, .. }) => {}
        other => return Err(format!("expected Corrupt at line 2, got {other:?}").into()),
    }
    match JournalWriter::<Ev>::open_append(&path).await {
        Err(JournalError::Corrupt { line: 2, .. }) => {}
        other => return Err(format!("resume should refuse, got {:?}", other.err()).into()),
    }
    Ok(())
}

/// Appends `garbage` to a 3-record journal, checks it is read as a torn
/// tail and that repair keeps the original bytes aside.
async fn torn(garbage: &[u8]) -> Result<(tempfile::TempDir, PathBuf), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 3).await?;
    let whole = fs::read(&path)?;
    OpenOptions::new()
        .append(true)
        .open(&path)?
        .write_all(garbage)?;
    let original = fs::read(&path)?;

    let journal = read::<Ev>(&path)?;
    assert_eq!(journal.records.len(), 3);
    let tail = journal.torn_tail.ok_or("no torn tail")?;
    assert_eq!(tail.offset, whole.len() as u64);
    assert_eq!(tail.bytes, garbage.len() as u64);
    assert_eq!(read_lines(&path)?.lines.len(), 3);
    let report = verify(&path)?;
    assert!(report.torn_tail);
    assert_eq!(report.first_break, None);

    let repaired = repair(&path)?.ok_or("nothing repaired")?;
    assert_eq!(repaired.broken_copy, dir.path().join("j.jsonl.broken"));
    assert_eq!(repaired.kept_records, 3);
    assert_eq!(repaired.dropped_bytes, garbage.len() as u64);
    assert_eq!(fs::read(&repaired.broken_copy)?, original);
    assert_eq!(fs::read(&path)?, whole);
    assert_eq!(repair(&path)?, None);
    Ok((dir, path))
}

#[tokio::test]
async fn half_a_line_is_a_torn_tail() -> TestResult {
    let (dir, path) = torn(br#"{"v":1,"seq":3,"ts":"2026-11-21T14:0"#).await?;
    // A second crash: the first copy is kept, the new one goes beside it.
    OpenOptions::new()
        .append(true)
        .open(&path)?
        .write_all(b"{\"v\"")?;
    let again = repair(&path)?.ok_or("nothing repaired")?;
    assert_eq!(again.broken_copy, dir.path().join("j.jsonl.broken.1"));
    assert!(dir.path().join("j.jsonl.broken").exists());
    Ok(())
}

#[tokio::test]
async fn nul_bytes_after_a_power_cut_are_a_torn_tail() -> TestResult {
    torn(&[0u8; 4096]).await?;
    Ok(())
}

#[tokio::test]
async fn resume_repairs_and_continues_the_chain() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    journal_with(&path, 3).await?;
    OpenOptions::new()
        .append(true)
        .open(&path)?
        .write_all(&[b'{', 0, 0, 0])?;

    let (w, task, report) = JournalWriter::open_append(&path).await?;
    assert_eq!(report.records, 3);
    let repaired = report.repaired.ok_or("not repaired")?;
    assert_eq!(repaired.dropped_bytes, 4);
    assert_eq!(w.append(ts(10)?, step(3), Durability::Sync).await?, 3);
    w.close().await?;
    task.await?;

    let report = verify(&path)?;
    assert_eq!(report.records, 4);
    assert_eq!(report.first_break, None);
    assert!(!report.torn_tail);
    Ok(())
}

#[tokio::test]
async fn resume_a_clean_journal() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    let mut bodies = journal_with(&path, 4).await?;
    let last_line = lines(&path)?.pop().ok_or("empty")?;

    let (w, task, report) = JournalWriter::open_append(&path).await?;
    assert_eq!(report.records, 4);
    assert_eq!(report.repaired, None);
    assert_eq!(w.append(ts(20)?, step(4), Durability::Batched).await?, 4);
    assert_eq!(w.append(ts(21)?, step(5), Durability::Sync).await?, 5);
    bodies.extend([step(4), step(5)]);
    w.close().await?;
    task.await?;

    let journal = read::<Ev>(&path)?;
    assert_eq!(
        journal.records.iter().map(|r| &r.body).collect::<Vec<_>>(),
        bodies.iter().collect::<Vec<_>>()
    );
    assert_eq!(journal.records[4].prev, sha256_hex(&last_line));
    assert_eq!(verify(&path)?.first_break, None);
    Ok(())
}

#[test]
fn lock_held_stale_cleared_released() -> TestResult {
    let dir = tempfile::tempdir()?;
    let runbook = Path::new("runbooks/000-migration.md");
    let journal = dir.path().join("j.jsonl");
    let lock = SessionLock::acquire(dir.path(), runbook, "production", &journal)?;
    let lock_path = lock.path().to_path_buf();
    assert_eq!(lock_path, dir.path().join("000-migration--production.lock"));

    match SessionLock::acquire(dir.path(), runbook, "production", &journal) {
        Err(LockError::Held {
            pid, journal: j, ..
        }) => {
            assert_eq!(pid, std::process::id());
            assert_eq!(j, journal);
        }
        other => return Err(format!("expected Held, got {other:?}").into()),
    }
    // Another target is another session.
    drop(SessionLock::acquire(
        dir.path(),
        runbook,
        "staging",
        &journal,
    )?);

    // The same lock, as a process that has since died left it.
    let mut child = std::process::Command::new("true").spawn()?;
    let dead = child.id();
    child.wait()?;
    let mut holder: serde_json::Value = serde_json::from_str(&fs::read_to_string(&lock_path)?)?;
    holder["pid"] = dead.into();
    fs::write(&lock_path, holder.to_string())?;
    // Not ours any more: dropping must leave it.
    drop(lock);
    assert!(lock_path.exists());

    let err = SessionLock::acquire(dir.path(), runbook, "production", &journal).err();
    match &err {
        Some(LockError::Stale {
            pid,
            lock_path: p,
            journal: j,
        }) => {
            assert_eq!((*pid, p, j), (dead, &lock_path, &journal));
        }
        other => return Err(format!("expected Stale, got {other:?}").into()),
    }
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("runsheet resume"), "{message}");

    SessionLock::clear_stale(&lock_path)?;
    let lock = SessionLock::acquire(dir.path(), runbook, "production", &journal)?;
    assert!(lock_path.exists());
    drop(lock);
    assert!(!lock_path.exists());
    Ok(())
}

#[tokio::test]
async fn a_failed_write_is_fatal_and_stops_the_writer() -> TestResult {
    let dev_full = Path::new("/dev/full");
    if !dev_full.exists() {
        eprintln!("skipped: no /dev/full on this system");
        return Ok(());
    }
    let file = OpenOptions::new().append(true).open(dev_full)?;
    let (w, task) = JournalWriter::<Ev>::with_open_file(dev_full, file, 1, GENESIS_PREV.into());
    // Batched only queues; the failure reaches the next record waited for.
    assert_eq!(w.append(ts(1)?, step(1), Durability::Batched).await?, 1);
    match w.append(ts(2)?, step(2), Durability::Sync).await {
        Err(JournalError::Fatal { path, message }) => {
            assert_eq!(path, dev_full);
            assert!(message.contains("No space left"), "{message}");
        }
        other => return Err(format!("expected Fatal, got {other:?}").into()),
    }
    let later = w.append(ts(3)?, step(3), Durability::Batched).await;
    assert!(matches!(later, Err(JournalError::Closed)), "{later:?}");
    let message = w.clone().close().await.err().map(|e| e.to_string());
    let message = message.unwrap_or_default();
    assert!(message.contains("/dev/full"), "{message}");
    assert!(message.contains("must not go on unrecorded"), "{message}");
    assert!(matches!(task.await, Err(JournalError::Fatal { .. })));
    Ok(())
}

#[test]
fn journal_names_and_the_latest_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let started: Timestamp = "2026-11-21T14:03:12.345Z".parse()?;
    let runbook = Path::new("/srv/runbooks/000-migration-client-pilote.md");
    let name = journal_file_name(runbook, "production", started);
    assert_eq!(
        name,
        "000-migration-client-pilote--production--20261121T140312Z.jsonl"
    );
    let first = free_journal_path(dir.path(), runbook, "production", started);
    assert_eq!(first, dir.path().join(&name));
    fs::write(&first, "")?;
    let second = free_journal_path(dir.path(), runbook, "production", started);
    assert_eq!(
        second,
        dir.path()
            .join("000-migration-client-pilote--production--20261121T140312Z-2.jsonl")
    );

    assert_eq!(latest_journal(&dir.path().join("missing"))?, None);
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    for (file, age) in [
        ("a.jsonl", 30),
        ("b.jsonl", 20),
        ("b.jsonl.broken", 10),
        ("b--production.lock", 0),
    ] {
        let path = dir.path().join(file);
        fs::write(&path, "")?;
        fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(base - Duration::from_secs(age))?;
    }
    fs::File::options()
        .write(true)
        .open(&first)?
        .set_modified(base - Duration::from_secs(100))?;
    assert_eq!(
        latest_journal(dir.path())?,
        Some(dir.path().join("b.jsonl"))
    );
    Ok(())
}

/// `runsheet verify PATH` through the built binary: exit code, stdout, stderr.
fn verify_cli(path: &Path) -> Result<(Option<i32>, String, String), Box<dyn Error>> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_runsheet"))
        .arg("verify")
        .arg(path)
        .env("NO_COLOR", "1")
        .output()?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn verify_says_a_file_that_holds_no_record_is_not_a_journal() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cases: [(&str, &[u8]); 6] = [
        ("empty.jsonl", b""),
        ("README.md", b"# My runbook\n\nSome prose.\n"),
        ("one-line.txt", b"hello"),
        ("zeros.jsonl", &[0u8; 64]),
        ("array.json", b"[1, 2, 3]\n"),
        ("other.json", b"{\"name\": \"x\"}\n{\"name\": \"y\"}\n"),
    ];
    for (name, data) in cases {
        let path = dir.path().join(name);
        fs::write(&path, data)?;
        let (code, stdout, stderr) = verify_cli(&path)?;
        let said = format!("{name}: exit {code:?}\n{stdout}\n{stderr}");
        assert_eq!(code, Some(2), "{said}");
        assert!(stderr.contains("is not a runsheet journal"), "{said}");
        assert!(
            stderr.contains("session-started"),
            "what a journal looks like: {said}"
        );
        assert!(!stdout.contains("intact"), "{said}");
        assert!(!stdout.contains("BROKEN"), "{said}");
    }
    Ok(())
}

#[tokio::test]
async fn verify_says_a_journal_that_does_not_start_with_its_session_is_broken() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("j.jsonl");
    // A chain that holds, but whose first record is not a session's start.
    let (w, task) = JournalWriter::create(&path, ts(0)?, step(1)).await?;
    w.append(ts(1)?, step(2), Durability::Sync).await?;
    w.close().await?;
    task.await?;
    let (code, stdout, stderr) = verify_cli(&path)?;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("BROKEN at line 1"), "{stdout}");
    assert!(stdout.contains("not the session's start"), "{stdout}");
    // A real journal still verifies.
    let good = dir.path().join("good.jsonl");
    journal_with(&good, 3).await?;
    let (code, stdout, stderr) = verify_cli(&good)?;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("intact, 3 records"), "{stdout}");
    Ok(())
}
