//! Estimates as people write them, outside attributes: at the end of a
//! heading ("### 3. Migrate the data (15 minutes)", "## Phase 2 (T-0:00,
//! 15 min)", "### Backup — ~10 min", "⏱ 20 min"), on a labelled line
//! ("Temps total estimé : 1h", "**Estimated duration**: 1-2h") and in a
//! key/value table row (`| Temps estimé | 2-4 heures |`). What counts is
//! data: the label words ([`LABEL_WORDS`]) and the heading's separators.
//! A duration in ordinary prose ("wait 5 minutes for the cache", "keep
//! backups 7 days") is never an estimate: it has no label.

use super::duration::{Estimate, parse_label_estimate};

/// A heading's title with its estimate taken off.
#[derive(Debug, PartialEq)]
pub struct HeadingEstimate {
    /// The title to show and to slug: "Migrate the data"; a schedule
    /// offset stays in it ("Phase 2 (T-0:00)"): it says when, not how long.
    pub title: String,
    pub estimate: Option<Estimate>,
}

/// Emoji that announce a duration: "⏱ 20 min", "⏳ ~1h".
const CLOCKS: &[char] = &['⏱', '⏲', '⌛', '⏳', '🕐', '🕑', '🕒', '🕓', '🕰'];

/// What stands between a title and a trailing estimate: "Backup — 10 min".
const SEPARATORS: &[&str] = &[" — ", " – ", " - ", " | ", " · ", " : ", ": ", ", "];

/// Reads the estimate at the end of a heading's title, if that end is
/// nothing but an estimate (and maybe a schedule offset).
pub fn split_heading(title: &str) -> HeadingEstimate {
    let t = title.trim_end();
    let unchanged = || HeadingEstimate {
        title: title.to_string(),
        estimate: None,
    };
    for (rest, tail, bracket) in candidates(t) {
        let (tail, schedule) = strip_schedule(tail);
        let Some(estimate) = parse_label_estimate(&tail) else {
            continue;
        };
        let rest = rest.trim_end_matches(|c: char| c.is_whitespace() || "-—–|·:,".contains(c));
        if !rest.chars().any(char::is_alphanumeric) {
            return unchanged();
        }
        let title = match (schedule, bracket) {
            (Some(s), Some((open, close))) => format!("{rest} {open}{s}{close}"),
            (Some(s), None) => format!("{rest} ({s})"),
            (None, _) => rest.to_string(),
        };
        return HeadingEstimate {
            title,
            estimate: Some(estimate),
        };
    }
    unchanged()
}

/// A way to cut a heading: (the title before, the tail that may be an
/// estimate, the brackets around the tail).
type Cut<'a> = (&'a str, &'a str, Option<(char, char)>);

/// Where a heading's estimate may stand: a last `(…)`/`[…]`, after a clock
/// emoji, after the last separator.
fn candidates(t: &str) -> Vec<Cut<'_>> {
    let mut out = Vec::new();
    for (open, close) in [('(', ')'), ('[', ']')] {
        if let Some(inner_end) = t.strip_suffix(close).map(str::len)
            && let Some(at) = matching_open(&t[..inner_end], open, close)
        {
            out.push((
                &t[..at],
                &t[at + open.len_utf8()..inner_end],
                Some((open, close)),
            ));
        }
    }
    if let Some(at) = t.rfind(CLOCKS) {
        let clock = t[at..].chars().next().map_or(1, char::len_utf8);
        out.push((&t[..at], &t[at + clock..], None));
    }
    if let Some((at, sep)) = SEPARATORS
        .iter()
        .filter_map(|s| t.rfind(s).map(|at| (at, s.len())))
        .max_by_key(|(at, _)| *at)
    {
        out.push((&t[..at], &t[at + sep..], None));
    }
    out
}

