//! What a section of a runbook is for, read from its heading as people
//! write them: the normal flow, a rollback, an alternative (options,
//! troubleshooting, "if … fails") or context (overview, contacts, annexes).
//! Only the flow runs in order; getting this wrong runs an `rm -rf` written
//! for a rollback as step 5, so the word lists below err towards "not flow"
//! for rollback and alternatives, and towards "flow" for context (a missed
//! overview only costs a confirmation).

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Run in order.
    #[default]
    Flow,
    /// Offered after a failure, run only when chosen.
    Rollback,
    /// Offered where it stands, never run in order ("Option B", "Troubleshooting").
    Alternative,
    /// Read, never a step to confirm ("Overview", "Contacts").
    Context,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Flow, Role::Rollback, Role::Alternative, Role::Context];

    pub fn label(self) -> &'static str {
        match self {
            Role::Flow => "flow",
            Role::Rollback => "rollback",
            Role::Alternative => "alternative",
            Role::Context => "context",
        }
    }

    pub fn from_label(s: &str) -> Option<Role> {
        let s = s.trim().to_ascii_lowercase();
        Role::ALL.into_iter().find(|r| r.label() == s)
    }

    pub fn is_flow(self) -> bool {
        self == Role::Flow
    }
}

/// Words that make a heading a rollback, as token sequences of the folded
/// heading (lowercase, accents dropped, punctuation as spaces).
const ROLLBACK: &[&[&str]] = &[
    &["rollback"],
    &["rollbacks"],
    &["roll", "back"],
    &["rolling", "back"],
    &["roll", "forward", "or", "back"],
    &["revert"],
    &["reverting"],
    &["undo"],
    &["undoing"],
    &["back", "out"],
    &["backout"],
    &["back", "off", "plan"],
    &["retour", "arriere"],
    &["retour", "en", "arriere"],
    &["plan", "de", "retour"],
    &["retablissement"],
    &["annulation"],
    &["annuler"],
    &["defaire"],
    &["revenir", "a", "la", "version"],
    &["revenir", "en", "arriere"],
    &["downgrade"],
];

/// A heading that prepares or tests a rollback is flow: "Create a rollback
/// point", "Test the rollback", "Sauvegarde avant rollback".
const PREPARES: &[&str] = &[
    "prepare",
    "preparing",
    "preparation",
    "preparer",
    "create",
    "creer",
    "creation",
    "test",
    "tester",
    "testing",
    "rehearse",
    "enable",
    "activer",
];
const SAVES: &[&str] = &["backup", "sauvegarde", "snapshot", "save"];
const BEFORE: &[&str] = &["before", "avant", "for", "pour"];

/// Restoring is the whole job of a disaster-recovery runbook, so "restore"
/// is a rollback only when it goes back to what was there before.
const RESTORE: &[&str] = &["restore", "restoring", "restauration", "restaurer"];
const PREVIOUS: &[&str] = &[
    "previous",
    "prior",
    "old",
    "former",
    "original",
    "precedente",
    "precedent",
    "ancienne",
    "ancien",
    "initial",
    "initiale",
];

const ALTERNATIVE: &[&[&str]] = &[
    &["alternative"],
    &["alternatives"],
    &["alternatively"],
    &["alternatif"],
    &["scenario"],
    &["scenarios"],
    &["workaround"],
    &["workarounds"],
    &["troubleshooting"],
    &["troubleshoot"],
    &["depannage"],
    &["contournement"],
    &["solution", "de", "contournement"],
    &["fallback"],
    &["plan", "b"],
    &["plan", "c"],
    &["in", "case", "of"],
    &["in", "case"],
    &["en", "cas"],
    &["on", "failure"],
    &["on", "error"],
    &["upon", "failure"],
    &["known", "issues"],
    &["known", "problems"],
    &["common", "issues"],
    &["common", "problems"],
    &["common", "errors"],
    &["problemes", "connus"],
    &["problemes", "courants"],
    &["problemes", "frequents"],
    &["erreurs", "courantes"],
    &["erreurs", "frequentes"],
    &["possible", "causes"],
    &["possible", "cause"],
    &["causes", "possibles"],
    &["cause", "possible"],
    &["root", "cause"],
    &["what", "to", "do", "if"],
    &["que", "faire", "si"],
];

