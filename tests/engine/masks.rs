//! A canary secret through every output path runsheet has: the journal's
//! bytes (raw, JSON-decoded, and as its output draws), the live screen of
//! both front ends (plain console stdout, the full-screen UI in tmux), the
//! replay screen, `report` in Markdown and HTML, `export --asciicast`,
//! `history`, and error messages. Each way a secret got through before
//! has its own variant: an escape sequence inside it, a `\r` overwrite, a
//! backspace, halves on stdout and stderr, the rows of an `sql` step, the
//! text typed at a gate, a note and a skip reason, the reason typed when
//! settling an in-doubt step in the full-screen UI, an http host name
//! (lower-cased by URL parsing), and a `default:` on a secret.

use crate::support::pg;
use crate::support::tmux;
use crate::support::workdir;

use std::path::Path;
use std::time::{Duration, Instant};
use workdir::{Workdir, text};

const CANARY: &str = "CANARY-abc123";
/// A host name, which URL parsing lower-cases.
const HOST: &str = "LocalHost";

/// The ways a secret was drawn in pieces, one step each.
const PIECES: &str = r#"### Escape inside {#escape}

```bash
printf 'A CANARY-\033[1mabc123\033[0m B\n'
```

### Overwrite after a carriage return {#overwrite}

```bash
printf 'XXXXXXXabc123\rCANARY-\n'
```

### Backspace {#backspace}

```bash
printf 'CANARY-abc12X\b3\n'
```

### Halves on two streams {#split}

```bash
printf 'XXXXXXXabc123\r'; sleep 0.2; printf 'CANARY-\n' >&2; sleep 0.2
printf 'CANARY-\033[0m'; sleep 0.2; printf 'abc123\n' >&2; sleep 0.2
printf 'CANARY-'; printf 'abc123\n' >&2
```

"#;

const REMOVE: &str = r#"### Remove the old files {#remove}

```bash
rm -rf "$WORK/gone"
```

"#;

/// Every place the canary (or the host, in any case) shows in `text`,
/// as written and as a terminal draws it line by line.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    if text.contains(CANARY) {
        found.push("written".to_string());
    }
    if text
        .to_ascii_lowercase()
        .contains(&HOST.to_ascii_lowercase())
    {
        found.push("the host, written".to_string());
    }
    for line in drawn(text) {
        if line.contains(CANARY) {
            found.push(format!("drawn: {line:?}"));
        }
    }
    found
}

/// What each line of `text` shows on a terminal.
fn drawn(text: &str) -> Vec<String> {
    text.split('\n')
        .filter(|l| l.contains(['\r', '\x08', '\x1b']))
        .map(|line| {
            let mut p = vt100::Parser::new(2, 1000, 0);
            p.process(line.as_bytes());
            p.screen().rows(0, 1000).next().unwrap_or_default()
        })
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    let found = leaks(text);
    assert!(
        found.is_empty(),
        "{what} shows the secret ({found:?}):\n{text}"
    );
}

/// Every string in a JSON value.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|i| strings(i, out)),
        serde_json::Value::Object(m) => {
            for (k, i) in m {
                out.push(k.clone());
                strings(i, out);
            }
        }
        _ => {}
    }
}

/// The journal: its bytes, every string in it decoded (`\u001b` is an
/// escape), and each step's output, both streams in order, as drawn.
fn assert_journal_clean(journal: &Path) {
    let raw = std::fs::read_to_string(journal).unwrap();
    assert_clean("the journal file", &raw);
    let mut all = Vec::new();
    let mut outputs: Vec<(String, String)> = Vec::new();
    for line in raw.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        if r["type"] == "session-started" {
            // The runbook's own text names $API_TOKEN, never its value.
            assert!(
                !r["runbook_text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(CANARY)
            );
        }
        strings(&r, &mut all);
        if r["type"] == "output" {
            let step = r["step"].as_str().unwrap_or_default().to_string();
            let data = r["data"].as_str().unwrap_or_default();
            match outputs.iter_mut().find(|(s, _)| *s == step) {
                Some((_, o)) => o.push_str(data),
                None => outputs.push((step, data.to_string())),
            }
        }
    }
    for s in &all {
        assert_clean("a string in the journal", s);
    }
    for (step, out) in &outputs {
        assert_clean(&format!("the output of `{step}`, as drawn"), out);
    }
}

