//! Blocks that need a person, found by rule (no `interactive` mark): with
//! no terminal to hand over they stop or fail at once, naming the command,
//! instead of hanging until their timeout or failing without a word.

use crate::support::workdir::{Workdir, text};
use std::time::{Duration, Instant};

fn runbook(block: &str) -> String {
    format!(
        "# R\n\n## P\n\n### Ask {{#ask}}\n\n```bash {{timeout=60s}}\n{block}\n```\n\n### After {{#after}}\n\n```bash\necho after-ran\n```\n"
    )
}

/// `--auto` has nobody to answer: the step stops the run at once and the
/// message says which command needs a person and why.
#[test]
fn auto_stops_at_once_at_a_read_or_an_editor_naming_it() {
    for (block, says) in [
        (
            "read -p 'Name: ' N\necho got-$N",
            "`read` reads an answer from the terminal",
        ),
        (
            "vim /tmp/runsheet-never-opened.txt",
            "`vim` opens an editor",
        ),
        ("sudo -u nobody psql -d app", "`psql` opens a prompt"),
    ] {
        let w = Workdir::new();
        let rb = w.write("r.md", &runbook(block));
        let started = Instant::now();
        let out = w.auto(&rb, "staging");
        let took = started.elapsed();
        let all = text(&out);
        assert!(took < Duration::from_secs(15), "{block}: took {took:?}");
        assert_ne!(out.status.code(), Some(0), "{block}: {all}");
        assert!(all.contains(says), "{block}: {all}");
        assert!(!all.contains("after-ran"), "{block}: went on: {all}");
    }
}

/// With input piped in, an editor cannot work: the step fails at once with
/// the reason (a `read` still gets the piped lines).
#[test]
fn an_editor_with_piped_input_fails_at_once_saying_why() {
    let w = Workdir::new();
    let rb = w.write("r.md", &runbook("vim /tmp/runsheet-never-opened.txt"));
    let started = Instant::now();
    let out = w.plain(&rb, "staging", "\n\n\n\n");
    let all = text(&out);
    assert!(started.elapsed() < Duration::from_secs(15), "{all}");
    assert!(
        all.contains("`vim` opens an editor and needs a terminal"),
        "{all}"
    );
    assert!(!all.contains("timed out"), "{all}");
}

#[test]
fn a_read_with_piped_input_gets_the_line() {
    let w = Workdir::new();
    let rb = w.write("r.md", &runbook("read -p 'Name: ' N\necho got-$N"));
    let out = w.plain(&rb, "staging", "\nada\n\n");
    let all = text(&out);
    assert!(all.contains("got-ada"), "{all}");
    assert!(all.contains("after-ran"), "{all}");
}

/// The interactive block need not be the step's first: `--auto` stops
/// before the step runs anything, naming the command inside its wrapper.
#[test]
fn auto_stops_before_a_step_whose_second_block_is_interactive() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## P\n\n### Edit {#edit}\n\n```bash\necho first-ran\n```\n\n\
         ```bash {timeout=60s}\nssh -o BatchMode=yes 127.0.0.1 'sudo vim /etc/hosts'\n```\n\n\
         ### After {#after}\n\n```bash\necho after-ran\n```\n",
    );
    let started = Instant::now();
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(started.elapsed() < Duration::from_secs(15), "{all}");
    assert_ne!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("`vim` opens an editor"), "{all}");
    assert!(!all.contains("first-ran"), "ran part of the step: {all}");
    assert!(!all.contains("after-ran"), "went on: {all}");
}

/// A rollback step chosen after a failure, whose block is an editor, with
/// no terminal to hand over: it fails at once saying why, never hangs.
#[test]
fn a_rollback_step_with_an_editor_and_no_terminal_fails_at_once() {
    let w = Workdir::new();
    let rb = w.write(
        "r.md",
        "# R\n\n## Deploy {#deploy}\n\n### Break {#break}\n\n```bash\nexit 3\n```\n\n\
         ## Rollback\n\n### Undo {#undo undoes=deploy}\n\n```bash {timeout=60s}\nvim /tmp/runsheet-never-opened.txt\n```\n",
    );
    let started = Instant::now();
    let out = w.plain(&rb, "staging", "\nb\nq\nq\nq\n");
    let all = text(&out);
    assert!(started.elapsed() < Duration::from_secs(15), "{all}");
    assert!(
        all.contains("`vim` opens an editor and needs a terminal"),
        "{all}"
    );
    assert!(!all.contains("timed out"), "{all}");
}