/// The byte index of the `open` that the final `close` (already cut off)
/// matches in `t`.
fn matching_open(t: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in t.char_indices().rev() {
        if c == close {
            depth += 1;
        } else if c == open {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
    }
    None
}

/// Takes schedule offsets ("T-0:00", "T+0:15", "J-1", "H+2") out of a
/// heading's tail: they say when, not how long.
fn strip_schedule(tail: &str) -> (String, Option<String>) {
    let mut kept = String::new();
    let mut found: Vec<&str> = Vec::new();
    let mut rest = tail;
    while !rest.is_empty() {
        if let Some(len) = schedule_len(rest)
            && !kept.ends_with(|c: char| c.is_alphanumeric())
        {
            found.push(&rest[..len]);
            kept.push(' ');
            rest = &rest[len..];
            continue;
        }
        let Some(c) = rest.chars().next() else {
            break;
        };
        kept.push(c);
        rest = &rest[c.len_utf8()..];
    }
    let schedule = (!found.is_empty()).then(|| found.join(", "));
    (kept, schedule)
}

/// The length of a schedule offset at the start of `s`: a `T`, `J`, `H`
/// or `D`, a sign, then digits and colons ("T-0:00", "J+1").
fn schedule_len(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    let (_, letter) = chars.next()?;
    if !matches!(letter, 'T' | 'J' | 'H' | 'D') {
        return None;
    }
    let (_, sign) = chars.next()?;
    if !matches!(sign, '-' | '+' | '−' | '–') {
        return None;
    }
    let mut end = None;
    for (i, c) in chars {
        if c.is_ascii_digit() || (c == ':' && end.is_some()) {
            end = Some(i + c.len_utf8());
        } else {
            break;
        }
    }
    let end = end?;
    // "T-0:" ends at its last digit.
    Some(s[..end].trim_end_matches(':').len())
}

/// Words a label of an estimate is made of, once folded to ASCII: "Temps
/// total estimé", "Estimated duration", "Durée de l'intervention", "Time
/// required". A label needs one of [`LABEL_KEYS`] and nothing outside this
/// list, so "Wait time", "Downtime", "Timeout" or "Durée de rétention"
/// are not estimates.
const LABEL_WORDS: &[&str] = &[
    "estimate",
    "estimated",
    "estimation",
    "estime",
    "estimee",
    "time",
    "temps",
    "duration",
    "duree",
    "total",
    "totale",
    "overall",
    "global",
    "globale",
    "expected",
    "prevu",
    "prevue",
    "required",
    "needed",
    "necessaire",
    "requis",
    "approximate",
    "approximative",
    "approximatif",
    "approx",
    "du",
    "de",
    "la",
    "le",
    "des",
    "d",
    "l",
    "the",
    "of",
    "to",
    "for",
    "complete",
    "completion",
    "execution",
    "intervention",
    "operation",
    "maintenance",
    "runbook",
    "procedure",
    "migration",
];

/// The words of which a label needs one.
const LABEL_KEYS: &[&str] = &[
    "estimate",
    "estimated",
    "estimation",
    "estime",
    "estimee",
    "time",
    "temps",
    "duration",
    "duree",
];

/// Words that make an estimate the whole runbook's, wherever it stands.
const TOTAL_WORDS: &[&str] = &["total", "totale", "overall", "global", "globale"];

/// What a label says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The time of where it stands (a step, a phase, the runbook).
    Estimate,
    /// The whole runbook's time ("Temps total estimé").
    Total,
}

/// Whether `label` names an estimate: "Temps estimé", "Estimated time",
/// "Durée totale".
pub fn label(label: &str) -> Option<Label> {
    let folded = deunicode::deunicode(label).to_lowercase();
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    if !words.iter().all(|w| LABEL_WORDS.contains(w)) {
        return None;
    }
    if !words.iter().any(|w| LABEL_KEYS.contains(w)) {
        return None;
    }
    Some(if words.iter().any(|w| TOTAL_WORDS.contains(w)) {
        Label::Total
    } else {
        Label::Estimate
    })
}

