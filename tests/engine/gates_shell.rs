//! What the shell analyser cannot see through, and the destructive
//! families, stop at the gate of a protected target: the real binary runs
//! each construct on `production --auto`, and the directory the command
//! would delete is still there afterwards.

use crate::support::workdir;

use std::path::Path;
use std::time::{Duration, Instant};
use workdir::{Workdir, text};

const HEAD: &str = "---
targets:
  staging: { countdown: 30s }
  production: { protected: true }
---
# Gates

## Phase

### The step {#the-step}

";

/// A runbook whose one step runs `code` on `target`, then leaves a mark.
fn runbook(code: &str, target: &str, attrs: &str) -> String {
    format!("{HEAD}```bash {{target={target}{attrs}}}\n{code}\ntouch \"$WORK/ran\"\n```\n")
}

/// A scratch folder with a victim: a directory holding a file.
fn workdir() -> Workdir {
    let w = Workdir::new();
    w.write("victim/file", "precious\n");
    w.write("empty/.keep", "");
    w.write("evil.sh", "rm -rf \"$WORK/victim\"\n");
    w.write("drop.sql", "DROP TABLE t;\n");
    w
}

fn victim_intact(w: &Workdir) -> bool {
    std::fs::read_to_string(w.path().join("victim/file")).is_ok_and(|t| t == "precious\n")
}

/// Each construct: its code, and a phrase the gate must show.
const GATED: &[(&str, &str)] = &[
    // The issue's list.
    (
        "$(echo rm) -rf \"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        "R=rm; $R -rf \"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        // base64 of: rm -rf "$WORK/victim"
        "echo cm0gLXJmICIkV09SSy92aWN0aW0iCg== | base64 -d | sh",
        "runsheet cannot see what this runs",
    ),
    ("find \"$WORK/victim\" -delete", "shell-find-delete"),
    (
        "find \"$WORK/victim\" -type f | xargs rm",
        "shell-rm-from-list",
    ),
    ("rm -r \"$WORK/victim\"", "shell-rm-recursive"),
    (
        "Q=\"DROP TABLE t\"; psql -c \"$Q\"",
        "runsheet cannot see what this runs",
    ),
    (
        "psql -f \"$WORK/drop.sql\"",
        "runsheet cannot see what this runs",
    ),
    ("truncate -s 0 \"$WORK/victim/file\"", "shell-truncate-file"),
    ("shred -u \"$WORK/victim/file\"", "shell-shred"),
    (
        "dd if=/dev/zero of=\"$WORK/victim/file\" bs=1 count=1",
        "shell-dd-write",
    ),
    // More of the same families.
    (
        "eval \"$(printf 'rm -rf %s' \"$WORK/victim\")\"",
        "runsheet cannot see what this runs",
    ),
    (
        "X='rm -rf \"$WORK/victim\"'; bash -c \"$X\"",
        "runsheet cannot see what this runs",
    ),
    (
        "bash <(echo 'rm -rf \"$WORK/victim\"')",
        "runsheet cannot see what this runs",
    ),
    (
        "source \"$WORK/evil.sh\"",
        "runsheet cannot see what this runs",
    ),
    (
        "bash \"$WORK/evil.sh\"",
        "runsheet cannot see what this runs",
    ),
    (
        "cat \"$WORK/evil.sh\" | sudo -n bash || cat \"$WORK/evil.sh\" | bash",
        "runsheet cannot see what this runs",
    ),
    (
        "env -i PATH=\"$PATH\" WORK=\"$WORK\" ${RM:-rm} -rf \"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        "nohup timeout 5 \"$(command -v rm)\" -rf \"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        "/bin/r? -rf \"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        "rm${IFS}-rf${IFS}\"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        "wipe() { \"$@\"; }\nwipe rm -rf \"$WORK/victim\"",
        "runsheet cannot see what this runs",
    ),
    (
        "ls \"$WORK/victim\" | xargs -I{} \"$ACTION\" \"$WORK/victim/{}\"",
        "runsheet cannot see what this runs",
    ),
    (
        "python3 -c 'import os, shutil; shutil.rmtree(os.environ[\"WORK\"] + \"/victim\")'",
        "runsheet cannot see what this runs",
    ),
    (
        "psql <<'EOF'\n\\i drop.sql\nEOF",
        "runsheet cannot see what this runs",
    ),
    // Literal quoting still spells the command.
    ("r''m -rf \"$WORK/victim\"", "shell-rm-recursive-force"),
    ("$'\\x72m' -rf \"$WORK/victim\"", "shell-rm-recursive-force"),
    ("\\rm -r \"$WORK/victim\"", "shell-rm-recursive"),
    (
        "find \"$WORK/victim\" -type f -exec rm {} +",
        "shell-rm-from-list",
    ),
    (
        "rsync -a --delete \"$WORK/empty/\" \"$WORK/victim/\"",
        "shell-rsync-delete",
    ),
    ("mysql -e 'DROP TABLE t'", "shell-sql"),
    ("terraform destroy -auto-approve", "shell-infra-destroy"),
    (
        "kubectl scale deploy/api --replicas=0",
        "shell-kubectl-scale-zero",
    ),
    ("alembic downgrade -1", "shell-migrate-down"),
    ("docker volume rm pgdata", "shell-docker-data"),
];

#[test]
fn what_runsheet_cannot_see_or_knows_destroys_stops_at_the_gate() {
    for (i, (code, shown)) in GATED.iter().enumerate() {
        let mut w = workdir();
        w.set("ACTION", "rm");
        let rb = w.write(&format!("gate-{i}.md"), &runbook(code, "production", ""));
        let out = w.auto(&rb, "production");
        let all = text(&out);
        assert_eq!(out.status.code(), Some(3), "{code}\n{all}");
        assert!(all.contains("type the target's name"), "{code}\n{all}");
        assert!(all.contains(shown), "{code}: expected {shown:?}\n{all}");
        assert!(victim_intact(&w), "{code}: the victim was touched\n{all}");
        assert!(
            !w.path().join("ran").exists(),
            "{code}: the step ran\n{all}"
        );
    }
}

#[test]
fn the_opaque_gate_shows_the_command_it_cannot_read() {
    let w = workdir();
    let rb = w.write(
        "opaque.md",
        &runbook("R=rm; $R -rf \"$WORK/victim\"", "production", ""),
    );
    let out = w.auto(&rb, "production");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("shell-opaque: runsheet cannot see what this runs — $R -rf \"$WORK/victim\""),
        "{}",
        text(&out)
    );
}

