//! Alternatives offered where they stand. A runbook's "Option A / Option
//! B", "Workaround", "If the migration fails" sections never run in order;
//! each maximal run of them is one offer, standing after the flow step
//! before it. When the flow reaches an offer the operator picks one option
//! (or none) before the next flow step may run; the chosen option's steps
//! then run in order like flow steps, the others stay "not chosen".
//! Everything here is pure: computed from the runbook once, and from the
//! session's journaled choices.

use super::msg::Millis;
use super::state::{Session, StepRef};
use super::update::{Effect, Rejected};
use crate::runbook::model::{Phase, Runbook};
use crate::runbook::role::{self, Role};

/// One place where the runbook offers options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// The first option's id: stable for a given runbook.
    pub id: String,
    pub options: Vec<OptionRef>,
    /// The flow step it stands after; None when it stands at the start.
    pub after: Option<String>,
    /// Where its first step sits in the runbook (document order).
    pub(super) at: StepRef,
}

/// One option of an offer: an alternative step, or an alternative phase
/// with its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionRef {
    /// The step's id, or the phase's for a phase.
    pub id: String,
    /// The key that picks it: `a`, `b`, … (never `n`, which means none).
    pub letter: char,
    pub title: String,
    /// Its steps, in order.
    pub steps: Vec<String>,
}

/// What the operator decided at an offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The option chosen; None when none of them was.
    pub option: Option<String>,
    pub at: Millis,
    /// Why, when the choice was not a person's ("auto: none chosen").
    pub note: Option<String>,
    /// Who was operating when it was made.
    pub by: String,
}

/// How an alternative step stands in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Its offer is not decided yet.
    Offered,
    /// Its option was chosen: it runs like a flow step.
    Chosen,
    /// Another option (or none) was chosen: it never runs.
    NotChosen,
}

impl Offer {
    /// "2 options: A “Restore from snapshot”, B “Rebuild from WAL”".
    pub fn label(&self) -> String {
        let n = self.options.len();
        let list: Vec<String> = self
            .options
            .iter()
            .map(|o| format!("{} “{}”", o.letter.to_ascii_uppercase(), o.title))
            .collect();
        let noun = if n == 1 { "option" } else { "options" };
        format!("{n} {noun}: {}", list.join(", "))
    }

    pub fn option(&self, id: &str) -> Option<&OptionRef> {
        self.options.iter().find(|o| o.id == id)
    }

    /// The option a key picks (`a`, `B`).
    pub fn by_letter(&self, key: char) -> Option<&OptionRef> {
        let key = key.to_ascii_lowercase();
        self.options.iter().find(|o| o.letter == key)
    }

    /// Every step of every option.
    pub fn steps(&self) -> impl Iterator<Item = &str> {
        self.options
            .iter()
            .flat_map(|o| o.steps.iter().map(String::as_str))
    }
}

/// The letter of the `i`-th option: `a`…`z` without `n` (none), then
/// digits, then `?` (no key; chosen by id only).
fn letter(i: usize) -> char {
    const KEYS: &[u8] = b"abcdefghijklmopqrstuvwxyz123456789";
    KEYS.get(i).map_or('?', |b| char::from(*b))
}

/// The offers of a runbook, in document order.
pub fn offers_of(runbook: &Runbook) -> Vec<Offer> {
    // Runs of consecutive alternative steps, in document order, each
    // step with where it sits; the last flow step seen before each.
    let mut runs: Vec<(Option<String>, Vec<StepRef>)> = Vec::new();
    let mut last_flow: Option<String> = None;
    let mut open = false;
    for (pi, p) in runbook.phases.iter().enumerate() {
        for (si, s) in p.steps.iter().enumerate() {
            let at = StepRef {
                phase: pi,
                step: si,
            };
            if s.role == Role::Alternative {
                match runs.last_mut() {
                    Some((_, steps)) if open => steps.push(at),
                    _ => runs.push((last_flow.clone(), vec![at])),
                }
                open = true;
                continue;
            }
            open = false;
            if s.role.is_flow() {
                last_flow = Some(s.id.clone());
            }
        }
    }
    runs.into_iter()
        .filter_map(|(after, steps)| offer_of_run(runbook, after, &steps))
        .collect()
}

