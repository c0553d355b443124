//! Real processes through `runsheet::exec`: streaming, shell semantics, and
//! above all that no process of a step outlives it.

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::killpg;
use nix::unistd::Pid;
use runsheet::exec::{Interpreter, ProcessEnd, ShellEvent, ShellHandle, ShellSpec, spawn};
use runsheet::session::Stream;
use tokio::sync::mpsc;

#[derive(Debug)]
struct Ran {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    outcome: ProcessEnd,
}

fn bash(script: &str) -> ShellSpec {
    ShellSpec::new(Interpreter::Bash, script)
}

fn start(spec: ShellSpec, capacity: usize) -> (ShellHandle, mpsc::Receiver<ShellEvent>) {
    let (tx, rx) = mpsc::channel(capacity);
    let handle = spawn(spec, tx).expect("spawn");
    (handle, rx)
}

/// Reads every event; checks that `Finished` comes once and last.
async fn collect(mut rx: mpsc::Receiver<ShellEvent>) -> Ran {
    let read = async {
        let (mut stdout, mut stderr, mut outcome) = (Vec::new(), Vec::new(), None);
        while let Some(event) = rx.recv().await {
            assert!(outcome.is_none(), "event after Finished: {event:?}");
            match event {
                ShellEvent::Output {
                    stream: Stream::Stdout,
                    data,
                    ..
                } => stdout.extend(data),
                ShellEvent::Output {
                    stream: Stream::Stderr,
                    data,
                    ..
                } => stderr.extend(data),
                ShellEvent::Finished(o) => outcome = Some(o),
            }
        }
        let outcome = outcome.expect("no Finished event");
        Ran {
            stdout,
            stderr,
            outcome,
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("run did not finish")
}

async fn run(spec: ShellSpec) -> Ran {
    let (_handle, rx) = start(spec, 16);
    collect(rx).await
}

/// Whether any live (non-zombie) process is in group `pgid`. Zombies count
/// as gone: they run nothing and only wait for their reaper.
fn group_alive(pgid: u32) -> bool {
    let Ok(raw) = i32::try_from(pgid) else {
        return false;
    };
    if killpg(Pid::from_raw(raw), None) == Err(Errno::ESRCH) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // Fields after the parenthesised command: state, ppid, pgrp, ...
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.get(2) == Some(&pgid.to_string().as_str()) && fields.first() != Some(&"Z")
    })
}

