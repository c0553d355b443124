//! A fenced block → an Action: its kind from the language, its settings from
//! the attributes, and whether the destructive rules flag it.

use super::actions;
use super::attributes::Attr;
use super::destructive::{self, Finding, Rule};
use super::diagnostic::{Diagnostic, suggest};
use super::duration::{DURATION_HELP, parse_duration, parse_estimate};
use super::fences::{self, FenceVerdict};
use super::model::*;
use super::parse::attr;
use super::span::Span;
use std::time::Duration;

/// Languages whose blocks runsheet runs; every other block is shown only.
/// A ```console block (or another terminal-session language) runs only its
/// prompted commands: `fences::split`.
pub const LANGUAGES: [&str; 12] = [
    "bash",
    "sh",
    "shell",
    "console",
    "sql",
    "psql",
    "postgresql",
    "compare",
    "http",
    "hurl",
    "s3",
    "migrations",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Shell,
    Sql,
    Compare,
    Http,
    S3,
    Migrations,
}

/// The kind of a block by its language, however it is capitalised
/// (```Bash in scraped Markdown runs as ```bash does).
pub fn kind_of(lang: &str) -> Option<Kind> {
    if fences::family(lang) == fences::Family::Session {
        return Some(Kind::Shell);
    }
    Some(match lang.to_ascii_lowercase().as_str() {
        "bash" | "sh" | "shell" => Kind::Shell,
        "sql" | "psql" | "postgresql" => Kind::Sql,
        "compare" => Kind::Compare,
        "http" | "hurl" => Kind::Http,
        "s3" => Kind::S3,
        "migrations" => Kind::Migrations,
        _ => return None,
    })
}

const COMMON: [&str; 11] = [
    "name",
    "context",
    "id",
    "target",
    "timeout",
    "estimate",
    "destructive",
    "reason",
    "sandbox",
    "interactive",
    "expect",
];

fn specific(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Shell => &["cwd", "stdout"],
        Kind::Sql => &["writes", "batch", "batch-size"],
        Kind::Compare => &["left", "right", "schema", "mode", "key"],
        Kind::Http => &["retry", "interval"],
        Kind::S3 => &[],
        Kind::Migrations => &["dir", "table"],
    }
}

/// runme's attributes that mean nothing here: accepted with a warning so a
/// runbook written for runme still checks.
const RUNME_ONLY: [&str; 8] = [
    "background",
    "closeTerminalOnSuccess",
    "excludeFromRunAll",
    "promptEnv",
    "terminalRows",
    "category",
    "interpreter",
    "mimeType",
];