/// One run of alternative steps as options: a phase that is itself an
/// alternative is one option when several such phases stand together or
/// its steps read as a sequence ("1.", "Step 2"); otherwise each step is.
fn offer_of_run(runbook: &Runbook, after: Option<String>, run: &[StepRef]) -> Option<Offer> {
    let first = *run.first()?;
    let phase_of = |r: &StepRef| runbook.phases.get(r.phase);
    let mut alt_phases: Vec<usize> = run
        .iter()
        .filter(|r| phase_of(r).is_some_and(|p| p.role == Role::Alternative))
        .map(|r| r.phase)
        .collect();
    alt_phases.dedup();
    let phases_are_options = match alt_phases.as_slice() {
        [] => false,
        [pi] => {
            let in_phase = run.iter().filter(|r| r.phase == *pi).count();
            in_phase <= 1
                || runbook
                    .phases
                    .get(*pi)
                    .is_some_and(|p| reads_as_sequence(p, *pi, run))
        }
        _ => true,
    };
    let mut options: Vec<OptionRef> = Vec::new();
    let mut last_phase: Option<usize> = None;
    for r in run {
        let Some(p) = phase_of(r) else { continue };
        let Some(s) = p.steps.get(r.step) else {
            continue;
        };
        if phases_are_options && p.role == Role::Alternative {
            if last_phase == Some(r.phase)
                && let Some(o) = options.last_mut()
            {
                o.steps.push(s.id.clone());
                continue;
            }
            last_phase = Some(r.phase);
            options.push(OptionRef {
                id: p.id.clone(),
                letter: letter(options.len()),
                title: p.title.clone(),
                steps: vec![s.id.clone()],
            });
        } else {
            last_phase = None;
            options.push(OptionRef {
                id: s.id.clone(),
                letter: letter(options.len()),
                title: s.title.clone(),
                steps: vec![s.id.clone()],
            });
        }
    }
    Some(Offer {
        id: options.first()?.id.clone(),
        options,
        after,
        at: first,
    })
}

/// The phase's steps in the run are parts of one procedure, not choices:
/// each title starts with a number or "Step"/"Étape".
fn reads_as_sequence(phase: &Phase, pi: usize, run: &[StepRef]) -> bool {
    const SEQUENCE: &[&str] = &["step", "etape", "stage", "part", "partie"];
    let titles: Vec<&str> = run
        .iter()
        .filter(|r| r.phase == pi)
        .filter_map(|r| phase.steps.get(r.step))
        .map(|s| s.title.as_str())
        .collect();
    !titles.is_empty()
        && titles.iter().all(|t| {
            let words = role::fold(t);
            words.first().is_some_and(|w| {
                w.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || SEQUENCE.contains(&w.as_str())
            })
        })
}