/// What runsheet writes from a journal afterwards: reports, the recording,
/// the history.
fn assert_afterwards_clean(w: &Workdir, journal: &Path, runbook: &Path) {
    let j = journal.to_string_lossy();
    for (what, args) in [
        ("the Markdown report", vec!["report", &j]),
        ("the HTML report", vec!["report", &j, "--format", "html"]),
        ("the asciicast", vec!["export", &j, "--asciicast"]),
        ("the history", vec!["history", &runbook.to_string_lossy()]),
        ("verify", vec!["verify", &j]),
    ] {
        let out = w.run(&args, "");
        assert!(out.status.success(), "{what}: {}", text(&out));
        let t = text(&out);
        assert_clean(what, &t);
        if what == "the asciicast" {
            // Every event's text, decoded, played in one terminal.
            let mut played = String::new();
            for line in t.lines().skip(1) {
                let ev: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                played.push_str(ev[2].as_str().unwrap_or_default());
            }
            assert_clean("the asciicast, played", &played.replace("\r\n", "\n"));
        }
    }
    assert!(
        w.run(&["report", &j], "").stdout.len() > 100,
        "the report is empty"
    );
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().map(|a| a.port()).unwrap_or(9)
}

#[test]
fn the_plain_console_never_shows_or_journals_the_canary() {
    let (_, production) = pg::pair();
    let db = pg::unique_db("masks");
    production.create_db(&db);
    let mut w = Workdir::new();
    w.set("API_TOKEN", CANARY).set("HTTP_HOST", HOST).set(
        "DB_URL",
        &format!("{}?sslmode=disable", production.url(&db)),
    );
    let rb = w.write(
        "canary.md",
        &format!(
            "---\ntargets:\n  production: {{ protected: true, database: $DB_URL }}\nvariables:\n  API_TOKEN: {{ secret: true }}\n  HTTP_HOST: {{ secret: true }}\n  DB_URL: {{ secret: true }}\n---\n# Canary\n\n## Phase {{#p}}\n\n{PIECES}### Rows {{#rows}}\n\n```sql\nSELECT 'CANARY-' || 'abc123' AS token;\n```\n\n{REMOVE}### Health {{#health}}\n\n```http\nGET http://${{HTTP_HOST}}:{}/health\n\nHTTP 200\n```\n\n### Uses the token {{#uses}}\n\n```bash\ntest -n \"$API_TOKEN\"\n```\n",
            closed_port()
        ),
    );
    let answers = [
        "",
        "",
        "",
        "", // the pieces
        "", // rows
        "",
        CANARY,
        "production", // the gate: the canary typed by mistake, then the name
        "",
        "n",
        "note: CANARY-abc123",
        "s",
        "skip: CANARY-abc123", // health fails
        "",                    // uses
    ];
    let out = w.plain(&rb, "production", &format!("{}\n", answers.join("\n")));
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    // The console said what it was doing, masked.
    assert!(all.contains("is not the target's name"), "{all}");
    assert!(all.contains("***"), "{all}");
    assert_clean(
        "the console's output",
        &String::from_utf8_lossy(&out.stdout),
    );
    assert_clean(
        "the console's errors",
        &String::from_utf8_lossy(&out.stderr),
    );
    let journal = w.journals().pop().expect("no journal");
    assert_journal_clean(&journal);
    // The sql step's rows were journaled, masked.
    let rows = w.of_type("action-result");
    assert!(
        rows.iter()
            .any(|r| r["result"]["rows"].to_string().contains("***")),
        "{rows:?}"
    );
    let typed: Vec<serde_json::Value> = w.of_type("gate-answered");
    assert_eq!(typed.len(), 2, "{typed:?}");
    assert_afterwards_clean(&w, &journal, &rb);
    assert_replay_clean(&w, &journal, "console");
}

