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
fn an_unknown_host_key_stops_the_block_before_it_runs() {
    let Some(s) = sshd::start() else { return };
    let w = ssh_workdir(&s);
    let marker = w.path().join("ran");
    let body = format!(
        "### 1.1 there\n\n```bash\ntouch {}\n```\n",
        marker.display()
    );
    let rb = w.write("rb.md", &runbook("    ssh: stranger", w.path(), &body));
    let out = w.auto(&rb, "staging");
    assert!(
        text(&out).contains("Host key verification failed"),
        "{}",
        text(&out)
    );
    assert!(!marker.exists(), "the block ran with an unknown host key");
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
