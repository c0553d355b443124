//! Markdown → Runbook. One pass over pulldown-cmark's events with source
//! offsets: `#` title, `##` phases, `###` steps, task lists as checklists,
//! fenced blocks as actions. Never fails: it returns what it could build and
//! every problem found, so `check` can list them all at once.

use super::action::{self, build_action};
use super::attributes::{self, Attr};
use super::checklist::OpenItems;
use super::diagnostic::{Diagnostic, suggest};
use super::duration::{DURATION_HELP, Estimate, parse_estimate, parse_prose_estimate};
use super::estimates::{self, Label};
use super::frontmatter;
use super::lint;
use super::model::{MAX_APPROVALS, Phase, Runbook, Step};
use super::role::{self, Role};
use super::sandbox_skip;
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
        declared_at: None,
        estimate_at: None,
        first_heading: None,
        phases: Vec::new(),
        phase: None,
        step: None,
        targets: decl.targets.iter().map(|t| t.name.clone()).collect(),
        contexts: decl.contexts.iter().map(|c| c.name.clone()).collect(),
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
        workdir: decl.workdir,
        contexts: decl.contexts,
        notify: decl.notify,
        phases: std::mem::take(&mut b.phases),
        placeholders: Vec::new(),
        lines: super::span::LineIndex::new(source),
    };
    let mut diags = b.diags;
    lint::check(&mut runbook, source, &mut diags);
    if b.title.is_none() {
        no_title(&runbook, source, decl.len, b.first_heading, &mut diags);
    }
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

/// The open list item's own text ends: a nested list, a paragraph (read
/// as one) or a task's text follows.
fn quiet_item(items: &mut [(Span, TextBuf)]) {
    if let Some((_, item)) = items.last_mut() {
        item.active = false;
    }
}