#[allow(clippy::too_many_arguments)]
pub fn build_action(
    kind: Kind,
    lang: &str,
    code: &str,
    span: Span,
    code_span: Span,
    attrs: &[Attr],
    targets: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Action {
    check_known(kind, lang, attrs, diags);
    let target = attr(attrs, "target").map(|a| {
        check_target(a, targets, diags);
        a.text().to_string()
    });
    let timeout = attr(attrs, "timeout").and_then(|a| duration(a, diags));
    let estimate = attr(attrs, "estimate").and_then(|a| {
        let e = parse_estimate(a.text());
        if e.is_none() {
            diags.push(
                Diagnostic::error(
                    "bad-duration",
                    a.value_span,
                    format!("`{}` is not an estimate", a.text()),
                )
                .with_help(format!("{DURATION_HELP}, or a range like 20m-40m")),
            );
        }
        e
    });
    let explicit = attr(attrs, "interactive").map(|a| flag(a, diags));
    // A terminal session pasted in runs its commands only; the rules below
    // read what runs.
    let split = split_session(kind, lang, code, span, diags);
    let origin = Origin(split.as_ref());
    // Where each line that runs is written in the fence, for a bash error
    // to name the runbook's line (empty: the block runs as written).
    let command_lines: Vec<usize> = split.as_ref().map_or_else(Vec::new, |v| {
        let mut at = 0;
        v.commands
            .split_inclusive('\n')
            .map(|l| {
                let fence_at = v.origin(at).min(code.len());
                at += l.len();
                code[..fence_at].matches('\n').count()
            })
            .collect()
    });
    let code = split.as_ref().map_or(code, |v| v.commands.as_str());
    // Unmarked shell blocks are read by rule; `interactive=false` keeps a
    // block supervised (stdin closed) whatever it holds.
    let interactive_inferred = match (kind, explicit) {
        (Kind::Shell, None) => super::interactive::scan(code).reason(),
        _ => None,
    };
    let interactive = explicit.unwrap_or(interactive_inferred.is_some());
    let base = code_span.start;
    let (action_kind, mut findings) = match kind {
        Kind::Shell => (
            ActionKind::Shell {
                interpreter: if lang.eq_ignore_ascii_case("sh") {
                    "sh"
                } else {
                    "bash"
                }
                .into(),
            },
            destructive::scan_shell(code),
        ),
        Kind::Sql => sql_kind(code, code_span, origin, attrs, diags),
        Kind::Compare => (compare_kind(code, base, attrs, targets, diags), Vec::new()),
        Kind::Http => (http_kind(code, base, attrs, diags), Vec::new()),
        Kind::S3 => s3_kind(code, base, diags),
        Kind::Migrations => (migrations_kind(span, attrs, diags), Vec::new()),
    };
    findings.sort_by_key(|f| f.span.start);
    let expect = attr(attrs, "expect").and_then(|a| expect(kind, lang, a, diags));
    let findings = findings
        .into_iter()
        .map(|f| DestructiveFinding {
            rule: f.rule,
            span: origin.span(code_span, f.span),
            excerpt: f.excerpt,
        })
        .collect();
    Action {
        kind: action_kind,
        lang: lang.to_string(),
        code: code.to_string(),
        span,
        code_span,
        name: attr(attrs, "name")
            .or_else(|| attr(attrs, "id"))
            .map(|a| a.text().to_string()),
        target,
        context: None,
        timeout,
        estimate,
        interactive,
        interactive_inferred,
        expect,
        cwd: attr(attrs, "cwd").map(|a| a.text().to_string()),
        stdout: attr(attrs, "stdout").and_then(|a| stdout_file(a, interactive, attrs, diags)),
        sample_output: split.as_ref().and_then(|v| v.output.clone()),
        command_lines,
        destructive: Destructive {
            findings,
            overridden: override_of(attrs, diags),
        },
        sandbox_skip: super::sandbox_skip::read(attrs, super::sandbox_skip::Place::Block, diags),
    }
}

/// `{stdout=FILE}`: a file on this machine, which an interactive block
/// (its output is the terminal's) or an `expect=` (it reads the output)
/// cannot have.
fn stdout_file(
    a: &Attr,
    interactive: bool,
    attrs: &[Attr],
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let path = a.text().trim();
    let problem = if path.is_empty() {
        Some("`stdout` needs a file name".to_string())
    } else if interactive {
        Some(
            "an interactive block's output is the operator's terminal; it cannot also go to a file"
                .to_string(),
        )
    } else if attr(attrs, "expect").is_some() {
        Some("`expect` reads the block's output, which `stdout` sends to a file".to_string())
    } else {
        None
    };
    match problem {
        Some(why) => {
            diags.push(Diagnostic::error("bad-stdout", a.span(), why).with_help(
                "write `{stdout=backup.sql}` on a block that is not interactive, e.g. a `pg_dump` run in a context: its output lands in that file here",
            ));
            None
        }
        None => Some(path.to_string()),
    }
}

/// What a pasted session runs (`fences::split`); a ```console block with
/// no command in it would run nothing, which is said.
fn split_session(
    kind: Kind,
    lang: &str,
    code: &str,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<FenceVerdict> {
    if !matches!(kind, Kind::Shell | Kind::Sql) {
        return None;
    }
    let v = fences::split(lang, code)?;
    if v.commands.trim().is_empty() {
        diags.push(
            Diagnostic::warning(
                "session-without-commands",
                span,
                format!("this ```{lang} block has no command to run: no line starts with a prompt (`$ `) or a command"),
            )
            .with_help("write ```text if it only shows output, or put `$ ` before the commands that run"),
        );
    }
    Some(v)
}

/// Maps offsets in what runs back to the block as written.
#[derive(Clone, Copy)]
struct Origin<'a>(Option<&'a FenceVerdict>);

impl Origin<'_> {
    fn span(self, code_span: Span, r: std::ops::Range<usize>) -> Span {
        match self.0 {
            None => code_span.within(r),
            Some(v) => {
                let start = v.origin(r.start);
                let end = if r.end > r.start {
                    v.origin(r.end - 1) + 1
                } else {
                    start
                };
                code_span.within(start..end.max(start))
            }
        }
    }
}

