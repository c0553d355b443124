//! Durations as runbooks write them: strict in attributes (`timeout=1h30m`),
//! lenient in prose (`Estimation du temps : ~ 3 heures 30 minutes`); and
//! every way runsheet prints a length of time, so that the console, the
//! full-screen UI, the replay, the report and the step kinds agree. There
//! are three forms, each for one job:
//!
//! | form                | for                                   | examples                          |
//! | ------------------- | ------------------------------------- | --------------------------------- |
//! | [`format_duration`] | a setting, as an attribute writes it  | `250ms` `45s` `10m` `1h30m`       |
//! | [`format_span`]     | a measured time: took, elapsed, ETA   | `850ms` `2s` `4.2s` `45s` `3m05s` `1h02m` `2d03h` |
//! | [`format_clock`]    | a running clock, an offset in replay  | `0:07` `3:05` `1:02:03`           |
//!
//! Wall-clock times (`14:03:12`, `2026-11-21 14:03:12 UTC`) are
//! timestamps, not lengths: the report prints them with jiff.

use serde::{Serialize, Serializer};
use std::fmt;
use std::time::Duration;

pub const DURATION_HELP: &str = "expected a duration like 90s, 10m, 1h30m";

/// A planned duration; a range when the author wrote one ("2–4 heures").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub low: Duration,
    pub high: Duration,
}

impl Estimate {
    pub fn exact(d: Duration) -> Self {
        Estimate { low: d, high: d }
    }

    pub const ZERO: Estimate = Estimate {
        low: Duration::ZERO,
        high: Duration::ZERO,
    };
}

impl std::ops::Add for Estimate {
    type Output = Estimate;
    fn add(self, other: Estimate) -> Estimate {
        Estimate {
            low: self.low + other.low,
            high: self.high + other.high,
        }
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", format_duration(self.low))
        } else {
            write!(
                f,
                "{}–{}",
                format_duration(self.low),
                format_duration(self.high)
            )
        }
    }
}

impl Serialize for Estimate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Estimate", 3)?;
        st.serialize_field("low_secs", &self.low.as_secs())?;
        st.serialize_field("high_secs", &self.high.as_secs())?;
        st.serialize_field("text", &self.to_string())?;
        st.end()
    }
}