/// A runbook without a `# title` gets one error, with a fix that works
/// as written, in place of the cascade the missing headings cause
/// ("not inside a phase", "no phases"): those are the same problem.
fn no_title(
    rb: &Runbook,
    source: &str,
    top: usize,
    first: Option<(HeadingLevel, Span, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    let top_line = line_number(source, top);
    let title = title_from_path(&rb.path);
    // With `# title` and `## Steps` added at the top, nothing is outside
    // a phase any more.
    let fixed_with_it: &[&str] = match first {
        Some((HeadingLevel::H2, ..)) => &[],
        _ => &["step-outside-phase", "outside-phase", "no-phases"],
    };
    let d = match first {
        Some((HeadingLevel::H2, span, text)) => {
            let line = line_number(source, span.start);
            // A first section that is only text is the title and its intro.
            let only_text = rb
                .phases
                .first()
                .is_some_and(|p| p.span == span && p.steps.is_empty())
                && rb.phases.len() > 1;
            let help = if only_text {
                format!("make line {line} `# {text}` to title the runbook")
            } else {
                format!("add the line `# {text}` above line {top_line} to title the runbook")
            };
            Diagnostic::error(
                "no-title",
                span,
                format!("`## {text}` is the first heading: this runbook has no `# title`"),
            )
            .with_help(help)
        }
        Some((level, span, text)) => {
            let hashes = "#".repeat(level as usize);
            Diagnostic::error(
                "no-title",
                span,
                format!(
                    "`{hashes} {text}` is the first heading: this runbook has no `# title` and no `## phase` above it"
                ),
            )
            .with_help(format!(
                "add the lines `# {title}` and `## Steps` above line {top_line}"
            ))
        }
        None => Diagnostic::error(
            "no-title",
            Span::new(top, top),
            "this runbook has no headings: no `# title`, no `## phase`, so nothing in it would run",
        )
        .with_help(format!(
            "add the lines `# {title}` and `## Steps` above line {top_line}"
        )),
    };
    diags.retain(|d| !fixed_with_it.contains(&d.code));
    diags.push(d);
}

/// `restart-nginx.md` → `Restart nginx`: a title to suggest.
fn title_from_path(path: &str) -> String {
    let stem = std::path::Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Runbook");
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => "Runbook".to_string(),
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
    /// Where the runbook's estimate was first stated.
    declared_at: Option<Span>,
    /// Where the estimate of the step (or phase) being read was first
    /// stated: a second one there is reported, not taken.
    estimate_at: Option<Span>,
    /// The first heading: its level, span and title (for `no-title`).
    first_heading: Option<(HeadingLevel, Span, String)>,
    phases: Vec<Phase>,
    phase: Option<PhaseDraft>,
    step: Option<StepDraft>,
    targets: Vec<String>,
    /// Names of the declared contexts, for `{context=…}`.
    contexts: Vec<String>,
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
        let mut para_span = Span::new(0, 0);
        // The cells of the table row being read.
        let mut cells: Option<Vec<String>> = None;
        // The own text of each open list item (a tight item has no
        // paragraph): "- **Durée estimée** : 2h" in a metadata list.
        let mut item_texts: Vec<(Span, TextBuf)> = Vec::new();
        let mut code: Option<(String, Span)> = None;
        let mut code_text = String::new();
        let mut items = OpenItems::default();

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
                    quiet_item(&mut item_texts);
                    // A loose item's second paragraph: a word apart.
                    if items.reading_label()
                        && let Some(step) = self.current_step()
                    {
                        items.text(&mut step.checklist, "\n");
                    }
                    para_span = span;
                    para = TextBuf {
                        text: String::new(),
                        active: true,
                    };
                }
                Event::End(TagEnd::Paragraph) => {
                    para.active = false;
                    self.on_paragraph(&para.text, para_span);
                }
                Event::Start(Tag::TableHead | Tag::TableRow) => cells = Some(Vec::new()),
                Event::Start(Tag::TableCell) => {
                    if let Some(c) = &mut cells {
                        c.push(String::new());
                    }
                }
                Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                    if let Some(c) = cells.take() {
                        self.on_table_row(&c, span);
                    }
                }
                // A nested list ends the item's own words.
                Event::Start(Tag::List(_)) => {
                    quiet_item(&mut item_texts);
                    items.nested_block();
                }
                Event::Start(Tag::Item) => {
                    item_texts.push((
                        span,
                        TextBuf {
                            text: String::new(),
                            active: true,
                        },
                    ));
                    items.item_start();
                }
                Event::TaskListMarker(_) => {
                    quiet_item(&mut item_texts);
                    // `[x]` in the source is ticked in this session all the
                    // same: a runbook's boxes are the operator's to tick.
                    self.on_task(&mut items, span);
                    // The paragraph wrapping a loose item's text is not prose.
                    para.active = false;
                }
                Event::End(TagEnd::Item) => {
                    if let Some((at, item)) = item_texts.pop()
                        && !item.text.is_empty()
                    {
                        self.on_paragraph(&item.text, at);
                    }
                    if let Some(step) = self.current_step() {
                        items.item_end(&mut step.checklist, span.end);
                    } else {
                        items.item_end(&mut [], span.end);
                    }
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    quiet_item(&mut item_texts);
                    items.nested_block();
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((info, span));
                    code_text.clear();
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((info, span)) = code.take() {
                        self.on_code(&info, span, &code_text, &items);
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    if code.is_some() {
                        code_text.push_str(&t);
                    } else if items.reading_label()
                        && let Some(step) = self.current_step()
                    {
                        items.text(&mut step.checklist, &t);
                    }
                    if code.is_none()
                        && let Some(cell) = cells.as_mut().and_then(|c| c.last_mut())
                    {
                        cell.push_str(&t);
                    }
                    for buf in [&mut heading_text, &mut para] {
                        if buf.active {
                            buf.text.push_str(&t);
                        }
                    }
                    if code.is_none()
                        && let Some((_, item)) = item_texts.last_mut().filter(|(_, b)| b.active)
                    {
                        item.text.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if items.reading_label()
                        && let Some(step) = self.current_step()
                    {
                        items.text(&mut step.checklist, "\n");
                    }
                    for buf in [&mut heading_text, &mut para] {
                        if buf.active {
                            buf.text.push('\n');
                        }
                    }
                    if let Some((_, item)) = item_texts.last_mut().filter(|(_, b)| b.active) {
                        item.text.push('\n');
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
        let stated = estimates::split_heading(title.trim());
        let title = stated.title.trim().to_string();
        if self.first_heading.is_none() {
            self.first_heading = Some((level, span, title.clone()));
        }
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
        self.heading_estimate(span, stated.estimate);
    }

    /// The estimate a heading's words give ("### Backup (10 min)") to what
    /// the heading just opened: the title's to the runbook, a phase's or a
    /// step's to it. An `estimate=` attribute on it wins.
    fn heading_estimate(&mut self, span: Span, words: Option<Estimate>) {
        if let Some(s) = &mut self.step
            && s.step.span == span
        {
            s.step.estimate = s.step.estimate.or(words);
            self.estimate_at = s.step.estimate.map(|_| span);
        } else if self.step.is_none()
            && let Some(p) = &mut self.phase
            && p.phase.span == span
        {
            p.phase.estimate = p.phase.estimate.or(words);
            self.estimate_at = p.phase.estimate.map(|_| span);
        } else if self.phase.is_none()
            && self.intro_start == Some(span.end)
            && let Some(e) = words
            && self.declared_estimate.is_none()
        {
            self.declared_estimate = Some(e);
            self.declared_at = Some(span);
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
            &[
                "id",
                "target",
                "estimate",
                "rollback",
                "role",
                "undoes",
                "context",
                "sandbox",
                "reason",
                "approvals",
            ],
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
            context: self.context_attr(attrs),
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
            context: None,
            // Its steps are marked as the phase is, unless they say otherwise.
            sandbox_skip: sandbox_skip::read(attrs, sandbox_skip::Place::Heading, &mut self.diags),
            approvals: self.approvals_attr(attrs),
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
            &[
                "id",
                "target",
                "estimate",
                "undoes",
                "role",
                "rollback",
                "context",
                "sandbox",
                "reason",
                "approvals",
            ],
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
        let own_skip = sandbox_skip::read(attrs, sandbox_skip::Place::Heading, &mut self.diags);
        let sandbox_skip = own_skip.or_else(|| {
            self.phase
                .as_ref()
                .and_then(|p| p.loose.sandbox_skip.clone())
        });
        let approvals = self
            .approvals_attr(attrs)
            .or_else(|| self.phase.as_ref().and_then(|p| p.loose.approvals));
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
            context: self.context_attr(attrs),
            sandbox_skip,
            approvals,
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

    /// A task item's box: the item joins its step's checklist, in document
    /// order, after the actions written before it.
    fn on_task(&mut self, items: &mut OpenItems, span: Span) {
        match self.current_step() {
            Some(step) => {
                let before = step.actions.len();
                items.marker(Some(&mut step.checklist), before, span);
            }
            None => {
                items.marker(None, 0, span);
                self.diags.push(
                    Diagnostic::error(
                        "outside-phase",
                        span,
                        "this checklist item is not inside a phase, so nobody would tick it",
                    )
                    .with_help("move it under a `## Phase` (or `###` step) heading"),
                )
            }
        }
    }

    fn on_paragraph(&mut self, text: &str, span: Span) {
        // A paragraph's lines are its source lines (a soft break each).
        let source = &self.source[span.range()];
        let mut line_starts =
            std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1));
        for line in text.lines() {
            let start = line_starts.next().map_or(span.start, |s| span.start + s);
            let Some((label, rest)) = estimates::line(line) else {
                continue;
            };
            let Some(est) = parse_prose_estimate(rest) else {
                continue;
            };
            let end = self.source[start..span.end]
                .find('\n')
                .map_or(span.end, |n| start + n);
            self.state_estimate(label, est, Span::new(start, end));
        }
    }

    /// A two-column key/value row: `| Temps estimé | 2-4 heures |`.
    fn on_table_row(&mut self, cells: &[String], span: Span) {
        let [key, value] = cells else {
            return;
        };
        let Some(label) = estimates::label(key.trim()) else {
            return;
        };
        if let Some(est) = parse_prose_estimate(value) {
            let line_end = self.source[span.range()]
                .find('\n')
                .map_or(span.end, |n| span.start + n);
            self.state_estimate(label, est, Span::new(span.start, line_end));
        }
    }

    /// An estimate stated on a line or a table row: the step's, else the
    /// phase's, else (under the title, in a context section, or a "total")
    /// the runbook's. The first one stated is kept; a second is reported.
    fn state_estimate(&mut self, label: Label, est: Estimate, at: Span) {
        let in_context = self.step.is_none()
            && self
                .phase
                .as_ref()
                .is_some_and(|p| p.phase.role == Role::Context);
        let own = if label == Label::Total || in_context {
            None
        } else if let Some(s) = &mut self.step {
            Some((&mut s.step.estimate, "step"))
        } else {
            self.phase
                .as_mut()
                .map(|p| (&mut p.phase.estimate, "phase"))
        };
        let (slot, first_at, whose) = match own {
            Some((slot, whose)) => (slot, &mut self.estimate_at, whose),
            None => (
                &mut self.declared_estimate,
                &mut self.declared_at,
                "runbook",
            ),
        };
        let Some(kept) = *slot else {
            *slot = Some(est);
            *first_at = Some(at);
            return;
        };
        if kept == est {
            // Said twice alike (`{estimate=5m}` and "Estimation : ~ 5
            // minutes" under it): nothing to choose between.
            return;
        }
        let first_line = first_at.map(|s| line_number(self.source, s.start));
        let said = match first_line {
            Some(n) => format!("line {n} already gives this {whose} {kept}"),
            None => format!("this {whose} already has the estimate {kept}"),
        };
        self.diags.push(
            Diagnostic::warning(
                "estimate-twice",
                at,
                format!("a second estimate ({est}): {said}, which is kept"),
            )
            .with_help(format!(
                "state one estimate per {whose}: remove this line, or the first one to keep this"
            )),
        );
    }

    fn on_code(&mut self, info: &str, span: Span, code: &str, items: &OpenItems) {
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
        let mut act = build_action(
            kind,
            &lang,
            code,
            fence_span,
            code_span,
            &attrs,
            &self.targets,
            &mut self.diags,
        );
        act.context = self.block_context(kind, &attrs);
        match self.current_step() {
            Some(step) => {
                step.actions.push(act);
                // A block inside a task item is that item's: in its place.
                items.action(&mut step.checklist, step.actions.len() - 1);
            }
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

    /// `{approvals=N}`: how many other people approve the gate.
    fn approvals_attr(&mut self, attrs: &[Attr]) -> Option<u32> {
        let a = attr(attrs, "approvals")?;
        match a.text().trim().parse::<u32>() {
            Ok(n) if n <= MAX_APPROVALS => Some(n),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "bad-approvals",
                        a.value_span,
                        format!("`{}` is not a number of approvals", a.text()),
                    )
                    .with_help(format!(
                        "write how many other people must approve the gate, from 0 to {MAX_APPROVALS}, e.g. {{approvals=1}}"
                    )),
                );
                None
            }
        }
    }

    fn context_attr(&mut self, attrs: &[Attr]) -> Option<String> {
        let a = attr(attrs, "context")?;
        Some(super::context::check_attr(
            a,
            &self.contexts,
            &mut self.diags,
        ))
    }

    /// `{context=…}` on a block: only a shell block runs somewhere.
    fn block_context(&mut self, kind: action::Kind, attrs: &[Attr]) -> Option<String> {
        let a = attr(attrs, "context")?;
        if kind != action::Kind::Shell {
            self.diags.push(
                Diagnostic::error(
                    "bad-context",
                    a.key_span,
                    "only a shell block runs in a context; this block runs inside runsheet",
                )
                .with_help("remove `context=…`; sql, http, s3 and compare blocks reach their target themselves"),
            );
            return None;
        }
        self.context_attr(attrs)
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

/// The 1-based line holding `offset`.
fn line_number(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
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
}
