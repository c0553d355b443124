//! Shell blocks that run elsewhere: over ssh to a real sshd on loopback
//! (`support::sshd`), and through an `exec:` wrapper. What holds locally
//! holds there: output, exit codes, pipefail, values passed without a
//! command line carrying them, and a timeout that leaves nothing running.

use crate::support::sshd;
use crate::support::workdir::{Workdir, text};

const SECRET: &str = "s3cr3t-only-in-env-7461";

fn runbook(context: &str, out: &std::path::Path, body: &str) -> String {
    format!(
        "---\nrunsheet: 1\ncontexts:\n  there:\n{context}\ntargets:\n  staging:\n    context: there\n    env:\n      OUT: {}\nvariables:\n  API_TOKEN: {{ secret: true }}\n---\n# Ctx\n\n## P\n\n{body}",
        out.display()
    )
}

fn ssh_workdir(s: &sshd::Sshd) -> Workdir {
    let mut w = Workdir::new();
    w.set("RUNSHEET_SSH_CONFIG", &s.config().to_string_lossy());
    w.set("API_TOKEN", SECRET);
    w
}

/// Every process's command line there, as the block saw them while it ran.
const LIST_PROCESSES: &str = "for f in /proc/[0-9]*/cmdline; do { tr '\\0' ' ' < \"$f\"; } 2>/dev/null || true; echo; done > \"$OUT/procs.txt\"";

#[test]
fn over_ssh_a_block_runs_there_with_its_values_off_every_command_line() {
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let body = format!(
        "### 1.1 there\n\n```bash\necho \"token has ${{#API_TOKEN}} chars\"\n[ \"${{API_TOKEN%-7461}}\" != \"$API_TOKEN\" ] && echo same-token\n{LIST_PROCESSES}\ntrue | false || echo pipefail-holds\n```\n\n### 1.2 fails\n\n```bash\necho before\nexit 7\necho after\n```\n"
    );
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), &body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(
        all.contains(&format!("token has {} chars", SECRET.len())),
        "{all}\n{}",
        s.log()
    );
    assert!(
        all.contains("same-token") && all.contains("pipefail-holds"),
        "{all}"
    );
    assert!(all.contains("before"), "{all}");
    assert!(!all.lines().any(|l| l.trim() == "after"), "{all}");
    let finished = w.of_type("action-finished");
    assert_eq!(finished[0]["outcome"]["exit_code"], 0, "{all}");
    assert_eq!(finished[1]["outcome"]["exit_code"], 7, "{all}");
    let procs = std::fs::read_to_string(w.path().join("procs.txt")).unwrap_or_default();
    assert!(procs.contains("sshd"), "the block ran under sshd: {procs}");
    assert!(
        !procs.contains(SECRET),
        "a command line holds the secret:\n{procs}"
    );
    assert!(
        !w.journal_text().contains(SECRET),
        "the journal holds the secret"
    );
}

