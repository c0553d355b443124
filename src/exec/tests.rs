use std::time::Duration;

use tokio::sync::mpsc;

use super::group::Group;
use super::{Interpreter, ProcessEnd, ShellSpec, spawn};
use crate::session::Stream;

fn outcome(exit_code: Option<i32>) -> ProcessEnd {
    ProcessEnd {
        exit_code,
        signal: None,
        timed_out: false,
        cancelled: false,
        duration: Duration::ZERO,
        pid: 42,
        exported: Vec::new(),
        stdout_file: None,
    }
}

#[test]
fn success_needs_zero_exit_and_no_interruption() {
    assert!(outcome(Some(0)).success());
    assert!(!outcome(Some(1)).success());
    assert!(!outcome(None).success());
    assert!(
        !ProcessEnd {
            timed_out: true,
            ..outcome(Some(0))
        }
        .success()
    );
    assert!(
        !ProcessEnd {
            cancelled: true,
            ..outcome(Some(0))
        }
        .success()
    );
}

#[test]
fn group_refuses_ids_that_would_hit_the_runner() {
    assert_eq!(Group::new(0), None);
    assert_eq!(Group::new(1), None);
    assert_eq!(Group::new(u32::MAX), None);
    assert!(Group::new(1234).is_some());
}

#[test]
fn stream_serializes_kebab_case() {
    let json = serde_json::to_string(&[Stream::Stdout, Stream::Stderr])
        .unwrap_or_else(|e| panic!("serialize: {e}"));
    assert_eq!(json, r#"["stdout","stderr"]"#);
}

#[test]
fn spec_defaults_to_bash_with_five_second_grace() {
    let spec = ShellSpec::new(Interpreter::Sh, "true");
    assert_eq!(spec.interpreter, Interpreter::Sh);
    assert_eq!(spec.grace, Duration::from_secs(5));
    assert_eq!(ShellSpec::default().interpreter, Interpreter::Bash);
}

#[test]
fn spawn_outside_a_runtime_is_an_error_not_a_panic() {
    let (tx, _rx) = mpsc::channel(1);
    let err = spawn(ShellSpec::new(Interpreter::Sh, "true"), tx)
        .err()
        .unwrap_or_else(|| panic!("spawned without a runtime"));
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
}

#[tokio::test]
async fn missing_cwd_is_named_in_the_error() {
    let (tx, _rx) = mpsc::channel(1);
    let spec = ShellSpec {
        cwd: Some("/definitely/not/here".into()),
        ..ShellSpec::new(Interpreter::Sh, "true")
    };
    let err = spawn(spec, tx)
        .err()
        .unwrap_or_else(|| panic!("spawned in a missing directory"));
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
}

#[tokio::test]
async fn cwd_that_is_a_file_is_refused() {
    let (tx, _rx) = mpsc::channel(1);
    let file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("tempfile: {e}"));
    let spec = ShellSpec {
        cwd: Some(file.path().to_path_buf()),
        ..ShellSpec::new(Interpreter::Sh, "true")
    };
    let err = spawn(spec, tx)
        .err()
        .unwrap_or_else(|| panic!("spawned in a file"));
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[tokio::test]
async fn missing_interpreter_is_named_in_the_error() {
    let (tx, _rx) = mpsc::channel(1);
    let spec = ShellSpec {
        env: vec![("PATH".into(), "/definitely/not/here".into())],
        ..ShellSpec::new(Interpreter::Bash, "true")
    };
    let err = spawn(spec, tx)
        .err()
        .unwrap_or_else(|| panic!("spawned without bash on PATH"));
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("`bash`"), "{err}");
}