#[test]
fn a_harmless_command_runs_on_staging() {
    let w = workdir();
    let rb = w.write("ls.md", &runbook("ls \"$WORK/victim\"", "staging", ""));
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(w.path().join("ran").exists(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("file"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_opaque_command_on_an_unprotected_target_runs_without_a_countdown() {
    let w = workdir();
    let rb = w.write("opaque.md", &runbook("CHECK=true; $CHECK", "staging", ""));
    let started = Instant::now();
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(w.path().join("ran").exists());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{}",
        text(&out)
    );
    assert!(w.of_type("countdown-elapsed").is_empty(), "{}", text(&out));
}

#[test]
fn a_destructive_command_on_an_unprotected_target_still_counts_down() {
    let w = workdir();
    let code = "rm -r \"$WORK/victim\"";
    let rb = w.write("rm.md", &runbook(code, "staging", "").replace("30s", "1s"));
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(w.of_type("countdown-elapsed").len(), 1, "{}", text(&out));
    assert!(!w.path().join("victim").exists());
}

#[test]
fn the_author_can_vouch_for_an_opaque_command_and_the_journal_keeps_why() {
    let w = workdir();
    let reason = "CLEAN is set by the wrapper script to rm -rf of the scratch dir";
    let attrs = format!(" destructive=false reason=\"{reason}\"");
    let rb = w.write(
        "vouched.md",
        &runbook(
            "CLEAN=\"rm -rf\"; $CLEAN \"$WORK/victim\"",
            "production",
            &attrs,
        ),
    );
    let out = w.auto(&rb, "production");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!w.path().join("victim").exists(), "{}", text(&out));
    assert!(w.journal_text().contains(reason));
}

/// The seeds' production steps: what `check` says of them is pinned here
/// so that a rule change which gates (or ungates) one is seen.
#[test]
fn check_lists_the_seeds_destructive_steps() {
    let w = Workdir::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/runbooks");
    let seed = root.join("002-migrations-production-safeguards.md");
    let out = w.run(&["check", "--format", "json", &seed.to_string_lossy()], "");
    let all = text(&out);
    assert!(all.contains("shell-opaque"), "{all}");
}
