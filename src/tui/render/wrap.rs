//! Styled lines cut into rows that fit a pane, done here rather than by
//! `Paragraph::wrap` so a pane knows exactly how many rows its content
//! takes (to say how much is below the fold) and so a code block's gutter
//! starts every row of a long command, not just the first.

use super::text::width;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;

/// How a line may be broken.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Break {
    /// Between words; the space at a break is not drawn (prose).
    Words,
    /// Anywhere, every character kept (code: what is run is what is shown).
    Anywhere,
}

/// `line` as rows at most `max` columns wide; every row after the first
/// starts with `cont` (a gutter or a hanging indent).
pub fn wrap(
    line: &Line<'static>,
    max: usize,
    cont: &[Span<'static>],
    how: Break,
) -> Vec<Line<'static>> {
    let total: usize = line.spans.iter().map(|s| width(&s.content)).sum();
    if max == 0 || total <= max {
        return vec![line.clone()];
    }
    let cont_w: usize = cont.iter().map(|s| width(&s.content)).sum();
    // A prefix that leaves no room would never end.
    let cont: &[Span<'static>] = if cont_w + 1 > max { &[] } else { cont };
    let cont_w = if cont.is_empty() { 0 } else { cont_w };

    let cells: Vec<(&str, Style, usize)> = line
        .spans
        .iter()
        .flat_map(|s| {
            s.content
                .graphemes(true)
                .map(move |g| (g, s.style, width(g)))
        })
        .collect();
    let tokens = tokens(&cells, how);

    let mut rows: Vec<Vec<(&str, Style)>> = vec![Vec::new()];
    let mut used = 0;
    for token in tokens {
        let w: usize = token.iter().map(|c| c.2).sum();
        let is_space = how == Break::Words && token.iter().all(|c| c.0 == " ");
        let room = max - used;
        if w <= room {
            if let Some(r) = rows.last_mut() {
                r.extend(token.iter().map(|c| (c.0, c.1)));
            }
            used += w;
            continue;
        }
        if is_space {
            // The break falls here: the space goes with it.
            rows.push(Vec::new());
            used = cont_w;
            continue;
        }
        let fresh = max - cont_w;
        if how == Break::Words && w <= fresh && used > cont_w {
            rows.push(Vec::new());
            used = cont_w;
        }
        for &(g, style, gw) in token {
            if used + gw > max && used > cont_w {
                rows.push(Vec::new());
                used = cont_w;
            }
            if let Some(r) = rows.last_mut() {
                r.push((g, style));
            }
            used += gw;
        }
    }
    let last = rows.len() - 1;
    rows.into_iter()
        .enumerate()
        .map(|(i, mut cells)| {
            if how == Break::Words && i < last {
                // The blank before a break is not drawn either.
                while cells.last().is_some_and(|c| c.0 == " ") {
                    cells.pop();
                }
            }
            let mut spans: Vec<Span<'static>> = if i == 0 { Vec::new() } else { cont.to_vec() };
            spans.extend(merge(&cells));
            Line::from(spans).style(line.style)
        })
        .collect()
}

/// Words and the runs of spaces between them (Words), or single graphemes.
fn tokens<'a, 'c>(
    cells: &'c [(&'a str, Style, usize)],
    how: Break,
) -> Vec<&'c [(&'a str, Style, usize)]> {
    if how == Break::Anywhere {
        return cells.chunks(1).collect();
    }
    let mut out = Vec::new();
    let mut from = 0;
    for i in 1..=cells.len() {
        let boundary = i == cells.len() || (cells[i].0 == " ") != (cells[i - 1].0 == " ");
        if boundary {
            out.push(&cells[from..i]);
            from = i;
        }
    }
    out
}

/// Neighbouring graphemes of one style back into one span.
fn merge(cells: &[(&str, Style)]) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = None;
    for &(g, s) in cells {
        if style.is_some_and(|st| st != s) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                style.unwrap_or_default(),
            ));
        }
        style = Some(s);
        text.push_str(g);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style.unwrap_or_default()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[Line]) -> Vec<String> {
        rows.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn prose_breaks_between_words_and_fits() {
        let line = Line::from("Deploying the release to every node");
        let rows = wrap(&line, 12, &[], Break::Words);
        assert_eq!(
            texts(&rows),
            ["Deploying", "the release", "to every", "node"]
        );
        assert!(rows.iter().all(|r| r.width() <= 12));
    }

    #[test]
    fn code_keeps_every_character_and_its_gutter() {
        let line = Line::from(vec![
            Span::raw("┃ "),
            Span::raw("docker exec app db:migrate"),
        ]);
        let rows = wrap(&line, 12, &[Span::raw("┃ ")], Break::Anywhere);
        assert_eq!(texts(&rows), ["┃ docker exe", "┃ c app db:m", "┃ igrate"]);
    }

    #[test]
    fn wide_graphemes_are_never_split_over_the_edge() {
        let line = Line::from("日本語のテキスト ⚠\u{FE0F} 👨\u{200D}💻 done");
        for max in 3..20 {
            for row in wrap(&line, max, &[], Break::Words) {
                assert!(width(&row.to_string()) <= max, "{max}: {row}");
            }
        }
    }
}
