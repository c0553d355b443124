//! Narrowing a checksum difference down to key ranges, data-diff style:
//! a range whose (count, checksum) differs between the sides is split and
//! only its differing parts are looked into, until a range is small enough
//! to show. Sums are additive, so a differing range always has a differing
//! part: each level costs at most one scan of the rows still suspect.

use serde::Serialize;

/// Parts a differing range is split into.
pub const FAN_OUT: i64 = 16;
/// A range holding at most this many rows (on either side) is reported.
pub const LEAF_ROWS: i64 = 64;
/// Differing ranges followed at once: past this, the ones found are
/// reported as they are, so that time stays bounded when every row
/// differs (a column whose type changed, say).
pub const MAX_FOLLOWED: usize = 32;
/// Ranges reported per table.
pub const MAX_REPORTED: usize = 20;

/// Keys `from ..= to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Range {
    pub from: i64,
    pub to: i64,
}

/// Row count and checksum (a numeric, as text) of a range on one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sum {
    pub rows: i64,
    pub hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Differing {
    #[serde(flatten)]
    pub range: Range,
    pub left_rows: i64,
    pub right_rows: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Narrowed {
    /// In key order, at most MAX_REPORTED.
    pub ranges: Vec<Differing>,
    /// How many were found in all.
    pub found: usize,
    /// Narrowing stopped at MAX_FOLLOWED: some ranges are wide.
    pub coarse: bool,
}

/// Reads both sides.
pub trait Probe {
    /// Why the sides could not be read.
    type Error;
    /// The left and right sums of each range, in order.
    async fn sums(&mut self, ranges: &[Range]) -> Result<Vec<(Sum, Sum)>, Self::Error>;
}

/// Narrows `start` (known to differ) down.
pub async fn narrow<P: Probe>(start: Differing, probe: &mut P) -> Result<Narrowed, P::Error> {
    let mut found = Vec::new();
    let mut open = vec![start];
    let mut coarse = false;
    while !open.is_empty() {
        let (leaves, wide): (Vec<Differing>, Vec<Differing>) = open.into_iter().partition(is_leaf);
        found.extend(leaves);
        if found.len() + wide.len() > MAX_FOLLOWED {
            coarse = !wide.is_empty();
            found.extend(wide);
            break;
        }
        let parts: Vec<Range> = wide.iter().flat_map(|d| split(d.range, FAN_OUT)).collect();
        if parts.is_empty() {
            break;
        }
        let sums = probe.sums(&parts).await?;
        open = parts
            .into_iter()
            .zip(sums)
            .filter(|(_, (l, r))| l != r)
            .map(|(range, (l, r))| Differing {
                range,
                left_rows: l.rows,
                right_rows: r.rows,
            })
            .collect();
    }
    found.sort_by_key(|d| d.range.from);
    let total = found.len();
    found.truncate(MAX_REPORTED);
    Ok(Narrowed {
        ranges: found,
        found: total,
        coarse,
    })
}

fn is_leaf(d: &Differing) -> bool {
    d.left_rows.max(d.right_rows) <= LEAF_ROWS || d.range.from >= d.range.to
}

/// `range` cut into at most `parts` contiguous ranges covering it exactly.
pub fn split(range: Range, parts: i64) -> Vec<Range> {
    let (from, to) = (i128::from(range.from), i128::from(range.to));
    if to < from || parts < 1 {
        return Vec::new();
    }
    let width = to - from + 1;
    let step = (width + i128::from(parts) - 1) / i128::from(parts);
    let mut out = Vec::new();
    let mut lo = from;
    while lo <= to {
        let hi = (lo + step - 1).min(to);
        // Both within range.from ..= range.to: they fit in an i64.
        if let (Ok(a), Ok(b)) = (i64::try_from(lo), i64::try_from(hi)) {
            out.push(Range { from: a, to: b });
        }
        lo = hi + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn r(from: i64, to: i64) -> Range {
        Range { from, to }
    }

    #[test]
    fn splits_cover_the_range_exactly() {
        assert_eq!(split(r(1, 4), 16), vec![r(1, 1), r(2, 2), r(3, 3), r(4, 4)]);
        assert_eq!(
            split(r(0, 99), 4),
            vec![r(0, 24), r(25, 49), r(50, 74), r(75, 99)]
        );
        assert_eq!(split(r(5, 5), 16), vec![r(5, 5)]);
        assert!(split(r(5, 4), 16).is_empty());
        let all = split(r(i64::MIN, i64::MAX), 16);
        assert_eq!(all.len(), 16);
        assert_eq!(all.first().map(|x| x.from), Some(i64::MIN));
        assert_eq!(all.last().map(|x| x.to), Some(i64::MAX));
        for pair in all.windows(2) {
            assert_eq!(pair[0].to + 1, pair[1].from);
        }
    }

    /// Two in-memory tables: key -> row hash.
    struct Fake {
        left: BTreeMap<i64, i64>,
        right: BTreeMap<i64, i64>,
        probes: usize,
    }

    impl Probe for Fake {
        type Error = std::convert::Infallible;
        async fn sums(&mut self, ranges: &[Range]) -> Result<Vec<(Sum, Sum)>, Self::Error> {
            self.probes += 1;
            Ok(ranges
                .iter()
                .map(|x| (sum(&self.left, *x), sum(&self.right, *x)))
                .collect())
        }
    }

    fn sum(t: &BTreeMap<i64, i64>, range: Range) -> Sum {
        let rows: Vec<i64> = t.range(range.from..=range.to).map(|(_, v)| *v).collect();
        Sum {
            rows: rows.len() as i64,
            hash: rows
                .iter()
                .map(|v| i128::from(*v))
                .sum::<i128>()
                .to_string(),
        }
    }

    async fn run(fake: &mut Fake, whole: Range) -> Narrowed {
        let (l, r) = (sum(&fake.left, whole), sum(&fake.right, whole));
        let start = Differing {
            range: whole,
            left_rows: l.rows,
            right_rows: r.rows,
        };
        narrow(start, fake).await.unwrap_or_default()
    }

    fn table(n: i64) -> BTreeMap<i64, i64> {
        (1..=n).map(|k| (k, k * 7919 % 1_000_003)).collect()
    }

    #[tokio::test]
    async fn finds_a_changed_row_in_a_small_range() {
        let left = table(20_000);
        let mut right = left.clone();
        right.insert(7321, 42);
        right.remove(&15_000);
        let mut fake = Fake {
            left,
            right,
            probes: 0,
        };
        let got = run(&mut fake, r(1, 20_000)).await;
        assert_eq!(got.found, 2, "{got:?}");
        assert!(!got.coarse);
        let a = &got.ranges[0];
        assert!(a.range.from <= 7321 && 7321 <= a.range.to, "{got:?}");
        assert!(a.range.to - a.range.from < LEAF_ROWS, "{got:?}");
        let b = &got.ranges[1];
        assert!(b.range.from <= 15_000 && 15_000 <= b.range.to, "{got:?}");
        assert_eq!(b.left_rows, b.right_rows + 1);
        assert!(fake.probes <= 4, "{}", fake.probes);
    }

    #[tokio::test]
    async fn when_everything_differs_it_stops_early_and_says_so() {
        let left = table(100_000);
        let right = left.iter().map(|(k, v)| (*k, v + 1)).collect();
        let mut fake = Fake {
            left,
            right,
            probes: 0,
        };
        let got = run(&mut fake, r(1, 100_000)).await;
        assert!(got.coarse);
        assert_eq!(got.ranges.len(), MAX_REPORTED);
        assert!(got.found > MAX_FOLLOWED / 2);
        assert!(fake.probes <= 2, "{}", fake.probes);
    }

    #[tokio::test]
    async fn sparse_keys_over_the_whole_bigint_range() {
        let mut left: BTreeMap<i64, i64> = (1..=500).map(|k| (k, k)).collect();
        left.insert(i64::MAX, 1);
        left.insert(i64::MIN, 2);
        let mut right = left.clone();
        right.insert(i64::MAX, 3);
        let mut fake = Fake {
            left,
            right,
            probes: 0,
        };
        let got = run(&mut fake, r(i64::MIN, i64::MAX)).await;
        assert_eq!(got.found, 1);
        assert_eq!(got.ranges[0].range.to, i64::MAX);
    }
}
