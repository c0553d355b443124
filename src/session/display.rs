//! What the operator is shown where a runbook writes a variable: its value,
//! so that a gate's command says which server and a checklist says which
//! release; a secret stays `***`. Pure: the values come from the session
//! (the journal's first record, then what each resume changed), so the
//! live screen, the console, a replay and a report show the same thing.
//!
//! Also where a step lands: each target its actions run on, with the
//! database identified there at the start of the session.

use super::msg::DbIdentity;
use super::state::Session;
use crate::runbook::model::{Action, ActionKind, Variable};
use crate::runbook::vars::{reference_bounds, references};
use crate::secrets::Secrets;
use std::collections::BTreeMap;
use std::ops::Range;

/// What a secret is shown as, everywhere.
pub const MASK: &str = crate::secrets::MASK;

/// How a variable is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Value(String),
    Secret,
}

impl Shown {
    pub fn text(&self) -> &str {
        match self {
            Shown::Value(v) => v,
            Shown::Secret => MASK,
        }
    }
}

/// The variables a text is shown with, by name. Only names the runbook
/// declares (or a target sets) are here: `$HOME`, a script's own `$user`
/// and a variable whose value the journal does not hold stay as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    shown: BTreeMap<String, Shown>,
    /// The names the values are for: a placeholder (`<user>`) becomes the
    /// variable of its name only when it is one of them.
    names: Vec<String>,
}

impl Values {
    /// From the declared variables and the non-secret values kept for them.
    /// A secret is `***` whatever `values` holds.
    pub fn new(variables: &[Variable], values: &BTreeMap<String, String>) -> Self {
        let mut shown = BTreeMap::new();
        for v in variables {
            if v.secret {
                shown.insert(v.name.clone(), Shown::Secret);
            } else if let Some(value) = values.get(&v.name) {
                shown.insert(v.name.clone(), Shown::Value(value.clone()));
            }
        }
        let names = variables.iter().map(|v| v.name.clone()).collect();
        Values { shown, names }
    }

    /// What a step's text is shown with when it runs on `target`: the
    /// session's values, then what the target sets for its commands (its
    /// `env`, `DATABASE_URL`, `RUNSHEET_TARGET`), as `action::env` sets them.
    pub fn on_target(session: &Session, target: &str) -> Self {
        let asked = crate::runbook::placeholders::asked_variables(session.runbook());
        let mut values = Values::new(&asked, session.values());
        if let Some(t) = session.target(target) {
            let set: Vec<(String, String)> = t
                .env
                .iter()
                .map(|(k, v)| (k.clone(), values.fill(v)))
                .chain(
                    t.database
                        .iter()
                        .map(|db| ("DATABASE_URL".to_string(), values.fill(db))),
                )
                .collect();
            for (k, v) in set {
                // `DATABASE_URL: $PROD_DB_URL`, a secret, is one too.
                let shown = if v == MASK {
                    Shown::Secret
                } else {
                    Shown::Value(v)
                };
                values.shown.insert(k, shown);
            }
        }
        values
            .shown
            .insert("RUNSHEET_TARGET".into(), Shown::Value(target.to_string()));
        values
    }

    /// The values a step's instructions are shown with: those of the
    /// target the step runs on.
    pub fn for_step(session: &Session, step: &str) -> Self {
        let target = session
            .step(step)
            .and_then(|(phase, s)| s.target.clone().or_else(|| phase.target.clone()))
            .unwrap_or_else(|| session.info().target.clone());
        Values::on_target(session, &target)
    }

    pub fn get(&self, name: &str) -> Option<&Shown> {
        self.shown.get(name)
    }

    /// `text` with every known variable shown (no quoting rules).
    pub fn fill(&self, text: &str) -> String {
        render(&pieces(text, self, Syntax::Plain))
    }
}

/// The values a session keeps in its journal: those of the variables not
/// marked secret, with any secret inside them masked (a URL's password, a
/// secret's value that is part of another value).
pub fn kept(
    variables: &[Variable],
    values: &std::collections::HashMap<String, String>,
    secrets: &Secrets,
) -> BTreeMap<String, String> {
    variables
        .iter()
        .filter(|v| !v.secret)
        .filter_map(|v| Some((v.name.clone(), secrets.redact(values.get(&v.name)?))))
        .collect()
}

/// Which of a text's references are expanded when it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// Every one (runsheet's own expansion: sql, http, s3 …; prose).
    Plain,
    /// As the shell expands: not inside single quotes, comments or a
    /// quoted heredoc's body.
    Shell,
}