impl Session {
    /// Every offer of the runbook, in document order.
    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }

    pub fn offer(&self, id: &str) -> Option<&Offer> {
        self.offers.iter().find(|o| o.id == id)
    }

    /// What was decided at `offer`, once it was.
    pub fn chosen(&self, offer: &str) -> Option<&Choice> {
        self.choices.get(offer)
    }

    /// The offer and option an alternative step belongs to.
    pub fn option_of(&self, step: &str) -> Option<(&Offer, &OptionRef)> {
        self.offers.iter().find_map(|o| {
            o.options
                .iter()
                .find(|opt| opt.steps.iter().any(|s| s == step))
                .map(|opt| (o, opt))
        })
    }

    /// How an alternative step stands; None for any other step.
    pub fn standing(&self, step: &str) -> Option<Standing> {
        let (offer, option) = self.option_of(step)?;
        Some(match self.chosen(&offer.id) {
            None => Standing::Offered,
            Some(c) if c.option.as_deref() == Some(option.id.as_str()) => Standing::Chosen,
            Some(_) => Standing::NotChosen,
        })
    }

    /// The offer the flow has reached and that awaits a choice: every flow
    /// step before it is settled, except the step it stands after, which
    /// may have failed ("If the migration fails: Option A …").
    pub fn pending_offer(&self) -> Option<&Offer> {
        let offer = self
            .offers
            .iter()
            .find(|o| !self.choices.contains_key(&o.id))?;
        let reached = self.flow.iter().all(|id| {
            let before = self.step_ref(id).is_some_and(|r| rank(r) < rank(offer.at));
            let failed_after = offer.after.as_deref() == Some(id.as_str())
                && self
                    .state(id)
                    .is_some_and(|s| matches!(s.status, super::StepStatus::Failed { .. }));
            !before || failed_after || self.state(id).is_some_and(|s| s.status.is_settled())
        });
        reached.then_some(offer)
    }

    /// True while an offer awaits a choice: the flow is not complete.
    pub(super) fn offer_undecided(&self) -> bool {
        self.offers
            .iter()
            .any(|o| !self.choices.contains_key(&o.id))
    }

    /// Why `step` may not run (or be confirmed) because of an offer: it is
    /// an option not chosen, a context section, or it comes after an offer
    /// still awaiting a choice.
    pub(super) fn offer_blocks(&self, step: &str) -> Option<String> {
        let (_, s) = self.step(step)?;
        let title = &s.title;
        if s.role == Role::Context {
            return Some(format!(
                "“{title}” is context (read it, there is nothing to run or confirm)"
            ));
        }
        match self.standing(step) {
            Some(Standing::Offered) => {
                let (offer, _) = self.option_of(step)?;
                return Some(format!(
                    "“{title}” is one of {}: choose it first",
                    offer.label()
                ));
            }
            Some(Standing::NotChosen) => {
                return Some(format!("“{title}” is an option that was not chosen"));
            }
            Some(Standing::Chosen) | None => {}
        }
        if !self.flow.iter().any(|id| id == step) {
            return None;
        }
        let at = rank(self.step_ref(step)?);
        self.offers
            .iter()
            .filter(|o| !self.choices.contains_key(&o.id))
            .find(|o| rank(o.at) < at)
            .map(|o| {
                format!(
                    "“{title}” comes after {}: choose one (or none) first",
                    o.label()
                )
            })
    }

    /// The flow step before `step` (in the flow as chosen so far) that a
    /// chosen option's step need not wait for: its offer's failed step.
    pub(super) fn failure_before_option(&self, step: &str) -> Option<&str> {
        let (offer, _) = self.option_of(step)?;
        let after = offer.after.as_deref()?;
        self.state(after)
            .is_some_and(|s| matches!(s.status, super::StepStatus::Failed { .. }))
            .then_some(after)
    }

    /// One line on what an off-flow step is in this session, for the
    /// screens: an option (offered, chosen, not chosen) or context.
    pub fn role_note(&self, step: &str) -> Option<String> {
        let (_, s) = self.step(step)?;
        if s.role == Role::Context {
            return Some("¶ Context: read it; there is nothing to run or confirm".into());
        }
        let (offer, option) = self.option_of(step)?;
        let name = format!(
            "⎇ Option {} of {} {}",
            option.letter.to_ascii_uppercase(),
            offer.options.len(),
            self.offer_place(offer)
        );
        Some(match self.standing(step)? {
            Standing::Offered => format!("{name}: runs only if chosen (o asks)"),
            Standing::Chosen => format!("{name}: chosen, runs in the flow"),
            Standing::NotChosen => format!("{name}: not chosen, it does not run"),
        })
    }

    /// The next unsettled step of the chosen option `step` belongs to:
    /// where an option run after a failure goes on.
    pub(super) fn next_in_option(&self, step: &str) -> Option<&str> {
        let (_, option) = self.option_of(step)?;
        let pos = option.steps.iter().position(|s| s == step)?;
        option.steps[pos + 1..]
            .iter()
            .find(|s| !self.state(s).is_some_and(|st| st.status.is_settled()))
            .map(String::as_str)
    }

    /// Where an offer stands, for the operator: "at “Stop the app”" or
    /// "at the start".
    pub fn offer_place(&self, offer: &Offer) -> String {
        match &offer.after {
            Some(step) => format!("at “{}”", self.step_title(step)),
            None => "at the start".to_string(),
        }
    }

    /// A choice in a few words, for the replay bar and the report:
    /// "at “Stop”: 2 options: A “…”, B “…”; chosen B “…”".
    pub fn describe_choice(&self, offer: &str, choice: Option<&str>) -> String {
        let Some(o) = self.offer(offer) else {
            return format!("options at `{offer}`");
        };
        let what = match choice.and_then(|id| o.option(id)) {
            Some(opt) => format!("chosen {} “{}”", opt.letter.to_ascii_uppercase(), opt.title),
            None => "none chosen".to_string(),
        };
        format!("{}: {}; {what}", self.offer_place(o), o.label())
    }

    /// The next step of an option chosen after the step its offer stands
    /// after failed: it runs before the failure is retried or skipped.
    pub fn option_after_failure(&self) -> Option<&str> {
        self.offers.iter().find_map(|o| {
            let chosen = self.chosen(&o.id)?.option.as_deref()?;
            let option = o.option(chosen)?;
            let first = option.steps.first()?;
            self.failure_before_option(first)?;
            option
                .steps
                .iter()
                .find(|s| !self.state(s).is_some_and(|st| st.status.is_settled()))
                .map(String::as_str)
        })
    }

    /// `AlternativeChosen`: checked whole, then applied.
    pub(super) fn choose(
        &mut self,
        at: Millis,
        offer: &str,
        choice: Option<&str>,
        note: Option<&str>,
    ) -> Result<Vec<Effect>, Rejected> {
        let Some(o) = self.offer(offer) else {
            return Err(Rejected(format!(
                "this runbook offers no options at `{offer}`"
            )));
        };
        if let Some(c) = self.chosen(offer) {
            let was = c
                .option
                .as_deref()
                .and_then(|id| o.option(id))
                .map_or_else(|| "none".to_string(), |opt| format!("“{}”", opt.title));
            return Err(Rejected(format!(
                "the choice at {} was already made ({was})",
                o.label()
            )));
        }
        let first = match choice {
            Some(id) => match o.option(id) {
                Some(opt) => opt.steps.first().cloned(),
                None => {
                    return Err(Rejected(format!("`{id}` is not one of {}", o.label())));
                }
            },
            None => None,
        };
        let reached = self.pending_offer().is_some_and(|p| p.id == offer);
        self.choices.insert(
            offer.to_string(),
            Choice {
                option: choice.map(str::to_string),
                at,
                note: note.map(str::to_string),
                by: self.operator.clone(),
            },
        );
        self.rebuild_flow();
        if reached {
            self.current = first.or_else(|| self.next_step().map(str::to_string));
        }
        let mut effects = vec![Effect::AlternativeChosen {
            offer: offer.to_string(),
            choice: choice.map(str::to_string),
        }];
        if self.is_complete() {
            effects.push(Effect::FlowComplete);
        }
        Ok(effects)
    }

    /// The steps run in order: the flow's, and the chosen options' where
    /// they stand.
    pub(super) fn rebuild_flow(&mut self) {
        let flow: Vec<String> = self
            .runbook()
            .steps()
            .map(|(_, s)| s)
            .filter(|s| s.role.is_flow() || self.standing(&s.id) == Some(Standing::Chosen))
            .map(|s| s.id.clone())
            .collect();
        self.flow = flow;
    }
}

fn rank(r: StepRef) -> (usize, usize) {
    (r.phase, r.step)
}