/// A setting as an attribute writes it (`timeout=1h30m`, `retry=250ms`):
/// `250ms`, `45s`, `10m`, `1h30m`, `1h5s`, `0s`. [`parse_duration`] reads
/// every output back to the same duration (to the millisecond below a
/// second, to the whole second above: a fraction is dropped), so what the
/// screen says can be pasted into a runbook.
pub fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) && !d.is_zero() {
        return format!("{}ms", d.as_millis());
    }
    let total = d.as_secs();
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// A measured length of time (a step took, elapsed, median of the
/// rehearsals, time left), as short as it can be read at a glance:
/// `0ms`, `850ms` below a second; `4.2s` below ten seconds (tenths
/// matter there, and are left out when zero: `2s`, not `2.0s`, so a
/// column of step times stays narrow); `45s` below a minute; `3m05s` below an hour; `1h02m`
/// below a day; `2d03h` beyond. Always truncated, never rounded up: it
/// never shows more time than has passed, and `59.9s` is still `59s`.
pub fn format_span(d: Duration) -> String {
    let ms = d.as_millis();
    let s = d.as_secs();
    match s {
        0 => format!("{ms}ms"),
        1..10 => match d.subsec_millis() / 100 {
            0 => format!("{s}s"),
            tenths => format!("{s}.{tenths}s"),
        },
        10..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// [`format_span`] of a number of milliseconds (as the journal keeps
/// them); a negative one, from a clock that went back, is `0ms`.
pub fn format_span_ms(ms: i64) -> String {
    format_span(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

/// A running clock or an offset from a session's start: `m:ss` below an
/// hour, `h:mm:ss` above (`0:07`, `3:05`, `1:02:03`, `26:00:00`), which
/// the replay's `--from`/seek also reads back. Negative is `0:00`.
pub fn format_clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Strict form for attributes: one or more `<number><h|m|s>` groups, largest
/// unit first (`90s`, `10m`, `1h30m`, `2h`), or milliseconds alone
/// (`250ms`: a retry interval against a local endpoint).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(ms) = text.strip_suffix("ms") {
        return (!ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()))
            .then(|| ms.parse().ok().map(Duration::from_millis))
            .flatten();
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut last_rank = 4;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (rank, secs) = match c {
            'h' => (3, 3600),
            'm' => (2, 60),
            's' => (1, 1),
            _ => return None,
        };
        if digits.is_empty() || rank >= last_rank {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(secs)?)?;
        digits.clear();
        last_rank = rank;
    }
    if !digits.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// Strict estimate for attributes: a duration or a range `20m-40m`.
pub fn parse_estimate(text: &str) -> Option<Estimate> {
    match text.split_once(['-', '–']) {
        Some((lo, hi)) => {
            let (low, high) = (parse_duration(lo)?, parse_duration(hi)?);
            (low <= high).then_some(Estimate { low, high })
        }
        None => parse_duration(text).map(Estimate::exact),
    }
}

/// Lenient form for prose: finds the first duration in a sentence, in English
/// or French: "~ 5 minutes", "2–4 heures par client", "3 heures 30 minutes",
/// "1h30", "d'environ 1 heure", "20 min".
pub fn parse_prose_estimate(text: &str) -> Option<Estimate> {
    let tokens = tokenize(text);
    for i in 0..tokens.len() {
        let Some((low, next)) = read_amount(&tokens, i) else {
            continue;
        };
        // A range: "2–4 heures", "2 à 4 heures", "20 to 40 minutes".
        let high = tokens
            .get(next)
            .filter(|t| is_range_joiner(t))
            .and_then(|_| read_amount(&tokens, next + 1))
            .map(|(h, _)| h)
            .filter(|h| h.unit_secs != 0);
        match (low.unit_secs, high) {
            (0, None) => continue,
            (0, Some(high)) => {
                return Some(Estimate {
                    low: secs_f(low.value * high.unit_secs as f64),
                    high: high.total,
                });
            }
            (_, Some(high)) => {
                return Some(Estimate {
                    low: low.total,
                    high: high.total,
                });
            }
            (_, None) => return Some(Estimate::exact(low.total)),
        }
    }
    None
}

/// Text that is nothing but an estimate, as a heading's last words write
/// it: "15 minutes", "~10 min", "1h30", "5m", "env. 30 min", "15 à 30 min",
/// "est. 2h". Every word must be a unit or one of [`ESTIMATE_FILLER`], so
/// "(5 min read)", "(every 90 days)" or "(v2)" are not estimates; days are
/// not read here (a heading's "(7 days)" is a retention, not a step's time).
pub fn parse_label_estimate(text: &str) -> Option<Estimate> {
    let tokens = tokenize(text);
    let only_estimate = tokens.iter().all(|t| match t {
        Tok::Num(_) | Tok::Dash => true,
        Tok::Word(w) => {
            unit_secs(w).is_some_and(|u| u < 86_400)
                || ESTIMATE_FILLER.contains(&w.as_str())
                || is_range_joiner(t)
        }
    });
    if !only_estimate {
        return None;
    }
    parse_prose_estimate(text)
}

/// Words that may stand around a duration without making it something
/// else: "about", "env.", "est.", "max", "durée", French and English.
pub const ESTIMATE_FILLER: &[&str] = &[
    "about",
    "around",
    "approx",
    "approximately",
    "roughly",
    "ca",
    "circa",
    "env",
    "environ",
    "est",
    "estimated",
    "estimate",
    "estimation",
    "estimé",
    "estimée",
    "estime",
    "estimee",
    "eta",
    "max",
    "maximum",
    "up",
    "jusqu",
    "durée",
    "duree",
    "duration",
    "temps",
    "time",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Word(String),
    Dash,
}

fn is_range_joiner(t: &Tok) -> bool {
    match t {
        Tok::Dash => true,
        Tok::Word(w) => matches!(w.as_str(), "à" | "a" | "to"),
        Tok::Num(_) => false,
    }
}

fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || ((d == '.' || d == ',') && !n.contains('.')) {
                    n.push(if d == ',' { '.' } else { d });
                    chars.next();
                } else {
                    break;
                }
            }
            let n = n.trim_end_matches('.');
            if let Ok(v) = n.parse() {
                out.push(Tok::Num(v));
            }
        } else if c.is_alphabetic() {
            let mut w = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_alphabetic() {
                    w.extend(d.to_lowercase());
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Word(w));
        } else {
            if matches!(c, '-' | '–' | '—') {
                out.push(Tok::Dash);
            }
            chars.next();
        }
    }
    out
}