#[test]
fn a_group_of_zombies_is_not_alive() {
    use std::os::unix::process::CommandExt;
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn sleep: {e}"));
    let group = Group::new(child.id()).unwrap_or_else(|| panic!("bad pid"));
    assert!(group.alive());
    group.signal(nix::sys::signal::Signal::SIGKILL);
    // Killed but not yet reaped: a zombie, which runs nothing.
    let until = std::time::Instant::now() + Duration::from_secs(3);
    while group.alive() {
        assert!(std::time::Instant::now() < until, "group still alive");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.wait();
    assert!(!group.alive());
}

#[test]
fn spec_debug_shows_env_names_not_values() {
    let spec = ShellSpec {
        env: vec![("TOKEN".into(), "hunter2".into())],
        ..ShellSpec::default()
    };
    let shown = format!("{spec:?}");
    assert!(shown.contains("TOKEN"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// Runs `script` with its exports captured, to its end.
async fn exports_of(interpreter: Interpreter, script: &str) -> (ProcessEnd, String) {
    let (tx, mut rx) = mpsc::channel(64);
    let spec = ShellSpec {
        env: vec![("GIVEN".into(), "as given".into())],
        capture_exports: true,
        ..ShellSpec::new(interpreter, script)
    };
    spawn(spec, tx).unwrap_or_else(|e| panic!("spawn: {e}"));
    let mut out = String::new();
    while let Some(ev) = rx.recv().await {
        match ev {
            super::ShellEvent::Output { data, .. } => out.push_str(&String::from_utf8_lossy(&data)),
            super::ShellEvent::Finished(end) => return (end, out),
        }
    }
    panic!("no end")
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_block_exports_values_with_spaces_newlines_quotes_and_equals() {
    for interpreter in [Interpreter::Bash, Interpreter::Sh] {
        let (end, _) = exports_of(
            interpreter,
            "export BACKUP_DIR=\"/tmp/x y\"\nexport MULTI='a\nb=c \"q\"'\nlocal_only=1\n\
             export GIVEN=\"as given\"\nexport lower=ok\ncd /",
        )
        .await;
        assert!(end.success(), "{interpreter:?}: {end:?}");
        assert_eq!(
            end.exported,
            pairs(&[
                ("BACKUP_DIR", "/tmp/x y"),
                ("MULTI", "a\nb=c \"q\""),
                ("lower", "ok")
            ]),
            "{interpreter:?}"
        );
    }
}

#[tokio::test]
async fn a_failing_block_keeps_its_exit_code_and_what_it_exported_first() {
    for interpreter in [Interpreter::Bash, Interpreter::Sh] {
        let (end, _) = exports_of(interpreter, "export DONE=1\nfalse\nexport NEVER=1").await;
        assert_eq!(end.exit_code, Some(1), "{interpreter:?}");
        assert_eq!(end.exported, pairs(&[("DONE", "1")]), "{interpreter:?}");
        let (end, _) = exports_of(interpreter, "export CODE=7; exit 7").await;
        assert_eq!(end.exit_code, Some(7), "{interpreter:?}");
        assert_eq!(end.exported, pairs(&[("CODE", "7")]));
    }
}

#[tokio::test]
async fn a_users_exit_trap_still_runs_and_the_error_line_is_the_blocks() {
    let (end, out) = exports_of(
        Interpreter::Bash,
        "export A=1\ntrap 'echo cleaned up' EXIT\nexit 3",
    )
    .await;
    assert_eq!(end.exit_code, Some(3));
    assert!(out.contains("cleaned up"), "{out}");
    let (end, out) = exports_of(Interpreter::Bash, "true\nno-such-command-here").await;
    assert_eq!(end.exit_code, Some(127));
    assert!(out.contains("line 2"), "{out}");
}

#[tokio::test]
async fn without_asking_nothing_is_captured() {
    let (tx, mut rx) = mpsc::channel(64);
    spawn(ShellSpec::new(Interpreter::Bash, "export A=1"), tx)
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    while let Some(ev) = rx.recv().await {
        if let super::ShellEvent::Finished(end) = ev {
            assert!(end.exported.is_empty());
            return;
        }
    }
}
