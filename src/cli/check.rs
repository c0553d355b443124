//! `runsheet check`: every problem in a runbook, then its outline.

use super::Format;
use crate::runbook::duration::{Estimate, format_duration};
use crate::runbook::outline::{Outline, StepLine, outline};
use crate::runbook::{self, Diagnostic, Role};
use crate::term::Paint;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

pub fn run(
    files: &[std::path::PathBuf],
    format: Format,
    color: bool,
    suggest: bool,
) -> color_eyre::Result<ExitCode> {
    if suggest {
        return suggest_all(files, color);
    }
    let mut outlines = Vec::new();
    let mut failed = false;
    let mut text = String::new();
    for file in files {
        let source = match read(file) {
            Ok(s) => s,
            Err(msg) => {
                eprintln!("{msg}");
                failed = true;
                continue;
            }
        };
        let display = file.display().to_string();
        let parsed = runbook::parse(&display, &source);
        failed |= parsed.has_errors();
        if format == Format::Text {
            for d in &parsed.diagnostics {
                eprintln!("{}", d.render(&display, &source, color));
            }
            text.push_str(&render_text(&outline(&parsed), &parsed.diagnostics, color));
        } else {
            outlines.push(outline(&parsed));
        }
    }
    if format == Format::Json {
        text = serde_json::to_string_pretty(&outlines)? + "\n";
    }
    write_stdout(&text)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `check --suggest`: what `runsheet adopt` would change, for each file.
fn suggest_all(files: &[std::path::PathBuf], color: bool) -> color_eyre::Result<ExitCode> {
    let options = super::adopt::Options {
        write: None,
        force: false,
        stats: false,
        color,
    };
    let mut code = ExitCode::SUCCESS;
    for file in files {
        let c = super::adopt::run(file, &options)?;
        if c != ExitCode::SUCCESS {
            code = c;
        }
    }
    Ok(code)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(super) fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub(super) fn read(file: &Path) -> Result<String, String> {
    let bytes = std::fs::read(file)
        .map_err(|e| format!("runsheet: cannot read {}: {e}", file.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "runsheet: {} is not UTF-8 text (invalid byte at offset {}); convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8 {} > fixed.md",
            file.display(),
            e.utf8_error().valid_up_to(),
            file.display()
        )
    })
}

fn est(e: Option<Estimate>) -> String {
    e.map_or_else(|| "—".to_string(), |e| e.to_string())
}

pub fn render_text(o: &Outline, _diags: &[Diagnostic], color: bool) -> String {
    let p = Paint::new(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", p.bold(&o.title), p.dim(&o.file));
    let targets: Vec<String> = o
        .targets
        .iter()
        .map(|t| {
            let mut s = t.name.clone();
            let mut attrs = Vec::new();
            if t.protected {
                attrs.push(p.red("protected"));
            }
            attrs.push(format!(
                "timeout {}",
                format_duration(std::time::Duration::from_secs(t.timeout_secs))
            ));
            if let Some(db) = &t.database {
                attrs.push(format!("database {db}"));
            }
            if !t.declared {
                attrs.push("built-in".into());
            }
            s.push_str(&format!(" ({})", attrs.join(", ")));
            s
        })
        .collect();
    let _ = writeln!(out, "  targets    {}", targets.join(" · "));
    if o.variables.is_empty() {
        let _ = writeln!(out, "  variables  none declared");
    } else {
        let vars: Vec<String> = o
            .variables
            .iter()
            .map(|v| {
                if v.secret {
                    format!("{} (secret)", v.name)
                } else {
                    v.name.clone()
                }
            })
            .collect();
        let _ = writeln!(out, "  variables  {}", vars.join(" · "));
    }
    let mut estimate = if o.planned == Estimate::ZERO {
        "no step has an estimate".to_string()
    } else {
        format!("{} planned", o.planned)
    };
    if let Some(d) = o.declared {
        estimate.push_str(&format!(" · {d} stated by the runbook"));
    }
    if o.steps_without_estimate > 0 && o.planned != Estimate::ZERO {
        estimate.push_str(&format!(
            " · {} steps without an estimate",
            o.steps_without_estimate
        ));
    }
    let _ = writeln!(out, "  estimate   {estimate}");
    for phase in &o.phases {
        let _ = writeln!(out);
        let kind = match phase.role {
            Role::Flow => "",
            Role::Rollback => " · rollback section: run only when chosen after a failure",
            Role::Alternative => " · alternative: offered, not run in order",
            Role::Context => " · context: read, not run",
        };
        let _ = writeln!(
            out,
            "{}  {}  est. {}{kind}",
            p.bold(&phase.title),
            p.dim(&format!("#{} line {}", phase.id, phase.line)),
            est(phase.estimate)
        );
        for s in &phase.steps {
            step_lines(&mut out, &p, s, phase.role);
        }
    }
    role_lines(&mut out, &p, o);
    if !o.destructive.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            p.red(&format!("Destructive steps ({})", o.destructive.len()))
        );
        for d in &o.destructive {
            let target = d.target.as_deref().unwrap_or("session target");
            let _ = writeln!(
                out,
                "  {}  {}  line {}  on {}",
                d.step_title,
                p.dim(&format!("#{}", d.step)),
                d.line,
                target
            );
            let _ = writeln!(out, "      {}: {}", p.yellow(&d.rule), d.why);
            let _ = writeln!(out, "      {}", p.dim(&d.excerpt));
        }
    }
    let _ = writeln!(out);
    let verdict = if o.valid {
        p.green("valid")
    } else {
        p.red("invalid")
    };
    let _ = writeln!(
        out,
        "{}: {verdict}, {} error{}, {} warning{}",
        o.file,
        o.errors,
        if o.errors == 1 { "" } else { "s" },
        o.warnings,
        if o.warnings == 1 { "" } else { "s" }
    );
    out
}