/// "If …" / "Si …" followed, anywhere later, by one of these.
const CONDITIONS: &[&str] = &["if", "si", "when", "quand", "lorsque", "lorsqu", "should"];
const FAILURES: &[&str] = &[
    "fail",
    "fails",
    "failed",
    "failing",
    "failure",
    "failures",
    "error",
    "errors",
    "broken",
    "breaks",
    "echoue",
    "echouent",
    "echec",
    "erreur",
    "erreurs",
    "plante",
    "problem",
    "problems",
    "probleme",
    "problemes",
    "issue",
    "issues",
    "stuck",
    "bloque",
    "hangs",
];
/// Words that open a conditional heading, in both languages.
const OPENS_BRANCH: &[&str] = &[
    "if",
    "si",
    "otherwise",
    "sinon",
    "else",
    "unless",
    "failing",
];
/// After "when"/"quand", words that say something did not happen: "When the
/// replica never catches up", "Quand rien ne répond". (A bare "not" or "no"
/// is too common in flow headings: "When no connection remains, switch".)
const NEGATIONS: &[&str] = &["never", "nothing", "jamais", "rien"];
const NOT_WORKING: &[&[&str]] = &[
    &["does", "not", "work"],
    &["doesn", "t", "work"],
    &["don", "t", "work"],
    &["is", "not", "working"],
    &["isn", "t", "working"],
    &["ne", "fonctionne", "pas"],
    &["ne", "marche", "pas"],
];

/// Context words that win over the alternative ones: "Emergency contacts"
/// and "Contacts d'urgence" are read, not done.
const CONTEXT_STRONG: &[&str] = &[
    "contact",
    "contacts",
    "escalation",
    "escalade",
    "escalader",
    "astreinte",
    "oncall",
];

/// A heading that starts with one of these (after numbering), or a short
/// one that holds one, is context.
const CONTEXT: &[&str] = &[
    "overview",
    "summary",
    "introduction",
    "intro",
    "purpose",
    "objective",
    "objectives",
    "objectif",
    "objectifs",
    "scope",
    "perimetre",
    "background",
    "context",
    "contexte",
    "references",
    "reference",
    "links",
    "liens",
    "resources",
    "ressources",
    "glossary",
    "glossaire",
    "appendix",
    "appendices",
    "annexe",
    "annexes",
    "annex",
    "historique",
    "history",
    "changelog",
    "notes",
    "faq",
    "about",
    "owners",
    "ownership",
    "auteurs",
    "authors",
    "metadata",
    "metadonnees",
    "informations",
    "documentation",
    "related",
    "definitions",
    "terminology",
    "terminologie",
    "synthese",
    "presentation",
    "sommaire",
    "toc",
    "contents",
];
const CONTEXT_PHRASES: &[&[&str]] = &[
    &["vue", "d", "ensemble"],
    &["a", "propos"],
    &["see", "also"],
    &["voir", "aussi"],
    &["table", "of", "contents"],
    &["table", "des", "matieres"],
    &["resume", "executif"],
    &["executive", "summary"],
    &["revision", "history"],
    &["change", "log"],
    &["release", "notes"],
    &["useful", "links"],
    &["liens", "utiles"],
    &["further", "reading"],
    &["pour", "aller", "plus", "loin"],
];

/// Words that number a heading: "Step 3 —", "Étape 3 :", "Phase 2 -".
const NUMBERING: &[&str] = &[
    "step", "steps", "etape", "phase", "part", "partie", "section", "stage", "chapter", "chapitre",
    "task", "tache",
];

/// The role a heading's words give it; Flow when they say nothing.
pub fn infer(title: &str) -> Role {
    let words = fold(title);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let body = strip_numbering(&words);
    if is_rollback(&words) {
        return Role::Rollback;
    }
    if body.first().is_some_and(|w| CONTEXT_STRONG.contains(w))
        || (body.len() <= 4 && body.iter().any(|w| CONTEXT_STRONG.contains(w)))
    {
        return Role::Context;
    }
    if is_alternative(&words, body) {
        return Role::Alternative;
    }
    if is_context(body) {
        return Role::Context;
    }
    Role::Flow
}