fn check_known(kind: Kind, lang: &str, attrs: &[Attr], diags: &mut Vec<Diagnostic>) {
    let own = specific(kind);
    for a in attrs {
        let key = a.key.as_str();
        if COMMON.contains(&key) || own.contains(&key) {
            continue;
        }
        if RUNME_ONLY.contains(&key) {
            diags.push(Diagnostic::warning(
                "ignored-attribute",
                a.key_span,
                format!("`{key}` is a runme attribute that runsheet ignores"),
            ));
            continue;
        }
        let mut accepted: Vec<&str> = COMMON.to_vec();
        accepted.extend_from_slice(own);
        let elsewhere = [
            Kind::Shell,
            Kind::Sql,
            Kind::Compare,
            Kind::Http,
            Kind::Migrations,
        ]
        .into_iter()
        .find(|k| specific(*k).contains(&key));
        let mut d = Diagnostic::error(
            "unknown-attribute",
            a.key_span,
            format!("`{key}` is not an attribute of a ```{lang} block"),
        );
        d = match elsewhere {
            Some(k) => d.with_help(
                format!(
                    "`{key}` applies to {k:?} blocks; a ```{lang} block takes {}",
                    accepted.join(", ")
                )
                .to_lowercase(),
            ),
            None => {
                let hint = suggest(key, accepted.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                d.with_help(format!(
                    "{hint}a ```{lang} block takes {}",
                    accepted.join(", ")
                ))
            }
        };
        diags.push(d);
    }
}

pub fn check_target(a: &Attr, targets: &[String], diags: &mut Vec<Diagnostic>) {
    let name = a.text();
    if targets.iter().any(|t| t == name) {
        return;
    }
    let hint = suggest(name, targets.iter().map(String::as_str))
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    diags.push(
        Diagnostic::error("unknown-target", a.value_span, format!("unknown target `{name}`"))
            .with_help(format!(
                "{hint}this runbook's targets are {}; declare others under `targets:` in the front matter",
                targets.join(", ")
            )),
    );
}

fn duration(a: &Attr, diags: &mut Vec<Diagnostic>) -> Option<Duration> {
    let d = parse_duration(a.text());
    if d.is_none() {
        diags.push(
            Diagnostic::error(
                "bad-duration",
                a.value_span,
                format!("`{}` is not a duration", a.text()),
            )
            .with_help(DURATION_HELP),
        );
    }
    d
}

fn flag(a: &Attr, diags: &mut Vec<Diagnostic>) -> bool {
    a.as_bool().unwrap_or_else(|| {
        diags.push(
            Diagnostic::error(
                "bad-attribute-value",
                a.value_span,
                format!("`{}` is not true or false", a.text()),
            )
            .with_help(format!("write `{0}` or `{0}=false`", a.key)),
        );
        false
    })
}

/// `destructive=false` clears the rules' verdict only with a reason;
/// `destructive=true` marks a step the rules cannot see through.
fn override_of(attrs: &[Attr], diags: &mut Vec<Diagnostic>) -> Option<Override> {
    let reason = attr(attrs, "reason")
        .map(|a| a.text().trim().to_string())
        .filter(|r| !r.is_empty());
    let Some(a) = attr(attrs, "destructive") else {
        // With `sandbox=skip`, the reason is why it cannot be rehearsed.
        if let Some(r) = attr(attrs, "reason")
            && attr(attrs, "sandbox").is_none()
        {
            diags.push(Diagnostic::warning(
                "reason-without-override",
                r.key_span,
                "`reason` explains a `destructive=…` override or a `sandbox=skip`, and there is neither here",
            ));
        }
        return None;
    };
    let destructive = flag(a, diags);
    if !destructive && reason.is_none() {
        diags.push(
            Diagnostic::error(
                "override-without-reason",
                a.span(),
                "`destructive=false` needs a reason, so whoever reads the journal knows why the gate was skipped",
            )
            .with_help("add one: destructive=false reason=\"drops the temporary table created in step 2.1\""),
        );
    }
    Some(Override {
        destructive,
        reason,
        span: a.span(),
    })
}

fn sql_kind(
    code: &str,
    code_span: Span,
    origin: Origin,
    attrs: &[Attr],
    diags: &mut Vec<Diagnostic>,
) -> (ActionKind, Vec<Finding>) {
    let findings = destructive::scan_sql(code);
    // The block runs in one transaction runsheet opens and closes (read-only
    // unless it writes): a statement that ends or re-modes it would run the
    // rest of the block outside that promise.
    for f in destructive::sql_transaction_control(code) {
        diags.push(
            Diagnostic::error(
                "sql-transaction-control",
                origin.span(code_span, f.span),
                format!(
                    "`{}` controls the transaction, and a sql block runs in one transaction that runsheet begins and ends",
                    f.excerpt
                ),
            )
            .with_help(
                "remove it: the block is committed if every statement succeeds (`writes`) and rolled back otherwise; \
                 work that needs several transactions goes in several steps",
            ),
        );
    }
    let Some(b) = attr(attrs, "batch") else {
        let writes = attr(attrs, "writes").is_some_and(|a| flag(a, diags));
        return (ActionKind::Sql { writes }, findings);
    };
    let (table, key) = match b.text().rsplit_once('.') {
        Some((t, k)) if !t.is_empty() && !k.is_empty() => (t.to_string(), k.to_string()),
        _ => {
            diags.push(
                Diagnostic::error(
                    "bad-batch",
                    b.value_span,
                    "`batch` names the table and its key column",
                )
                .with_help("write batch=old_users.id: batches walk old_users in order of id"),
            );
            (b.text().to_string(), "id".to_string())
        }
    };
    let size = match attr(attrs, "batch-size") {
        None => 1000,
        Some(a) => a
            .text()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| {
                diags.push(
                    Diagnostic::error(
                        "bad-batch",
                        a.value_span,
                        format!("`{}` is not a batch size", a.text()),
                    )
                    .with_help("a whole number of rows per batch, e.g. batch-size=1000"),
                );
                1000
            }),
    };
    if !(code.contains("$1") && code.contains("$2")) {
        diags.push(
            Diagnostic::error(
                "bad-batch",
                b.span(),
                "a batched statement must use $1 and $2, the bounds of each batch's keys",
            )
            .with_help("e.g. INSERT INTO users SELECT * FROM old_users WHERE id > $1 AND id <= $2"),
        );
    }
    (ActionKind::Batch(BatchSpec { table, key, size }), findings)
}

