//! What a comparison found, table by table: the verdicts, whether they meet
//! the step's expectation, and how it reads in the output and the journal.

use serde_json::{Value, json};

use super::narrow::Narrowed;
use crate::db::table;
use crate::runbook::model::Expect;

/// Offending tables named in a failure reason; the rest are counted.
const MAX_NAMED: usize = 5;

/// The two targets, left then right.
#[derive(Clone, Copy)]
pub struct Sides<'a> {
    pub left: &'a str,
    pub right: &'a str,
}

/// One table (with its filter) as compared.
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// The name as written in the block, or as found in the schema.
    pub table: String,
    pub filter: Option<String>,
    /// Exact counts; `None`: the table is not there.
    pub left: Option<i64>,
    pub right: Option<i64>,
    /// Checksum mode: the rows differ (whatever the counts say).
    pub rows_differ: bool,
    pub narrowed: Narrowed,
    /// Why the difference was not narrowed down, when it was not.
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Equal,
    Differ,
    MissingLeft,
    MissingRight,
    MissingBoth,
}

impl Line {
    pub fn status(&self) -> Status {
        match (self.left, self.right) {
            (None, None) => Status::MissingBoth,
            (None, Some(_)) => Status::MissingLeft,
            (Some(_), None) => Status::MissingRight,
            (Some(l), Some(r)) if l == r && !self.rows_differ => Status::Equal,
            (Some(_), Some(_)) => Status::Differ,
        }
    }

    pub fn label(&self) -> String {
        label(&self.table, self.filter.as_deref())
    }

    fn difference(&self) -> Option<i64> {
        Some(self.right?.saturating_sub(self.left?))
    }

    /// Whether this table meets `expect`; a missing table never does.
    fn meets(&self, expect: &Expect) -> bool {
        match (self.status(), expect) {
            (Status::Equal, Expect::Equal) | (Status::Differ, Expect::Differ) => true,
            (Status::Equal | Status::Differ, Expect::Difference(n)) => {
                self.difference() == Some(*n)
            }
            _ => false,
        }
    }

    /// `users: staging 1200, production 1198 (-2)`, for a failure reason.
    fn offence(&self, sides: Sides, expect: &Expect) -> String {
        let label = self.label();
        let (l, r) = (self.left.unwrap_or(0), self.right.unwrap_or(0));
        let counts = format!("{} {l}, {} {r}", sides.left, sides.right);
        match (self.status(), expect) {
            (Status::MissingLeft, _) => format!("{label}: missing on {}", sides.left),
            (Status::MissingRight, _) => format!("{label}: missing on {}", sides.right),
            (Status::MissingBoth, _) => format!("{label}: missing on both"),
            (Status::Differ, _) if l == r => match self.narrowed.ranges.first() {
                Some(d) => format!(
                    "{label}: same count ({l}), rows differ (first in keys {}..{})",
                    d.range.from, d.range.to
                ),
                None => format!("{label}: same count ({l}), rows differ"),
            },
            (_, Expect::Difference(n)) => {
                format!(
                    "{label}: {counts} ({}, expected {})",
                    signed(r - l),
                    signed(*n)
                )
            }
            (Status::Equal, _) => format!("{label}: {counts} (equal, expected a difference)"),
            (Status::Differ, _) => format!("{label}: {counts} ({})", signed(r - l)),
        }
    }
}

/// `users`, or `users where …` when filtered.
pub fn label(table: &str, filter: Option<&str>) -> String {
    match filter {
        Some(f) => format!("{table} where {f}"),
        None => table.to_string(),
    }
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

pub fn expect_text(expect: &Expect) -> String {
    match expect {
        Expect::Difference(n) => signed(*n),
        Expect::Differ => "differ".into(),
        _ => "equal".into(),
    }
}

/// `None` when every table meets `expect`, else the reason, briefly.
pub fn failure(lines: &[Line], sides: Sides, expect: &Expect) -> Option<String> {
    let bad: Vec<String> = lines
        .iter()
        .filter(|l| !l.meets(expect))
        .map(|l| l.offence(sides, expect))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let mut reason = bad
        .iter()
        .take(MAX_NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if bad.len() > MAX_NAMED {
        reason.push_str(&format!("; and {} more", bad.len() - MAX_NAMED));
    }
    Some(reason)
}

/// The table shown before the exact counts: `pg_class.reltuples`.
pub fn estimates(rows: &[(String, Estimate, Estimate)], sides: Sides) -> String {
    let columns = vec![
        "table".to_string(),
        format!("{} (est.)", sides.left),
        format!("{} (est.)", sides.right),
    ];
    let cells: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|(label, l, r)| vec![Some(label.clone()), Some(l.text()), Some(r.text())])
        .collect();
    format!(
        "Estimates (pg_class.reltuples, approximate; exact counts follow):\n{}",
        table::render(&columns, &cells)
    )
}

/// A table's size as the planner last saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimate {
    Rows(i64),
    /// Never analyzed.
    Unknown,
    /// A filter applies: the whole table's estimate would mislead.
    Filtered,
    Missing,
}

