//! The pieces of a long native step's progress line (a batched migration,
//! an S3 transfer): one look, so an operator reads them the same way.

/// A 20-cell bar; a fraction past 1 (the total was an estimate) stays full.
pub fn bar(fraction: f64) -> String {
    const CELLS: usize = 20;
    let full = ((fraction.clamp(0.0, 1.0) * CELLS as f64).round() as usize).min(CELLS);
    format!("[{}{}]", "#".repeat(full), ".".repeat(CELLS - full))
}

/// A time left, as short as it can be read at a glance: `59s`, `1m01s`,
/// `2h01m` (`runbook::duration::format_span`).
pub fn eta(secs: f64) -> String {
    let left =
        std::time::Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(std::time::Duration::MAX);
    crate::runbook::duration::format_span(left)
}

/// A line rewritten in place with `\r`: a shorter line is padded over the
/// longer one before it, which a terminal would otherwise leave showing
/// (`rows/sows/s`).
#[derive(Default)]
pub struct Redraw {
    width: usize,
}

impl Redraw {
    /// `text` as the next version of the line; `last` ends it.
    pub fn line(&mut self, text: &str, last: bool) -> String {
        let width = text.chars().count();
        let pad = self.width.saturating_sub(width);
        self.width = if last { 0 } else { width };
        format!(
            "\r{text}{}{}",
            " ".repeat(pad),
            if last { "\n" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shorter_line_covers_the_longer_one() {
        let mut r = Redraw::default();
        assert_eq!(r.line("12345 rows/s", false), "\r12345 rows/s");
        assert_eq!(r.line("9 rows/s", false), "\r9 rows/s    ");
        assert_eq!(r.line("done", true), "\rdone    \n");
        assert_eq!(r.line("next", false), "\rnext");
    }

    #[test]
    fn the_bar_fills_and_stops_at_full() {
        assert_eq!(bar(0.0), format!("[{}]", ".".repeat(20)));
        assert_eq!(bar(0.5), format!("[{}{}]", "#".repeat(10), ".".repeat(10)));
        assert_eq!(bar(1.7), format!("[{}]", "#".repeat(20)));
    }

    #[test]
    fn time_left_is_short() {
        assert_eq!(eta(59.4), "59s");
        assert_eq!(eta(61.0), "1m01s");
        assert_eq!(eta(7300.0), "2h01m");
    }
}
