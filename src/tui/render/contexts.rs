//! The header's word on where commands run: each context the session has
//! identified and who answered there (`ctx: db → veylant-pg-7f4c · app →
//! grenoble-roller-prod`), or, in a sandbox, where nothing is reached, the
//! contexts the runbook uses, said to be stand-ins. It is cut to the room
//! the header row has left, never past it: the pod names shortened first,
//! then only the contexts' names, then only as many as fit and a count.
//! Contexts come in the order the session uses them, the target's first.

use super::text::{portable, truncate, width};
use crate::session::Session;

/// Columns a pod's or host's name keeps when the full line does not fit:
/// enough to tell `veylant-pg-7f4c` from `veylant-pg-9c2d` most of the time.
const SHORT_WHO: usize = 12;

/// The header's segment, starting `ctx: `, in at most `room` columns; None
/// when there is nothing to say or no room to say it.
pub fn segment(s: &Session, room: usize) -> Option<String> {
    let (entries, stand_ins) = entries(s);
    if entries.is_empty() {
        return None;
    }
    let tail = match (stand_ins, entries.len()) {
        (false, _) => "",
        (true, 1) => " (stand-in)",
        (true, _) => " (stand-ins)",
    };
    let fits = |text: String| (width(&text) <= room).then_some(text);
    let joined = |who: Who| {
        let parts: Vec<String> = entries
            .iter()
            .map(|(name, answered)| match (answered, who) {
                (Some(a), Who::Full) => format!("{name} → {a}"),
                (Some(a), Who::Cut(max)) => format!("{name} → {}", truncate(a, max)),
                _ => name.clone(),
            })
            .collect();
        format!("ctx: {}{tail}", parts.join(" · "))
    };
    fits(joined(Who::Full))
        .or_else(|| fits(joined(Who::Cut(SHORT_WHO))))
        .or_else(|| fits(joined(Who::Left)))
        .or_else(|| first_names(&entries, tail, room))
}

/// How much of who answered a line keeps.
#[derive(Clone, Copy)]
enum Who {
    Full,
    Cut(usize),
    Left,
}

/// As many names as fit, then how many more: `ctx: db · app +3`.
fn first_names(entries: &[(String, Option<String>)], tail: &str, room: usize) -> Option<String> {
    (0..entries.len()).rev().find_map(|shown| {
        let names: Vec<&str> = entries[..shown].iter().map(|(n, _)| n.as_str()).collect();
        let more = entries.len() - shown;
        let text = if shown == 0 {
            format!("ctx: +{more}{tail}")
        } else {
            format!("ctx: {} +{more}{tail}", names.join(" · "))
        };
        (width(&text) <= room).then_some(text)
    })
}

/// Each context's name and who answered there, drawable on one row, in
/// the order the session uses them (the target's own first: the one kept
/// when the row is short); and whether they are the sandbox's stand-ins
/// (no one answered: nothing was reached). A live session lists only what
/// the preflight identified.
fn entries(s: &Session) -> (Vec<(String, Option<String>)>, bool) {
    let used: Vec<&str> = s
        .contexts_used()
        .iter()
        .map(|u| u.context.name.as_str())
        .collect();
    if s.info().sandbox {
        return (used.iter().map(|n| (drawable(n), None)).collect(), true);
    }
    let found = s.contexts();
    // Identified but no longer used cannot happen (the runbook is the
    // journal's own), but if it did, it would still be named, last.
    let order = used
        .iter()
        .copied()
        .filter(|n| found.contains_key(*n))
        .chain(
            found
                .keys()
                .map(String::as_str)
                .filter(|n| !used.contains(n)),
        );
    let entries = order
        .filter_map(|n| {
            found
                .get(n)
                .map(|id| (drawable(n), Some(drawable(&id.hostname))))
        })
        .collect();
    (entries, false)
}

/// A name as one row shows it: what a pod answered is not ours to trust,
/// so no escape sequence, control or line break survives.
fn drawable(text: &str) -> String {
    let shown = crate::secrets::shown(text).replace(['\n', '\r', '\t'], " ");
    portable(shown.trim()).into_owned()
}
