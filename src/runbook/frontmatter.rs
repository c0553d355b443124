//! The YAML front matter where a runbook declares its targets and variables.
//! GitHub shows it as a table above the runbook, and runme reads the same spot.

use super::context::{self, Context, ContextSpec};
use super::diagnostic::{Diagnostic, suggest};
use super::duration::{DURATION_HELP, parse_duration};
use super::model::{MAX_APPROVALS, Sandbox, Target, Variable};
use super::span::{LineIndex, Span};
use indexmap::IndexMap;
use serde::Deserialize;
use std::time::Duration;

pub const STAGING_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const PRODUCTION_TIMEOUT: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_COUNTDOWN: Duration = Duration::from_secs(10);

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    /// Format version; 1 is the only one so far.
    runsheet: Option<u32>,
    #[serde(default)]
    targets: IndexMap<String, Option<TargetSpec>>,
    #[serde(default)]
    variables: IndexMap<String, Option<VariableSpec>>,
    sandbox: Option<SandboxSpec>,
    #[serde(default)]
    contexts: IndexMap<String, Option<ContextSpec>>,
    /// The folder the session's commands run in.
    workdir: Option<String>,
    /// Webhooks told of the session's start, gates, failures and end.
    #[serde(default)]
    notify: Vec<super::notify::HookSpec>,
}

/// How `runsheet sandbox` sets up a rehearsal of this runbook.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SandboxSpec {
    dataset: Option<String>,
    migrations: Option<String>,
    table: Option<String>,
    #[serde(default)]
    env: IndexMap<String, String>,
    workdir: Option<String>,
    setup: Option<String>,
    #[serde(default)]
    buckets: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TargetSpec {
    protected: Option<bool>,
    timeout: Option<String>,
    countdown: Option<String>,
    /// Other people who must approve its gates (four-eyes).
    approvals: Option<u32>,
    database: Option<String>,
    #[serde(default)]
    env: IndexMap<String, String>,
    description: Option<String>,
    /// Where its shell blocks run: a context's name, or one declared inline.
    context: Option<String>,
    ssh: Option<String>,
    jump: Option<String>,
    exec: Option<Vec<String>>,
    pass: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct VariableSpec {
    #[serde(default)]
    secret: bool,
    description: Option<String>,
    default: Option<String>,
}

/// What the front matter declares, with `span` covering the whole block.
pub struct Declarations {
    pub targets: Vec<Target>,
    pub variables: Vec<Variable>,
    pub sandbox: Option<Sandbox>,
    /// Where shell blocks may run (`runbook::context`), inline ones included.
    pub contexts: Vec<Context>,
    /// `workdir:`, as written.
    pub workdir: Option<String>,
    /// `notify:`, checked.
    pub notify: Vec<super::notify::Hook>,
    /// Byte length of the front matter block, delimiters included (0 if none).
    pub len: usize,
}

/// The byte order mark some Windows editors put at the start of a file.
const BOM: &str = "\u{feff}";

/// Bytes of a byte order mark at the start of `source` (3 or 0). It is not
/// text: a runbook saved with one is read as if it had none, and every span
/// still counts from the file's first byte.
pub fn bom_len(source: &str) -> usize {
    if source.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// Finds `---` … `---` at the very start of the source (after a byte order
/// mark, if any).
fn block(source: &str) -> Option<(usize, usize, usize)> {
    let start = bom_len(source);
    let first_line_end = start + source[start..].find('\n')?;
    if source[start..first_line_end].trim_end() != "---" {
        return None;
    }
    let yaml_start = first_line_end + 1;
    let mut at = yaml_start;
    for line in source[yaml_start..].split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            return Some((yaml_start, at, at + line.len()));
        }
        at += line.len();
    }
    None
}

