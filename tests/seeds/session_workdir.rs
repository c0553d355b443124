//! A runbook that declares `workdir:` runs its commands there, whatever
//! folder runsheet is started from, and a resume goes back there; a
//! missing folder stops the session before anything runs.

use crate::support::workdir::{Workdir, text};

use std::path::Path;

/// `rb/r.md` with `workdir: WORKDIR`, its steps writing where they run:
/// a shell block, then a checklist (where `--auto` stops), then a shell
/// block again.
fn runbook(w: &Workdir, workdir: &str) -> std::path::PathBuf {
    w.write(
        "rb/r.md",
        &format!(
            "---\nworkdir: {workdir}\n---\n# Somewhere\n\n## Phase {{#phase}}\n\n### First {{#first}}\n\n```bash\npwd > first.txt\ncat input.txt\n```\n\n### By hand {{#by-hand}}\n\n- [ ] looked at first.txt\n\n### Last {{#last}}\n\n```bash\npwd > last.txt\n```\n"
        ),
    )
}

fn run_from(w: &Workdir, cwd: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut cmd = w.cmd(args);
    cmd.current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_session_runs_in_its_workdir_from_any_folder_and_resumes_there() {
    let w = Workdir::new();
    w.write("repo/app/input.txt", "the repository's file\n");
    let rb = runbook(&w, "../repo/app");
    let elsewhere = w.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let app = std::fs::canonicalize(w.path().join("repo/app")).unwrap();

    let rb_arg = rb.to_string_lossy().into_owned();
    let out = run_from(
        &w,
        &elsewhere,
        &["run", &rb_arg, "--target", "staging", "--auto"],
        "",
    );
    let said = text(&out);
    assert!(said.contains("the repository's file"), "{said}");
    assert_eq!(
        std::fs::read_to_string(app.join("first.txt"))
            .unwrap()
            .trim(),
        app.to_string_lossy()
    );
    assert!(!elsewhere.join("first.txt").exists());
    let first = w.records().into_iter().next().unwrap();
    assert_eq!(first["workdir"], app.to_string_lossy().as_ref(), "{first}");
    assert!(
        !app.join("last.txt").exists(),
        "--auto went past the checklist: {said}"
    );

    // Resumed from yet another folder: the rest runs in the workdir too.
    let other = w.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let journal = w.journals().into_iter().next().unwrap();
    let out = run_from(
        &w,
        &other,
        &["resume", &journal.to_string_lossy(), "--plain"],
        "y\n\n\n\n\n",
    );
    assert_eq!(
        std::fs::read_to_string(app.join("last.txt"))
            .map(|s| s.trim().to_string())
            .ok(),
        Some(app.to_string_lossy().into_owned()),
        "{}",
        text(&out)
    );
    assert!(!other.join("last.txt").exists());
}

#[test]
fn a_missing_workdir_stops_before_anything_runs_and_says_what_to_do() {
    let w = Workdir::new();
    let rb = runbook(&w, "$APP_ROOT/app");
    let rb_arg = rb.to_string_lossy().into_owned();
    let args = ["run", &*rb_arg, "--target", "staging", "--auto"];

    let out = run_from(&w, w.path(), &args, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("export APP_ROOT="), "{}", text(&out));

    let mut cmd_env = w.cmd(&args);
    cmd_env.env("APP_ROOT", w.path().join("gone"));
    let out = cmd_env.output().unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("`$APP_ROOT/app`"), "{said}");
    assert!(
        said.contains(&w.path().join("gone/app").to_string_lossy().into_owned()),
        "{said}"
    );
    assert!(said.contains("nothing was run"), "{said}");
    assert!(w.journals().is_empty(), "a session was started: {said}");
}

#[test]
fn a_resume_whose_workdir_is_gone_says_so() {
    let w = Workdir::new();
    w.write("repo/app/input.txt", "x\n");
    let rb = runbook(&w, "../repo/app");
    let out = w.auto(&rb, "staging");
    assert!(w.journals().len() == 1, "{}", text(&out));
    std::fs::remove_dir_all(w.path().join("repo")).unwrap();
    let journal = w.journals().into_iter().next().unwrap();
    let out = w.run(&["resume", &journal.to_string_lossy(), "--auto"], "");
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("which is gone"), "{said}");
    assert!(said.contains("repo/app"), "{said}");
}