/// The replay of a journal in a real terminal: every step's output pane.
fn assert_replay_clean(w: &Workdir, journal: &Path, name: &str) {
    let t = tmux::Tmux::new(&format!("masks-replay-{name}"));
    t.start(&format!(
        "RUNSHEET_DATA_DIR={} NO_COLOR=1 {} replay {} --paused",
        w.data().display(),
        env!("CARGO_BIN_EXE_runsheet"),
        journal.display()
    ));
    t.wait_screen("Output");
    t.keys(&["End"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["Home"]);
    t.keys(&["End"]);
    let mut masked = 0;
    for _ in 0..12 {
        let screen = t.screen();
        assert_clean("the replay screen", &screen);
        masked += usize::from(screen.contains("***"));
        t.keys(&["Up"]);
    }
    // The steps' output was there to see, masked.
    assert!(masked >= 3, "the replay never showed a masked output");
}

#[test]
fn the_full_screen_ui_never_shows_or_journals_the_canary() {
    let w = Workdir::new();
    let rb = w.write(
        "canary.md",
        &format!(
            "---\ntargets:\n  production: {{ protected: true }}\nvariables:\n  API_TOKEN: {{ secret: true, description: \"the token\" }}\n---\n# Canary\n\n## Phase {{#p}}\n\n{PIECES}{REMOVE}### Uses the token {{#uses}}\n\n```bash\ntest -n \"$API_TOKEN\"\n```\n"
        ),
    );
    let t = tmux::Tmux::new("masks-tui");
    let start = |args: &str, env: &str| {
        t.start(&format!(
            "cd {} && RUNSHEET_DATA_DIR={} WORK={} {env} {} {args}",
            w.path().display(),
            w.data().display(),
            w.path().display(),
            env!("CARGO_BIN_EXE_runsheet"),
        ))
    };
    // The secret typed at the prompt, as an operator gives it.
    start(&format!("run {} --target production", rb.display()), "");
    t.wait_screen("API_TOKEN");
    t.type_text(CANARY);
    t.keys(&["Enter"]);
    t.wait_screen("PRODUCTION");
    let journal = wait_journal(&w);
    let screens = std::cell::RefCell::new(Vec::new());
    let look = || {
        let s = t.screen();
        assert_clean("the live screen", &s);
        screens.borrow_mut().push(s);
    };
    for step in ["escape", "overwrite", "backspace", "split"] {
        t.keys(&["Enter"]);
        wait_record(&journal, |r| {
            r["type"] == "action-finished" && r["step"] == step
        });
        std::thread::sleep(Duration::from_millis(300));
        look();
        // The step just run stays in view: its output pane, at rest.
        std::thread::sleep(Duration::from_millis(200));
        look();
        // Enter selects the next step.
        t.keys(&["Enter"]);
    }
    // The gate: the canary typed (pasted by mistake), then the name.
    t.keys(&["Enter"]);
    t.wait_screen("DESTRUCTIVE STEP");
    t.type_text(CANARY);
    look();
    t.keys(&["Enter"]);
    t.wait_screen("is not production");
    look();
    t.keys(&["C-u"]);
    t.type_text("production");
    t.keys(&["Enter"]);
    wait_record(&journal, |r| {
        r["type"] == "action-finished" && r["step"] == "remove"
    });
    // A note being typed, then recorded.
    t.keys(&["n"]);
    t.type_text("note: CANARY-abc123");
    look();
    t.keys(&["Enter"]);
    wait_record(&journal, |r| r["type"] == "note");
    look();
    t.keys(&["q"]);
    t.wait_screen("continue with: runsheet resume");
    assert!(screens.borrow().len() >= 10);
    let masked = screens
        .borrow()
        .iter()
        .filter(|s| s.contains("***"))
        .count();
    assert!(masked >= 6, "the live screen never showed a masked output");
    assert_journal_clean(&journal);
    let typed: Vec<serde_json::Value> = read(&journal)
        .into_iter()
        .filter(|r| r["type"] == "gate-answered")
        .collect();
    assert_eq!(typed.len(), 2, "{typed:?}");
    assert_afterwards_clean(&w, &journal, &rb);
    assert_replay_clean(&w, &journal, "tui");
}

#[test]
fn an_in_doubt_step_settled_in_the_full_screen_ui_keeps_the_reason_masked() {
    let mut w = Workdir::new();
    w.set("API_TOKEN", CANARY);
    let rb = w.write(
        "doubt.md",
        "---\nvariables:\n  API_TOKEN: { secret: true }\n---\n# Doubt\n\n## Phase {#p}\n\n### Long {#long}\n\n```bash\ntest -n \"$API_TOKEN\"; sleep 8\n```\n\n### After {#after}\n\n```bash\necho after\n```\n",
    );
    // A session killed while its step runs: the step is in doubt.
    let mut child = w.spawn_auto(&rb, "staging");
    workdir::kill_when(&mut child, || {
        w.journals()
            .pop()
            .is_some_and(|j| read(&j).iter().any(|r| r["type"] == "action-started"))
    });
    let journal = w.journals().pop().expect("no journal");
    let t = tmux::Tmux::new("masks-doubt");
    t.start(&format!(
        "cd {} && RUNSHEET_DATA_DIR={} API_TOKEN={CANARY} {} resume {}",
        w.path().display(),
        w.data().display(),
        env!("CARGO_BIN_EXE_runsheet"),
        journal.display()
    ));
    t.wait_screen("running when the session");
    t.keys(&["s"]);
    t.type_text("it was CANARY-abc123, done by hand");
    assert_clean("the live screen", &t.screen());
    t.keys(&["Enter"]);
    wait_record(&journal, |r| r["type"] == "in-doubt-resolved");
    assert_clean("the live screen", &t.screen());
    t.keys(&["q"]);
    let resolved: Vec<serde_json::Value> = read(&journal)
        .into_iter()
        .filter(|r| r["type"] == "in-doubt-resolved")
        .collect();
    assert_eq!(
        resolved[0]["decision"]["reason"], "it was ***, done by hand",
        "{resolved:?}"
    );
    assert_journal_clean(&journal);
    assert_afterwards_clean(&w, &journal, &rb);
}

#[test]
fn a_secret_with_a_default_is_refused_and_never_journaled() {
    let w = Workdir::new();
    let rb = w.write(
        "default.md",
        "---\nvariables:\n  API_TOKEN: { secret: true, default: \"CANARY-abc123\" }\n---\n# D\n\n## P {#p}\n\n### S {#s}\n\n```bash\ntest -n \"$API_TOKEN\"\n```\n",
    );
    let check = w.run(&["check", &rb.to_string_lossy()], "");
    let all = text(&check);
    assert!(!check.status.success(), "{all}");
    assert!(all.contains("secret-default"), "{all}");
    assert!(all.contains("export API_TOKEN="), "{all}");
    let run = w.auto(&rb, "staging");
    assert!(!run.status.success(), "{}", text(&run));
    assert!(!w.journal_text().contains(CANARY));
}

#[test]
fn the_demo_gets_its_token_from_the_environment_and_masks_it() {
    let w = Workdir::new();
    // Three ticks, then the step that logs in, then quit.
    let out = w.run(&["demo", "--plain"], "y\ny\ny\n\nq\n");
    let all = text(&out);
    assert!(
        all.contains("Logging in to the deploy API with token ***"),
        "{all}"
    );
    let runbook = std::fs::read_to_string(w.data().join("demo/demo.md")).unwrap_or_default();
    assert!(runbook.contains("DEMO_TOKEN"), "{runbook}");
    assert!(!runbook.contains("default: \"s3cr3t"), "{runbook}");
    assert!(!w.journal_text().contains("s3cr3t-demo-token"));
}

#[test]
fn a_secret_of_one_character_is_warned_about_and_masked_only_alone() {
    let mut w = Workdir::new();
    w.set("PIN", "t");
    let rb = w.write(
        "short.md",
        "---\nvariables:\n  PIN: { secret: true }\n---\n# S\n\n## P {#p}\n\n### S {#s}\n\n```bash\necho \"relation $PIN\"\n```\n",
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("warning: the secret PIN is only 1 character long"),
        "{all}"
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("relation ***"), "{all}");
    assert!(!shown.contains("rela***ion"), "{all}");
}

fn read(journal: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn wait_journal(w: &Workdir) -> std::path::PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(j) = w.journals().pop() {
            return j;
        }
        assert!(Instant::now() < deadline, "no journal appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_record(journal: &Path, what: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !read(journal).iter().any(&what) {
        assert!(
            Instant::now() < deadline,
            "the record never came; the journal ends with {:?}",
            read(journal).iter().rev().take(3).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