/// Whether a heading speaks of undoing ("Revert the schema") or, unless
/// `restoring_is_the_job`, of restoring ("Restore the database"): a
/// destructive flow step under it deserves a second look.
pub fn mentions_undo(title: &str, restoring_is_the_job: bool) -> bool {
    const UNDO: &[&str] = &[
        "rollback",
        "revert",
        "reverting",
        "undo",
        "annulation",
        "downgrade",
    ];
    let words = fold(title);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    words.iter().any(|w| UNDO.contains(w))
        || contains_seq(&words, &["roll", "back"])
        || contains_seq(&words, &["retour", "arriere"])
        || (!restoring_is_the_job
            && words
                .iter()
                .any(|w| RESTORE.contains(w) || *w == "restoration"))
}

/// A recovery runbook ("Plan de reprise", "Disaster recovery", "Restore
/// from backup") restores as its flow: there "restore" is not an undo.
pub fn is_recovery_title(title: &str) -> bool {
    const RECOVERY: &[&str] = &[
        "recovery",
        "reprise",
        "pra",
        "pca",
        "disaster",
        "sinistre",
        "dr",
        "continuite",
        "continuity",
        "restore",
        "restauration",
        "restoration",
    ];
    fold(title).iter().any(|w| RECOVERY.contains(&w.as_str()))
}

/// A step's role from its phase's and its own heading's: a flow phase's
/// step is what its heading says; a step of a rollback or an alternative
/// never joins the flow by its words alone (only `{role=flow}` does).
pub fn of_step(phase: Role, own: Role) -> Role {
    match (phase, own) {
        (Role::Flow, own) => own,
        (Role::Context, Role::Rollback | Role::Alternative) => own,
        (Role::Alternative, Role::Rollback) => Role::Rollback,
        (phase, _) => phase,
    }
}

fn is_rollback(words: &[&str]) -> bool {
    let at = (0..words.len()).find(|&i| ROLLBACK.iter().any(|p| words[i..].starts_with(p)));
    if let Some(at) = at {
        let before = &words[..at];
        let prepared = before.iter().any(|w| PREPARES.contains(w))
            || before
                .windows(2)
                .any(|w| SAVES.contains(&w[0]) && BEFORE.contains(&w[1]))
            || words
                .get(at + 1)
                .is_some_and(|w| *w == "point" || *w == "points");
        return !prepared;
    }
    words.iter().any(|w| RESTORE.contains(w)) && words.iter().any(|w| PREVIOUS.contains(w))
}

fn is_alternative(words: &[&str], body: &[&str]) -> bool {
    if ALTERNATIVE.iter().any(|p| contains_seq(words, p)) {
        return true;
    }
    // "Option A", "Option 2", "Options": a choice between ways.
    let option = words.iter().enumerate().any(|(i, w)| {
        (*w == "option" && words.get(i + 1).is_some_and(|n| n.len() <= 2))
            || (*w == "options" && i == 0)
    });
    if option || body.first() == Some(&"options") {
        return true;
    }
    // "Emergency procedure", "Procédure d'urgence", but not "Migration
    // manuelle en urgence" (done urgently, still the job).
    if words.iter().enumerate().any(|(i, w)| {
        (*w == "emergency" || *w == "urgence")
            && (body.first() == Some(w)
                || i.checked_sub(1)
                    .and_then(|j| words.get(j))
                    .is_some_and(|p| {
                        ["procedure", "plan", "mode", "d", "de", "cas", "hors"].contains(p)
                    })
                || words.get(i + 1).is_some_and(|n| {
                    ["procedure", "procedures", "plan", "fix", "stop", "measures"].contains(n)
                }))
    }) {
        return true;
    }
    // "Cause 1 : disque plein", "Causes".
    if body
        .first()
        .is_some_and(|w| *w == "cause" || *w == "causes")
    {
        return true;
    }
    // "If the failover does not happen", "Si besoin", "Otherwise": a heading
    // that opens on a condition is a branch, taken only when it holds.
    if body.len() >= 2 && body.first().is_some_and(|w| OPENS_BRANCH.contains(w)) {
        return true;
    }
    // "If the migration fails", "Si la migration échoue", "When pods are stuck",
    // "When nothing happens".
    if let Some(i) = words.iter().position(|w| CONDITIONS.contains(w)) {
        let rest = &words[i + 1..];
        if rest
            .iter()
            .any(|w| FAILURES.contains(w) || NEGATIONS.contains(w))
            || NOT_WORKING.iter().any(|p| contains_seq(rest, p))
        {
            return true;
        }
    }
    false
}

