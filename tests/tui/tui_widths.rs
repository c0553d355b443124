//! Every runbook shipped in assets/runbooks (the seeds and the demo), every
//! step of it selected, drawn at the sizes operators use: no row is wider
//! than the terminal would draw it, the borders stand where ratatui put
//! them, and a Step pane too short for its step says how much is below,
//! honestly (scrolling by that much shows the step's last words).

use crate::support::tui as support;

use ratatui::buffer::Buffer;
use runsheet::runbook::parse;
use runsheet::session::Session;
use runsheet::tui::app::Focus;
use runsheet::tui::{App, Outputs, Theme, render};
use std::path::Path;
use support::*;
use unicode_width::UnicodeWidthChar;

const SIZES: [(u16, u16); 4] = [(80, 24), (120, 40), (160, 45), (200, 50)];
const PLAIN: Theme = Theme { color: false };

fn runbooks() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/runbooks");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 5, "the seeds are in {}", dir.display());
    out
}

/// How wide a terminal draws a row, one code point at a time the way
/// wcwidth does (tmux 3.3 among others): a cell ratatui left blank behind
/// a wide grapheme is not drawn at all.
fn terminal_width(buf: &Buffer, y: u16) -> usize {
    let mut drawn = 0;
    let mut x = 0;
    while x < buf.area.width {
        let sym = buf[(x, y)].symbol();
        let w: usize = sym.chars().map(|c| c.width().unwrap_or(0)).sum();
        drawn += w;
        // ratatui skips the cells a wide symbol covers, by its own measure.
        let covers = unicode_width::UnicodeWidthStr::width(sym).max(1);
        x += u16::try_from(covers).unwrap();
    }
    drawn
}

fn is_border(s: &str) -> bool {
    matches!(
        s,
        "│" | "┃" | "┐" | "┘" | "┤" | "┬" | "┴" | "┼" | "├" | "┌" | "└" | "─"
    )
}

/// Rows of the body (under the two header rows, over the footer) in a wide
/// layout end with the Step/Output panes' right border.
fn check_frame(buf: &Buffer, what: &str) {
    let (w, h) = (buf.area.width, buf.area.height);
    for y in 0..h {
        let drawn = terminal_width(buf, y);
        assert_eq!(
            drawn,
            usize::from(w),
            "{what}: row {y} is drawn {drawn} columns wide on a {w}-column terminal:\n{}",
            text(buf)
        );
    }
    if w >= 100 {
        for y in 2..h - 1 {
            let last = buf[(w - 1, y)].symbol();
            assert!(
                is_border(last),
                "{what}: row {y} ends with {last:?}, not the border:\n{}",
                text(buf)
            );
        }
    }
}

/// The last word of a step's text, as it will be drawn (no Markdown marks).
fn last_word(body: &str) -> Option<String> {
    body.lines()
        .rev()
        // A fence's info string is not drawn as such.
        .filter(|l| !l.trim_start().starts_with("```") && !l.trim_start().starts_with("~~~"))
        .flat_map(|l| l.split_whitespace().rev())
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .find(|w| w.chars().count() >= 4)
        // A long word may wrap inside a table cell: its start is enough.
        .map(|w| w.chars().take(6).collect())
}