fn compare_kind(
    code: &str,
    base: usize,
    attrs: &[Attr],
    targets: &[String],
    diags: &mut Vec<Diagnostic>,
) -> ActionKind {
    let (tables, mut found) = actions::compare::parse_compare_tables(code, base);
    diags.append(&mut found);
    let side = |key: &str, default: &str, diags: &mut Vec<Diagnostic>| -> String {
        match attr(attrs, key) {
            Some(a) => {
                check_target(a, targets, diags);
                a.text().to_string()
            }
            None => default.to_string(),
        }
    };
    let left = side("left", "staging", diags);
    let right = side("right", "production", diags);
    if left == right
        && let Some(a) = attr(attrs, "right").or_else(|| attr(attrs, "left"))
    {
        diags.push(
            Diagnostic::error(
                "same-target",
                a.value_span,
                "a comparison needs two different targets",
            )
            .with_help("e.g. left=staging right=production"),
        );
    }
    let schema = attr(attrs, "schema")
        .map_or("public", |a| a.text())
        .to_string();
    let mode = match attr(attrs, "mode").map(Attr::text) {
        None | Some("count") => CompareMode::Count,
        Some("checksum") => CompareMode::Checksum,
        Some(other) => {
            if let Some(a) = attr(attrs, "mode") {
                diags.push(
                    Diagnostic::error(
                        "bad-attribute-value",
                        a.value_span,
                        format!("`{other}` is not a comparison mode"),
                    )
                    .with_help(
                        "mode=count compares row counts; mode=checksum also finds rows that differ",
                    ),
                );
            }
            CompareMode::Count
        }
    };
    ActionKind::Compare(CompareSpec {
        left,
        right,
        tables,
        schema,
        mode,
        key: attr(attrs, "key").map_or("id", |a| a.text()).to_string(),
    })
}