pub fn parse(source: &str, diags: &mut Vec<Diagnostic>) -> Declarations {
    let Some((yaml_start, yaml_end, block_end)) = block(source) else {
        let bom = bom_len(source);
        let text = &source[bom..];
        if text.starts_with("---\n") || text.starts_with("---\r\n") {
            diags.push(
                Diagnostic::error(
                    "bad-front-matter",
                    Span::new(bom, bom + 3),
                    "the front matter is not closed",
                )
                .with_help("end the YAML block with a line holding only `---`"),
            );
        }
        return Declarations {
            targets: builtin_targets(),
            variables: Vec::new(),
            sandbox: None,
            contexts: Vec::new(),
            workdir: None,
            notify: Vec::new(),
            len: bom,
        };
    };
    let yaml = &source[yaml_start..yaml_end];
    let fm: FrontMatter = match serde_saphyr::from_str(yaml) {
        Ok(Some(fm)) => fm,
        Ok(None) => FrontMatter::default(),
        Err(e) => {
            diags.push(yaml_error(source, yaml_start, yaml, &e));
            FrontMatter::default()
        }
    };
    let locate = |needle: &str| -> Span {
        find_key(yaml, needle)
            .map(|(s, e)| Span::new(yaml_start + s, yaml_start + e))
            .unwrap_or(Span::new(bom_len(source), bom_len(source) + 3))
    };
    if let Some(v) = fm.runsheet
        && v != 1
    {
        diags.push(
            Diagnostic::error(
                "bad-front-matter",
                locate("runsheet"),
                format!("this runbook is for runsheet format {v}; this runsheet reads format 1"),
            )
            .with_help("write `runsheet: 1`, or upgrade runsheet"),
        );
    }
    let mut contexts = context::declare_all(fm.contexts, &locate, diags);
    let mut targets = Vec::new();
    for (name, spec) in fm.targets {
        let spec = spec.unwrap_or_default();
        let key_span = locate(&name);
        let builtin_timeout = match name.as_str() {
            "production" => PRODUCTION_TIMEOUT,
            "staging" => STAGING_TIMEOUT,
            _ => DEFAULT_TIMEOUT,
        };
        let mut duration_of = |field: &str, value: Option<&String>, default: Duration| {
            let Some(text) = value else { return default };
            parse_duration(text).unwrap_or_else(|| {
                let span = find_value(yaml, text)
                    .map(|(s, e)| Span::new(yaml_start + s, yaml_start + e))
                    .unwrap_or(key_span);
                diags.push(
                    Diagnostic::error(
                        "bad-duration",
                        span,
                        format!("`{text}` is not a duration ({field} of target {name})"),
                    )
                    .with_help(DURATION_HELP),
                );
                default
            })
        };
        let timeout = duration_of("timeout", spec.timeout.as_ref(), builtin_timeout);
        let countdown = duration_of("countdown", spec.countdown.as_ref(), DEFAULT_COUNTDOWN);
        if !is_name(&name) {
            diags.push(
                Diagnostic::error(
                    "bad-front-matter",
                    key_span,
                    format!("`{name}` is not a valid target name"),
                )
                .with_help("use letters, digits, `-` and `_`, e.g. `production` or `eu-west-3`"),
            );
        }
        let inline = ContextSpec {
            exec: spec.exec,
            ssh: spec.ssh,
            jump: spec.jump,
            pass: spec.pass,
            sandbox: None,
        };
        let context =
            context::for_target(&name, spec.context, inline, key_span, &mut contexts, diags);
        targets.push(Target {
            context,
            protected: spec.protected.unwrap_or(name == "production"),
            timeout,
            countdown,
            approvals: match spec.approvals {
                Some(n) if n > MAX_APPROVALS => {
                    diags.push(
                        Diagnostic::error(
                            "bad-approvals",
                            key_span,
                            format!("target {name} asks {n} approvals: at most {MAX_APPROVALS}"),
                        )
                        .with_help("`approvals:` is how many other people must approve its gates, e.g. `approvals: 1`"),
                    );
                    MAX_APPROVALS
                }
                n => n.unwrap_or(0),
            },
            database: spec.database,
            env: spec.env.into_iter().collect(),
            description: spec.description,
            declared: true,
            name,
        });
    }
    if targets.is_empty() {
        targets = builtin_targets();
    }
    let variables = fm
        .variables
        .into_iter()
        .map(|(name, spec)| {
            let spec = spec.unwrap_or_default();
            let span = locate(&name);
            if !is_variable_name(&name) {
                diags.push(
                    Diagnostic::error(
                        "bad-front-matter",
                        span,
                        format!("`{name}` is not a valid variable name"),
                    )
                    .with_help("variables are environment variables: letters, digits and `_`, not starting with a digit, e.g. PROD_DB_URL"),
                );
            }
            if spec.secret && spec.default.is_some() {
                // The runbook's text is copied into every journal and shown
                // by `check`: a default there is no secret.
                diags.push(
                    Diagnostic::error(
                        "secret-default",
                        span,
                        format!("the secret `{name}` has a default: the runbook's text is copied into every journal, so the value would be kept there in clear"),
                    )
                    .with_help(format!(
                        "remove `default:` and give the value when the session starts: `export {name}=…`, or type it when asked (a rehearsal's value goes under `sandbox: env:`)"
                    )),
                );
            }
            Variable {
                name,
                secret: spec.secret,
                description: spec.description,
                default: spec.default,
                span,
            }
        })
        .collect();
    let sandbox = fm.sandbox.map(|spec| {
        for name in spec.env.keys() {
            if !is_variable_name(name) {
                diags.push(
                    Diagnostic::error(
                        "bad-front-matter",
                        locate(name),
                        format!("`{name}` is not a valid variable name"),
                    )
                    .with_help("sandbox.env sets environment variables: letters, digits and `_`"),
                );
            }
        }
        if let Some(w) = &spec.workdir {
            check_folder("sandbox: workdir:", w, locate("workdir"), diags);
        }
        if let Some(script) = &spec.setup
            && script.trim().is_empty()
        {
            diags.push(
                Diagnostic::error("bad-front-matter", locate("setup"), "`sandbox: setup:` is empty")
                    .with_help("write the shell script the sandbox runs at start (`setup: |` then its lines), or remove `setup:`"),
            );
        }
        for bucket in &spec.buckets {
            if let Some(why) = bucket_error(bucket) {
                diags.push(
                    Diagnostic::error(
                        "bad-front-matter",
                        find_value(yaml, bucket)
                            .map(|(s, e)| Span::new(yaml_start + s, yaml_start + e))
                            .unwrap_or_else(|| locate("buckets")),
                        format!("`{bucket}` in `sandbox: buckets:` {why}"),
                    )
                    .with_help("a bucket is named by 3 to 63 lowercase letters, digits, `.` and `-` (e.g. `backups-sandbox`), or by a variable (`$S3_BUCKET`) set under `sandbox: env:`"),
                );
            }
        }
        Sandbox {
            dataset: spec.dataset,
            migrations: spec.migrations,
            table: spec.table,
            env: spec.env.into_iter().collect(),
            workdir: spec.workdir,
            setup: spec.setup,
            buckets: spec.buckets,
        }
    });
    if let Some(w) = &fm.workdir {
        // `workdir:` at the top level: the first such key of the YAML
        // text, which precedes a `sandbox: workdir:` only when written
        // first; good enough for a span.
        check_folder("workdir:", w, locate("workdir"), diags);
    }
    let notify = check_notify(&fm.notify, yaml, yaml_start, locate("notify"), diags);
    Declarations {
        targets,
        variables,
        sandbox,
        contexts,
        workdir: fm.workdir,
        notify,
        len: block_end,
    }
}

