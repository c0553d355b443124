//! A gate as lines of text: what the plain console prints at a gate, and
//! what a gate that needs approvals publishes for the approver, who must
//! read exactly what the operator reads (the store keeps it plain).

use super::display;
use super::state::Session;
use super::update::Gate;
use crate::term::Paint;

/// The gate's heading, where it lands, why it is gated and what will run.
pub fn lines(p: &Paint, session: &Session, gate: &Gate) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(finding) = &gate.finding {
        // The check ran: what it found is the question, not its code.
        out.push(p.red(&format!(
            "⚠  APPROVAL needed on {}: the check found what it guards against",
            gate.target.to_uppercase()
        )));
        out.extend(landing(p, session, &gate.step, &gate.target));
        out.push(format!("   {} {finding}", p.bold("found:")));
        out.push("   typing the target's name approves it (journaled) and the step goes on".into());
        out.extend(approvals(p, gate));
        return out;
    }
    out.push(p.red(&format!(
        "⚠  DESTRUCTIVE step on {}: it needs the target's name typed to run",
        gate.target.to_uppercase()
    )));
    out.extend(landing(p, session, &gate.step, &gate.target));
    out.push(p.bold("   why it is destructive:"));
    let values = display::Values::on_target(session, &gate.target);
    for r in &gate.reasons {
        let excerpt = if r.excerpt.is_empty() {
            String::new()
        } else {
            format!(" — {}", values.fill(&r.excerpt))
        };
        out.push(format!("   {}: {}{excerpt}", p.yellow(r.rule.id()), r.why));
    }
    out.extend(code(p, session, &gate.step, &gate.target));
    out.extend(approvals(p, gate));
    out
}

fn approvals(p: &Paint, gate: &Gate) -> Option<String> {
    (gate.approvals > 0).then(|| {
        p.bold(&format!(
            "   four-eyes: besides the name, {} approval{} from another person (`runsheet approve`)",
            gate.approvals,
            if gate.approvals == 1 { "" } else { "s" }
        ))
    })
}

/// Where a gated or counted-down step lands, as identified at the start.
pub fn landing(p: &Paint, session: &Session, step: &str, target: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, l) in display::landings(session, step, target).iter().enumerate() {
        let head = if i == 0 { "where it lands" } else { "also on" };
        let protected = if l.protected { " (protected)" } else { "" };
        out.push(format!(
            "   {} {}{protected}",
            p.bold(&format!("{head}:")),
            l.target
        ));
        for fact in l.lines() {
            out.push(format!("     {fact}"));
        }
    }
    out
}

/// The step's commands with the values they run with (secrets `***`),
/// then which variable each value is.
pub fn code(p: &Paint, session: &Session, step: &str, target: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some((phase, st)) = session.step(step) else {
        return out;
    };
    out.push(p.bold(&format!("   what will run on {target}:")));
    let mut named = Vec::new();
    for a in &st.actions {
        let values = display::Values::on_target(session, session.action_target(phase, st, a));
        let pieces = display::code(a, &values);
        for entry in display::legend(&pieces) {
            if !named
                .iter()
                .any(|(n, _): &(String, display::Shown)| *n == entry.0)
            {
                named.push(entry);
            }
        }
        for l in display::render(&pieces).lines() {
            out.push(format!("   │ {l}"));
        }
    }
    if !named.is_empty() {
        out.push(p.dim(&format!("   values: {}", display::legend_text(&named))));
    }
    out
}