impl Syntax {
    pub fn of(action: &Action) -> Self {
        match action.kind {
            ActionKind::Shell { .. } => Syntax::Shell,
            _ => Syntax::Plain,
        }
    }
}

/// A piece of a text as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'t> {
    Text(&'t str),
    Var {
        name: &'t str,
        /// The reference as written: `$NAME`, `${NAME}`, `{{ NAME }}`.
        written: &'t str,
        shown: Shown,
    },
}

/// Each reference to a known variable that is expanded: its extent in
/// `text`, its name, how it is shown.
fn known_refs<'t>(
    text: &'t str,
    values: &'t Values,
    syntax: Syntax,
) -> Vec<(Range<usize>, &'t str, Shown)> {
    let mut refs = variable_refs(text, values, syntax);
    let placeholders = placeholder_refs(text, values, syntax);
    if placeholders.is_empty() {
        return refs;
    }
    for p in placeholders {
        if !refs
            .iter()
            .any(|(r, _, _)| r.start < p.0.end && p.0.start < r.end)
        {
            refs.push(p);
        }
    }
    refs.sort_by_key(|(r, _, _)| r.start);
    refs
}

/// Each placeholder (`<namespace>`) whose variable has a value: shown as
/// that value, as it runs (in quotes too, never in a shell comment).
fn placeholder_refs<'t>(
    text: &'t str,
    values: &'t Values,
    syntax: Syntax,
) -> Vec<(Range<usize>, &'t str, Shown)> {
    use crate::runbook::placeholders::{in_text, own_name};
    let mut out = Vec::new();
    for f in in_text(text, syntax == Syntax::Shell) {
        let var = own_name(|n| values.names.iter().any(|v| v == n), &f.var);
        if let Some((name, shown)) = values.shown.get_key_value(&var) {
            out.push((f.range, name.as_str(), shown.clone()));
        }
    }
    out
}

/// Each `$NAME` reference to a known variable that is expanded.
fn variable_refs<'t>(
    text: &'t str,
    values: &Values,
    syntax: Syntax,
) -> Vec<(Range<usize>, &'t str, Shown)> {
    let literal = match syntax {
        Syntax::Plain => Vec::new(),
        Syntax::Shell => shell_literal(text),
    };
    let mut out = Vec::new();
    let mut last = 0;
    for (name, range) in references(text) {
        let Some(shown) = values.get(&name) else {
            continue;
        };
        let (start, end) = reference_bounds(text, range.start, range.end);
        // A name with no `$`/`${…}`/`{{…}}` around it (`${A:-x}`, whose
        // value the modifier changes) is shown as written.
        if (start, end) == (range.start, range.end)
            || start < last
            || literal.iter().any(|r| r.contains(&start))
        {
            continue;
        }
        out.push((start..end, &text[range], shown.clone()));
        last = end;
    }
    out
}

/// `text` cut into what stays as written and the variables shown.
pub fn pieces<'t>(text: &'t str, values: &'t Values, syntax: Syntax) -> Vec<Piece<'t>> {
    let mut out = Vec::new();
    let mut last = 0;
    for (range, name, shown) in known_refs(text, values, syntax) {
        if range.start > last {
            out.push(Piece::Text(&text[last..range.start]));
        }
        out.push(Piece::Var {
            name,
            written: &text[range.clone()],
            shown,
        });
        last = range.end;
    }
    if last < text.len() || out.is_empty() {
        out.push(Piece::Text(&text[last..]));
    }
    out
}

/// An action's code as shown, by the rules of its kind.
pub fn code<'t>(action: &'t Action, values: &'t Values) -> Vec<Piece<'t>> {
    pieces(&action.code, values, Syntax::of(action))
}

/// The pieces as one text: values in place, secrets as `***`.
pub fn render(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var { shown, .. } => out.push_str(shown.text()),
        }
    }
    out
}

/// Each variable shown, once, in order of first appearance.
pub fn legend(pieces: &[Piece]) -> Vec<(String, Shown)> {
    let mut out: Vec<(String, Shown)> = Vec::new();
    for p in pieces {
        if let Piece::Var { name, shown, .. } = p
            && !out.iter().any(|(n, _)| n == name)
        {
            out.push((name.to_string(), shown.clone()));
        }
    }
    out
}