fn unit_secs(word: &str) -> Option<u64> {
    Some(match word {
        "h" | "hr" | "hrs" | "hour" | "hours" | "heure" | "heures" => 3600,
        "m" | "mn" | "min" | "mins" | "minute" | "minutes" => 60,
        "s" | "sec" | "secs" | "second" | "seconds" | "seconde" | "secondes" => 1,
        // A whole word only: a bare `d` is French's "d'environ".
        "day" | "days" | "jour" | "jours" => 86_400,
        _ => return None,
    })
}

struct Amount {
    total: Duration,
    /// The first number's value, when it stood alone (the "2" of "2–4 heures").
    value: f64,
    unit_secs: u64,
}

fn secs_f(secs: f64) -> Duration {
    Duration::from_secs(secs.max(0.0).round() as u64)
}

/// Reads `3 heures 30 minutes`, `1h30`, `20m` starting at a number token.
fn read_amount(tokens: &[Tok], start: usize) -> Option<(Amount, usize)> {
    let Tok::Num(first) = tokens.get(start)? else {
        return None;
    };
    let mut i = start + 1;
    let Some(unit) = (match tokens.get(i) {
        Some(Tok::Word(w)) => unit_secs(w),
        _ => None,
    }) else {
        // A bare number, possibly the low end of a range.
        return Some((
            Amount {
                total: Duration::ZERO,
                value: *first,
                unit_secs: 0,
            },
            i,
        ));
    };
    i += 1;
    let mut total = *first * unit as f64;
    let mut last_unit = unit;
    // Chained smaller units: "3 heures 30 minutes", "1h30" (bare minutes after hours).
    while let Some(Tok::Num(n)) = tokens.get(i) {
        match tokens.get(i + 1) {
            Some(Tok::Word(w)) if unit_secs(w).is_some_and(|u| u < last_unit) => {
                let u = unit_secs(w).unwrap_or(1);
                total += n * u as f64;
                last_unit = u;
                i += 2;
            }
            Some(Tok::Dash) | Some(Tok::Word(_)) if last_unit == 3600 && *n < 60.0 => {
                total += n * 60.0;
                i += 1;
                break;
            }
            None if last_unit == 3600 && *n < 60.0 => {
                total += n * 60.0;
                i += 1;
                break;
            }
            _ => break,
        }
    }
    Some((
        Amount {
            total: secs_f(total),
            value: *first,
            unit_secs: unit,
        },
        i,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn spans_at_every_edge() {
        for (d, shown) in [
            (ms(0), "0ms"),
            (ms(1), "1ms"),
            (ms(999), "999ms"),
            (ms(1_000), "1s"),
            (ms(1_099), "1s"),
            (ms(1_100), "1.1s"),
            (ms(4_250), "4.2s"),
            (ms(9_999), "9.9s"),
            (ms(10_000), "10s"),
            (ms(59_900), "59s"),
            (ms(59_999), "59s"),
            (ms(60_000), "1m00s"),
            (ms(185_000), "3m05s"),
            (ms(3_599_000), "59m59s"),
            (ms(3_599_999), "59m59s"),
            (ms(3_600_000), "1h00m"),
            (ms(3_725_000), "1h02m"),
            (ms(86_399_000), "23h59m"),
            (ms(86_400_000), "1d00h"),
            (ms(3 * 86_400_000 + 5 * 3_600_000), "3d05h"),
            (Duration::from_secs(u64::MAX), "213503982334601d07h"),
        ] {
            assert_eq!(format_span(d), shown, "{d:?}");
        }
        assert_eq!(format_span_ms(-5), "0ms");
        assert_eq!(format_span_ms(61_000), "1m01s");
    }

    #[test]
    fn clocks_at_every_edge() {
        for (at, shown) in [
            (-1, "0:00"),
            (0, "0:00"),
            (999, "0:00"),
            (59_900, "0:59"),
            (60_000, "1:00"),
            (3_599_000, "59:59"),
            (3_600_000, "1:00:00"),
            (3_723_000, "1:02:03"),
            (93_600_000, "26:00:00"),
        ] {
            assert_eq!(format_clock(at), shown, "{at}");
        }
    }

    #[test]
    fn settings_read_back_as_they_were_written() {
        for (d, shown) in [
            (ms(0), "0s"),
            (ms(250), "250ms"),
            (ms(999), "999ms"),
            (ms(59_000), "59s"),
            (ms(60_000), "1m"),
            (ms(185_000), "3m5s"),
            (ms(3_599_000), "59m59s"),
            (ms(3_600_000), "1h"),
            (ms(5_400_000), "1h30m"),
            (ms(90_000_000), "25h"),
        ] {
            assert_eq!(format_duration(d), shown, "{d:?}");
            assert_eq!(parse_duration(shown), Some(d), "{shown}");
        }
    }

    #[test]
    fn strict_durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(mins(10)));
        assert_eq!(parse_duration("1h30m"), Some(mins(90)));
        assert_eq!(parse_duration("2h"), Some(mins(120)));
        assert_eq!(parse_duration("1h0m5s"), Some(Duration::from_secs(3605)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn strict_durations_reject_what_an_operator_might_mistype() {
        for bad in [
            "10 mn", "10", "m", "", "1m1h", "10min", "1.5h", "10m10m", "-5m", "ms", "1m5ms",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?} must be rejected");
        }
    }

    #[test]
    fn strict_estimate_ranges() {
        assert_eq!(
            parse_estimate("20m-40m"),
            Some(Estimate {
                low: mins(20),
                high: mins(40)
            })
        );
        assert_eq!(parse_estimate("40m-20m"), None);
    }

    #[test]
    fn prose_estimates_from_the_seeds() {
        let cases = [
            ("~ 5 minutes", mins(5), mins(5)),
            ("~ 20 minutes", mins(20), mins(20)),
            ("~ 3 heures 30 minutes", mins(210), mins(210)),
            (
                "2–4 heures par client (fenêtre de maintenance)",
                mins(120),
                mins(240),
            ),
            (
                "La durée de la mise à jour de la preproduction est d'environ 1 heure",
                mins(60),
                mins(60),
            ),
            ("1h30", mins(90), mins(90)),
            ("about 45 min", mins(45), mins(45)),
            ("20 to 40 minutes", mins(20), mins(40)),
            ("2 à 3 heures", mins(120), mins(180)),
            ("1,5 heure", mins(90), mins(90)),
        ];
        for (text, low, high) in cases {
            assert_eq!(
                parse_prose_estimate(text),
                Some(Estimate { low, high }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn heading_estimates_are_only_an_estimate() {
        for (text, low, high) in [
            ("15 minutes", mins(15), mins(15)),
            ("~10 min", mins(10), mins(10)),
            ("1h30", mins(90), mins(90)),
            ("5m", mins(5), mins(5)),
            ("20mn", mins(20), mins(20)),
            ("env. 30 min", mins(30), mins(30)),
            ("15 à 30 min", mins(15), mins(30)),
            ("1–2h", mins(60), mins(120)),
            ("est. 2 heures", mins(120), mins(120)),
            ("durée : 45 min", mins(45), mins(45)),
            ("max 90s", Duration::from_secs(90), Duration::from_secs(90)),
        ] {
            assert_eq!(
                parse_label_estimate(text),
                Some(Estimate { low, high }),
                "{text:?}"
            );
        }
        for text in [
            "5 min read",
            "every 90 days",
            "7 days",
            "v2",
            "2",
            "step 2 of 5",
            "wait 5 minutes",
            "optional",
            "14:00 UTC",
            "",
        ] {
            assert_eq!(parse_label_estimate(text), None, "{text:?}");
        }
    }

    #[test]
    fn days_in_prose() {
        assert_eq!(
            parse_prose_estimate("2 jours"),
            Some(Estimate::exact(Duration::from_secs(2 * 86_400)))
        );
        assert_eq!(
            parse_prose_estimate("d'environ 1 heure"),
            Some(Estimate::exact(mins(60)))
        );
    }

    #[test]
    fn prose_without_a_duration_gives_nothing() {
        assert_eq!(parse_prose_estimate("à définir"), None);
        assert_eq!(parse_prose_estimate("version 2 du script"), None);
    }

    #[test]
    fn formatting_is_compact() {
        assert_eq!(format_duration(mins(90)), "1h30m");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(
            Estimate {
                low: mins(120),
                high: mins(240)
            }
            .to_string(),
            "2h–4h"
        );
    }
}
