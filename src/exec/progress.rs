//! The pieces of a long native step's progress line (a batched migration,
//! an S3 transfer): one look, so an operator reads them the same way.

/// A 20-cell bar; a fraction past 1 (the total was an estimate) stays full.
pub fn bar(fraction: f64) -> String {
    const CELLS: usize = 20;
    let full = ((fraction.clamp(0.0, 1.0) * CELLS as f64).round() as usize).min(CELLS);
    format!("[{}{}]", "#".repeat(full), ".".repeat(CELLS - full))
}

/// A time left, as short as it can be read at a glance: `59s`, `1m01s`,
/// `2h01m`.
pub fn eta(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