/// Every heading with the role it was given, so an author sees at a glance
/// which sections run in order and which never do.
fn role_lines(out: &mut String, p: &Paint, o: &Outline) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", p.bold("Roles"));
    let mut line = |role: Role, level: usize, title: &str, at: usize| {
        let label = format!("{:<11}", role.label());
        let label = match role {
            Role::Flow => label,
            Role::Rollback => p.red(&label),
            Role::Alternative => p.yellow(&label),
            Role::Context => p.dim(&label),
        };
        let hashes = "#".repeat(level.max(1));
        // One line per heading, whatever a scraped heading holds.
        let mut title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.chars().count() > 72 {
            title = title.chars().take(71).chain(['…']).collect();
        }
        let _ = writeln!(
            out,
            "  {label}  {hashes} {title}  {}",
            p.dim(&format!("line {at}"))
        );
    };
    for ph in &o.phases {
        line(ph.role, ph.level, &ph.title, ph.line);
        for s in &ph.steps {
            // A phase that is itself one step has no heading of its own.
            if s.line != ph.line {
                line(s.role, s.level, &s.title, s.line);
            }
        }
    }
}

fn step_lines(out: &mut String, p: &Paint, s: &StepLine, phase_role: Role) {
    let mark = if s.destructive {
        p.red("!")
    } else {
        " ".to_string()
    };
    let _ = writeln!(
        out,
        " {mark} {}  {}",
        s.title,
        p.dim(&format!("#{} line {}", s.id, s.line))
    );
    let mut facts = vec![s.kind.clone()];
    // Said where it differs from its phase's (which its phase line says).
    if s.role != phase_role {
        facts.insert(0, format!("{} (not run in order)", s.role.label()));
    }
    if s.checklist_items > 0 {
        facts.push(format!("{} to tick", s.checklist_items));
    }
    facts.push(format!(
        "on {}",
        s.target.as_deref().unwrap_or("session target")
    ));
    facts.push(match s.timeout_secs {
        Some(t) => format!(
            "timeout {}",
            format_duration(std::time::Duration::from_secs(t))
        ),
        None => "target timeout".into(),
    });
    facts.push(format!("est. {}", est(s.estimate)));
    if s.interactive {
        facts.push("interactive".into());
    }
    if s.destructive {
        facts.push(p.red("destructive"));
    }
    if let Some(r) = &s.cleared {
        facts.push(format!("not destructive: {r}"));
    }
    if !s.undoes.is_empty() {
        facts.push(format!("undoes {}", s.undoes.join(", ")));
    }
    if !s.needs.is_empty() {
        facts.push(format!("needs {}", s.needs.join(", ")));
    }
    if !s.contexts.is_empty() {
        facts.push(format!("runs in {}", s.contexts.join(", ")));
    }
    let _ = writeln!(out, "     {}", facts.join(" · "));
    for r in &s.not_rehearsable {
        let _ = writeln!(
            out,
            "     {}",
            p.yellow(&format!("⊘ not rehearsable in the sandbox: {r}"))
        );
    }
    for r in &s.runs {
        let _ = writeln!(
            out,
            "     {}",
            p.dim(&format!(
                "line {}, a terminal session: runs its commands, {} line{} of output shown, not run",
                r.line,
                r.output_lines,
                if r.output_lines == 1 { "" } else { "s" }
            ))
        );
        for l in r.commands.lines() {
            let _ = writeln!(out, "     │ {l}");
        }
    }
}
