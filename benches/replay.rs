//! Opening a journal of 1,000,000 records (about 500 MB, nearly all of it
//! output) for replay: reading and indexing it, checking its hash chain,
//! and drawing the first frame; then seeks across it. Output stays on disk
//! (the index keeps offsets; a step's tail is read when shown), so memory
//! is bounded whatever the journal's size.
//!
//! The measurement runs in a child process, so its peak RSS is the
//! replay's alone, not the journal writer's. The journal was just written,
//! so it is read from the page cache: this is the CPU side of opening.
//! Run: cargo bench --bench replay. Target: under 2 s to the first frame.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use runsheet::journal::record::{GENESIS_PREV, encode_fields, line_hash};
use runsheet::replay::{Controls, Mark, Player, screen};
use runsheet::session::{ActionOutcome, Msg, SessionInfo, Stream};
use runsheet::tui::Theme;

const RECORDS: usize = 1_000_000;
const STEPS: usize = 10;
const T0: i64 = 1_700_000_000_000;
const CHILD: &str = "RUNSHEET_REPLAY_BENCH_JOURNAL";

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        measure(Path::new(&path));
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    // RUNSHEET_REPLAY_BENCH_KEEP=DIR keeps the journal there, to profile
    // the measurement alone (`RUNSHEET_REPLAY_BENCH_JOURNAL=FILE`).
    let keep = std::env::var_os("RUNSHEET_REPLAY_BENCH_KEEP").map(std::path::PathBuf::from);
    let path = keep
        .unwrap_or_else(|| dir.path().to_path_buf())
        .join("big--production.jsonl");
    let _ = std::fs::remove_file(&path);
    let t = Instant::now();
    let bytes = write_journal(&path);
    println!(
        "journal: {RECORDS} records, {:.0} MB, written in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current exe: {e}"));
    let status = Command::new(exe)
        .env(CHILD, &path)
        .status()
        .unwrap_or_else(|e| panic!("run the measurement: {e}"));
    assert!(status.success(), "the measurement failed");
}

fn runbook() -> String {
    let mut text = String::from(
        "---\ntargets:\n  production: { protected: true }\n---\n# Bench migration\n\n## Migrate {#migrate}\n\n",
    );
    for i in 1..=STEPS {
        text.push_str(&format!(
            "### Migrate table {i} {{#step-{i:02} estimate=10m}}\n\n```bash\n./migrate --table {i}\n```\n\n"
        ));
    }
    text
}

/// SessionStarted, then per step: run, start, ~100,000 chunks of output
/// (about 300 bytes each, with colour), finish; a note every 50,000 records.
fn write_journal(path: &Path) -> u64 {
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("create: {e}"));
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut prev = GENESIS_PREV.to_string();
    let mut seq = 0u64;
    let mut bytes = 0u64;
    let mut at = T0;
    let mut write = |msg: Msg, at: i64| {
        let fields = msg
            .into_journal_fields()
            .unwrap_or_else(|e| panic!("fields: {e}"));
        let ts = jiff::Timestamp::from_millisecond(at).unwrap_or_else(|e| panic!("ts: {e}"));
        let line = encode_fields(seq, ts, &prev, &fields);
        prev = line_hash(line.as_bytes());
        seq += 1;
        bytes += line.len() as u64 + 1;
        out.write_all(line.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .unwrap_or_else(|e| panic!("write: {e}"));
    };
    let text = runbook();
    write(
        Msg::SessionStarted(SessionInfo {
            runbook_path: "bench.md".into(),
            runbook_hash: "bench".into(),
            runbook_text: text,
            target: "production".into(),
            operator: "bench".into(),
            host: "bench".into(),
            tool_version: "0".into(),
            drill: false,
            sandbox: false,
            workdir: None,
            targets: Vec::new(),
            variables: vec![],
            values: Default::default(),
        }),
        at,
    );
    let per_step = (RECORDS - 1) / STEPS - 3;
    let mut written = 1;
    for i in 1..=STEPS {
        let step = format!("step-{i:02}");
        at += 1_000;
        write(Msg::RunRequested { step: step.clone() }, at);
        write(
            Msg::ActionStarted {
                step: step.clone(),
                action: 0,
                pid: Some(4242),
            },
            at + 5,
        );
        written += 2;
        let left = RECORDS - written - (STEPS - i) * (per_step + 3) - 1;
        let chunks = if i == STEPS { left } else { per_step };
        for n in 0..chunks {
            at += 7;
            let data = format!(
                "\x1b[32m{n:>8}\x1b[0m rows {n}000–{n}999 of \"events\" copied, checksums match, \
                 lag 0.{:03}s\n\x1b[2m  batch {n}: 1000 rows in {} ms, {} rows/s, eta {}s\x1b[0m\n\
                 {}\n",
                n % 1000,
                n % 97 + 3,
                1000 * 1000 / (n % 97 + 3),
                (chunks - n) / 100,
                "·".repeat(40),
            );
            if n % 50_000 == 49_999 {
                write(
                    Msg::Note {
                        step: Some(step.clone()),
                        text: format!("halfway through table {i}"),
                    },
                    at,
                );
            } else {
                write(
                    Msg::Output {
                        step: step.clone(),
                        action: 0,
                        stream: Stream::Stdout,
                        data,
                    },
                    at,
                );
            }
        }
        written += chunks;
        at += 100;
        write(
            Msg::ActionFinished {
                step,
                action: 0,
                outcome: ActionOutcome {
                    exit_code: Some(0),
                    duration_ms: 700_000,
                    ..ActionOutcome::default()
                },
            },
            at,
        );
        written += 1;
    }
    out.flush().unwrap_or_else(|e| panic!("flush: {e}"));
    bytes
}

