//! `runsheet sandbox status`: what runs, for which runbook, where its
//! sessions work. For the operator who comes back to a terminal and
//! wonders what `--sandbox` would reach.

use std::fmt::Write;
use std::path::Path;

use super::{State, alive, listening};

/// The report, and whether a sandbox runs (the command's exit status).
pub fn describe(dir: &Path, state: Option<&State>) -> (String, bool) {
    let Some(state) = state else {
        return (
            format!(
                "no sandbox in {}: start one with `runsheet sandbox --runbook RUNBOOK`, or `runsheet run RUNBOOK --target staging --sandbox --drill`\n",
                dir.display()
            ),
            false,
        );
    };
    let runs = alive(state);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sandbox in {}: {}",
        dir.display(),
        if runs {
            "running"
        } else {
            "NOT running (a part of it stopped or crashed): `runsheet sandbox stop` cleans it up, the next start makes a new one"
        }
    );
    let _ = writeln!(
        out,
        "  started for: {}",
        state.runbook.as_ref().map_or_else(
            || "no runbook (flags only): it serves any runbook".to_string(),
            super::runbook_identity::RunbookIdentity::describe
        )
    );
    let up = |port: u16| {
        if listening(port) {
            "listening"
        } else {
            "NOT listening"
        }
    };
    for c in &state.clusters {
        let _ = writeln!(
            out,
            "  PostgreSQL {}: 127.0.0.1:{} ({}), database {}",
            c.name,
            c.port,
            up(c.port),
            super::DATABASE
        );
    }
    match &state.health {
        Some(h) => {
            let _ = writeln!(
                out,
                "  health endpoint: http://127.0.0.1:{} ({})",
                h.port,
                up(h.port)
            );
        }
        None => out.push_str("  health endpoint: none\n"),
    }
    match &state.moto {
        Some(m) => {
            let _ = writeln!(
                out,
                "  S3 (moto): http://127.0.0.1:{} ({})",
                m.port,
                up(m.port)
            );
        }
        None => out.push_str("  S3: none\n"),
    }
    if let Some(w) = &state.work {
        let _ = writeln!(
            out,
            "  work folder (sandbox sessions run there): {}",
            w.display()
        );
    }
    for m in &state.made {
        let _ = writeln!(out, "  made: {m}");
    }
    for n in &state.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    (out, runs)
}