#[test]
fn over_ssh_a_timeout_leaves_nothing_running_there() {
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let body = "### 1.1 slow\n\n```bash {timeout=2s}\n(sleep 3131 &)\nsleep 3132\n```\n";
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), body));
    let out = w.auto(&rb, "staging");
    assert!(text(&out).contains("timed out"), "{}", text(&out));
    // The remote side's grace is 5 s between TERM and KILL.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        let left = std::process::Command::new("pgrep")
            .args(["-f", "sleep 313[12]"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running there after the timeout: {left}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn an_unknown_host_key_stops_the_session_before_the_first_step_saying_what_to_do() {
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let marker = w.path().join("ran");
    let body = format!(
        "### 1.1 there\n\n```bash\ntouch {}\n```\n",
        marker.display()
    );
    let rb = w.write("rb.md", &runbook("    ssh: stranger", w.path(), &body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("context `there` (ssh stranger)")
            && all.contains("Host key verification failed"),
        "{all}"
    );
    // What to do, with the address ssh really connects to (not the alias).
    assert!(
        all.contains(&format!("ssh-keyscan -p {} 127.0.0.1", s.port)),
        "{all}"
    );
    assert!(!marker.exists(), "the block ran with an unknown host key");
    assert!(w.of_type("action-started").is_empty(), "{all}");
    assert!(w.of_type("context-identified").is_empty(), "{all}");
}

/// `ssh-keygen -lf`'s fingerprint of the test server's host key.
fn host_fingerprint(s: &sshd::Sshd) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(s.dir.path().join("host_key.pub"))
        .output()
        .expect("ssh-keygen -lf");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

fn local(cmd: &str, arg: &str) -> String {
    let out = std::process::Command::new(cmd).arg(arg).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The ssh processes still running with this test's own config file.
fn ssh_left(s: &sshd::Sshd) -> String {
    let out = std::process::Command::new("pgrep")
        .args(["-af", &s.config().to_string_lossy()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_preflight_names_the_host_and_every_block_reuses_its_one_connection() {
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let mut body = String::new();
    for i in 1..=4 {
        body.push_str(&format!("### 1.{i} block {i}\n\n```bash\ntrue\n```\n\n"));
    }
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), &body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}\n{}", s.log());
    let records = w.records();
    let kinds: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    let identified = kinds.iter().position(|k| *k == "context-identified");
    let first_step = kinds.iter().position(|k| *k == "action-started");
    assert!(
        identified.is_some() && identified < first_step,
        "identified before the first step: {kinds:?}"
    );
    let id = &w.of_type("context-identified")[0];
    assert_eq!(id["name"], "there");
    assert_eq!(id["kind"], "ssh");
    let key = id["identity"]["host_key"].as_str().unwrap_or_default();
    assert!(
        key.starts_with("ssh-ed25519 ") && key.ends_with(&host_fingerprint(&s)),
        "{key} vs {}",
        host_fingerprint(&s)
    );
    assert_eq!(id["identity"]["hostname"], local("uname", "-n"));
    assert_eq!(id["identity"]["user"], local("id", "-un"));
    assert!(all.contains("context `there` (ssh box): "), "{all}");
    // Four blocks and the probe, one authentication: the master's.
    let accepted = s.log().matches("Accepted publickey").count();
    assert_eq!(accepted, 1, "{}", s.log());
    // The session ended its master.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !ssh_left(&s).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "still connected after the session: {}",
            ssh_left(&s)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // What a block's start costs with the shared connection, and without
    // (a fresh `ssh box true`), for the record.
    let with: Vec<u64> = w
        .of_type("action-finished")
        .iter()
        .filter_map(|f| f["outcome"]["duration_ms"].as_u64())
        .collect();
    let started = std::time::Instant::now();
    let direct = std::process::Command::new("ssh")
        .arg("-F")
        .arg(s.config())
        .args(["-o", "BatchMode=yes", "box", "true"])
        .status()
        .unwrap();
    assert!(direct.success());
    eprintln!(
        "MEASURED: a `true` block over the shared connection took {with:?} ms; a fresh ssh connection took {} ms",
        started.elapsed().as_millis()
    );
}

#[test]
fn over_ssh_an_interactive_block_reads_the_line_typed_with_no_value_on_a_command_line() {
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let body = format!(
        "### 1.1 ask\n\n```bash {{interactive}}\n[ -t 0 ] && echo has-a-terminal\nread -r answer\necho \"got:[$answer] token:${{#API_TOKEN}}\"\n{LIST_PROCESSES}\n```\n"
    );
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), &body));
    let out = w.plain(&rb, "staging", "\nhello\n");
    let all = text(&out);
    assert!(all.contains("has-a-terminal"), "{all}\n{}", s.log());
    assert!(
        all.contains(&format!("got:[hello] token:{}", SECRET.len())),
        "{all}"
    );
    let finished = w.of_type("action-finished");
    assert_eq!(finished[0]["outcome"]["exit_code"], 0, "{all}");
    let procs = std::fs::read_to_string(w.path().join("procs.txt")).unwrap_or_default();
    assert!(procs.contains("sshd"), "it ran under sshd: {procs}");
    assert!(
        !procs.contains(SECRET),
        "a command line holds the secret:\n{procs}"
    );
    // The staged script is gone from there.
    // (sshd gives the session no $TMPDIR: it is staged in /tmp.)
    let left = std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(SECRET)))
        .map(|e| e.path().display().to_string())
        .collect::<Vec<_>>();
    assert!(left.is_empty(), "staged scripts left: {left:?}");
}