/// The text after a label of an estimate and a colon: "Estimation du
/// temps : ~ 5 minutes", "⏱️ Temps total estimé : 1h", "Estimate: 10m".
pub fn line(line: &str) -> Option<(Label, &str)> {
    let t = line.trim_start_matches(|c: char| !c.is_alphanumeric());
    let colon = t.find([':', '：'])?;
    let kind = label(&t[..colon])?;
    let after = &t[colon..];
    let sep = after.chars().next().map_or(1, char::len_utf8);
    Some((kind, &after[sep..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn split(t: &str) -> (String, Option<(u64, u64)>) {
        let h = split_heading(t);
        (
            h.title,
            h.estimate
                .map(|e| (e.low.as_secs() / 60, e.high.as_secs() / 60)),
        )
    }

    #[test]
    fn estimates_at_the_end_of_headings() {
        for (heading, title, low, high) in [
            (
                "3. Migrate the data (15 minutes)",
                "3. Migrate the data",
                15,
                15,
            ),
            ("Phase 2 (T-0:00, 15 min)", "Phase 2 (T-0:00)", 15, 15),
            ("Backup — ~10 min", "Backup", 10, 10),
            (
                "Étape 2 : Restauration (30 min)",
                "Étape 2 : Restauration",
                30,
                30,
            ),
            ("Restore (1h30)", "Restore", 90, 90),
            ("Vérifier [5m]", "Vérifier", 5, 5),
            ("Drain the node ⏱ 20 min", "Drain the node", 20, 20),
            ("🔄 Rollback (~ 5 min)", "🔄 Rollback", 5, 5),
            ("Import (15 à 30 min)", "Import", 15, 30),
            ("Upgrade - 1-2h", "Upgrade", 60, 120),
            (
                "Step 3 — Switch traffic (env. 10 min)",
                "Step 3 — Switch traffic",
                10,
                10,
            ),
            ("Migration (prod) (2 heures)", "Migration (prod)", 120, 120),
            ("Sauvegarde : 10 min", "Sauvegarde", 10, 10),
        ] {
            assert_eq!(
                split(heading),
                (title.to_string(), Some((low, high))),
                "{heading}"
            );
        }
        assert_eq!(
            split_heading("Warm up (90s)").estimate,
            Some(Estimate::exact(Duration::from_secs(90)))
        );
    }

    #[test]
    fn headings_that_only_mention_time_keep_their_title() {
        for heading in [
            "Wait 5 minutes for the cache",
            "Keep backups 7 days",
            "Retention (7 days)",
            "Timeout of 30s",
            "Read this first (5 min read)",
            "Phase 2 (T-0:00)",
            "Go/no-go at T-15",
            "Release v2.1 (2)",
            "Step 3 — Switch traffic",
            "Step 2: Restore",
            "(15 min)",
            "Rotate keys - every 90 days",
            "Check at 14:00 (UTC)",
            "Scale to 3 replicas, 2 zones",
        ] {
            assert_eq!(split(heading), (heading.to_string(), None), "{heading}");
        }
    }

    #[test]
    fn schedule_offsets_are_not_durations() {
        assert_eq!(
            strip_schedule("T-0:00, 15 min").1.as_deref(),
            Some("T-0:00")
        );
        assert_eq!(strip_schedule("T+0:15").1.as_deref(), Some("T+0:15"));
        assert_eq!(strip_schedule("J-1").1.as_deref(), Some("J-1"));
        assert_eq!(strip_schedule("PT-5").1, None, "inside a word");
        assert_eq!(parse_label_estimate(&strip_schedule("T-0:00").0), None);
    }

    #[test]
    fn labels_in_both_languages() {
        for (text, kind) in [
            ("Temps estimé", Label::Estimate),
            ("Estimated time", Label::Estimate),
            ("Durée", Label::Estimate),
            ("Durée estimée", Label::Estimate),
            ("Estimation du temps", Label::Estimate),
            ("Time required", Label::Estimate),
            ("Durée de l'intervention", Label::Estimate),
            ("Temps total estimé", Label::Total),
            ("Total estimated time", Label::Total),
            ("Durée totale", Label::Total),
            ("Estimated duration", Label::Estimate),
        ] {
            assert_eq!(label(text), Some(kind), "{text}");
        }
        for text in [
            "Wait time",
            "Downtime",
            "Timeout",
            "Durée de rétention",
            "Start time",
            "L'estimation est fausse",
            "Owner",
            "Total",
            "Maintenance window",
            "",
        ] {
            assert_eq!(label(text), None, "{text}");
        }
    }

    #[test]
    fn labelled_lines() {
        assert_eq!(
            line("Estimation du temps : ~ 5 minutes"),
            Some((Label::Estimate, " ~ 5 minutes"))
        );
        assert_eq!(
            line("Durée estimée : 2–4 heures"),
            Some((Label::Estimate, " 2–4 heures"))
        );
        assert_eq!(line("Estimate: 10m"), Some((Label::Estimate, " 10m")));
        assert_eq!(
            line("⏱️ Temps total estimé : 1h"),
            Some((Label::Total, " 1h"))
        );
        assert_eq!(
            line("Total estimated time: 2 hours"),
            Some((Label::Total, " 2 hours"))
        );
        assert_eq!(line("L'estimation est fausse: oui"), None);
        assert_eq!(line("Wait time: 5 minutes"), None);
        assert_eq!(line("Keep backups 7 days"), None);
        assert_eq!(line("Note: wait 5 minutes for the cache"), None);
    }
}
