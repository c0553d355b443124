//! Replay time: speeds, skipping idle stretches, and times typed as
//! `mm:ss` or `hh:mm:ss` since the session started.

use crate::session::Millis;

pub const SPEEDS: [u32; 7] = [1, 2, 5, 10, 20, 50, 100];

/// The speed at or just below `wanted` (1x for anything below).
pub fn speed_index(wanted: u32) -> usize {
    SPEEDS.iter().rposition(|s| *s <= wanted).unwrap_or(0)
}

/// With idle skipping, a wait that would take longer than this (real
/// time, at the current speed) takes exactly this long.
pub const IDLE_REAL_MS: f64 = 1_000.0;

/// With idle skipping, the pace (replay ms per real ms) that makes a wait
/// of `gap_ms` for the next record take [`IDLE_REAL_MS`], if at `speed` it
/// would take longer. Fixed when the wait starts, so it ends on time.
pub fn idle_pace(speed: u32, gap_ms: Millis) -> Option<f64> {
    let gap = gap_ms as f64;
    (gap > f64::from(speed) * IDLE_REAL_MS).then(|| gap / IDLE_REAL_MS)
}

/// `ss`, `mm:ss` or `hh:mm:ss` (each part any number of digits) as
/// milliseconds.
pub fn parse_offset(text: &str) -> Option<Millis> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut total: i64 = 0;
    for p in &parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(p.parse::<i64>().ok()?)?;
    }
    total.checked_mul(1000)
}

/// A time since the start as `m:ss` or `h:mm:ss`.
pub fn format_offset(ms: Millis) -> String {
    crate::runbook::duration::format_clock(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("12:34"), Some(754_000));
        assert_eq!(parse_offset("1:02:03"), Some(3_723_000));
        assert_eq!(parse_offset(" 90 "), Some(90_000));
        assert_eq!(parse_offset("1::2"), None);
        assert_eq!(parse_offset("a:10"), None);
        assert_eq!(parse_offset("1:2:3:4"), None);
        assert_eq!(format_offset(3_723_000), "1:02:03");
    }

    #[test]
    fn a_twenty_minute_wait_takes_a_second_when_idle_is_skipped() {
        let gap = 20 * 60 * 1000;
        assert_eq!(
            idle_pace(1, gap).map(|p| p * IDLE_REAL_MS),
            Some(gap as f64)
        );
        // Short waits keep their real pace.
        assert_eq!(idle_pace(5, 3_000), None);
    }

    #[test]
    fn speeds_snap_down() {
        assert_eq!(SPEEDS[speed_index(30)], 20);
        assert_eq!(SPEEDS[speed_index(0)], 1);
        assert_eq!(SPEEDS[speed_index(1000)], 100);
    }
}