/// The webhooks under `notify:` that are well written; each one that is
/// not is an error, and a URL written out (a Slack webhook's URL is its
/// credential) is a warning.
fn check_notify(
    specs: &[super::notify::HookSpec],
    yaml: &str,
    yaml_start: usize,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<super::notify::Hook> {
    let span_of = |needle: &str| {
        find_value(yaml, needle)
            .map(|(s, e)| Span::new(yaml_start + s, yaml_start + e))
            .unwrap_or(at)
    };
    let mut hooks = Vec::new();
    for spec in specs {
        match super::notify::check(spec) {
            Ok(hook) => {
                if super::notify::written_out(&hook) {
                    diags.push(
                        Diagnostic::warning(
                            "notify-url-written-out",
                            span_of(&spec.url),
                            "this webhook's URL is written in the runbook: a webhook URL is a credential (anyone holding it can post), and the runbook is shared",
                        )
                        .with_help("put it in a secret variable (`url: $SLACK_WEBHOOK`, with `SLACK_WEBHOOK: {secret: true}` under `variables:`) or in the config file's `notify:`"),
                    );
                }
                hooks.push(hook);
            }
            Err(why) => {
                let bad = spec
                    .on
                    .iter()
                    .flatten()
                    .find(|n| super::notify::NotifyEvent::from_name(n.trim()).is_none());
                diags.push(
                    Diagnostic::error(
                        "bad-front-matter",
                        bad.map_or_else(|| span_of(&spec.url), |b| span_of(b)),
                        why,
                    )
                    .with_help(format!(
                        "a webhook is `- url: $SLACK_WEBHOOK` with, optionally, `on: [...]` naming some of: {} (all of them by default)",
                        super::notify::NotifyEvent::list()
                    )),
                );
            }
        }
    }
    hooks
}

fn check_folder(what: &str, declared: &str, span: Span, diags: &mut Vec<Diagnostic>) {
    if let Some(why) = super::workdir::shape_error(declared) {
        diags.push(
            Diagnostic::error("bad-front-matter", span, format!("`{what}` `{declared}` {why}"))
                .with_help(format!(
                    "`{what}` is a folder, relative to the runbook's file (`../app`), absolute, or from `~` or a variable (`$REPO_DIR/app`)"
                )),
        );
    }
}

/// Why `name` cannot name a bucket (None: it can, or it is a variable
/// whose value is only known in the sandbox).
pub fn bucket_error(name: &str) -> Option<&'static str> {
    if name.starts_with('$') || name.starts_with("{{") {
        return (super::vars::references(name).len() != 1)
            .then_some("is not one variable (`$S3_BUCKET`)");
    }
    if !(3..=63).contains(&name.len()) {
        return Some("is not 3 to 63 characters long");
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok || !ends(name.chars().next()) || !ends(name.chars().last()) {
        return Some("is not a bucket name");
    }
    None
}

/// A runbook that declares no targets gets the two every seed uses.
pub fn builtin_targets() -> Vec<Target> {
    [
        ("staging", false, STAGING_TIMEOUT),
        ("production", true, PRODUCTION_TIMEOUT),
    ]
    .into_iter()
    .map(|(name, protected, timeout)| Target {
        name: name.into(),
        protected,
        timeout,
        countdown: DEFAULT_COUNTDOWN,
        approvals: 0,
        database: None,
        env: Vec::new(),
        description: None,
        declared: false,
        context: None,
    })
    .collect()
}

pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The span of `key:` in the YAML text (first occurrence as a mapping key).
fn find_key(yaml: &str, key: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    for line in yaml.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if let Some(rest) = t.strip_prefix(key)
            && rest.trim_start().starts_with(':')
        {
            return Some((at + indent, at + indent + key.len()));
        }
        at += line.len();
    }
    None
}

