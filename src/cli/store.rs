//! `runsheet store init|status|push`: the team's session store.

use super::{StoreAction, runtime, said};
use std::process::ExitCode;

pub fn run(action: StoreAction) -> color_eyre::Result<ExitCode> {
    Ok(said(runtime()?.block_on(act(action))))
}

async fn act(action: StoreAction) -> Result<String, String> {
    use crate::store;
    let conninfo = store::required()?;
    let at = store::describe(&conninfo);
    let mut client = store::connect(&conninfo).await?;
    match action {
        StoreAction::Init => {
            let applied = store::schema::init(&mut client).await?;
            Ok(if applied.now.is_empty() {
                format!(
                    "store {at}: schema already at version {}, nothing to do\n",
                    applied.version
                )
            } else {
                let names: Vec<String> = applied
                    .now
                    .iter()
                    .map(|(v, n)| format!("{v} ({n})"))
                    .collect();
                format!(
                    "store {at}: schema at version {} (applied {})\n",
                    applied.version,
                    names.join(", ")
                )
            })
        }
        StoreAction::Status => store::status::render(&client, &at).await,
        StoreAction::Push { journal } => {
            store::schema::ready(&client).await?;
            let done = store::ship::push(&mut client, &journal).await?;
            Ok(format!(
                "store {at}: holds {} of {} records of {}\n",
                done.stored,
                done.local,
                journal.display()
            ))
        }
    }
}

/// `runsheet unlock`'s part in the team's store, when one is set: a stale
/// lock there is removed, a live one is left; what happened, to print.
pub fn unlock_team(runbook: &std::path::Path, target: &str) -> Option<String> {
    let conninfo = crate::store::conninfo().ok().flatten()?;
    let rt = runtime().ok()?;
    let slug = crate::journal::paths::runbook_slug(runbook);
    let done = rt.block_on(async {
        let client = crate::store::connect(&conninfo).await?;
        crate::store::lock::clear_stale(&client, &slug, target).await
    });
    Some(match done {
        Ok(true) => format!("removed the team's stale lock on {slug} for {target} in the store"),
        Ok(false) => format!("no stale team lock on {slug} for {target} in the store"),
        Err(e) => format!("the team's lock in the store was not checked: {e}"),
    })
}

/// `runsheet follow`: the store's copy mirrored here, in the replay screen.
pub fn follow(
    what: Option<String>,
    target: Option<String>,
    color: bool,
) -> color_eyre::Result<ExitCode> {
    use crate::store::follow::{self, Which};
    let which = match (what, target) {
        (Some(runbook), Some(target)) => Which::Runbook {
            runbook: runbook.into(),
            target,
        },
        (Some(name), None) => Which::Session(name),
        (None, Some(_)) => {
            eprintln!(
                "runsheet: --target goes with a runbook: `runsheet follow RUNBOOK --target T`"
            );
            return Ok(ExitCode::from(2));
        }
        (None, None) => Which::Latest,
    };
    let mirror = match crate::store::required().and_then(|c| follow::start(&c, &which)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    crate::replay::replay(
        &mirror,
        crate::replay::ReplayOptions {
            follow: true,
            color,
            ..Default::default()
        },
    )
}

/// `runsheet handover`.
pub fn handover(journal: Option<std::path::PathBuf>, note: &str) -> color_eyre::Result<ExitCode> {
    let rt = runtime()?;
    let done = rt.block_on(async {
        let dir = crate::journal::paths::journal_dir().map_err(|e| e.to_string())?;
        let path = match journal {
            Some(p) => std::path::absolute(&p).unwrap_or(p),
            None => crate::journal::paths::latest_journal(&dir)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no session to hand over in {}", dir.display()))?,
        };
        let who = (crate::run::operator(), crate::run::host());
        crate::store::handover::hand_over(&path, note, who).await
    });
    Ok(said(done))
}

/// `resume --store SESSION`: the store's copy brought here, as the journal
/// to resume; without it, the journal given.
pub fn taken_over(
    journal: Option<std::path::PathBuf>,
    store: Option<String>,
) -> Result<Option<std::path::PathBuf>, ExitCode> {
    let Some(name) = store else {
        return Ok(journal);
    };
    let fail = |e: String| {
        eprintln!("runsheet: {e}");
        ExitCode::from(2)
    };
    let rt = runtime().map_err(|e| fail(e.to_string()))?;
    let dir = crate::journal::paths::journal_dir().map_err(|e| fail(e.to_string()))?;
    rt.block_on(crate::store::handover::take_over(&name, &dir))
        .map(Some)
        .map_err(fail)
}
