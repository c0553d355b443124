//! Offers of alternatives and the runbook's context sections, as the
//! plain console prints and asks them.

use super::{Console, Reply, prose_of};
use crate::driver::Driver;
use crate::runbook::role::Role;
use crate::session::{Offer, Session};

/// Lines of an option's instructions shown under its title.
const OPTION_LINES: usize = 2;
/// Context longer than this is shown as titles only.
const CONTEXT_LINES: usize = 12;

/// What the operator answered at an offer.
pub enum OfferReply {
    /// This option (None: none of them).
    Choose(Option<String>),
    Other(Reply),
}

impl Console {
    /// "⎇ At “Stop the app”: 2 options", each option with its key and its
    /// first lines.
    pub fn offer(&self, session: &Session, offer: &Offer) {
        let p = &self.paint;
        self.line("");
        let n = offer.options.len();
        self.line(&p.bold(&format!(
            "⎇ {}: {n} option{}, run only the one chosen",
            capitalized(&session.offer_place(offer)),
            if n == 1 { "" } else { "s" }
        )));
        for o in &offer.options {
            self.line(&format!("  {}  {}", p.bold(&o.letter.to_string()), o.title));
            let body = o
                .steps
                .first()
                .and_then(|id| session.step(id))
                .map(|(_, s)| prose_of(&s.body))
                .unwrap_or_default();
            for l in body
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(OPTION_LINES)
            {
                self.line(&p.dim(&format!("       {}", l.trim())));
            }
        }
        self.line(&format!("  {}  none of them", p.bold("n")));
    }

    /// `--auto` never picks an option for a person.
    pub fn offer_auto(&self) {
        self.line(&self.paint.dim(
            "  --auto takes none of them (journaled: \"auto: none chosen\"); run without --auto to choose",
        ));
    }

    pub async fn ask_offer(&mut self, driver: &mut Driver, offer: &Offer) -> OfferReply {
        let keys: Vec<String> = offer.options.iter().map(|o| o.letter.to_string()).collect();
        let prompt = format!("{}/n none · note · q quit >", keys.join("/"));
        loop {
            let answer = match self.text(driver, &prompt).await {
                Ok(a) => a,
                Err(r) => return OfferReply::Other(r),
            };
            let mut chars = answer.chars();
            match (chars.next(), chars.next()) {
                (Some('n' | 'N'), None) => return OfferReply::Choose(None),
                (Some(c), None) if offer.by_letter(c).is_some() => {
                    return OfferReply::Choose(offer.by_letter(c).map(|o| o.id.clone()));
                }
                _ if answer == "none" => return OfferReply::Choose(None),
                _ if answer == "s" || answer == "skip" => self.line(
                    &self
                        .paint
                        .dim("  an offer is not skipped: choose one, or n for none of them"),
                ),
                _ => match self.common(driver, &answer).await {
                    Some(r) => return OfferReply::Other(r),
                    None => continue,
                },
            }
        }
    }

    /// The runbook's context sections (Overview, Contacts, References),
    /// read, never run: printed as the session starts, as titles only
    /// when they are long.
    pub fn context_overview(&self, session: &Session) {
        let p = &self.paint;
        let sections: Vec<(&str, String)> = session
            .runbook()
            .steps()
            .filter(|(_, s)| s.role == Role::Context)
            .map(|(_, s)| (s.title.as_str(), prose_of(&s.body)))
            .collect();
        if sections.is_empty() {
            return;
        }
        let lines: usize = sections.iter().map(|(_, b)| b.lines().count() + 1).sum();
        self.line("");
        if lines > CONTEXT_LINES {
            let titles: Vec<&str> = sections.iter().map(|(t, _)| *t).collect();
            self.line(&p.dim(&format!("¶ for reading, not steps: {}", titles.join(" · "))));
            return;
        }
        for (title, body) in sections {
            self.line(&p.dim(&format!("¶ {title}")));
            for l in body.lines().filter(|l| !l.trim().is_empty()) {
                self.line(&p.dim(&format!("  {l}")));
            }
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
