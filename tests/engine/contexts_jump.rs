//! `jump:` bastions and far sides without bash, against real processes:
//! two sshd on loopback (`support::sshd::jump_pair`), the target reached
//! only through the bastion's forwarding, and `exec:` wrappers whose
//! environment has no bash.

use crate::support::sshd;
use crate::support::workdir::{Workdir, text};

fn runbook(context: &str, out: &std::path::Path, body: &str) -> String {
    format!(
        "---\nrunsheet: 1\ncontexts:\n  there:\n{context}\ntargets:\n  staging:\n    context: there\n    env:\n      OUT: {}\n---\n# Ctx\n\n## P\n\n{body}",
        out.display()
    )
}

fn pair_workdir(p: &sshd::JumpPair) -> Workdir {
    let mut w = Workdir::new();
    w.set("RUNSHEET_SSH_CONFIG", &p.config().to_string_lossy());
    w
}

/// `ssh-keygen -lf`'s fingerprint of a server's host key.
fn fingerprint(s: &sshd::Sshd) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(s.dir.path().join("host_key.pub"))
        .output()
        .expect("ssh-keygen -lf");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// The ssh processes still running with the pair's config file.
fn ssh_left(p: &sshd::JumpPair) -> String {
    let out = std::process::Command::new("pgrep")
        .args(["-af", &p.config().to_string_lossy()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn nothing_left(p: &sshd::JumpPair) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !ssh_left(p).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "still connected after the session: {}",
            ssh_left(p)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// One session through the bastion: every block runs on the target, the
/// preflight journals the target's host key, the bastion forwarded the
/// one connection (`logins` of it: a hop per login), and nothing is left
/// running.
fn through_the_bastion(p: &sshd::JumpPair, context: &str, logins: usize) {
    let w = pair_workdir(p);
    let mut body = String::new();
    for i in 1..=3 {
        body.push_str(&format!(
            "### 1.{i} block {i}\n\n```bash\necho \"block {i} on the target as $(id -un)\"\n```\n\n"
        ));
    }
    let rb = w.write("rb.md", &runbook(context, w.path(), &body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{all}\nbastion:\n{}\ntarget:\n{}",
        p.bastion.log(),
        p.target.log()
    );
    for i in 1..=3 {
        assert!(
            all.contains(&format!("block {i} on the target as ")),
            "{all}"
        );
    }
    let ids = w.of_type("context-identified");
    assert_eq!(ids.len(), 1, "{all}");
    let key = ids[0]["identity"]["host_key"].as_str().unwrap_or_default();
    assert!(
        key.ends_with(&fingerprint(&p.target)),
        "journaled {key}, the target's is {}",
        fingerprint(&p.target)
    );
    assert_ne!(fingerprint(&p.target), fingerprint(&p.bastion));
    // The bastion forwarded a connection to the target's port…
    let bastion_log = p.bastion.log();
    assert!(
        bastion_log
            .lines()
            .any(|l| l.contains("server_request_direct_tcpip")
                && l.contains(&format!("target 127.0.0.1 port {}", p.target.port))),
        "the bastion forwarded nothing to port {}:\n{bastion_log}",
        p.target.port
    );
    // …once: three blocks and the probe went through the one master.
    assert_eq!(
        bastion_log.matches("Accepted publickey").count(),
        logins,
        "{bastion_log}"
    );
    assert_eq!(
        p.target.log().matches("Accepted publickey").count(),
        1,
        "{}",
        p.target.log()
    );
    nothing_left(p);
}

#[test]
fn through_a_jump_host_blocks_run_on_the_target_and_its_host_key_is_journaled() {
    let Some(p) = sshd::jump_pair() else { return };
    through_the_bastion(&p, "    ssh: box2\n    jump: bastion", 1);
}

/// Two hops, as `-J a,b` takes them: the second reached through the
/// first (here the same bastion twice), the target through the second.
#[test]
fn through_two_jump_hops_blocks_run_on_the_target() {
    let Some(p) = sshd::jump_pair() else { return };
    through_the_bastion(&p, "    ssh: box2\n    jump: bastion,bastion", 2);
}

/// The same with `user@127.0.0.1:port` for both: the bastion's port goes
/// to its own hop, the target's to the target.
#[test]
fn through_a_jump_host_written_user_at_host_port_blocks_run_on_the_target() {
    let Some(p) = sshd::jump_pair() else { return };
    let user = std::process::Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap();
    through_the_bastion(
        &p,
        &format!(
            "    ssh: {user}@127.0.0.1:{}\n    jump: {user}@127.0.0.1:{}",
            p.target.port, p.bastion.port
        ),
        1,
    );
}

/// The bastion's host key is checked as strictly as the target's, even
/// where the user's config would take a new one (`accept-new`).
#[test]
fn an_unknown_bastion_key_stops_the_session_though_the_config_would_accept_it() {
    let Some(p) = sshd::jump_pair() else { return };
    let w = pair_workdir(&p);
    let marker = w.path().join("ran");
    let body = format!(
        "### 1.1 there\n\n```bash\ntouch {}\n```\n",
        marker.display()
    );
    let rb = w.write(
        "rb.md",
        &runbook("    ssh: box2\n    jump: lax-bastion", w.path(), &body),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("context `there` (ssh box2 via lax-bastion)")
            && all.contains("Host key verification failed"),
        "{all}"
    );
    // What to do names the bastion's address, not the target's.
    assert!(
        all.contains("the bastion's (`lax-bastion`) host key is not known here")
            && all.contains(&format!("ssh-keyscan -p {} 127.0.0.1", p.bastion.port)),
        "{all}"
    );
    let known =
        std::fs::read_to_string(p.bastion.dir.path().join("empty_known_hosts")).unwrap_or_default();
    assert!(known.is_empty(), "the bastion's key was taken: {known}");
    assert!(!marker.exists(), "{all}");
    assert!(w.of_type("action-started").is_empty(), "{all}");
    nothing_left(&p);
}

/// The two ways a wrapper's far side lacks bash: nothing on its PATH at
/// all, and a PATH with only `sh`.
fn no_bash_wrappers(w: &Workdir) -> Vec<String> {
    let only_sh = w.path().join("only-sh");
    std::fs::create_dir_all(&only_sh).unwrap();
    let sh = ["/bin/sh", "/usr/bin/sh"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap();
    std::os::unix::fs::symlink(sh, only_sh.join("sh")).unwrap();
    vec![
        "    exec: [env, -i, PATH=/nonexistent-dir]".to_string(),
        format!(
            "    exec: [env, -i, \"PATH={}\", sh, -c, 'exec \"$@\"', sh]",
            only_sh.display()
        ),
    ]
}

#[test]
fn a_wrapper_without_bash_stops_the_session_before_the_first_step_saying_so() {
    let w = Workdir::new();
    for wrapper in no_bash_wrappers(&w) {
        let w = Workdir::new();
        let marker = w.path().join("ran");
        let body = format!(
            "### 1.1 there\n\n```bash\ntouch {}\n```\n",
            marker.display()
        );
        let rb = w.write("rb.md", &runbook(&wrapper, w.path(), &body));
        let out = w.auto(&rb, "staging");
        let all = text(&out);
        assert_ne!(out.status.code(), Some(0), "{wrapper}: {all}");
        assert!(
            all.contains("context `there`: there is no `bash` on the far side (")
                && all.contains("runsheet's blocks run under bash there: install it"),
            "{wrapper}: {all}"
        );
        // What the far side said is in it.
        assert!(
            all.contains("bash': No such file or directory")
                || all.contains("bash’: No such file or directory")
                || all.contains("bash: not found"),
            "{wrapper}: {all}"
        );
        assert!(!marker.exists(), "{all}");
        assert!(w.of_type("action-started").is_empty(), "{all}");
        assert!(w.of_type("context-identified").is_empty(), "{all}");
    }
}

/// A wrapper the preflight cannot reach yet (its word needs a value an
/// earlier step exports): its first block says what is missing, not a
/// bare 127, and the session stops there.
#[test]
fn a_block_whose_wrapper_has_no_bash_says_so_when_the_preflight_could_not_tell() {
    let w = Workdir::new();
    let body = "### 1.1 find it {context=local}\n\n```bash\nexport NOWHERE=/nonexistent-dir\n```\n\n### 1.2 there\n\n```bash\necho ran-there\n```\n\n### 1.3 after\n\n```bash {context=local}\ntouch \"$OUT/after\"\n```\n";
    let rb = w.write(
        "rb.md",
        &runbook("    exec: [env, -i, \"PATH=$NOWHERE\"]", w.path(), body),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("not reached before the first step"), "{all}");
    assert!(
        all.contains("context `there`: there is no `bash` on the far side (env: ")
            && all.contains("No such file or directory); runsheet's blocks run under bash"),
        "{all}"
    );
    let finished = w.of_type("action-finished");
    assert_eq!(finished.len(), 2, "{all}");
    assert!(
        finished[1]["outcome"]["failure"]
            .as_str()
            .is_some_and(|f| f.contains("there is no `bash` on the far side")),
        "{}",
        finished[1]
    );
    assert!(!w.path().join("after").exists(), "{all}");
}

/// Over ssh the same: a server whose sessions get a PATH without bash
/// (`SetEnv`) is named as such by the preflight, and its block never runs.
#[test]
fn over_ssh_a_host_without_bash_stops_the_session_before_the_first_step_saying_so() {
    let Some(s) = sshd::start_with("SetEnv PATH=/nonexistent-dir\n") else {
        return;
    };
    let mut w = Workdir::new();
    w.set("RUNSHEET_SSH_CONFIG", &s.config().to_string_lossy());
    let marker = w.path().join("ran");
    let body = format!(
        "### 1.1 there\n\n```bash\ntouch {}\n```\n",
        marker.display()
    );
    let rb = w.write("rb.md", &runbook("    ssh: box", w.path(), &body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("context `there`: there is no `bash` on the far side ("),
        "{all}\n{}",
        s.log()
    );
    assert!(!marker.exists(), "{all}");
    assert!(w.of_type("action-started").is_empty(), "{all}");
    assert!(w.of_type("context-identified").is_empty(), "{all}");
}

/// A block whose bash did start and whose own command later says "bash:
/// command not found" fails as the script's failure, not as a far side
/// without bash.
#[test]
fn a_block_s_own_missing_bash_later_is_its_own_failure() {
    let w = Workdir::new();
    let body = "### 1.1 there\n\n```bash\necho started\nsh -c 'echo \"sudo: bash: command not found\" >&2; exit 127'\n```\n";
    let rb = w.write("rb.md", &runbook("    exec: [env, HERE=1]", w.path(), body));
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(all.contains("started"), "{all}");
    let finished = w.of_type("action-finished");
    assert_eq!(finished[0]["outcome"]["exit_code"], 127, "{all}");
    assert!(!all.contains("there is no `bash` on the far side"), "{all}");
}
