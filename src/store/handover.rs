//! Handing a session to the next person: `runsheet handover` journals the
//! operator's letting go (with a note), ships the journal to the store and
//! lets go of the team's lock; `runsheet resume --store NAME` on another
//! machine brings the store's copy, the same lines, into that machine's
//! journals, where the ordinary resume takes it up (in-doubt steps and
//! all), and goes on shipping to the same session in the store.

use std::path::{Path, PathBuf};

use crate::journal::{Durability, JournalWriter, lock::SessionLock};
use crate::session::Msg;

/// Appends the handover, by `who` (operator, host), to the stopped
/// session's journal at `path` and gives it to the store; the line to
/// print.
pub async fn hand_over(path: &Path, note: &str, who: (String, String)) -> Result<String, String> {
    let conninfo = super::required()?;
    if note.trim().is_empty() {
        return Err(
            "say what the next person needs to know: `runsheet handover --note \"…\"`".into(),
        );
    }
    let read = crate::journal::reader::read::<Msg>(path).map_err(|e| e.to_string())?;
    let Some(Msg::SessionStarted(info)) = read.records.first().map(|r| &r.body) else {
        return Err(format!("{} does not start a session", path.display()));
    };
    if read
        .records
        .iter()
        .any(|r| matches!(r.body, Msg::SessionEnded { .. }))
    {
        return Err(format!(
            "the session in {} has ended: there is nothing to hand over",
            path.display()
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    // Taking this machine's lock proves the session is not running here.
    let lock = SessionLock::acquire(dir, Path::new(&info.runbook_path), &info.target, path)
        .map_err(|e| match e {
            crate::journal::LockError::Held { .. } => {
                format!("the session is still running ({e}): quit it (q) first, then hand it over")
            }
            other => other.to_string(),
        })?;
    let mut client = super::connect(&conninfo).await?;
    super::schema::ready(&client).await?;
    let (writer, task, _) = JournalWriter::<Msg>::open_append(path)
        .await
        .map_err(|e| e.to_string())?;
    let msg = Msg::HandedOver {
        note: note.to_string(),
        operator: Some(who.0),
        host: Some(who.1),
    };
    writer
        .append(jiff::Timestamp::now(), msg, Durability::Sync)
        .await
        .map_err(|e| e.to_string())?;
    writer.close().await.map_err(|e| e.to_string())?;
    task.wait().await.map_err(|e| e.to_string())?;
    let shipped = super::ship::push(&mut client, path).await?;
    let id = super::ship::session_id(path)?;
    super::lock::release(&client, &id).await?;
    drop(lock);
    let name = crate::journal::paths::session_name(path);
    Ok(format!(
        "handed over: the store holds all {} records; on the next machine: runsheet resume --store {name}\n",
        shipped.stored
    ))
}

/// Brings the store's copy of session `name` into this machine's journals
/// (`dir`) for a resume: a journal already here is replaced only by a copy
/// that holds all of it (it is the store's copy, further on).
pub async fn take_over(name: &str, dir: &Path) -> Result<PathBuf, String> {
    let conninfo = super::required()?;
    let client = super::connect(&conninfo).await?;
    super::schema::ready(&client).await?;
    let (id, name) =
        super::follow::find(&client, &super::follow::Which::Session(name.to_string())).await?;
    let rows = client
        .query(
            "SELECT line FROM runsheet.records WHERE session_id = $1 ORDER BY seq",
            &[&id],
        )
        .await
        .map_err(|e| super::schema::why(&e))?;
    let mut text = String::new();
    for r in &rows {
        text.push_str(r.get::<_, &str>(0));
        text.push('\n');
    }
    let checked = crate::journal::verify::verify_bytes(text.as_bytes());
    if let Some(why) = checked.not_a_journal {
        return Err(format!(
            "the store's copy of {name} is not a journal ({why}); nothing was taken over"
        ));
    }
    if let Some(b) = checked.first_break {
        return Err(format!(
            "the store's copy of {name} does not verify at line {} ({}); nothing was taken over",
            b.line, b.reason
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{name}.jsonl"));
    if let Ok(here) = std::fs::read_to_string(&path)
        && !text.starts_with(&here)
    {
        return Err(format!(
            "{} holds records the store does not: `runsheet store push {}` first, or resume it here",
            path.display(),
            path.display()
        ));
    }
    let tmp = dir.join(format!(".{name}.jsonl.part"));
    std::fs::write(&tmp, &text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
