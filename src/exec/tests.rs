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
