//! Offers of alternatives in the TUI: the question that lists an offer's
//! options with their keys (opened when the flow reaches it, and with `o`),
//! and what choosing does to the view.

use super::{App, Command, Mode};
use crate::session::{Msg, Session};
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    /// After a choice, the step the session is at (the chosen option's
    /// first step, or the next flow step) is selected.
    pub(super) fn alternative_chosen(&mut self, session: &Session) {
        if let Some(current) = session.current() {
            self.select(current);
        }
    }

    /// Asks the offer the flow has reached when nothing else is asked,
    /// unless the operator closed it to look around.
    pub(super) fn ask_offer(&mut self, session: &Session) {
        let Some(offer) = session.pending_offer() else {
            return;
        };
        if self.mode == Mode::Normal && self.offer_closed.as_deref() != Some(offer.id.as_str()) {
            self.mode = Mode::Offer {
                offer: offer.id.clone(),
            };
        }
    }

    /// `o`: the offer again, after Esc closed it to look at the steps.
    pub(super) fn reopen_offer(&mut self, session: &Session, now_ms: i64) {
        self.offer_closed = None;
        self.ask_offer(session);
        if !matches!(self.mode, Mode::Offer { .. }) {
            self.flash_alert("No offer of alternatives awaits a choice.", now_ms);
        }
    }

    pub(super) fn offer_key(
        &mut self,
        session: &Session,
        offer: String,
        key: KeyEvent,
    ) -> Vec<Command> {
        let choose = |choice: Option<String>| {
            vec![Command::Submit(Msg::AlternativeChosen {
                offer: offer.clone(),
                choice,
                note: None,
            })]
        };
        match key.code {
            KeyCode::Esc => {
                self.offer_closed = Some(offer);
                return Vec::new();
            }
            KeyCode::Char('n' | 'N') => return choose(None),
            KeyCode::Char(c) => {
                if let Some(option) = session.offer(&offer).and_then(|o| o.by_letter(c)) {
                    return choose(Some(option.id.clone()));
                }
            }
            _ => {}
        }
        self.mode = Mode::Offer { offer };
        Vec::new()
    }
}