fn is_context(body: &[&str]) -> bool {
    if CONTEXT_PHRASES
        .iter()
        .any(|p| body.len() >= p.len() && body[..p.len()] == **p)
    {
        return true;
    }
    if body.first().is_some_and(|w| CONTEXT.contains(w)) {
        return true;
    }
    // "Useful references", "Liens et ressources": short and about reading.
    body.len() <= 3
        && body.iter().any(|w| CONTEXT.contains(w))
        && body
            .iter()
            .all(|w| CONTEXT.contains(w) || SMALL_WORDS.contains(w) || w.len() <= 2)
}

const SMALL_WORDS: &[&str] = &[
    "and", "et", "the", "de", "des", "du", "la", "le", "les", "of", "useful", "utiles", "utile",
    "key", "general", "generale", "quick", "rapide",
];

/// The heading's words: lowercase, accents folded (é → e), emoji, symbols
/// and punctuation dropped (an apostrophe splits: "d'erreur" → d, erreur).
pub fn fold(title: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            let folded = deunicode::deunicode_char(c).unwrap_or("");
            for f in folded.chars() {
                if f.is_ascii_alphanumeric() {
                    cur.push(f.to_ascii_lowercase());
                }
            }
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// The words after a heading's numbering: "3.", "3)", "Step 3 —",
/// "Étape 3 :", "Phase 2 -", "T-0:00", "II.", "A.".
fn strip_numbering<'a>(words: &'a [&'a str]) -> &'a [&'a str] {
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let more = i + 1 < words.len();
        let is_number = w.chars().all(|c| c.is_ascii_digit())
            || (w.len() <= 4 && w.chars().next().is_some_and(|c| c.is_ascii_digit()));
        let numbered_word = NUMBERING.contains(&w)
            && words.get(i + 1).is_some_and(|n| {
                n.chars().next().is_some_and(|c| c.is_ascii_digit()) || n.len() == 1
            });
        let countdown = w == "t"
            && words
                .get(i + 1)
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
        let roman = more && w.len() <= 4 && w.chars().all(|c| matches!(c, 'i' | 'v' | 'x'));
        let letter = more && w.len() == 1 && !(w == "a" && words.get(i + 1) == Some(&"propos"));
        if is_number || roman || letter {
            i += 1;
        } else if numbered_word || countdown {
            i += 2;
        } else {
            break;
        }
    }
    &words[i.min(words.len())..]
}

fn contains_seq(words: &[&str], seq: &[&str]) -> bool {
    !seq.is_empty() && words.windows(seq.len()).any(|w| w == seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[&str], role: Role) {
        for c in cases {
            assert_eq!(infer(c), role, "{c:?}");
        }
    }

    #[test]
    fn rollback_headings_in_english_and_french() {
        check(
            &[
                "Rollback",
                "🔙 Rollback",
                "⏪️ Rollback Plan",
                "## 7. Rollback",
                "Step 9 — Roll back the release",
                "Emergency rollback",
                "Rollback Phase 2 (avant cutover)",
                "If needed: revert the deployment",
                "Undo the migration",
                "Back out the change",
                "Plan de retour arrière",
                "🔄 Retour arrière",
                "Étape 6 : Retour en arrière",
                "Annulation de la mise à jour",
                "Restore the previous version",
                "Rollback: restore from backup",
                "Restore the previous release from the backup",
                "Restauration de la version précédente",
                "ROLLBACK PROCEDURE",
                "👨‍👩‍👧 Rollback", // ZWJ sequence
            ],
            Role::Rollback,
        );
    }

    #[test]
    fn alternative_headings_in_english_and_french() {
        check(
            &[
                "Option A: blue/green",
                "Option B : restauration manuelle",
                "🅱️ Option 2 — in place",
                "Troubleshooting",
                "🛠️ Troubleshooting",
                "5. Troubleshooting common errors",
                "If the migration fails",
                "If pods don't start or the health check fails",
                "Si la migration échoue",
                "En cas d'erreur",
                "En cas de problème",
                "In case of data corruption",
                "Scenario 1: the primary is down",
                "Scénario B",
                "Cause 1 : disque plein",
                "Possible causes",
                "Workaround",
                "Dépannage",
                "🚨 Emergency procedure",
                "Procédure d'urgence",
                "Urgence : base inaccessible",
                "Emergency stop",
                "Plan B",
                "Fallback to the old cluster",
                "Solution de contournement",
                "Known issues",
                "Problèmes connus",
                "When the job is stuck",
                "Alternative: use pg_restore",
                "⚠️ If the failover does not happen",
                "If nothing happens after 5 minutes",
                "Si la bascule n'a pas lieu",
                "Si besoin : redémarrer le service",
                "Otherwise, page the DBA",
                "When the replica never catches up",
                "Quand rien ne répond",
            ],
            Role::Alternative,
        );
    }

    #[test]
    fn context_headings_in_english_and_french() {
        check(
            &[
                "Overview",
                "📋 Overview",
                "1. Overview",
                "Vue d'ensemble",
                "📖 Vue d’ensemble",
                "Contacts",
                "Contacts d'urgence",
                "☎️ Emergency contacts",
                "Escalation",
                "Escalation path",
                "References",
                "Useful links",
                "Liens utiles",
                "Glossary",
                "Glossaire",
                "Appendix A: useful commands",
                "Annexes",
                "Annexe B — Commandes utiles",
                "Historique des révisions",
                "Revision history",
                "Changelog",
                "Notes",
                "FAQ",
                "À propos",
                "Résumé exécutif",
                "📋 Résumé Exécutif",
                "Contexte",
                "Summary",
                "Introduction",
            ],
            Role::Context,
        );
    }

    #[test]
    fn flow_headings_stay_flow() {
        check(
            &[
                "Prerequisites",
                "Prérequis",
                "Pre-flight checks",
                "Step 3 — Deploy",
                "Étape 2 : Migration des données",
                "Phase 2 - T-0:00 Cutover",
                "Create a rollback point",
                "Sauvegarde avant rollback",
                "Prepare the rollback",
                "Test the rollback procedure",
                "Take a rollback point",
                "Restore the database from last night's backup",
                "Restauration de la base",
                "Verify the deployment",
                "🚀 Deploy",
                "1.1 Backup complet du staging",
                "Check external links",
                "When the window opens, stop the traffic",
                "When no connection remains, switch over",
                "Verify nothing is left running",
                "Check links",
                "Resume traffic",
                "Update the contact email in the config table",
                "Migrate the options table",
                "Post-deployment verification",
                "Final checklist",
                "Notify stakeholders",
                "Drain the node",
                "🛠️ Runbook 1 : Migration Manuelle en Urgence",
            ],
            Role::Flow,
        );
    }

    #[test]
    fn folding_drops_emoji_and_splits_apostrophes() {
        assert_eq!(fold("🔙️ En cas d'erreur"), ["en", "cas", "d", "erreur"]);
        assert_eq!(fold("Étape 3 : Dépannage"), ["etape", "3", "depannage"]);
    }

    #[test]
    fn steps_inherit_unless_they_leave_the_flow() {
        assert_eq!(of_step(Role::Flow, Role::Alternative), Role::Alternative);
        assert_eq!(of_step(Role::Rollback, Role::Flow), Role::Rollback);
        assert_eq!(of_step(Role::Rollback, Role::Alternative), Role::Rollback);
        assert_eq!(of_step(Role::Alternative, Role::Flow), Role::Alternative);
        assert_eq!(of_step(Role::Context, Role::Rollback), Role::Rollback);
        assert_eq!(of_step(Role::Context, Role::Flow), Role::Context);
    }

    #[test]
    fn undo_words_are_seen_in_flow_headings() {
        assert!(mentions_undo("Create a rollback point", true));
        assert!(mentions_undo("Restauration de la base", false));
        assert!(mentions_undo("🔁 Restore the database", false));
        assert!(!mentions_undo("🔁 Restore the database", true));
        assert!(!mentions_undo("Deploy the release", false));
        assert!(is_recovery_title("Plan de reprise d’activité"));
        assert!(is_recovery_title("Disaster recovery"));
        assert!(!is_recovery_title("Upgrade PostgreSQL"));
    }

    #[test]
    fn labels_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_label(r.label()), Some(r));
        }
        assert_eq!(Role::from_label("Alternative"), Some(Role::Alternative));
        assert_eq!(Role::from_label("optional"), None);
    }
}