fn frame(controls: &mut Controls, terminal: &mut Terminal<TestBackend>, theme: &Theme) {
    screen::prepare(controls, Rect::new(0, 0, 200, 50));
    terminal
        .draw(|f| screen::draw(f, controls, theme, 0))
        .unwrap_or_else(|e| panic!("draw: {e}"));
}

/// Wall time, and CPU time (user + system): on a busy machine the wall
/// time also counts waiting for a core.
fn timed<T>(what: &str, target: Option<Duration>, f: impl FnOnce() -> T) -> T {
    let cpu = cpu_ms();
    let t = Instant::now();
    let out = f();
    let took = t.elapsed().as_secs_f64() * 1e3;
    let cpu = cpu_ms() - cpu;
    match target {
        Some(target) => println!(
            "{what:<44} {took:>8.1} ms  ({cpu:.0} ms CPU; target {} ms)",
            target.as_millis()
        ),
        None => println!("{what:<44} {took:>8.1} ms  ({cpu:.0} ms CPU)"),
    }
    out
}

fn cpu_ms() -> f64 {
    let tv = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 * 1e3 + t.tv_usec() as f64 / 1e3;
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| tv(u.user_time()) + tv(u.system_time()))
        .unwrap_or(0.0)
}

fn measure(path: &Path) {
    let theme = Theme::new(true);
    let mut terminal =
        Terminal::new(TestBackend::new(200, 50)).unwrap_or_else(|e| panic!("terminal: {e}"));
    let mut controls = timed(
        "open: index + verify + first frame",
        Some(Duration::from_secs(2)),
        || {
            let player = Player::open(path).unwrap_or_else(|e| panic!("open: {e}"));
            let mut controls = Controls::new(player);
            frame(&mut controls, &mut terminal, &theme);
            controls
        },
    );
    rss("peak RSS after opening");
    let len = controls.player.index().len();
    assert_eq!(len, RECORDS, "every record is replayable");
    assert!(controls.player.index().stop().is_none());
    timed("seek to the end + frame", None, || {
        controls
            .player
            .seek(len)
            .unwrap_or_else(|e| panic!("seek: {e}"));
        frame(&mut controls, &mut terminal, &theme);
    });
    timed("seek back to the middle + frame", None, || {
        controls
            .player
            .seek(len / 2)
            .unwrap_or_else(|e| panic!("seek: {e}"));
        frame(&mut controls, &mut terminal, &theme);
    });
    timed("next step boundary + frame", None, || {
        controls
            .player
            .jump(Mark::Boundary, false)
            .unwrap_or_else(|e| panic!("jump: {e}"));
        frame(&mut controls, &mut terminal, &theme);
    });
    rss("peak RSS after the seeks");
    // Playing at 100x: each frame applies ~33 ms × 100 of records.
    controls
        .player
        .seek(len / 3)
        .unwrap_or_else(|e| panic!("seek: {e}"));
    controls.player.set_speed(100);
    controls.player.set_playing(true);
    let frames = 300;
    let before = controls.player.pos();
    let t = Instant::now();
    let mut wall = 0;
    for _ in 0..frames {
        wall += 33;
        controls.tick(wall);
        frame(&mut controls, &mut terminal, &theme);
    }
    let per = t.elapsed() / frames;
    println!(
        "{:<44} {:>8.2} ms  ({} records a frame, frame budget 33 ms)",
        "play at 100x: tick + frame",
        per.as_secs_f64() * 1e3,
        (controls.player.pos() - before) / frames as usize
    );
    rss("peak RSS after playing (emulator scrollback full)");
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("journal: {:.0} MB", size as f64 / 1e6);
}

fn rss(what: &str) {
    let mb = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|u| u.max_rss().max(0) as f64 / 1024.0)
        .unwrap_or(0.0);
    println!("{what:<44} {mb:>8.1} MB");
}