/// The Step pane's rows, borders included, as text.
fn step_pane(buf: &Buffer, s: &Session, app: &App) -> String {
    let regions = render::layout(buf.area, app.shows_output(s), render::tree_rows(s, app));
    let r = regions.step;
    text(buf)
        .lines()
        .skip(usize::from(r.y))
        .take(usize::from(r.height))
        .map(|l| {
            let cells: String = l.chars().collect();
            // Columns, not chars, would be exact; the tree is left of it.
            let skip = usize::from(r.x);
            let mut w = 0;
            cells
                .chars()
                .skip_while(|c| {
                    w += c.width().unwrap_or(0);
                    w <= skip
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn words(pane: &str) -> String {
    pane.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// "↓ N more line(s)" on screen: N.
fn more_below(screen: &str) -> Option<usize> {
    let at = screen.find("↓ ")?;
    let rest = &screen[at + "↓ ".len()..];
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    rest[n.len()..]
        .starts_with(" more line")
        .then(|| n.parse().ok())
        .flatten()
}

#[test]
fn every_seed_at_every_size_fits_and_says_when_there_is_more() {
    let mut cut = 0;
    for (name, text_md) in runbooks() {
        let parsed = parse("runbook.md", &text_md);
        let target = parsed.runbook.targets[0].name.clone();
        let s = session_of(&text_md, &target);
        let steps: Vec<(String, String)> = s
            .runbook()
            .steps()
            .map(|(_, st)| (st.id.clone(), st.body.clone()))
            .collect();
        for size in SIZES {
            for (id, body) in &steps {
                let what = format!("{name} at {}x{}, step {id}", size.0, size.1);
                let mut app = App::new(&s).with_journal_path(JOURNAL);
                let mut out = Outputs::new();
                app.select(id);
                app.focus = Focus::Step;
                let buf = frame(&s, &mut app, &mut out, size, T0 + 1_000, &PLAIN);
                check_frame(&buf, &what);
                let screen = step_pane(&buf, &s, &app);
                let Some(word) = last_word(body) else {
                    continue;
                };
                match more_below(&screen) {
                    None => assert!(
                        words(&screen).contains(&word),
                        "{what}: {word:?} (the step's end) is not on screen and nothing says there is more:\n{screen}"
                    ),
                    Some(n) => {
                        cut += 1;
                        app.step_scroll = u16::try_from(n).unwrap();
                        let buf = frame(&s, &mut app, &mut out, size, T0 + 1_000, &PLAIN);
                        check_frame(&buf, &what);
                        let screen = step_pane(&buf, &s, &app);
                        assert_eq!(
                            more_below(&screen),
                            None,
                            "{what}: scrolled by {n}:\n{screen}"
                        );
                        assert!(
                            words(&screen).contains(&word),
                            "{what}: scrolled by the {n} lines said to be below, {word:?} is still not shown:\n{screen}"
                        );
                        assert!(
                            screen.contains(&format!("↑ {n} above")),
                            "{what}:\n{screen}"
                        );
                    }
                }
            }
        }
    }
    // The seeds have steps longer than a pane: the marks were exercised.
    assert!(cut > 10, "only {cut} cut steps");
}

/// Emoji with presentation selectors and ZWJ sequences, CJK and combining
/// accents in a title, a phase, a step, prose, a table and a command.
const UNICODE: &str = r#"---
runsheet: 1
targets:
  staging: {}
---

# 🛠️ Déploiement 日本 ⚠️

## ⚠️ Phase 👨‍👩‍👧 one

### 🛠️ Prépare l'environnement de démonstration avec un titre très long 👍🏽 ✅

Texte avec é (e\u0301), 中文字符, ❤️ and 🇫🇷 flags.

| Étape ⚠️ | Qui | Durée estimée |
|---|:---:|---:|
| 🛠️ Sauvegarde | 👨‍💻 ops | 5 min |
| Restauration complète de la base | DBA de garde | 1 h |

```bash
echo "⚠️ 🛠️ 日本語 a very long command line that has to wrap around the pane edge --flag=value"
```
"#;

/// With a real combining accent (a raw string cannot spell it).
fn unicode() -> String {
    UNICODE.replace("e\\u0301", "e\u{301}")
}

#[test]
fn emoji_cjk_and_combining_text_keep_every_row_and_border_in_place() {
    let s = session_of(&unicode(), "staging");
    for size in SIZES {
        let mut app = App::new(&s).with_journal_path(JOURNAL);
        let mut out = Outputs::new();
        let buf = frame(&s, &mut app, &mut out, size, T0 + 1_000, &PLAIN);
        check_frame(&buf, &format!("{}x{}", size.0, size.1));
    }
}

#[test]
fn a_wrapped_command_keeps_its_gutter_on_every_row() {
    let s = session_of(&unicode(), "staging");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut out = Outputs::new();
    let screen = screen(&s, &mut app, &mut out, (120, 40), T0 + 1_000, &PLAIN);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("┃ ")).collect();
    assert!(rows.len() >= 2, "the command should wrap:\n{screen}");
    let joined: String = rows
        .iter()
        .map(|l| {
            l.split("┃ ")
                .nth(1)
                .unwrap_or_default()
                .trim_end_matches(['│', ' '])
        })
        .collect();
    assert!(
        joined.contains("around the pane edge --flag=value"),
        "{joined:?}\n{screen}"
    );
}

#[test]
fn a_table_lines_up_its_columns() {
    let s = session_of(&unicode(), "staging");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut out = Outputs::new();
    let buf = frame(&s, &mut app, &mut out, (200, 50), T0 + 1_000, &PLAIN);
    // The column of each separator, in terminal columns, per table row.
    let columns: Vec<Vec<usize>> = (0..buf.area.height)
        .filter_map(|y| {
            let mut cols = Vec::new();
            let mut drawn = 0;
            let mut x = 0;
            let mut seen_table = false;
            while x < buf.area.width {
                let sym = buf[(x, y)].symbol();
                if x > 60 && (sym == "│" || sym == "┼") && drawn < 190 {
                    cols.push(drawn);
                    seen_table = true;
                }
                drawn += sym.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
                x += u16::try_from(unicode_width::UnicodeWidthStr::width(sym).max(1)).unwrap();
            }
            (seen_table && cols.len() >= 2).then_some(cols)
        })
        .collect();
    assert!(columns.len() >= 4, "{}", text(&buf));
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "separators are not in one column: {columns:?}\n{}",
        text(&buf)
    );
}

#[test]
fn emoji_in_a_commands_output_keep_the_characters_beside_them() {
    use runsheet::session::Msg;
    let mut s = session_of(&unicode(), "staging");
    let mut app = App::new(&s).with_journal_path(JOURNAL);
    let mut out = Outputs::new();
    let step = s.runbook().steps().next().unwrap().1.id.clone();
    submit(
        &mut app,
        &mut s,
        T0 + 500,
        Msg::RunRequested { step: step.clone() },
    );
    submit(
        &mut app,
        &mut s,
        T0 + 600,
        output(&step, "⚠\u{FE0F}x 🛠\u{FE0F}y 👨\u{200D}💻z 👍🏽w done\n"),
    );
    for size in SIZES {
        let buf = frame(&s, &mut app, &mut out, size, T0 + 1_000, &PLAIN);
        check_frame(&buf, &format!("output at {}x{}", size.0, size.1));
        let screen = text(&buf);
        let row = screen
            .lines()
            .find(|l| l.contains("done"))
            .unwrap_or_else(|| panic!("no output row:\n{screen}"));
        for c in ["x", "y", "z", "w"] {
            assert!(row.contains(c), "{c:?} lost beside its emoji: {row}");
        }
    }
}

#[test]
fn the_tree_says_how_many_steps_are_above_and_below() {
    let (_, md) = runbooks()
        .into_iter()
        .find(|(n, _)| n.starts_with("000"))
        .unwrap();
    let parsed = parse("runbook.md", &md);
    let s = session_of(&md, &parsed.runbook.targets[0].name);
    let ids: Vec<String> = s.runbook().steps().map(|(_, st)| st.id.clone()).collect();
    for size in [(80, 24), (120, 40)] {
        let tree = |id: &str| {
            let mut app = App::new(&s).with_journal_path(JOURNAL);
            let mut out = Outputs::new();
            app.select(id);
            let buf = frame(&s, &mut app, &mut out, size, T0 + 1_000, &PLAIN);
            let r =
                render::layout(buf.area, app.shows_output(&s), render::tree_rows(&s, &app)).tree;
            let rows: Vec<String> = text(&buf)
                .lines()
                .skip(usize::from(r.y))
                .take(usize::from(r.height))
                .map(|l| l.chars().take(usize::from(r.width)).collect())
                .collect();
            rows.join("\n")
        };
        let first = tree(&ids[0]);
        assert!(more_below(&first).is_some(), "{size:?}:\n{first}");
        assert!(!first.contains("above"), "{size:?}:\n{first}");
        if size.0 >= 100 {
            // A narrow tree lists one phase: the last step may be alone in it.
            let last = tree(ids.last().unwrap());
            assert!(last.contains(" above"), "{size:?}:\n{last}");
        }
    }
}