/// `$RELEASE = 2.4.1 · $API_TOKEN = *** (secret)`: which name each value
/// shown stands for.
pub fn legend_text(entries: &[(String, Shown)]) -> String {
    entries
        .iter()
        .map(|(name, shown)| match shown {
            Shown::Value(v) => format!("${name} = {}", one_line(v)),
            Shown::Secret => format!("${name} = {MASK} (secret)"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn one_line(v: &str) -> String {
    v.replace(['\n', '\r'], " ")
}

/// The ranges of shell code where `$NAME` is not expanded: single quotes
/// (and `$'…'`), comments, and the body of a heredoc whose delimiter is
/// quoted. An unquoted heredoc's body is expanded whatever quotes it holds.
fn shell_literal(code: &str) -> Vec<Range<usize>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut heredocs: Vec<(String, bool, bool)> = Vec::new();
    let mut double = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if double {
            match c {
                b'\\' => i += 2,
                b'"' => {
                    double = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'\\' => i += 2,
            b'"' => {
                double = true;
                i += 1;
            }
            b'\'' => {
                let end = find(b, i + 1, b'\'').map_or(b.len(), |e| e + 1);
                out.push(i..end);
                i = end;
            }
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b';' | b'&' | b'|') => {
                let end = find(b, i, b'\n').unwrap_or(b.len());
                out.push(i..end);
                i = end;
            }
            b'<' if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
                let (next, doc) = heredoc_start(b, i + 2);
                heredocs.extend(doc);
                i = next;
            }
            b'\n' => {
                i += 1;
                for (delim, literal, strip) in std::mem::take(&mut heredocs) {
                    let start = i;
                    let mut end = b.len();
                    while i < b.len() {
                        let eol = find(b, i, b'\n').unwrap_or(b.len());
                        let line = &code[i..eol];
                        let line = if strip {
                            line.trim_start_matches('\t')
                        } else {
                            line
                        };
                        if line == delim {
                            end = i;
                            i = (eol + 1).min(b.len());
                            break;
                        }
                        i = eol + 1;
                    }
                    if literal {
                        out.push(start..end.min(b.len()));
                    }
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// After `<<`: the heredoc's delimiter, whether it was quoted (its body
/// is then literal) and whether tabs are stripped (`<<-`).
fn heredoc_start(b: &[u8], mut i: usize) -> (usize, Option<(String, bool, bool)>) {
    let strip = b.get(i) == Some(&b'-');
    if strip {
        i += 1;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let mut delim = Vec::new();
    let mut quoted = false;
    while let Some(&c) = b.get(i) {
        match c {
            b' ' | b'\t' | b'\n' | b';' | b'|' | b'&' | b'<' | b'>' | b'(' | b')' => break,
            b'\'' | b'"' | b'\\' => quoted = true,
            other => delim.push(other),
        }
        i += 1;
    }
    let delim = String::from_utf8_lossy(&delim).into_owned();
    (i, (!delim.is_empty()).then_some((delim, quoted, strip)))
}

fn find(b: &[u8], from: usize, byte: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == byte)
        .map(|p| from + p)
}

/// How a reference sits in Markdown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Running text: a value is escaped so it reads as written.
    Text,
    /// Inline code or a block shown for reference: the value as it is.
    Code,
    /// A block runsheet runs: shown as the code that runs, untouched.
    Action,
}

/// A step's Markdown with values in place: in its text and its code spans
/// and reference blocks, not in the blocks runsheet runs (the step pane and
/// the gate show those as code). When any value was filled in, a last line
/// says which name each stands for.
pub fn markdown(md: &str, values: &Values) -> String {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};
    let refs = known_refs(md, values, Syntax::Plain);
    if refs.is_empty() {
        return md.to_string();
    }
    let mut places: Vec<(Range<usize>, Place)> = Vec::new();
    let opts = Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(md, opts).into_offset_iter() {
        match event {
            Event::Code(_) => places.push((range, Place::Code)),
            Event::Start(Tag::CodeBlock(kind)) => {
                let runs = match kind {
                    CodeBlockKind::Fenced(info) => {
                        let lang = info
                            .split(|c: char| c.is_whitespace() || c == '{')
                            .next()
                            .unwrap_or_default();
                        crate::runbook::action::kind_of(lang).is_some()
                    }
                    CodeBlockKind::Indented => false,
                };
                places.push((range, if runs { Place::Action } else { Place::Code }));
            }
            _ => {}
        }
    }
    let place_of = |at: usize| {
        places
            .iter()
            .find(|(r, _)| r.contains(&at))
            .map_or(Place::Text, |(_, p)| *p)
    };
    let mut out = String::with_capacity(md.len() + 64);
    let mut shown: Vec<(String, Shown)> = Vec::new();
    let mut last = 0;
    for (range, name, value) in refs {
        let place = place_of(range.start);
        if place == Place::Action {
            continue;
        }
        out.push_str(&md[last..range.start]);
        let text = one_line(value.text());
        match place {
            Place::Text => out.push_str(&escape_markdown(&text)),
            _ => out.push_str(&text),
        }
        last = range.end;
        if !shown.iter().any(|(n, _)| n == name) {
            shown.push((name.to_string(), value));
        }
    }
    out.push_str(&md[last..]);
    if !shown.is_empty() {
        let notes: Vec<String> = shown
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    Shown::Value(v) => code_span(&one_line(v)),
                    Shown::Secret => format!("{} (secret)", code_span(MASK)),
                };
                format!("{} = {v}", code_span(&format!("${name}")))
            })
            .collect();
        out.truncate(out.trim_end().len());
        out.push_str("\n\n*values:* ");
        out.push_str(&notes.join(" · "));
        out.push('\n');
    }
    out
}

/// Every ASCII punctuation character escaped: the value reads as written
/// (`***` is not emphasis, `*_release_*` not italics).
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Inline code holding `text`, whatever backticks it holds.
fn code_span(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// Where a step's actions land: one per target they run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landing {
    pub target: String,
    pub protected: bool,
    /// The database as declared, values filled in (`$PROD_DB_URL` → `***`
    /// when it is a secret).
    pub database: Option<String>,
    /// The database as identified at the start of the session.
    pub identity: Option<DbIdentity>,
    /// Where the commands themselves run: runsheet's host.
    pub host: String,
    /// The context the step's shell blocks on this target run in, as the
    /// preflight found it ("`db` (ssh box): db-1 as deploy, host key …").
    pub context: Option<String>,
}

/// Each target a step's actions run on, `first` (the gate's) first.
pub fn landings(session: &Session, step: &str, first: &str) -> Vec<Landing> {
    let mut names = vec![first.to_string()];
    if let Some((phase, s)) = session.step(step) {
        for a in &s.actions {
            let t = session.action_target(phase, s, a);
            if !names.iter().any(|n| n == t) {
                names.push(t.to_string());
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let values = Values::on_target(session, &name);
            let target = session.target(&name);
            // In a sandbox every context is a stand-in on this machine:
            // the line about the host stays true.
            let live = !session.info().sandbox;
            let context = session.step(step).filter(|_| live).and_then(|(phase, s)| {
                s.actions
                    .iter()
                    .filter(|a| matches!(a.kind, crate::runbook::model::ActionKind::Shell { .. }))
                    .filter(|a| session.action_target(phase, s, a) == name)
                    .find_map(|a| session.runbook().action_context(phase, s, a, &name))
                    .map(|ctx| match session.contexts().get(&ctx.name) {
                        Some(id) => format!("`{}` ({}): {}", ctx.name, id.reached, id.describe()),
                        None => format!("`{}` ({})", ctx.name, ctx.describe()),
                    })
            });
            Landing {
                context,
                protected: target.is_some_and(|t| t.protected),
                database: target.and_then(|t| t.database.as_deref().map(|d| values.fill(d))),
                identity: session.databases().get(&name).cloned(),
                host: session.info().host.clone(),
                target: name,
            }
        })
        .collect()
}

impl Landing {
    /// The landing in words, one fact per line, for any front end:
    /// host, port, database, server version, system identifier.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.database_lines();
        if let Some(ctx) = &self.context {
            lines.push(format!("commands run in context {ctx}"));
        }
        lines
    }

    fn database_lines(&self) -> Vec<String> {
        match (&self.identity, &self.database) {
            (Some(id), _) => {
                let (host, port) = split_server(&id.server);
                let at = match port {
                    Some(port) => format!("host {host}, port {port}"),
                    None => format!("socket {host}"),
                };
                let system = id.system_identifier.as_ref().map_or_else(
                    || "system identifier unknown (no right to read it)".to_string(),
                    |s| format!("system identifier {s}"),
                );
                vec![
                    format!("database {} on {at}", id.database),
                    format!("PostgreSQL {} · {system}", id.version),
                ]
            }
            (None, Some(declared)) => vec![
                format!("database {declared}"),
                "not identified at the start (it could not be reached): check where it points before going on".into(),
            ],
            (None, None) if self.context.is_some() => vec!["no database declared".into()],
            (None, None) => vec![format!(
                "no database declared: the commands run here, on {}",
                self.host
            )],
        }
    }
}

/// `10.0.0.5:5432` → (`10.0.0.5`, `5432`); a socket path has no port.
fn split_server(server: &str) -> (&str, Option<&str>) {
    match server.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, Some(port))
        }
        _ => (server, None),
    }
}

#[cfg(test)]
mod tests;
