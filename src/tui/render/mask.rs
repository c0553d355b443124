//! The last thing drawn on a live screen: any secret the frame shows is
//! covered, wherever it came from (a command's output drawn in pieces, a
//! hint quoting what was typed, a note being written). The journal is
//! masked before anything is drawn; this catches what only the screen
//! composes. A replay has no secret values, so it relies on the journal.

use crate::secrets::{MASK, Secrets};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Covers every secret shown on a row of `area`. `wrapped(y)`: row `y`
/// goes on at the start of row `y + 1` (a long line of output), so the
/// two are searched as one.
pub fn rows(buf: &mut Buffer, area: Rect, secrets: &Secrets, wrapped: &dyn Fn(u16) -> bool) {
    if secrets.is_empty() || area.width == 0 {
        return;
    }
    let mut y = area.top();
    while y < area.bottom() {
        // A run of rows that read as one line.
        let mut cells: Vec<(u16, u16)> = Vec::new();
        let mut text = String::new();
        let mut starts: Vec<usize> = Vec::new();
        loop {
            for x in area.left()..area.right() {
                let Some(cell) = buf.cell((x, y)) else {
                    continue;
                };
                let symbol = cell.symbol();
                // The second half of a wide character has no text of its own.
                if symbol.is_empty() {
                    continue;
                }
                starts.push(text.len());
                cells.push((x, y));
                text.push_str(symbol);
            }
            let more = wrapped(y) && y + 1 < area.bottom();
            y += 1;
            if !more {
                break;
            }
        }
        for span in secrets.find(&text) {
            let from = starts.partition_point(|&s| s < span.start);
            let to = starts.partition_point(|&s| s < span.end);
            for (i, &(x, cy)) in cells[from..to].iter().enumerate() {
                if let Some(cell) = buf.cell_mut((x, cy)) {
                    let mark = if i < MASK.len() { "*" } else { " " };
                    cell.set_symbol(mark);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(buf: &Buffer) -> Vec<String> {
        let area = buf.area;
        (area.top()..area.bottom())
            .map(|y| {
                (area.left()..area.right())
                    .map(|x| buf.cell((x, y)).map_or(" ", |c| c.symbol()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_secret_on_a_row_or_across_a_wrap_is_covered() {
        let secrets = Secrets::new(["CANARY-abc123".to_string()]);
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 3));
        buf.set_string(0, 0, "CANARY-abc", ratatui::style::Style::default());
        buf.set_string(0, 1, "123 ok", ratatui::style::Style::default());
        buf.set_string(0, 2, "CANARY-abc", ratatui::style::Style::default());
        let area = buf.area;
        rows(&mut buf, area, &secrets, &|y| y == 0);
        assert_eq!(text(&buf), ["***       ", "    ok    ", "CANARY-abc"]);
    }

    #[test]
    fn without_secrets_nothing_changes() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
        buf.set_string(0, 0, "CANARY", ratatui::style::Style::default());
        let area = buf.area;
        rows(&mut buf, area, &Secrets::default(), &|_| true);
        assert_eq!(text(&buf), ["CANARY    "]);
    }
}
