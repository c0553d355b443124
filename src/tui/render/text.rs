//! Width-aware cutting and small formatting shared by the regions. Widths are
//! terminal columns, measured the way ratatui measures what it draws: one
//! grapheme at a time (`Buffer::set_stringn` gives each grapheme its
//! unicode-width), not bytes or chars. Summing chars gets `⚠️` (⚠ + U+FE0F)
//! as 1 column where ratatui draws 2, and a ZWJ family as 8 where it draws 2.
//!
//! Terminals disagree with ratatui, and with each other, on exactly those
//! graphemes (tmux 3.3 draws `⚠️` in 1 column, `👍🏽` in 4), and one
//! disagreement shifts the rest of the row and its border. [`portable`]
//! rewrites drawn text into graphemes every terminal measures alike.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::borrow::Cow;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Columns `s` takes once drawn.
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(grapheme_width).sum()
}

/// The columns ratatui gives one grapheme (`CellWidth for str`): control
/// characters are dropped, halfwidth sound marks count one column each.
fn grapheme_width(g: &str) -> usize {
    if g.contains(char::is_control) {
        return 0;
    }
    if g.len() == 1 {
        return 1;
    }
    g.width()
        + g.chars()
            .filter(|c| matches!(c, '\u{FF9E}' | '\u{FF9F}'))
            .count()
}

const ZWJ: char = '\u{200D}';

/// Presentation selectors, skin tones and tag characters: what makes a
/// terminal guess a width. Without them the base character keeps the width
/// every terminal gives it (`⚠` 1, `👍` 2).
fn is_presentation(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}')
}

fn needs_portable(c: char) -> bool {
    c == ZWJ || is_presentation(c)
}

/// `s` as graphemes every terminal draws as wide as ratatui counts them:
/// presentation selectors and skin tones dropped, ZWJ sequences drawn as
/// their parts side by side (nothing of the text is lost, only the glyph
/// that joins them). Letters with combining accents, CJK and flags are kept.
pub fn portable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_portable) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|&c| !needs_portable(c)).collect())
}

/// The same rule over what was already laid out in `area`: a cell whose
/// grapheme a terminal could measure differently keeps its first part (or
/// its base character), and the columns it no longer covers become spaces,
/// so every later cell stays where ratatui put it. Text drawn through
/// [`portable`] never gets here; this catches the rest (command output,
/// values typed by the operator).
pub fn portable_cells(buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell((x, y)) else {
                continue;
            };
            let symbol = cell.symbol();
            if !symbol.chars().any(needs_portable) {
                continue;
            }
            let before = grapheme_width(symbol);
            let head = symbol.split(ZWJ).next().unwrap_or_default();
            let mut kept: String = head.chars().filter(|&c| !is_presentation(c)).collect();
            let mut after = grapheme_width(&kept);
            if kept.is_empty() || after > before {
                kept = " ".into();
                after = 1;
            }
            let style = cell.style();
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_symbol(&kept);
            }
            // Text drawn by ratatui left the covered columns blank: they take
            // the grapheme's style (a highlighted row stays whole). A widget
            // drawing cell by cell (the output's emulator) gave the grapheme
            // one column and put the next character beside it: that stays.
            for dx in after..before.max(after) {
                let Some(cx) = x.checked_add(u16::try_from(dx).unwrap_or(u16::MAX)) else {
                    break;
                };
                if cx >= area.right() {
                    break;
                }
                if let Some(cell) = buf.cell_mut((cx, y))
                    && cell.symbol() == " "
                {
                    cell.set_style(style);
                }
            }
        }
    }
}

/// Cuts `s` to `max` columns, ending with `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = grapheme_width(g);
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// Cuts from the left, keeping the end: for paths, whose file name matters most.
pub fn truncate_left(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut used = 0;
    for g in s.graphemes(true).rev() {
        let w = grapheme_width(g);
        if used + w > max - 1 {
            break;
        }
        kept.push(g);
        used += w;
    }
    let mut out = String::from("…");
    out.extend(kept.into_iter().rev());
    out
}

/// Pads with spaces to exactly `w` columns (cutting if longer).
pub fn pad(s: &str, w: usize) -> String {
    let mut out = truncate(s, w);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// A measured time: `runbook::duration::format_span`.
pub fn millis(ms: i64) -> String {
    crate::runbook::duration::format_span_ms(ms)
}

/// A running clock, `m:ss` or `h:mm:ss`: `runbook::duration::format_clock`.
pub fn clock(ms: i64) -> String {
    crate::runbook::duration::format_clock(ms)
}

/// A box of at most `w`×`h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Word-wraps plain text to `max` columns (for sizing modals before drawing).
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate) <= max || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            }
            while width(&line) > max {
                let head = truncate_exact(&line, max);
                line = line[head.len()..].to_string();
                lines.push(head);
            }
        }
        lines.push(line);
    }
    lines
}

/// The longest prefix of `s` at most `max` columns wide.
pub fn truncate_exact(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = grapheme_width(g);
        if used + w > max {
            break;
        }
        out.push_str(g);
        used += w;
    }
    if out.is_empty() {
        // A character wider than the box: take it anyway so wrapping ends.
        out.extend(s.graphemes(true).next());
    }
    out
}
