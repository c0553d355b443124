//! Markdown → Runbook. One pass over pulldown-cmark's events with source
//! offsets: `#` title, `##` phases, `###` steps, task lists as checklists,
//! fenced blocks as actions. Never fails: it returns what it could build and
//! every problem found, so `check` can list them all at once.

use super::action::{self, build_action};
use super::attributes::{self, Attr};
use super::diagnostic::{Diagnostic, suggest};
use super::duration::{DURATION_HELP, Estimate, parse_estimate, parse_prose_estimate};
use super::frontmatter;
use super::lint;
use super::model::{ChecklistItem, Phase, Runbook, Step};
use super::role::{self, Role};
use super::span::Span;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A parsed runbook and what is wrong with it.
pub struct Parsed {
    pub runbook: Runbook,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

pub fn parse(path: &str, source: &str) -> Parsed {
    let mut diags = Vec::new();
    let decl = frontmatter::parse(source, &mut diags);
    let mut b = Builder {
        source,
        title: None,
        intro_start: None,
        intro_end: None,
        declared_estimate: None,
        phases: Vec::new(),
        phase: None,
        step: None,
        targets: decl.targets.iter().map(|t| t.name.clone()).collect(),
        diags,
    };
    b.walk(decl.len);
    b.finish_phase(source.len());
    let intro = match (b.intro_start, b.intro_end) {
        (Some(s), e) => source[s..e.unwrap_or(source.len())].trim().to_string(),
        _ => String::new(),
    };
    let mut runbook = Runbook {
        path: path.to_string(),
        title: b.title.clone().unwrap_or_default(),
        intro,
        declared_estimate: b.declared_estimate,
        targets: decl.targets,
        variables: decl.variables,
        sandbox: decl.sandbox,
        phases: std::mem::take(&mut b.phases),
        placeholders: Vec::new(),
        lines: super::span::LineIndex::new(source),
    };
    let mut diags = b.diags;
    if b.title.is_none() {
        diags.push(
            Diagnostic::error(
                "no-title",
                Span::new(decl.len, decl.len),
                "this runbook has no title",
            )
            .with_help("start it with a `# Title` heading"),
        );
    }
    lint::check(&mut runbook, source, &mut diags);
    // Step ids are known now: each placeholder names its step.
    runbook.placeholders = super::placeholders::collect(&runbook, source);
    super::placeholders::lint::check(&runbook, &mut diags);
    diags.sort_by_key(|d| (d.span.start, d.severity));
    Parsed {
        runbook,
        source: source.to_string(),
        diagnostics: diags,
    }
}

struct PhaseDraft {
    phase: Phase,
    /// Its role was written on its heading.
    role_stated: bool,
    heading_end: usize,
    /// Where the phase's intro ends: its first step heading.
    intro_end: Option<usize>,
    /// Checklists and actions written before the first `###`.
    loose: Step,
}

struct StepDraft {
    step: Step,
    body_start: usize,
    /// For a step split off at a `####`-or-deeper heading ("#### If it
    /// fails"): that heading's level; a heading at it or above ends it.
    sub_level: Option<HeadingLevel>,
}

struct Builder<'a> {
    source: &'a str,
    title: Option<String>,
    intro_start: Option<usize>,
    intro_end: Option<usize>,
    declared_estimate: Option<Estimate>,
    phases: Vec<Phase>,
    phase: Option<PhaseDraft>,
    step: Option<StepDraft>,
    targets: Vec<String>,
    diags: Vec<Diagnostic>,
}

/// Inline text being collected for a heading, paragraph or list item.
#[derive(Default)]
struct TextBuf {
    text: String,
    active: bool,
}