fn find_value(yaml: &str, value: &str) -> Option<(usize, usize)> {
    yaml.find(value).map(|s| (s, s + value.len()))
}

const FIELDS: [&str; 27] = [
    "runsheet",
    "notify",
    "url",
    "on",
    "workdir",
    "setup",
    "buckets",
    "contexts",
    "context",
    "ssh",
    "jump",
    "exec",
    "targets",
    "variables",
    "sandbox",
    "dataset",
    "migrations",
    "table",
    "protected",
    "timeout",
    "countdown",
    "approvals",
    "database",
    "env",
    "description",
    "secret",
    "default",
];

fn yaml_error(source: &str, yaml_start: usize, yaml: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let options = serde_saphyr::render_options! {
        snippets: serde_saphyr::SnippetMode::Off,
    };
    let rendered = e.without_snippet().render_with_options(options);
    let message = rendered
        .rsplit_once(" at line ")
        .map_or(rendered.as_str(), |(m, _)| m)
        .trim()
        .to_string();
    let span = e
        .location()
        .map(|loc| {
            let idx = LineIndex::new(yaml);
            let line = (loc.line() as usize).saturating_sub(1);
            let start = idx.line_start(line);
            let col_bytes: usize = idx
                .line_text(yaml, line)
                .chars()
                .take((loc.column() as usize).saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            let s = yaml_start + start + col_bytes;
            let word_end = source[s..]
                .find([':', '\n', ' '])
                .map_or(source.len(), |i| s + i);
            Span::new(s, word_end.max(s + 1).min(source.len()))
        })
        .unwrap_or(Span::new(bom_len(source), bom_len(source) + 3));
    let mut d = Diagnostic::error("bad-front-matter", span, format!("front matter: {message}"));
    if message.contains("unknown field") {
        let word = message.split('`').nth(1).unwrap_or("");
        let hint = suggest(word, FIELDS)
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        d = d.with_help(format!(
            "{hint}the front matter takes runsheet, targets, variables, sandbox, contexts, workdir, notify; \
             a target takes protected, timeout, countdown, approvals, database, env, description, context, ssh, jump, exec; \
             a context takes ssh, jump, exec, sandbox; \
             a variable takes secret, description, default; \
             the sandbox takes dataset, migrations, table, env, workdir, setup, buckets; \
             a webhook under notify takes url, on"
        ));
    } else {
        d = d.with_help(
            "see docs/runbook-format.md for the front matter's fields; quote strings holding `:` or `#`",
        );
    }
    d
}
