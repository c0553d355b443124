//! Transfer sizes and parallelism. They come from the step's environment
//! (`RUNSHEET_S3_PART_SIZE`, `RUNSHEET_S3_MULTIPART_THRESHOLD`,
//! `RUNSHEET_S3_CONCURRENCY`), so a target's `env:` or a test can tune them
//! without a new block attribute.

use super::error::S3Error;

pub const MIB: u64 = 1 << 20;
/// S3 refuses a smaller part, the last one aside.
const MIN_PART: u64 = 5 * MIB;
const MAX_PART: u64 = 5 * 1024 * MIB;
const MAX_PARTS: u64 = 10_000;
const MAX_OBJECT: u64 = 5 * 1024 * 1024 * MIB;
/// Bytes of file data in memory at once across the whole action: parts
/// and small files are read whole (their Content-MD5 comes first), so
/// this, not the file size, bounds memory.
pub const MEMORY_BUDGET: u64 = 256 * MIB;

#[derive(Clone, Debug)]
pub struct Tuning {
    /// Preferred part size; grows for files that would need over 10,000.
    pub part_size: u64,
    /// Files of this size and more go up in parts.
    pub threshold: u64,
    /// Parts of one file in flight.
    pub parts_in_flight: usize,
    /// Files of a folder in flight (small files are latency-bound).
    pub files_in_flight: usize,
}

impl Tuning {
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Tuning, S3Error> {
        let size = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(text) => parse_size(&text).ok_or_else(|| {
                S3Error::Settings(format!(
                    "{name}=`{text}` is not a size: write bytes, or e.g. 8MiB, 64MB"
                ))
            }),
        };
        let part_size = size("RUNSHEET_S3_PART_SIZE", 8 * MIB)?;
        if !(MIN_PART..=MAX_PART).contains(&part_size) {
            return Err(S3Error::Settings(format!(
                "RUNSHEET_S3_PART_SIZE must be between 5MiB and 5GiB (S3's limits), not {part_size} bytes"
            )));
        }
        // A file below the threshold is read whole: never more than the budget.
        let threshold = size("RUNSHEET_S3_MULTIPART_THRESHOLD", 8 * MIB)?.clamp(1, MEMORY_BUDGET);
        let concurrency = match var("RUNSHEET_S3_CONCURRENCY") {
            None => 8,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| {
                    S3Error::Settings(format!(
                        "RUNSHEET_S3_CONCURRENCY=`{text}` must be a number from 1 to 64"
                    ))
                })?,
        };
        Ok(Tuning {
            part_size,
            threshold,
            parts_in_flight: concurrency,
            files_in_flight: concurrency * 2,
        })
    }

    /// The part size for a file of `size` bytes: the preferred one, larger
    /// when needed to stay within 10,000 parts (rounded to a MiB).
    pub fn part_size_for(&self, size: u64) -> Result<u64, S3Error> {
        if size > MAX_OBJECT {
            return Err(S3Error::TooLarge(format!(
                "the file is {}, and an S3 object is at most 5 TiB",
                human_bytes(size)
            )));
        }
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        Ok(self.part_size.max(needed).min(MAX_PART))
    }

    /// Parts of `part_size` that may be in flight at once within the
    /// memory budget (at least one).
    pub fn in_flight_for(&self, part_size: u64) -> usize {
        let fits = (MEMORY_BUDGET / part_size.max(1)).max(1);
        self.parts_in_flight
            .min(usize::try_from(fits).unwrap_or(usize::MAX))
    }
}

/// Bytes with an optional unit: K, M, G (and KB …) powers of 1000, KiB,
/// MiB, GiB (and Ki …) powers of 1024, as `verify size>` reads them.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

/// `512 B`, `12.0 KiB`, `40.0 MiB`, `1.00 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit >= 2 && value < 10.0 {
        format!("{value:.2} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuning(vars: &[(&str, &str)]) -> Result<Tuning, S3Error> {
        Tuning::from_vars(|n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_and_overrides() {
        let t = tuning(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.part_size, t.threshold, t.parts_in_flight),
            (8 * MIB, 8 * MIB, 8)
        );
        let t = tuning(&[
            ("RUNSHEET_S3_PART_SIZE", "16MiB"),
            ("RUNSHEET_S3_MULTIPART_THRESHOLD", "1000"),
            ("RUNSHEET_S3_CONCURRENCY", "2"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.part_size, t.threshold, t.parts_in_flight),
            (16 * MIB, 1000, 2)
        );
        assert!(
            tuning(&[("RUNSHEET_S3_PART_SIZE", "1MiB")])
                .is_err_and(|e| matches!(&e, S3Error::Settings(m) if m.contains("5MiB")))
        );
        assert!(
            tuning(&[("RUNSHEET_S3_CONCURRENCY", "0")])
                .is_err_and(|e| matches!(e, S3Error::Settings(_)))
        );
        assert!(tuning(&[("RUNSHEET_S3_PART_SIZE", "lots")]).is_err());
    }

    #[test]
    fn parts_grow_to_stay_under_ten_thousand_and_memory_stays_bounded() {
        let t = tuning(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.part_size_for(40 * MIB).ok(), Some(8 * MIB));
        let huge = 200 * 1024 * MIB;
        let part = t.part_size_for(huge).unwrap_or(0);
        assert!(
            huge.div_ceil(part) <= 10_000 && part.is_multiple_of(MIB),
            "{part}"
        );
        assert!(
            t.part_size_for(6 * 1024 * 1024 * MIB)
                .is_err_and(|e| matches!(e, S3Error::TooLarge(_)))
        );
        assert_eq!(t.in_flight_for(8 * MIB), 8);
        assert_eq!(t.in_flight_for(100 * MIB), 2);
        assert_eq!(t.in_flight_for(5 * 1024 * MIB), 1);
    }

    #[test]
    fn sizes_read_and_shown() {
        assert_eq!(parse_size("8MiB"), Some(8 * MIB));
        assert_eq!(parse_size("5242880"), Some(5 * MIB));
        assert_eq!(parse_size("64MB"), Some(64_000_000));
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(40 * MIB), "40.0 MiB");
        assert_eq!(human_bytes(1 << 30), "1.00 GiB");
    }
}