#[test]
fn cancelling_a_block_over_ssh_leaves_nothing_running_there() {
    use std::io::Write;
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let body = "### 1.1 slow\n\n```bash\n(sleep 3141 &)\ntouch \"$OUT/started\"\nsleep 3142\n```\n";
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), body));
    let mut child = w
        .cmd(&[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--plain",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n");
    }
    let wait = |what: &str, ready: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !ready() {
            assert!(std::time::Instant::now() < deadline, "waited for {what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    wait("the block to start there", &|| {
        w.path().join("started").exists()
    });
    let running = |pattern: &str| {
        std::process::Command::new("pgrep")
            .args(["-f", pattern])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    assert!(!running("sleep 314[12]").is_empty(), "nothing ran there");
    // Ctrl-C while a step runs: the driver's cancel path.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    wait("the cancelled block's end", &|| {
        !w.of_type("action-finished").is_empty()
    });
    assert_eq!(
        w.of_type("action-finished")[0]["outcome"]["cancelled"],
        true
    );
    // The remote side's grace is 5 s between TERM and KILL.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        let left = running("sleep 314[12]");
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running there after the cancel: {left}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"q\n");
    }
    drop(child.stdin.take());
    let _ = child.wait_with_output();
}

/// An `exec:` context whose `uname -n` says what `$WORK/podname` holds:
/// a pod that is replaced between two runs.
fn pod_workdir() -> (Workdir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    let bin = w.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    let uname = bin.join("uname");
    std::fs::write(&uname, "#!/bin/sh\ncat \"$(dirname \"$0\")/../podname\"\n").unwrap();
    std::fs::set_permissions(&uname, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(w.path().join("podname"), "veylant-pg-7f4c\n").unwrap();
    let body = "### 1.1 gate\n\n```bash\ntest -e \"$OUT/go\"\n```\n\n### 1.2 after\n\n```bash\ntouch \"$OUT/ran-after\"\n```\n";
    let rb = w.write(
        "rb.md",
        &runbook(
            &format!("    exec: [env, \"PATH={}:/usr/bin:/bin\"]", bin.display()),
            w.path(),
            body,
        ),
    );
    (w, rb)
}

/// The pod's session stopped at its gate, its pod since replaced by a
/// rollout, the gate's file there for a resume.
fn in_a_replaced_pod(w: &Workdir) {
    std::fs::write(w.path().join("go"), "").unwrap();
    std::fs::write(w.path().join("podname"), "veylant-pg-9c2d\n").unwrap();
}

#[test]
fn an_exec_context_is_identified_and_a_resume_in_another_pod_is_refused_naming_both() {
    let (w, rb) = pod_workdir();
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let id = &w.of_type("context-identified")[0];
    assert_eq!(id["kind"], "exec", "{id}");
    assert_eq!(id["identity"]["hostname"], "veylant-pg-7f4c", "{id}");
    assert!(id["identity"].get("host_key").is_none(), "{id}");
    let journal = w.journals()[0].to_string_lossy().to_string();
    let report = text(&w.run(&["report", &journal, "--format", "markdown"], ""));
    assert!(
        report.contains("## Where commands ran") && report.contains("| there | exec env PATH="),
        "{report}"
    );
    assert!(report.contains("| veylant-pg-7f4c |"), "{report}");
    // The HTML report says the same: the context, how it was reached, the pod.
    let html = text(&w.run(&["report", &journal, "--format", "html"], ""));
    assert!(
        html.contains("<h2>Where commands ran</h2>")
            && html.contains("<td>there</td>")
            && html.contains("<td>exec env PATH="),
        "{html}"
    );
    assert!(html.contains("<td>veylant-pg-7f4c</td>"), "{html}");
    in_a_replaced_pod(&w);
    let out = w.run(&["resume", "--auto"], "");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("context `there`")
            && all.contains("the pod or container was veylant-pg-7f4c and is now veylant-pg-9c2d"),
        "{all}"
    );
    assert!(!w.path().join("ran-after").exists(), "a step ran: {all}");
    // Back in the pod the session used, it goes on.
    std::fs::write(w.path().join("podname"), "veylant-pg-7f4c\n").unwrap();
    let out = w.run(&["resume", "--auto"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(w.path().join("ran-after").exists(), "{}", text(&out));
}

/// A rollout replaced the pod between the failure and the resume: at a
/// terminal the operator is asked, and a yes goes on in the new pod, said
/// in the journal; a no stops with nothing run.
#[test]
fn a_resume_in_a_replaced_pod_asks_the_operator_and_journals_the_answer() {
    let (w, rb) = pod_workdir();
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    in_a_replaced_pod(&w);
    let out = w.run(&["resume", "--plain"], "n\n");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("A rollout replaces pods; is veylant-pg-9c2d the one the runbook means"),
        "{all}"
    );
    assert!(!w.path().join("ran-after").exists(), "a step ran: {all}");
    let out = w.run(&["resume", "--plain"], "y\nr\n\n\n\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(w.path().join("ran-after").exists(), "{all}");
    let identified = w.of_type("context-identified");
    let pods: Vec<&str> = identified
        .iter()
        .map(|r| r["identity"]["hostname"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(pods, ["veylant-pg-7f4c", "veylant-pg-9c2d"]);
    assert!(
        w.of_type("warned")
            .iter()
            .any(|r| r["text"]
                .as_str()
                .is_some_and(|t| t.contains("now runs in veylant-pg-9c2d")
                    && t.contains("was veylant-pg-7f4c"))),
        "{all}"
    );
}

#[test]
fn a_wrapper_that_cannot_reach_its_pod_stops_the_session_before_the_first_step() {
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    let marker = w.path().join("ran");
    let body = format!(
        "### 1.1 there\n\n```bash\ntouch {}\n```\n",
        marker.display()
    );
    let rb = w.write(
        "rb.md",
        &runbook(
            "    exec: [sh, -c, 'echo pod veylant-pg not found >&2; exit 1', sh]",
            w.path(),
            &body,
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("context `there`") && all.contains("pod veylant-pg not found"),
        "{all}"
    );
    assert!(!marker.exists(), "{all}");
    assert!(w.of_type("action-started").is_empty(), "{all}");
}

#[test]
fn an_exec_wrapper_runs_the_block_under_it_with_its_values() {
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    let body = format!(
        "### 1.1 wrapped\n\n```bash\necho \"wrapped=$WRAPPED\"\n[ \"${{API_TOKEN%-7461}}\" != \"$API_TOKEN\" ] && echo same-token\n{LIST_PROCESSES}\n```\n\n### 1.2 fails\n\n```bash\nfalse\necho after\n```\n"
    );
    let rb = w.write(
        "rb.md",
        &runbook("    exec: [env, WRAPPED=yes]", w.path(), &body),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(
        all.contains("wrapped=yes") && all.contains("same-token"),
        "{all}"
    );
    assert!(!all.lines().any(|l| l.trim() == "after"), "{all}");
    let procs = std::fs::read_to_string(w.path().join("procs.txt")).unwrap_or_default();
    assert!(
        procs.contains("read -r n"),
        "the block ran under the bootstrap: {procs}"
    );
    assert!(
        !procs.contains(SECRET),
        "a command line holds the secret:\n{procs}"
    );
    let finished = w.of_type("action-finished");
    assert_eq!(finished[1]["outcome"]["exit_code"], 1, "{all}");
}

/// In a sandbox every context is a local stand-in: nothing reaches the
/// host, not even the preflight.
#[test]
fn a_sandbox_session_does_no_ssh_preflight() {
    let Some(s) = sshd::start() else { return };
    let mut w = ssh_workdir(&s);
    w.set("RUNSHEET_SANDBOX", "1");
    let body = "### 1.1 there\n\n```bash\necho \"stand-in ran on $(uname -n)\"\n```\n";
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("stand-in ran on"), "{all}");
    assert!(w.of_type("context-identified").is_empty(), "{all}");
    // (The only connection in its log is the one that saw it listen.)
    let log = s.log();
    assert!(
        !log.contains("Accepted") && !log.contains("preauth"),
        "the sandbox reached the host:\n{log}"
    );
    assert!(ssh_left(&s).is_empty(), "{}", ssh_left(&s));
}

#[test]
fn through_an_exec_wrapper_an_interactive_block_reads_the_line_typed() {
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    let body = format!(
        "### 1.1 ask\n\n```bash {{interactive}}\nread -r answer\necho \"got:[$answer] wrapped=$WRAPPED token:${{#API_TOKEN}}\"\n{LIST_PROCESSES}\n```\n"
    );
    let rb = w.write(
        "rb.md",
        &runbook("    exec: [env, WRAPPED=yes]", w.path(), &body),
    );
    let out = w.plain(&rb, "staging", "\nhello\n");
    let all = text(&out);
    assert!(
        all.contains(&format!("got:[hello] wrapped=yes token:{}", SECRET.len())),
        "{all}"
    );
    let procs = std::fs::read_to_string(w.path().join("procs.txt")).unwrap_or_default();
    assert!(
        procs.contains("/dev/fd/3"),
        "it ran the staged script: {procs}"
    );
    assert!(
        !procs.contains(SECRET),
        "a command line holds the secret:\n{procs}"
    );
}

/// A wrapper word that needs a value an earlier step exports cannot be
/// reached before the first step: the session says so and goes on.
#[test]
fn a_context_whose_word_an_earlier_step_exports_is_reached_by_its_first_block() {
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    let body = "### 1.1 find the pod {context=local}\n\n```bash\nexport POD=veylant-pg-7f4c\n```\n\n### 1.2 in it\n\n```bash\necho \"in=$WHERE\"\n```\n";
    let rb = w.write(
        "rb.md",
        &runbook("    exec: [env, \"WHERE=$POD\"]", w.path(), body),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(
        all.contains("not reached before the first step") && all.contains("$POD"),
        "{all}"
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("in=veylant-pg-7f4c"), "{all}");
}

/// A runbook whose target has a database (with a password) and runs its
/// blocks in context `there`; its one block writes what it was given.
fn database_runbook(w: &Workdir, context: &str) -> std::path::PathBuf {
    let body = "### 1.1 what is there\n\n```bash\nenv > \"$OUT/env.txt\"\necho \"db=${DATABASE_URL:-unset}\"\n```\n";
    w.write(
        "rb.md",
        &format!(
            "---\nrunsheet: 1\ncontexts:\n  there:\n{context}\ntargets:\n  staging:\n    context: there\n    database: $STAGING_DB_URL\n    env:\n      OUT: {}\nvariables:\n  API_TOKEN: {{ secret: true }}\n---\n# Ctx\n\n## P\n\n{body}",
            w.path().display()
        ),
    )
}

fn given_there(w: &Workdir) -> String {
    std::fs::read_to_string(w.path().join("env.txt")).unwrap_or_default()
}

/// The target's `DATABASE_URL` (its password with it) and the secrets a
/// block does not use stay on this machine: a container's own
/// `DATABASE_URL` is what its block sees, unless the context passes ours.
#[test]
fn a_context_gets_only_what_its_block_names_and_the_targets_database_only_when_passed() {
    const DB_PASSWORD: &str = "db-pw-only-here-5512";
    let own = "DATABASE_URL=postgres://rails@127.0.0.1/app_production";
    let container = format!("    exec: [env, -i, \"PATH=/usr/bin:/bin\", \"{own}\"]");
    let mut w = Workdir::new();
    let closed = crate::support::http_server::closed_port();
    w.set("API_TOKEN", SECRET).set(
        "STAGING_DB_URL",
        &format!("postgresql://app:{DB_PASSWORD}@127.0.0.1:{closed}/shop"),
    );
    let rb = database_runbook(&w, &container);
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let env = given_there(&w);
    assert!(env.lines().any(|l| l == own), "{env}");
    assert!(
        all.contains("db=postgres://rails@127.0.0.1/app_production"),
        "{all}"
    );
    assert!(
        !env.contains(DB_PASSWORD),
        "the target's database crossed:\n{env}"
    );
    assert!(!env.contains(SECRET), "an unused secret crossed:\n{env}");
    assert!(env.contains("RUNSHEET_TARGET=staging"), "{env}");
    assert!(
        env.contains(&format!("OUT={}", w.path().display())),
        "{env}"
    );
    let check = text(&w.run(&["check", &rb.to_string_lossy()], ""));
    assert!(
        check.contains("context-database-url") && check.contains("pass: [DATABASE_URL]"),
        "{check}"
    );

    // Asked for, they cross; the check has nothing left to say.
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET).set(
        "STAGING_DB_URL",
        &format!("postgresql://app:{DB_PASSWORD}@127.0.0.1:{closed}/shop"),
    );
    let rb = database_runbook(
        &w,
        &format!("{container}\n    pass: [DATABASE_URL, API_TOKEN]"),
    );
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let env = given_there(&w);
    assert!(
        env.contains(&format!("DATABASE_URL=postgresql://app:{DB_PASSWORD}@")),
        "{env}"
    );
    assert!(env.contains(&format!("API_TOKEN={SECRET}")), "{env}");
    assert!(
        !w.journal_text().contains(DB_PASSWORD),
        "the journal holds the password"
    );
    let check = text(&w.run(&["check", &rb.to_string_lossy()], ""));
    assert!(!check.contains("context-database-url"), "{check}");
}

/// Over ssh the same holds: the host gets no `DATABASE_URL` of ours.
#[test]
fn over_ssh_the_targets_database_stays_here() {
    let Some(s) = sshd::start() else { return };
    let mut w = ssh_workdir(&s);
    let closed = crate::support::http_server::closed_port();
    w.set(
        "STAGING_DB_URL",
        &format!("postgresql://app:db-pw-ssh-7730@127.0.0.1:{closed}/shop"),
    );
    let rb = database_runbook(&w, "    ssh: box");
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}\n{}", s.log());
    assert!(all.contains("db=unset"), "{all}");
    let env = given_there(&w);
    assert!(
        env.contains("RUNSHEET_TARGET=staging"),
        "the block ran: {env}"
    );
    assert!(
        !env.contains("db-pw-ssh-7730") && !env.contains(SECRET),
        "{env}"
    );
}

/// `{stdout=FILE}`: what a block prints in its context lands in a file on
/// this machine, byte for byte, and takes its name only when the block
/// succeeds, so a dump cut short never passes for a whole one.
#[test]
fn a_context_blocks_stdout_lands_here_named_only_when_it_succeeds() {
    let mut w = Workdir::new();
    w.set("API_TOKEN", SECRET);
    let here = tempfile::tempdir().unwrap();
    let body = format!(
        "### 1.1 dump\n\n```bash {{stdout=dump.bin}}\nprintf 'PGDMP\\0\\377%s' \"$(uname -n)\"\necho to-the-screen >&2\n```\n\n### 1.2 cut short\n\n```bash {{stdout={}/cut.bin}}\nprintf 'half a dump'\nexit 3\n```\n",
        here.path().display()
    );
    let rb = w.write(
        "rb.md",
        &runbook(
            &format!(
                "    exec: [sh, -c, 'cd {} && exec \"$@\"', sh, env, -i, PATH=/usr/bin:/bin]",
                here.path().display()
            ),
            w.path(),
            &body,
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    let dump = std::fs::read(w.path().join("dump.bin")).unwrap_or_default();
    let host = local("uname", "-n");
    assert_eq!(
        dump,
        [b"PGDMP\0\xff".as_slice(), host.as_bytes()].concat(),
        "{all}"
    );
    assert!(
        !here.path().join("dump.bin").exists(),
        "the file was written on the far side"
    );
    assert!(all.contains("to-the-screen"), "{all}");
    assert!(
        all.contains(&format!(
            "standard output written to dump.bin ({} bytes)",
            dump.len()
        )),
        "{all}"
    );
    assert!(!here.path().join("cut.bin").exists(), "{all}");
    assert_eq!(
        std::fs::read_to_string(here.path().join("cut.bin.partial")).unwrap_or_default(),
        "half a dump"
    );
    assert!(
        all.contains("is left in") && all.contains("cut.bin.partial"),
        "{all}"
    );
    assert_eq!(
        w.of_type("action-finished")[1]["outcome"]["exit_code"],
        3,
        "{all}"
    );
}