impl Estimate {
    fn text(self) -> String {
        match self {
            Estimate::Rows(n) => format!("~{n}"),
            Estimate::Unknown => "unknown".into(),
            Estimate::Filtered => "(filtered)".into(),
            Estimate::Missing => "missing".into(),
        }
    }
}

/// The final table, the differing key ranges, and the verdict line.
pub fn render(lines: &[Line], sides: Sides, key: &str, verdict: &str) -> String {
    let columns = vec![
        "table".to_string(),
        sides.left.to_string(),
        sides.right.to_string(),
        "difference".to_string(),
        "verdict".to_string(),
    ];
    let cells: Vec<Vec<Option<String>>> = lines
        .iter()
        .map(|l| {
            vec![
                Some(l.label()),
                l.left.map(|n| n.to_string()),
                l.right.map(|n| n.to_string()),
                l.difference().map(signed),
                Some(status_text(l, sides)),
            ]
        })
        .collect();
    let mut out = format!(
        "Exact counts (one snapshot per side):\n{}",
        table::render(&columns, &cells)
    );
    for line in lines {
        out.push_str(&details(line, sides, key));
    }
    out.push_str(verdict);
    out.push('\n');
    out
}

fn status_text(line: &Line, sides: Sides) -> String {
    match line.status() {
        Status::Equal => "equal".into(),
        Status::Differ if line.left == line.right => "DIFFERS (rows)".into(),
        Status::Differ => "DIFFERS".into(),
        Status::MissingLeft => format!("missing on {}", sides.left),
        Status::MissingRight => format!("missing on {}", sides.right),
        Status::MissingBoth => "missing on both".into(),
    }
}

/// The key ranges where rows differ, and why there are none to show.
fn details(line: &Line, sides: Sides, key: &str) -> String {
    let mut out = String::new();
    let label = line.label();
    for d in &line.narrowed.ranges {
        out.push_str(&format!(
            "{label}: rows differ in {key} {}..{} ({} rows on {}, {} on {})\n",
            d.range.from, d.range.to, d.left_rows, sides.left, d.right_rows, sides.right
        ));
    }
    let n = &line.narrowed;
    if n.found > n.ranges.len() {
        out.push_str(&format!(
            "{label}: … and {} more differing ranges\n",
            n.found - n.ranges.len()
        ));
    }
    if n.coarse {
        out.push_str(&format!(
            "{label}: too many ranges differ to narrow them all down; the ranges shown are wide\n"
        ));
    }
    if let Some(note) = &line.note {
        out.push_str(&format!("{label}: {note}\n"));
    }
    out
}

/// `1 table`, `3 tables`.
pub fn tables(n: usize) -> String {
    if n == 1 {
        "1 table".into()
    } else {
        format!("{n} tables")
    }
}

/// The line that ends the output.
pub fn verdict_line(lines: &[Line], expect: &Expect, failed: bool) -> String {
    let total = lines.len();
    let bad = lines.iter().filter(|l| !l.meets(expect)).count();
    let expected = expect_text(expect);
    if failed {
        format!(
            "FAILED: {bad} of {} not as expected (expect={expected})",
            tables(total)
        )
    } else if total == 1 {
        format!("OK: the table is as expected (expect={expected})")
    } else {
        format!("OK: all {total} tables as expected (expect={expected})")
    }
}