impl Builder<'_> {
    fn walk(&mut self, offset: usize) {
        let md = &self.source[offset..];
        let opts = Options::ENABLE_TASKLISTS
            | Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_FOOTNOTES;
        let mut heading: Option<(HeadingLevel, Span)> = None;
        let mut heading_text = TextBuf::default();
        let mut para = TextBuf::default();
        let mut code: Option<(String, Span)> = None;
        let mut code_text = String::new();
        let mut task: Option<Span> = None;
        let mut task_text = TextBuf::default();
        let mut task_depth = 0usize;
        let mut list_depth = 0usize;

        for (event, range) in Parser::new_ext(md, opts).into_offset_iter() {
            let span = Span::new(range.start + offset, range.end + offset);
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    heading = Some((level, span));
                    heading_text = TextBuf {
                        text: String::new(),
                        active: true,
                    };
                }
                Event::End(TagEnd::Heading(_)) => {
                    heading_text.active = false;
                    if let Some((level, span)) = heading.take() {
                        self.on_heading(level, span, &heading_text.text);
                    }
                }
                Event::Start(Tag::Paragraph) => {
                    para = TextBuf {
                        text: String::new(),
                        active: true,
                    };
                }
                Event::End(TagEnd::Paragraph) => {
                    para.active = false;
                    self.on_paragraph(&para.text);
                }
                Event::Start(Tag::List(_)) => {
                    list_depth += 1;
                    if task.is_some() {
                        // A nested list ends the task's own text.
                        task_text.active = false;
                    }
                }
                Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
                Event::TaskListMarker(_) => {
                    task = Some(span);
                    task_depth = list_depth;
                    task_text = TextBuf {
                        text: String::new(),
                        active: true,
                    };
                    // The paragraph wrapping a loose item's text is not prose.
                    para.active = false;
                }
                Event::End(TagEnd::Item) => {
                    if list_depth == task_depth
                        && let Some(start) = task.take()
                    {
                        let text = task_text.text.trim().to_string();
                        self.on_task(ChecklistItem {
                            text,
                            span: Span::new(start.start, span.end),
                        });
                        task_text.active = false;
                    }
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((info, span));
                    code_text.clear();
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((info, span)) = code.take() {
                        self.on_code(&info, span, &code_text);
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    if code.is_some() {
                        code_text.push_str(&t);
                    }
                    for buf in [&mut heading_text, &mut para, &mut task_text] {
                        if buf.active {
                            buf.text.push_str(&t);
                        }
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    for buf in [&mut heading_text, &mut para, &mut task_text] {
                        if buf.active {
                            buf.text.push('\n');
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn on_heading(&mut self, level: HeadingLevel, span: Span, text: &str) {
        let raw_line = self.source[span.range()].lines().next().unwrap_or("");
        let (_, attr_text) = attributes::split_heading(raw_line);
        let attrs = attr_text
            .and_then(|(at, t)| {
                attributes::parse(t, span.start + at)
                    .map_err(|d| self.diags.push(d))
                    .ok()
            })
            .unwrap_or_default();
        let (title, _) = attributes::split_heading(text);
        let title = title.trim().to_string();
        match level {
            HeadingLevel::H1 => {
                if self.title.is_none() && self.phase.is_none() {
                    self.title = Some(title);
                    self.intro_start = Some(span.end);
                    self.check_attrs(&attrs, &[], "the title");
                } else if let Some(role) = explicit_role(&attrs)
                    .or_else(|| Some(role::infer(&title)))
                    .filter(|r| !r.is_flow())
                {
                    // "# Rollback" after the title: text under it must not
                    // run as part of the phase above.
                    self.diags.push(
                        Diagnostic::warning(
                            "extra-title",
                            span,
                            format!(
                                "a runbook has one `#` title; this {} section is read as a phase",
                                role.label()
                            ),
                        )
                        .with_help("use `##` for a phase and `###` for a step"),
                    );
                    self.finish_phase(span.start);
                    if self.intro_end.is_none() {
                        self.intro_end = Some(span.start);
                    }
                    self.start_phase(title, span, &attrs);
                } else {
                    self.diags.push(
                        Diagnostic::warning(
                            "extra-title",
                            span,
                            "a runbook has one `#` title; this heading is shown as text",
                        )
                        .with_help("use `##` for a phase and `###` for a step"),
                    );
                }
            }
            HeadingLevel::H2 => {
                self.finish_phase(span.start);
                if self.intro_end.is_none() {
                    self.intro_end = Some(span.start);
                }
                self.start_phase(title, span, &attrs);
            }
            HeadingLevel::H3 => {
                if self.phase.is_none() {
                    self.diags.push(
                        Diagnostic::error(
                            "step-outside-phase",
                            span,
                            "this step is not inside a phase",
                        )
                        .with_help("add a `## Phase` heading above it"),
                    );
                    self.start_phase(title.clone(), span, &[]);
                }
                self.finish_step(span.start);
                if let Some(p) = &mut self.phase
                    && p.intro_end.is_none()
                {
                    p.intro_end = Some(span.start);
                }
                self.start_step(title, span, &attrs);
            }
            _ => self.on_sub_heading(level, title, span, &attrs),
        }
    }

    /// A `####`-or-deeper heading is text of its step, unless it leaves the
    /// flow ("#### Option B", "#### If the restore fails", "#### Rollback"):
    /// then what follows it, up to a heading at its level or above, is a step
    /// of its own with that role, so its commands never run in order.
    fn on_sub_heading(&mut self, level: HeadingLevel, title: String, span: Span, attrs: &[Attr]) {
        let Some(p) = &self.phase else {
            return;
        };
        let current = match &self.step {
            Some(s) => s.step.role,
            None => p.loose.role,
        };
        // Read quietly here: start_step reports a bad `role=`.
        let own = explicit_role(attrs)
            .unwrap_or_else(|| role::of_step(p.phase.role, role::infer(&title)));
        let in_sub = self
            .step
            .as_ref()
            .and_then(|s| s.sub_level)
            .is_some_and(|l| level <= l);
        let leaves_flow = current.is_flow() && !own.is_flow();
        // Back at the level of the split-off section: the flow goes on.
        let back_to_flow = in_sub && own.is_flow() && p.phase.role.is_flow();
        let next_option = in_sub && !own.is_flow();
        if !(leaves_flow || back_to_flow || next_option) {
            return;
        }
        self.finish_step(span.start);
        if let Some(p) = &mut self.phase
            && p.intro_end.is_none()
        {
            p.intro_end = Some(span.start);
        }
        self.start_step(title, span, attrs);
        if let Some(s) = &mut self.step {
            s.sub_level = (!own.is_flow()).then_some(level);
        }
    }

    /// `{role=alternative}`, `{role=context}`, `{role=flow}`, `{rollback}`.
    fn role_attr(&mut self, attrs: &[Attr]) -> Option<Role> {
        if let Some(a) = attr(attrs, "role") {
            return match Role::from_label(a.text()) {
                Some(r) => Some(r),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            "bad-role",
                            a.value_span,
                            format!("`{}` is not a role", a.text()),
                        )
                        .with_help(
                            "a section's role is one of flow, rollback, alternative, context",
                        ),
                    );
                    None
                }
            };
        }
        explicit_role(attrs)
    }

    fn start_phase(&mut self, title: String, span: Span, attrs: &[Attr]) {
        self.check_attrs(
            attrs,
            &["id", "target", "estimate", "rollback", "role", "undoes"],
            "a phase heading",
        );
        let stated = self.role_attr(attrs);
        let role = stated.unwrap_or_else(|| role::infer(&title));
        let rollback = role == Role::Rollback;
        let id = attr(attrs, "id")
            .map(|a| a.text().to_string())
            .unwrap_or_else(|| slug(&title));
        let undoes = attr(attrs, "undoes").map(list).unwrap_or_default();
        let phase = Phase {
            id,
            title: title.clone(),
            span,
            intro: String::new(),
            estimate: self.estimate_attr(attrs),
            target: self.target_attr(attrs),
            role,
            rollback,
            steps: Vec::new(),
        };
        let loose = Step {
            id: String::new(),
            title,
            span,
            role,
            role_stated: stated.is_some(),
            body: String::new(),
            checklist: Vec::new(),
            actions: Vec::new(),
            estimate: None,
            target: None,
            undoes,
            undoes_inferred: false,
        };
        self.phase = Some(PhaseDraft {
            role_stated: stated.is_some(),
            phase,
            heading_end: span.end,
            intro_end: None,
            loose,
        });
    }

    fn start_step(&mut self, title: String, span: Span, attrs: &[Attr]) {
        self.check_attrs(
            attrs,
            &["id", "target", "estimate", "undoes", "role", "rollback"],
            "a step heading",
        );
        let phase_undoes = self
            .phase
            .as_ref()
            .map(|p| p.loose.undoes.clone())
            .unwrap_or_default();
        let phase_role = self
            .phase
            .as_ref()
            .map(|p| p.phase.role)
            .unwrap_or_default();
        let phase_stated = self.phase.as_ref().is_some_and(|p| p.role_stated);
        let stated = self.role_attr(attrs);
        let role = stated.unwrap_or_else(|| role::of_step(phase_role, role::infer(&title)));
        let step = Step {
            id: attr(attrs, "id")
                .map(|a| a.text().to_string())
                .unwrap_or_default(),
            title,
            span,
            role,
            role_stated: stated.is_some() || phase_stated,
            body: String::new(),
            checklist: Vec::new(),
            actions: Vec::new(),
            estimate: self.estimate_attr(attrs),
            target: self.target_attr(attrs),
            undoes: attr(attrs, "undoes").map(list).unwrap_or(phase_undoes),
            undoes_inferred: false,
        };
        self.step = Some(StepDraft {
            step,
            body_start: span.end,
            sub_level: None,
        });
    }

    fn finish_step(&mut self, end: usize) {
        let Some(mut d) = self.step.take() else {
            return;
        };
        d.step.body = self.source[d.body_start..end.max(d.body_start)]
            .trim()
            .to_string();
        if let Some(p) = &mut self.phase {
            p.phase.steps.push(d.step);
        }
    }

    fn finish_phase(&mut self, end: usize) {
        self.finish_step(end);
        let Some(mut d) = self.phase.take() else {
            if self.intro_end.is_none() {
                self.intro_end = Some(end);
            }
            return;
        };
        let intro_end = d.intro_end.unwrap_or(end).max(d.heading_end);
        let intro = self.source[d.heading_end..intro_end].trim().to_string();
        if !d.loose.actions.is_empty() || !d.loose.checklist.is_empty() {
            // A phase that is itself one step ("Checklist finale").
            d.loose.id = String::new();
            d.loose.body = intro;
            d.loose.estimate = d.phase.estimate.take().or(d.loose.estimate);
            d.phase.steps.insert(0, d.loose);
        } else {
            d.phase.intro = intro;
        }
        self.phases.push(d.phase);
    }

    fn current_step(&mut self) -> Option<&mut Step> {
        if let Some(s) = &mut self.step {
            return Some(&mut s.step);
        }
        self.phase.as_mut().map(|p| &mut p.loose)
    }

    fn on_task(&mut self, item: ChecklistItem) {
        match self.current_step() {
            Some(step) => step.checklist.push(item),
            None => self.diags.push(
                Diagnostic::error(
                    "outside-phase",
                    item.span,
                    "this checklist item is not inside a phase, so nobody would tick it",
                )
                .with_help("move it under a `## Phase` (or `###` step) heading"),
            ),
        }
    }

    fn on_paragraph(&mut self, text: &str) {
        for line in text.lines() {
            let Some(rest) = estimate_line(line) else {
                continue;
            };
            let Some(est) = parse_prose_estimate(rest) else {
                continue;
            };
            if let Some(s) = &mut self.step {
                s.step.estimate.get_or_insert(est);
            } else if let Some(p) = &mut self.phase {
                p.phase.estimate.get_or_insert(est);
            } else {
                self.declared_estimate.get_or_insert(est);
            }
        }
    }

    fn on_code(&mut self, info: &str, span: Span, code: &str) {
        let (lang, attr_text) = attributes::split_info(info);
        let fence_line = self.source[span.range()].lines().next().unwrap_or("");
        let info_at = fence_line.find(info.trim()).unwrap_or(0);
        let attrs = attr_text
            .and_then(|(at, t)| {
                attributes::parse(t, span.start + info_at + at)
                    .map_err(|d| self.diags.push(d))
                    .ok()
            })
            .unwrap_or_default();
        let fence_span = Span::new(span.start, span.start + fence_line.len());
        let Some(kind) = action::kind_of(&lang) else {
            if !attrs.is_empty() {
                self.diags.push(
                    Diagnostic::warning(
                        "not-an-action",
                        fence_span,
                        format!(
                            "a ```{lang} block is shown, not run, so its attributes are ignored"
                        ),
                    )
                    .with_help(format!(
                        "runsheet runs blocks in {}",
                        action::LANGUAGES.join(", ")
                    )),
                );
            }
            return;
        };
        let code_start = span.start + fence_line.len() + 1;
        let code_span = Span::new(
            code_start.min(span.end),
            (code_start + code.len()).min(span.end),
        );
        let act = build_action(
            kind,
            &lang,
            code,
            fence_span,
            code_span,
            &attrs,
            &self.targets,
            &mut self.diags,
        );
        match self.current_step() {
            Some(step) => step.actions.push(act),
            None => self.diags.push(
                Diagnostic::error(
                    "outside-phase",
                    fence_span,
                    format!("this ```{lang} block is not inside a phase, so it would never run"),
                )
                .with_help("move it under a `## Phase` (or `###` step) heading, or use ```text to show it without running it"),
            ),
        }
    }

    fn check_attrs(&mut self, attrs: &[Attr], known: &[&str], context: &str) {
        for a in attrs {
            if !known.contains(&a.key.as_str()) {
                let hint = suggest(&a.key, known.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let accepted = if known.is_empty() {
                    "it takes none".to_string()
                } else {
                    format!("it takes {}", known.join(", "))
                };
                self.diags.push(
                    Diagnostic::error(
                        "unknown-attribute",
                        a.key_span,
                        format!("`{}` is not an attribute of {context}", a.key),
                    )
                    .with_help(format!("{hint}{accepted}")),
                );
            }
        }
    }

    fn estimate_attr(&mut self, attrs: &[Attr]) -> Option<Estimate> {
        let a = attr(attrs, "estimate")?;
        let est = parse_estimate(a.text());
        if est.is_none() {
            self.diags.push(
                Diagnostic::error(
                    "bad-duration",
                    a.value_span,
                    format!("`{}` is not an estimate", a.text()),
                )
                .with_help(format!("{DURATION_HELP}, or a range like 20m-40m")),
            );
        }
        est
    }

    fn target_attr(&mut self, attrs: &[Attr]) -> Option<String> {
        let a = attr(attrs, "target")?;
        action::check_target(a, &self.targets, &mut self.diags);
        Some(a.text().to_string())
    }
}

/// The role an author wrote on a heading, if a valid one.
fn explicit_role(attrs: &[Attr]) -> Option<Role> {
    if let Some(a) = attr(attrs, "role") {
        return Role::from_label(a.text());
    }
    match attr(attrs, "rollback").and_then(Attr::as_bool) {
        Some(true) => Some(Role::Rollback),
        Some(false) => Some(Role::Flow),
        None => None,
    }
}

pub fn attr<'a>(attrs: &'a [Attr], key: &str) -> Option<&'a Attr> {
    attrs.iter().find(|a| a.key == key)
}

fn list(a: &Attr) -> Vec<String> {
    a.text()
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The text after "Estimation du temps :", "Estimate:", "Durée estimée :" …
fn estimate_line(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(|c: char| !c.is_alphanumeric());
    let lower = t.to_lowercase();
    const PREFIXES: [&str; 7] = [
        "estimation",
        "estimated",
        "estimate",
        "durée estimée",
        "duree estimee",
        "temps estimé",
        "expected duration",
    ];
    if !PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return None;
    }
    let colon = t.find(':')?;
    // Only a label: the colon must come within the first few words.
    (t[..colon].split_whitespace().count() <= 5).then(|| &t[colon + 1..])
}

/// `1.1 Backup complet du staging` → `1-1-backup-complet-du-staging`.
pub fn slug(title: &str) -> String {
    // Letters are folded to ASCII (é → e); emoji and symbols are dropped
    // rather than spelled out ("🗄️" would become "file-cabinet").
    let mut out = String::new();
    for c in title.chars() {
        let folded = if c.is_alphanumeric() {
            deunicode::deunicode_char(c).unwrap_or("")
        } else {
            ""
        };
        let folded: String = folded
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !folded.is_empty() {
            out.push_str(&folded);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "step".into()
    } else {
        out.chars()
            .take(60)
            .collect::<String>()
            .trim_end_matches('-')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_accents() {
        assert_eq!(
            slug("1.1 Backup complet du staging"),
            "1-1-backup-complet-du-staging"
        );
        assert_eq!(
            slug("Phase 2 — Migration des données"),
            "phase-2-migration-des-donnees"
        );
        assert_eq!(slug("🗄️"), "step");
        assert_eq!(slug("📋 Résumé Exécutif"), "resume-executif");
    }

    #[test]
    fn estimate_lines_in_french_and_english() {
        assert_eq!(
            estimate_line("Estimation du temps : ~ 5 minutes"),
            Some(" ~ 5 minutes")
        );
        assert_eq!(
            estimate_line("Durée estimée : 2–4 heures"),
            Some(" 2–4 heures")
        );
        assert_eq!(estimate_line("Estimate: 10m"), Some(" 10m"));
        assert_eq!(estimate_line("L'estimation est fausse: oui"), None);
    }
}