fn http_kind(code: &str, base: usize, attrs: &[Attr], diags: &mut Vec<Diagnostic>) -> ActionKind {
    let (check, mut found) = actions::http::parse_http(code, base);
    diags.append(&mut found);
    let mut check = check.unwrap_or(HttpCheck {
        method: "GET".into(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
        status: None,
        asserts: Vec::new(),
        retry_for: None,
        retry_interval: Duration::from_secs(5),
    });
    check.retry_for = attr(attrs, "retry").and_then(|a| duration(a, diags));
    if let Some(d) = attr(attrs, "interval").and_then(|a| duration(a, diags)) {
        check.retry_interval = d;
    }
    ActionKind::Http(check)
}

fn s3_kind(code: &str, base: usize, diags: &mut Vec<Diagnostic>) -> (ActionKind, Vec<Finding>) {
    let (ops, mut found) = actions::s3::parse_s3(code, base);
    diags.append(&mut found);
    let mut findings = Vec::new();
    let mut at = 0;
    for line in code.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("delete") {
            let start = at + (line.len() - t.len());
            findings.push(Finding {
                rule: Rule::S3Delete,
                span: start..start + t.trim_end().len(),
                excerpt: t.trim().to_string(),
            });
        }
        at += line.len();
    }
    (ActionKind::S3(ops), findings)
}

fn migrations_kind(span: Span, attrs: &[Attr], diags: &mut Vec<Diagnostic>) -> ActionKind {
    let dir = match attr(attrs, "dir") {
        Some(a) => a.text().to_string(),
        None => {
            diags.push(
                Diagnostic::error(
                    "bad-migrations",
                    span,
                    "a ```migrations block needs the folder of migration files",
                )
                .with_help("e.g. ```migrations {dir=db/migrate table=schema_migrations}"),
            );
            String::new()
        }
    };
    let table = attr(attrs, "table")
        .map_or("schema_migrations", |a| a.text())
        .to_string();
    ActionKind::Migrations(MigrationsSpec { dir, table })
}

fn expect(kind: Kind, lang: &str, a: &Attr, diags: &mut Vec<Diagnostic>) -> Option<Expect> {
    let text = a.text().trim();
    let parsed = match kind {
        Kind::Shell => text
            .split(',')
            .map(|c| c.trim().parse::<i32>().ok())
            .collect::<Option<Vec<_>>>()
            .map(Expect::Exit),
        Kind::Sql => rows(text),
        Kind::Compare => match text {
            "equal" => Some(Expect::Equal),
            "differ" => Some(Expect::Differ),
            n => n
                .trim_start_matches('+')
                .parse::<i64>()
                .ok()
                .map(Expect::Difference),
        },
        Kind::Migrations if text == "none" => Some(Expect::NoPending),
        Kind::Http | Kind::S3 | Kind::Migrations => {
            let help = match kind {
                Kind::Http => {
                    "write what the response must satisfy in the block: `HTTP 200` then asserts"
                }
                Kind::S3 => {
                    "write checks in the block: verify s3://bucket/key exists size>0 age<30m"
                }
                _ => {
                    "`expect=none` fails the step if any migration is pending; without it, only a destructive pending migration on a protected target fails it"
                }
            };
            diags.push(
                Diagnostic::error(
                    "unknown-attribute",
                    a.key_span,
                    format!("`expect` does not apply to a ```{lang} block"),
                )
                .with_help(help),
            );
            return None;
        }
    };
    if parsed.is_none() {
        let help = match kind {
            Kind::Shell => "expected exit codes, like expect=0 or expect=0,1",
            Kind::Sql => "expected a row count, like expect=\"rows>0\" or expect=\"rows==0\"",
            _ => "expected equal, differ, or the difference right minus left, like expect=+12",
        };
        diags.push(
            Diagnostic::error(
                "bad-expect",
                a.value_span,
                format!("`{text}` is not an expectation here"),
            )
            .with_help(help),
        );
    }
    parsed
}

fn rows(text: &str) -> Option<Expect> {
    let rest = text.strip_prefix("rows")?.trim_start();
    let ops = [
        ("==", Comparison::Eq),
        ("!=", Comparison::Ne),
        ("<=", Comparison::Le),
        (">=", Comparison::Ge),
        ("<", Comparison::Lt),
        (">", Comparison::Gt),
        ("=", Comparison::Eq),
    ];
    let (op, n) = ops
        .iter()
        .find_map(|(s, op)| rest.strip_prefix(s).map(|n| (*op, n)))?;
    n.trim().parse().ok().map(|n| Expect::Rows(op, n))
}
