//! The figures of `runsheet adopt` on the corpus (tests/fixtures/adopt/),
//! one row per runbook: edits a person would make before adopt and those
//! left after it, headings whose role is right as written and after adopt,
//! rollback/alternative sections left in the flow, interactive commands
//! found, placeholders found.
//!
//! `cargo run --example adopt_report`

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/format/adopt_expect.rs"]
mod adopt_expect;

fn main() {
    println!(
        "{:<26} {:>6} {:>5} {:>4} {:>13} {:>11} {:>11} {:>9}",
        "runbook", "before", "left", "max", "roles ok", "off-flow in", "interactive", "holders"
    );
    let mut lefts = Vec::new();
    let (mut panics, mut off_flow) = (0, 0);
    for f in adopt_expect::corpus() {
        let s = match std::panic::catch_unwind(|| adopt_expect::score(&f)) {
            Ok(s) => s,
            Err(_) => {
                panics += 1;
                println!("{:<26} panicked", f.display());
                continue;
            }
        };
        let st = runsheet::adopt::stats::of(&s.name, &s.adoption);
        lefts.push(st.edits_left);
        off_flow += s.off_flow_in_flow_after;
        println!(
            "{:<26} {:>6} {:>5} {:>4} {:>6} → {:<4} {:>4} → {:<4} {:>4} → {:<4} {:>4}/{:<4}",
            s.name,
            st.edits_before,
            st.edits_left,
            s.expect.edits_after_adopt_max,
            format!("{}/{}", s.roles_before, s.roles_total),
            s.roles_after,
            s.off_flow_in_flow_before,
            s.off_flow_in_flow_after,
            s.interactive_before,
            format!("{}/{}", s.interactive_after, s.interactive_total),
            s.placeholders_found,
            s.placeholders_total,
        );
    }
    lefts.sort_unstable();
    let median = lefts.get(lefts.len() / 2).copied().unwrap_or(0);
    println!(
        "median edits left after adopt: {median} · rollback/alternative sections in the flow: {off_flow} · panics: {panics}"
    );
}