/// The journal's record of the comparison.
pub fn record(lines: &[Line], sides: Sides, mode: &str, expect: &Expect, passed: bool) -> Value {
    let tables: Vec<Value> = lines
        .iter()
        .map(|l| {
            let verdict = match l.status() {
                Status::Equal => "equal",
                Status::Differ => "differ",
                _ => "missing",
            };
            json!({
                "table": l.table,
                "filter": l.filter,
                "left": l.left,
                "right": l.right,
                "difference": l.difference(),
                "verdict": verdict,
                "ranges": l.narrowed.ranges,
                "ranges_found": l.narrowed.found,
                "note": l.note,
            })
        })
        .collect();
    json!({
        "kind": "comparison",
        "left": sides.left,
        "right": sides.right,
        "mode": mode,
        "expect": expect_text(expect),
        "passed": passed,
        "tables": tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::compare::narrow::{Differing, Range};

    const SIDES: Sides = Sides {
        left: "staging",
        right: "production",
    };

    fn line(table: &str, left: Option<i64>, right: Option<i64>) -> Line {
        Line {
            table: table.into(),
            left,
            right,
            ..Line::default()
        }
    }

    #[test]
    fn equal_counts_pass_and_a_difference_is_named_with_its_sign() {
        let lines = [
            line("users", Some(1200), Some(1198)),
            line("api_keys", Some(3), Some(3)),
        ];
        assert_eq!(failure(&lines[1..], SIDES, &Expect::Equal), None);
        assert_eq!(
            failure(&lines, SIDES, &Expect::Equal).as_deref(),
            Some("users: staging 1200, production 1198 (-2)")
        );
        assert_eq!(
            failure(&lines, SIDES, &Expect::Differ).as_deref(),
            Some("api_keys: staging 3, production 3 (equal, expected a difference)")
        );
    }

    #[test]
    fn an_expected_difference_holds_for_every_table() {
        let lines = [line("a", Some(10), Some(12)), line("b", Some(5), Some(6))];
        assert_eq!(
            failure(&lines, SIDES, &Expect::Difference(2)).as_deref(),
            Some("b: staging 5, production 6 (+1, expected +2)")
        );
        assert_eq!(failure(&lines[..1], SIDES, &Expect::Difference(2)), None);
    }

    #[test]
    fn a_missing_table_fails_whatever_the_expectation() {
        let lines = [line("ghost", Some(4), None), line("gone", None, None)];
        for expect in [Expect::Equal, Expect::Differ, Expect::Difference(-4)] {
            assert_eq!(
                failure(&lines, SIDES, &expect).as_deref(),
                Some("ghost: missing on production; gone: missing on both")
            );
        }
    }

    #[test]
    fn same_counts_with_different_rows_differ() {
        let mut l = line("users", Some(20), Some(20));
        l.rows_differ = true;
        l.narrowed = Narrowed {
            ranges: vec![Differing {
                range: Range {
                    from: 7300,
                    to: 7330,
                },
                left_rows: 31,
                right_rows: 31,
            }],
            found: 1,
            coarse: false,
        };
        assert_eq!(l.status(), Status::Differ);
        assert_eq!(
            failure(std::slice::from_ref(&l), SIDES, &Expect::Equal).as_deref(),
            Some("users: same count (20), rows differ (first in keys 7300..7330)")
        );
        let text = render(std::slice::from_ref(&l), SIDES, "id", "FAILED");
        assert!(text.contains("DIFFERS (rows)"), "{text}");
        assert!(
            text.contains(
                "users: rows differ in id 7300..7330 (31 rows on staging, 31 on production)"
            ),
            "{text}"
        );
    }

    #[test]
    fn long_reasons_are_cut() {
        let lines: Vec<Line> = (0..8)
            .map(|i| line(&format!("t{i}"), Some(1), Some(2)))
            .collect();
        let reason = failure(&lines, SIDES, &Expect::Equal).unwrap_or_default();
        assert!(reason.ends_with("; and 3 more"), "{reason}");
        assert!(
            reason.contains("t4:") && !reason.contains("t5:"),
            "{reason}"
        );
    }

    #[test]
    fn the_final_table_and_its_record() {
        let lines = [
            line("users", Some(1200), Some(1198)),
            line("routing_rules", Some(40), None),
        ];
        let text = render(&lines, SIDES, "id", "FAILED: 2 of 2");
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(
            rows[0],
            " table         | staging | production | difference | verdict"
        );
        assert_eq!(
            rows[2],
            " users         | 1200    | 1198       | -2         | DIFFERS"
        );
        assert_eq!(
            rows[3],
            " routing_rules | 40      |            |            | missing on production"
        );
        let r = record(&lines, SIDES, "count", &Expect::Equal, false);
        assert_eq!(r["kind"], "comparison");
        assert_eq!(r["tables"][0]["difference"], -2);
        assert_eq!(r["tables"][1]["verdict"], "missing");
        assert_eq!(r["tables"][1]["right"], Value::Null);
    }
}
