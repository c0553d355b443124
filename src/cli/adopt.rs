//! `runsheet adopt FILE [--write [OUT]]` and `runsheet check --suggest`:
//! the edits `adopt` proposes, as a unified diff on stdout, then what it
//! did and what is left for a human on stderr; `--write` writes the copy.

use crate::adopt::{self, Adoption, diff, stats};
use crate::runbook::span::LineIndex;
use crate::term::Paint;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub struct Options {
    /// Some(None): next to the file as NAME.runsheet.md.
    pub write: Option<Option<PathBuf>>,
    pub force: bool,
    pub stats: bool,
    pub color: bool,
}

pub fn run(file: &Path, o: &Options) -> color_eyre::Result<ExitCode> {
    let source = match super::check::read(file) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{msg}");
            return Ok(ExitCode::from(2));
        }
    };
    let display = file.display().to_string();
    let a = adopt::adopt(&display, &source);
    let mut out = diff::unified(&display, &source, &a.edits);
    if o.color {
        out = colour(&out);
    }
    super::check::write_stdout(&out)?;
    let written = match &o.write {
        Some(to) => {
            let to = to.clone().unwrap_or_else(|| copy_path(file));
            if let Err(msg) = write_copy(file, &to, &a, o.force) {
                eprintln!("{msg}");
                return Ok(ExitCode::from(2));
            }
            Some(to)
        }
        None => None,
    };
    eprint!("{}", summary(&display, &a, written.as_deref(), o.color));
    if o.stats {
        let s = stats::of(&display, &a);
        eprintln!(
            "stats: edits before {} · edits left {} · rollback {} · alternative {} · context {} · interactive {} · placeholders {} · runnable blocks {} → {}",
            s.edits_before,
            s.edits_left,
            s.rollback,
            s.alternative,
            s.context,
            s.interactive,
            s.placeholders,
            s.runnable_before,
            s.runnable_after
        );
    }
    Ok(if a.left.iter().any(|d| d.is_error()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `ops/deploy.md` → `ops/deploy.runsheet.md`.
pub fn copy_path(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "runbook".into());
    file.with_file_name(format!("{stem}.runsheet.md"))
}

fn write_copy(file: &Path, to: &Path, a: &Adoption, force: bool) -> Result<(), String> {
    let same = match (std::fs::canonicalize(file), std::fs::canonicalize(to)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(format!(
            "runsheet: adopt never overwrites the original {}; name another file: --write {}",
            file.display(),
            copy_path(file).display()
        ));
    }
    if to.exists() && !force {
        return Err(format!(
            "runsheet: {} already exists; nothing written. Add --force to replace it, or name another file with --write OUT",
            to.display()
        ));
    }
    std::fs::write(to, &a.patched)
        .map_err(|e| format!("runsheet: cannot write {}: {e}", to.display()))
}

fn colour(diff: &str) -> String {
    let p = Paint::new(true);
    diff.lines()
        .map(|l| {
            if l.starts_with("+++") || l.starts_with("---") {
                p.bold(l)
            } else if l.starts_with('+') {
                p.green(l)
            } else if l.starts_with('-') {
                p.red(l)
            } else if l.starts_with("@@") {
                p.dim(l)
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect()
}

/// What adopt did, and each thing left for a human with its line.
pub fn summary(path: &str, a: &Adoption, written: Option<&Path>, color: bool) -> String {
    let p = Paint::new(color);
    let mut out = String::new();
    if a.edits.is_empty() {
        let _ = writeln!(out, "{path}: nothing to adopt");
    } else {
        let _ = writeln!(
            out,
            "{}",
            p.bold(&format!("{path}: {} edit(s)", a.edits.len()))
        );
        for e in &a.edits {
            let _ = writeln!(out, "  line {}: {}", e.first + 1, e.why);
        }
    }
    if let Some(to) = written {
        let _ = writeln!(out, "wrote {} (the original is unchanged)", to.display());
    }
    let left = a.edits_left();
    if left == 0 {
        let _ = writeln!(
            out,
            "{}",
            p.green("left for a human: nothing; `runsheet check` finds no problem in the copy")
        );
        return out;
    }
    let _ = writeln!(out, "{}", p.yellow(&format!("left for a human ({left}):")));
    let index = LineIndex::new(&a.patched);
    let copy = format!("{path} (adopted)");
    for d in &a.left {
        let _ = writeln!(out, "  {}", d.one_line(&copy, &a.patched, &index));
    }
    for n in &a.notes {
        let _ = writeln!(out, "  {path}:{}: {}", n.line, n.text);
    }
    out
}
