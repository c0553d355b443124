//! What a runbook's `sandbox:` makes at start — its work folder (a copy of
//! `sandbox: workdir:`), its buckets in moto, what its `setup:` script
//! makes from the sandbox's data — and that a sandbox session runs there;
//! `sandbox status`; a setup that fails leaves nothing running; a sandbox
//! of another runbook is restarted only when asked to.

use super::sandbox::{env, ports};
use crate::support::raw_http;
use crate::support::workdir::{Workdir, text};

use std::os::unix::fs::PermissionsExt;

const DATA: &str = "CREATE TABLE users (id bigint primary key, email text);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 250) g;
";

/// Stops the sandbox even when an assert failed.
struct Stop<'a>(&'a Workdir);
impl Drop for Stop<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["sandbox", "stop"], "");
    }
}

/// A runbook in `rb/` with its assets in `assets/app`: a script, a file,
/// and a sandbox section that copies them, makes two buckets (one listed,
/// one named only by an s3 step through a variable) and runs a setup
/// script that reads the sandbox's production.
fn provisioned_runbook(w: &Workdir) -> std::path::PathBuf {
    w.write("rb/data.sql", DATA);
    let script = w.write(
        "assets/app/bin/hello.sh",
        "#!/bin/sh\necho hello from the copy\n",
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    w.write("assets/app/notes.txt", "assets\n");
    w.write(
        "rb/r.md",
        "---\nvariables:\n  UPLOADS: { description: \"the uploads bucket\" }\nsandbox:\n  dataset: data.sql\n  workdir: ../assets/app\n  buckets: [listed-bucket]\n  setup: |\n    psql \"$PROD_DB_URL\" -XAtc 'SELECT count(*) FROM users' > users.count\n    echo \"uploads: $UPLOADS\"\n  env:\n    UPLOADS: uploads-sandbox\n---\n# Provisioned\n\n## Phase {#phase}\n\n### Where {#where}\n\n```bash\npwd > where.txt\ncat users.count\n./bin/hello.sh\n```\n\n### Upload {#upload}\n\n```s3\nupload notes.txt s3://$UPLOADS/notes.txt\n```\n",
    )
}

#[test]
fn a_sandbox_brings_its_work_folder_buckets_and_setup_and_a_session_runs_there() {
    let w = Workdir::new();
    let rb = provisioned_runbook(&w);
    let _stop = Stop(&w);
    let out = w.run(&["sandbox", "--runbook", &rb.to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    let work = w.data().join("sandbox/work");
    // What it made is said.
    assert!(said.contains("made: copied"), "{said}");
    assert!(said.contains("bucket s3://listed-bucket"), "{said}");
    assert!(said.contains("bucket s3://uploads-sandbox"), "{said}");
    assert!(said.contains("ran `sandbox: setup:`"), "{said}");

    // The copy, modes kept; the setup's file, from the sandbox's data;
    // its output in setup.log, with the runbook's sandbox env.
    let copied = work.join("bin/hello.sh");
    let mode = std::fs::metadata(&copied).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "the script lost its x bit: {mode:o}");
    assert_eq!(
        std::fs::read_to_string(work.join("users.count")).unwrap(),
        "250\n"
    );
    let log = std::fs::read_to_string(w.data().join("sandbox/setup.log")).unwrap();
    assert!(log.contains("uploads: uploads-sandbox"), "{log}");

    // The buckets exist in moto.
    let endpoint = env(&w, "AWS_ENDPOINT_URL");
    for bucket in ["listed-bucket", "uploads-sandbox"] {
        let (status, body) = raw_http::request(&endpoint, "HEAD", &format!("/{bucket}"), &[], b"");
        assert_eq!(status, 200, "{bucket}: {body}");
    }

    // `sandbox status`: what runs, for which runbook, where.
    let out = w.run(&["sandbox", "status"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let status = text(&out);
    assert!(status.contains("running"), "{status}");
    assert!(status.contains("«Provisioned»"), "{status}");
    assert!(
        status.contains(&work.to_string_lossy().into_owned()),
        "{status}"
    );
    for p in ports(&w) {
        assert!(status.contains(&format!(":{p}")), "port {p}: {status}");
    }

    // A session from the scratch folder runs in the work folder: the
    // relative script, the setup's file and the s3 step's local path are
    // found there, and nothing is written beside the runbook or assets.
    let out = w.run(
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
            "--sandbox",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("hello from the copy"), "{said}");
    let here = std::fs::canonicalize(&work).unwrap();
    assert_eq!(
        std::fs::read_to_string(work.join("where.txt"))
            .unwrap()
            .trim(),
        here.to_string_lossy()
    );
    assert!(!w.path().join("where.txt").exists());
    assert!(!w.path().join("assets/app/where.txt").exists());
    let (status, body) =
        raw_http::request(&endpoint, "GET", "/uploads-sandbox?list-type=2", &[], b"");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Key>notes.txt</Key>"), "{body}");
    // The journal names the folder.
    let first = w.records().into_iter().next().unwrap();
    assert_eq!(first["workdir"], here.to_string_lossy().as_ref(), "{first}");

    // Stopped: status says none, exit 1.
    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
    let out = w.run(&["sandbox", "status"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no sandbox"), "{}", text(&out));
}

#[test]
fn a_failing_setup_stops_the_start_with_its_last_lines_and_leaves_nothing_running() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    let rb = w.write(
        "r.md",
        "---\nsandbox:\n  dataset: data.sql\n  setup: |\n    echo making the dump\n    echo pg_dump: no such table >&2\n    exit 3\n---\n# Broken setup\n\n## P {#p}\n\n### S {#s}\n\n```bash\ntrue\n```\n",
    );
    let _stop = Stop(&w);
    let out = w.run(&["sandbox", "--runbook", &rb.to_string_lossy()], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("exit code 3"), "{said}");
    assert!(said.contains("pg_dump: no such table"), "{said}");
    assert!(said.contains("nothing is left running"), "{said}");
    assert!(!w.data().join("sandbox/state.json").exists());
    let out = w.run(&["sandbox", "status"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_sandbox_of_another_runbook_is_restarted_only_when_asked() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    let rb = |name: &str| {
        w.write(
            &format!("{name}.md"),
            &format!("---\nsandbox:\n  dataset: data.sql\n---\n# {name}\n\n## P {{#p}}\n\n### S {{#s}}\n\n```bash\necho ran {name}\n```\n"),
        )
    };
    let (a, b) = (rb("first"), rb("second"));
    let _stop = Stop(&w);
    let out = w.run(&["sandbox", "--runbook", &a.to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out));
    let before = ports(&w);

    // No terminal (and --auto): refused as before, naming the flag.
    let args = [
        "run",
        &*b.to_string_lossy(),
        "--target",
        "staging",
        "--auto",
        "--sandbox",
    ];
    let out = w.run(&args, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--restart-sandbox"), "{}", text(&out));
    assert_eq!(ports(&w), before, "the sandbox was touched");

    let mut args = args.to_vec();
    args.push("--restart-sandbox");
    let out = w.run(&args, "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ran second"), "{}", text(&out));
    let status = text(&w.run(&["sandbox", "status"], ""));
    assert!(status.contains("«second»"), "{status}");
}

/// `'…'` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn at_a_terminal_a_sandbox_of_another_runbook_is_restarted_when_the_operator_agrees() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    let rb = |name: &str| {
        w.write(
            &format!("{name}.md"),
            &format!("---\nsandbox:\n  dataset: data.sql\n---\n# {name}\n\n## P {{#p}}\n\n### S {{#s}}\n\n```bash\necho ran {name}\n```\n"),
        )
    };
    let (a, b) = (rb("first"), rb("second"));
    let _stop = Stop(&w);
    let out = w.run(&["sandbox", "--runbook", &a.to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out));

    let t = crate::support::tmux::Tmux::new("restart-sandbox");
    t.start(&format!(
        "cd {} && RUNSHEET_DATA_DIR={} {} run {} --target staging --plain --sandbox",
        quote(&w.path().to_string_lossy()),
        quote(&w.data().to_string_lossy()),
        quote(env!("CARGO_BIN_EXE_runsheet")),
        quote(&b.to_string_lossy()),
    ));
    t.wait_screen("restart it for this runbook?");
    assert!(t.screen().contains("«first»"), "{}", t.screen());
    t.type_text("y");
    t.keys(&["Enter"]);
    t.wait_screen("stopping the sandbox started for the other runbook");
    // The plain console asks to run the step: Enter.
    t.wait_screen("[Enter] run");
    t.keys(&["Enter"]);
    t.wait_screen("ran second");
    let status = text(&w.run(&["sandbox", "status"], ""));
    assert!(status.contains("«second»"), "{status}");
}
