//! The team's past sessions of a runbook, fetched from the store into a
//! folder beside this machine's journals (`history::team_dir`), so that
//! `runsheet history` and a new session's expected times count every
//! person's drills, not only this machine's. Output is left out (the
//! timings do not need it, and it is most of the bytes); a session that
//! has ended is fetched once.

use std::path::Path;
use tokio_postgres::Client;

use super::schema::why;

/// Brings the runbook's sessions (journal names starting with `slug--`)
/// that this machine lacks into `team`, skipping those in `journals`;
/// how many it wrote.
pub async fn refresh(
    client: &Client,
    slug: &str,
    journals: &Path,
    team: &Path,
) -> Result<usize, String> {
    let rows = client
        .query(
            "SELECT id, name, ended FROM runsheet.sessions WHERE name LIKE $1 || '--%'",
            &[&slug],
        )
        .await
        .map_err(|e| why(&e))?;
    std::fs::create_dir_all(team).map_err(|e| format!("cannot create {}: {e}", team.display()))?;
    let mut wrote = 0;
    for r in rows {
        let (id, name, ended): (String, String, bool) = (r.get(0), r.get(1), r.get(2));
        let file = format!("{name}.jsonl");
        if name.contains('/')
            || journals.join(&file).exists()
            || (ended && team.join(&file).exists())
        {
            continue;
        }
        let lines = client
            .query(
                "SELECT line FROM runsheet.records
                 WHERE session_id = $1 AND type <> 'output' ORDER BY seq",
                &[&id],
            )
            .await
            .map_err(|e| why(&e))?;
        let mut text = String::new();
        for l in &lines {
            text.push_str(l.get::<_, &str>(0));
            text.push('\n');
        }
        let tmp = team.join(format!(".{file}.part"));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, team.join(&file)))
            .map_err(|e| format!("cannot write {}: {e}", team.display()))?;
        wrote += 1;
    }
    Ok(wrote)
}

/// [`refresh`] from the configured store, if any, within its connect
/// timeout: a store that is down leaves the team's copies as they were,
/// and says why.
pub async fn refresh_configured(runbook: &Path, journals: &Path) -> Option<String> {
    let conninfo = super::conninfo().ok().flatten()?;
    let slug = crate::journal::paths::runbook_slug(runbook);
    let team = crate::history::team_dir(journals);
    let done = async {
        let client = super::connect(&conninfo).await?;
        super::schema::ready(&client).await?;
        refresh(&client, &slug, journals, &team).await
    };
    done.await
        .err()
        .map(|e| format!("the team's sessions were not brought from the store: {e}"))
}