async fn assert_group_gone(pgid: u32) {
    let until = Instant::now() + Duration::from_secs(3);
    while group_alive(pgid) {
        assert!(Instant::now() < until, "process group {pgid} still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn both_streams_arrive_in_order() {
    let ran = run(bash("for i in 1 2 3; do echo out$i; echo err$i >&2; done")).await;
    assert_eq!(ran.stdout, b"out1\nout2\nout3\n");
    assert_eq!(ran.stderr, b"err1\nerr2\nerr3\n");
    assert!(ran.outcome.success(), "{:?}", ran.outcome);
    assert_eq!(ran.outcome.exit_code, Some(0));
    assert_group_gone(ran.outcome.pid).await;
}

#[tokio::test]
async fn exit_codes_are_reported() {
    let ok = run(bash("true")).await;
    assert_eq!(ok.outcome.exit_code, Some(0));
    assert!(ok.outcome.success());
    let three = run(bash("exit 3")).await;
    assert_eq!(three.outcome.exit_code, Some(3));
    assert_eq!(three.outcome.signal, None);
    assert!(!three.outcome.success());
}

#[tokio::test]
async fn first_failing_command_fails_the_step() {
    for interpreter in [Interpreter::Bash, Interpreter::Sh] {
        let ran = run(ShellSpec::new(interpreter, "false; echo after")).await;
        assert_eq!(ran.stdout, b"", "{interpreter:?}");
        assert_eq!(ran.outcome.exit_code, Some(1), "{interpreter:?}");
    }
}

#[tokio::test]
async fn a_failing_pipeline_fails_the_step() {
    let ran = run(bash("false | cat; echo after")).await;
    assert_eq!(ran.stdout, b"");
    assert!(!ran.outcome.success());
}

#[tokio::test]
async fn stdin_is_closed() {
    let started = Instant::now();
    let ran = run(bash("read x || true; echo \"got:[$x]\"; cat")).await;
    assert_eq!(ran.stdout, b"got:[]\n");
    assert!(ran.outcome.success());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn env_reaches_the_script_without_being_pasted_in() {
    let value = "it's \"quoted\" $(touch /tmp/never) `x` ; exit 9";
    let spec = ShellSpec {
        env: vec![("RUNSHEET_TEST_VALUE".into(), value.into())],
        ..bash("printf '%s' \"$RUNSHEET_TEST_VALUE\"")
    };
    assert!(!spec.script.contains(value));
    let ran = run(spec).await;
    assert_eq!(ran.stdout, value.as_bytes());
    assert!(ran.outcome.success());
}

#[tokio::test]
async fn cwd_is_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = ShellSpec {
        cwd: Some(dir.path().to_path_buf()),
        ..bash("pwd -P")
    };
    let ran = run(spec).await;
    let expected = dir.path().canonicalize().expect("canonicalize");
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout).trim_end(),
        expected.to_string_lossy()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_kills_the_whole_group() {
    for script in [
        "sh -c 'sleep 30 & sleep 30 & wait'",
        "while true; do (sleep 30) & sleep 0.05; done",
    ] {
        let started = Instant::now();
        let spec = ShellSpec {
            timeout: Some(Duration::from_millis(300)),
            grace: Duration::from_secs(2),
            ..bash(script)
        };
        let ran = run(spec).await;
        assert!(ran.outcome.timed_out, "{script}: {:?}", ran.outcome);
        assert!(!ran.outcome.cancelled);
        assert!(!ran.outcome.success());
        assert!(ran.outcome.duration >= Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(5), "{script}");
        assert_group_gone(ran.outcome.pid).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_ignoring_sigterm_is_killed_after_grace() {
    let started = Instant::now();
    let spec = ShellSpec {
        timeout: Some(Duration::from_millis(200)),
        grace: Duration::from_millis(300),
        ..bash("trap '' TERM; sleep 30; echo unreachable")
    };
    let ran = run(spec).await;
    assert!(ran.outcome.timed_out);
    assert_eq!(ran.outcome.signal, Some(9), "{:?}", ran.outcome);
    assert_eq!(ran.outcome.exit_code, None);
    assert!(ran.outcome.duration >= Duration::from_millis(500));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(ran.stdout, b"");
    assert_group_gone(ran.outcome.pid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_process_is_woken_to_act_on_sigterm() {
    let started = Instant::now();
    let spec = ShellSpec {
        timeout: Some(Duration::from_millis(200)),
        grace: Duration::from_secs(3),
        // The trap keeps the shell waiting for the stopped sleep; were the
        // shell gone, the kernel itself would wake the orphaned group.
        ..bash("sleep 30 & kill -STOP $!; trap 'wait; exit 0' TERM; wait")
    };
    let ran = run(spec).await;
    assert!(ran.outcome.timed_out);
    // Well inside the grace: SIGTERM reached the stopped sleep, no SIGKILL
    // was needed.
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_group_gone(ran.outcome.pid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_the_group() {
    let started = Instant::now();
    let (handle, mut rx) = start(bash("echo ready; sleep 30 & sleep 30"), 16);
    // Cancel once the script is surely running.
    match rx.recv().await {
        Some(ShellEvent::Output { data, .. }) => assert_eq!(data, b"ready\n"),
        other => panic!("expected output, got {other:?}"),
    }
    handle.cancel();
    handle.cancel();
    let ran = collect(rx).await;
    assert!(ran.outcome.cancelled, "{:?}", ran.outcome);
    assert!(!ran.outcome.timed_out);
    assert!(!ran.outcome.success());
    assert_eq!(ran.outcome.signal, Some(15));
    assert_eq!(ran.outcome.pid, handle.pid());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_group_gone(handle.pid()).await;
    // Harmless after the end.
    handle.cancel();
}

#[tokio::test(flavor = "multi_thread")]
async fn background_processes_do_not_outlive_the_step() {
    let started = Instant::now();
    let ran = run(bash("sleep 30 & echo done")).await;
    assert_eq!(ran.stdout, b"done\n");
    assert!(ran.outcome.success(), "{:?}", ran.outcome);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_group_gone(ran.outcome.pid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_that_escaped_the_group_cannot_hang_the_runner() {
    // setsid moves sleep out of the group while it keeps stdout open; the
    // runner cannot kill it, but must still finish.
    let started = Instant::now();
    let ran = run(bash("setsid sleep 5 & echo $!")).await;
    assert!(ran.outcome.success(), "{:?}", ran.outcome);
    assert!(started.elapsed() < Duration::from_secs(3));
    let escaped: i32 = String::from_utf8_lossy(&ran.stdout)
        .trim()
        .parse()
        .expect("pid");
    let _ = nix::sys::signal::kill(Pid::from_raw(escaped), nix::sys::signal::Signal::SIGKILL);
}

#[tokio::test(flavor = "multi_thread")]
async fn large_output_arrives_complete_through_a_small_channel() {
    let (_handle, mut rx) = start(
        bash("head -c 50000000 /dev/zero | tr '\\0' a; echo -n end >&2"),
        2,
    );
    let read = async {
        let (mut count, mut other_bytes, mut chunks) = (0usize, 0usize, 0usize);
        let mut stderr = Vec::new();
        let mut outcome = None;
        while let Some(event) = rx.recv().await {
            match event {
                ShellEvent::Output {
                    stream: Stream::Stdout,
                    data,
                    ..
                } => {
                    assert!(data.len() <= 64 * 1024);
                    count += data.len();
                    other_bytes += data.iter().filter(|&&b| b != b'a').count();
                    chunks += 1;
                }
                ShellEvent::Output { data, .. } => stderr.extend(data),
                ShellEvent::Finished(o) => outcome = Some(o),
            }
        }
        (count, other_bytes, chunks, stderr, outcome)
    };
    let (count, other_bytes, chunks, stderr, outcome) =
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .expect("large output did not finish");
    assert_eq!(count, 50_000_000);
    assert_eq!(other_bytes, 0);
    assert!(chunks >= 50_000_000 / (64 * 1024));
    assert_eq!(stderr, b"end");
    assert!(outcome.is_some_and(|o| o.success()));
}

#[tokio::test]
async fn non_utf8_bytes_pass_through_untouched() {
    let ran = run(bash(r"printf '\377\376\000x\200'")).await;
    assert_eq!(ran.stdout, b"\xff\xfe\x00x\x80");
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_handle_detaches_instead_of_killing() {
    let (handle, rx) = start(bash("sleep 0.3; echo alive"), 16);
    drop(handle);
    let ran = collect(rx).await;
    assert_eq!(ran.stdout, b"alive\n");
    assert!(ran.outcome.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gone_receiver_does_not_block_the_child() {
    let (handle, rx) = start(bash("head -c 5000000 /dev/zero; sleep 30 &"), 1);
    drop(rx);
    let pid = handle.pid();
    // The output is drained and discarded, so the script ends and its
    // background sleep is cleaned up as usual.
    let until = Instant::now() + Duration::from_secs(10);
    while group_alive(pid) {
        assert!(Instant::now() < until, "child blocked with no receiver");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A program that uses the library and starts processes of its own beside
/// an action (a test binary spawning sessions, say) keeps them: only a
/// subreaper's adopted orphans are an action's, never a child its program
/// spawned itself. Once, a shell step ending here sent SIGTERM to a
/// session another test had just started.
#[tokio::test(flavor = "multi_thread")]
async fn an_action_ending_leaves_the_programs_own_children_alone() {
    let (_handle, rx) = start(bash("sleep 0.3"), 16);
    // Started by this program after the action, as a test starts a session.
    let mut mine = std::process::Command::new("sleep")
        .arg("5")
        .spawn()
        .expect("spawn sleep");
    let ran = collect(rx).await;
    assert!(ran.outcome.success(), "{ran:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Err: it was killed and even reaped by the action's sweep.
    let still_running = matches!(mine.try_wait(), Ok(None));
    let _ = mine.kill();
    let _ = mine.wait();
    assert!(
        still_running,
        "the action's end ended a process it never started"
    );
}
