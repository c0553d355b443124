//! Render time per frame with 100,000 lines of output buffered, at 200x50:
//! `prepare` plus `draw` into a TestBackend (ratatui's diff included).
//! Run: cargo bench --bench render. Target: under 2 ms a frame.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use runsheet::runbook::parse;
use runsheet::session::{Msg, Session, SessionInfo, Stream};
use runsheet::tui::{self, App, Outputs, Theme};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LINES: usize = 100_000;
const FRAMES: usize = 500;
const T0: i64 = 1_700_000_000_000;

fn main() {
    let text = include_str!("../assets/runbooks/demo.md");
    let parsed = parse("demo.md", text);
    let info = SessionInfo {
        runbook_path: "demo.md".into(),
        runbook_hash: "bench".into(),
        runbook_text: text.into(),
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
    };
    let mut session = Session::new(Arc::new(parsed.runbook), info, T0);
    let step = "create-the-scratch-environment";
    for item in 0..3 {
        apply(
            &mut session,
            Msg::ChecklistTicked {
                step: "pre-flight-checklist".into(),
                item,
                checked: true,
            },
        );
    }
    apply(&mut session, Msg::RunRequested { step: step.into() });
    let mut app =
        App::new(&session).with_journal_path("/var/lib/runsheet/journals/demo--production.jsonl");
    let mut outputs = Outputs::new();
    let area = Rect::new(0, 0, 200, 50);
    let mut terminal = match Terminal::new(TestBackend::new(200, 50)) {
        Ok(t) => t,
        Err(e) => panic!("terminal: {e}"),
    };

    // Every line goes through an emulator: catch up after each chunk, as
    // the event loop does once per frame.
    let fed = Instant::now();
    for chunk in 0..LINES / 100 {
        let data: String = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                format!(
                    "\x1b[32m{n:>6}\x1b[0m migrating rows {n}000–{n}999 of table \"events\" … ok\n"
                )
            })
            .collect();
        apply(
            &mut session,
            Msg::Output {
                step: step.into(),
                action: 0,
                stream: Stream::Stdout,
                data,
            },
        );
        tui::prepare(&mut app, &mut outputs, &session, area);
    }
    let feed_time = fed.elapsed();

    let follow = frames(&mut terminal, &mut app, &mut outputs, &session, area);
    app.follow = false;
    app.scroll = 5_000;
    let scrolled = frames(&mut terminal, &mut app, &mut outputs, &session, area);
    app.search = Some(tui::Search {
        query: "events".into(),
        step: None,
        matches: Vec::new(),
        current: None,
        jump: Some(tui::Jump::Last),
    });
    let searching = frames(&mut terminal, &mut app, &mut outputs, &session, area);

    println!(
        "render: {LINES} lines buffered ({} rows of scrollback), 200x50",
        outputs.scrollback_len(step)
    );
    println!(
        "  feeding {LINES} lines through the emulator: {:.1} ms",
        feed_time.as_secs_f64() * 1e3
    );
    report("following the output", &follow);
    report("scrolled back 5,000 rows", &scrolled);
    report("with a search highlighted", &searching);
}

fn apply(session: &mut Session, msg: Msg) {
    if let Err(r) = session.update(T0 + 1_000, msg) {
        panic!("refused: {r}");
    }
}

fn frames(
    terminal: &mut Terminal<TestBackend>,
    app: &mut App,
    outputs: &mut Outputs,
    session: &Session,
    area: Rect,
) -> Vec<Duration> {
    let theme = Theme::new(true);
    // The first frame runs a pending search over the whole scrollback; it is
    // a key press's cost, not a frame's, and reported apart.
    let mut times = Vec::with_capacity(FRAMES);
    for i in 0..=FRAMES {
        let now = T0 + 2_000 + i as i64 * 33;
        let start = Instant::now();
        tui::prepare(app, outputs, session, area);
        if let Err(e) = terminal.draw(|f| tui::draw(f, session, app, outputs, now, &theme)) {
            panic!("draw: {e}");
        }
        times.push(start.elapsed());
    }
    times
}

fn report(what: &str, times: &[Duration]) {
    let first = times.first().copied().unwrap_or_default();
    let mut rest: Vec<Duration> = times.iter().skip(1).copied().collect();
    rest.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = rest.get(rest.len() / 2).copied().unwrap_or_default();
    let p99 = rest.get(rest.len() * 99 / 100).copied().unwrap_or_default();
    let mean = rest.iter().sum::<Duration>() / rest.len().max(1) as u32;
    let verdict = if median < Duration::from_millis(2) {
        "ok"
    } else {
        "OVER the 2 ms target"
    };
    println!(
        "  {what}: median {:.3} ms, mean {:.3} ms, p99 {:.3} ms per frame ({verdict}); first frame {:.3} ms",
        ms(median),
        ms(mean),
        ms(p99),
        ms(first)
    );
}
