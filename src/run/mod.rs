//! Running a runbook: starting a session or resuming one from its journal,
//! then handing it, through the one driver, to the chosen front end.

pub mod changes;
pub mod resume_values;
pub mod vars;
pub mod workdir;

use crate::console::{self, Console};
use crate::driver::{Driver, Parts, Submitted, now_ms};
use crate::journal::lock::{LockError, SessionLock};
use crate::journal::{self, JournalWriter, paths};
use crate::runbook::{self, Runbook};
use crate::session::{self, Msg, Session, SessionInfo};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::driver::RunEnd;

/// How the session is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ui {
    /// Lines and questions on the terminal (and for scripts).
    Plain,
    /// The full-screen terminal UI.
    Tui,
}

pub struct StartOptions {
    pub ui: Ui,
    pub runbook: PathBuf,
    pub target: String,
    /// Nobody at the terminal: stop wherever a person is needed.
    pub auto: bool,
    pub drill: bool,
    pub color: bool,
}

pub struct ResumeOptions {
    pub ui: Ui,
    pub journal: Option<PathBuf>,
    pub auto: bool,
    pub color: bool,
    /// Go on even though the runbook file changed since the session started.
    pub accept_changed_runbook: bool,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Who runs the session, for the journal: `$USER` (or `$LOGNAME`) as the
/// shell says, else the name of the account the process runs as (a cron
/// job, `env -i`, a container without a login), else its uid.
pub(crate) fn operator() -> String {
    let env = ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    env.unwrap_or_else(|| {
        let uid = nix::unistd::getuid();
        match nix::unistd::User::from_uid(uid) {
            Ok(Some(user)) if !user.name.is_empty() => user.name,
            _ => format!("uid {uid}"),
        }
    })
}

pub(crate) fn host() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Reads and parses a runbook; errors are printed as `check` prints them.
pub fn load_runbook(path: &Path, color: bool) -> Result<(Runbook, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the runbook {}: {e}", path.display()))?;
    let display = path.display().to_string();
    let parsed = runbook::parse(&display, &text);
    if parsed.has_errors() {
        for d in parsed.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{}", d.render(&display, &text, color));
        }
        return Err(format!(
            "{} has errors; nothing was run. Fix them (`runsheet check {}` lists them all) and start again",
            display, display
        ));
    }
    Ok((parsed.runbook, text))
}

struct PlainAsk;

impl vars::Ask for PlainAsk {
    fn ask(&mut self, name: &str, description: Option<&str>, secret: bool) -> Option<String> {
        use std::io::Write;
        let label = match description {
            Some(d) => format!("{name} ({d})"),
            None => name.to_string(),
        };
        if secret {
            return rpassword::prompt_password(format!("{label} [secret, not shown]: ")).ok();
        }
        print!("{label}: ");
        let _ = std::io::stdout().flush();
        // Not through `Stdin`'s buffer, which would keep the answers typed
        // ahead from the session's questions.
        console::read_stdin_line()
    }

    fn needs_value(&mut self, name: &str) {
        println!(
            "{name} needs a value: an empty answer is not one (the values already typed are kept)"
        );
    }
}

/// `kept`: a resumed session's values, which stand in for a variable the
/// environment does not set (before its default and before asking).
fn resolve_vars(
    rb: &Runbook,
    auto: bool,
    kept: &std::collections::BTreeMap<String, String>,
) -> Result<vars::Resolved, String> {
    let env = |n: &str| {
        std::env::var(n)
            .ok()
            .or_else(|| resume_values::from_journal(kept, n))
    };
    let mut resolved = if auto {
        vars::resolve(rb, &env, &mut vars::NoOne)
    } else {
        vars::resolve(rb, &env, &mut PlainAsk)
    }?;
    // Known before the first record: a webhook's URL is masked even there
    // (a variable holding it that is not marked secret is kept in it).
    for hook in webhooks(rb, &resolved.values).0 {
        resolved.secrets.add(hook.url().to_string());
    }
    for w in &resolved.warnings {
        eprintln!("{w}");
    }
    Ok(resolved)
}

pub async fn start(opts: StartOptions) -> Result<RunEnd, String> {
    let (rb, text) = load_runbook(&opts.runbook, opts.color)?;
    if rb.target(&opts.target).is_none() {
        let names: Vec<&str> = rb.targets.iter().map(|t| t.name.as_str()).collect();
        return Err(format!(
            "this runbook has no target `{}`; its targets are {}",
            opts.target,
            names.join(", ")
        ));
    }
    let resolved = resolve_vars(&rb, opts.auto, &Default::default())?;
    let dir = paths::journal_dir().map_err(|e| e.to_string())?;
    let runbook_abs = std::path::absolute(&opts.runbook).unwrap_or(opts.runbook.clone());
    let folder = workdir::for_new_session(&rb, &runbook_abs, &resolved.values)?;
    if let Some(f) = &folder {
        workdir::enter(f)?;
    }
    let started = journal::now();
    let path = paths::free_journal_path(&dir, &opts.runbook, &opts.target, started);
    let lock = SessionLock::acquire(&dir, &opts.runbook, &opts.target, &path)
        .map_err(|e| e.to_string())?;
    let info = SessionInfo {
        runbook_path: opts.runbook.display().to_string(),
        runbook_hash: sha256_hex(&text),
        runbook_text: text,
        target: opts.target.clone(),
        operator: operator(),
        host: host(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        drill: opts.drill,
        variables: resolved.names.clone(),
        values: Default::default(),
        sandbox: crate::sandbox::active(),
        targets: session::protection::settings_of(&rb),
        workdir: folder.map(|f| f.to_string_lossy().into_owned()),
    };
    let at = now_ms();
    let rb = Arc::new(rb);
    let info = SessionInfo {
        values: kept_values(&rb, &info, &resolved, at),
        ..info
    };
    // A password the runbook writes out is masked in the journal's copy of
    // its text, as everywhere else.
    let info = match crate::driver::mask(Msg::SessionStarted(info), &resolved.secrets) {
        Msg::SessionStarted(info) => info,
        _ => return Err("masking changed the first record's kind".into()),
    };
    let mut session = Session::new(rb, info.clone(), at);
    // The team's drills count too; a store that is down is said once the
    // session is up (its lock).
    let _ = crate::store::history::refresh_configured(&opts.runbook, &dir).await;
    session.set_rehearsed(crate::history::rehearsed_for(
        &dir,
        &opts.runbook,
        &session.runbook().title,
        session.info().sandbox,
        None,
    ));
    let (journal, writer_task) = JournalWriter::create(&path, started, Msg::SessionStarted(info))
        .await
        .map_err(|e| e.to_string())?;
    let parts = Parts {
        session,
        journal,
        writer_task: Some(writer_task),
        values: resolved.values,
        secrets: resolved.secrets,
        auto: opts.auto,
        lock,
    };
    let driver = with_databases(parts).await?;
    let driver = crate::driver::check_contexts(driver, &|q| confirm(q, opts.auto)).await?;
    drive(driver, opts.ui, opts.color, &path, false).await
}

/// The non-secret values the session's first record keeps, masked with
/// every secret known before the first step, database passwords included
/// (which need a session to be found: the targets say where to look).
fn kept_values(
    rb: &Arc<Runbook>,
    info: &SessionInfo,
    resolved: &vars::Resolved,
    at: session::Millis,
) -> std::collections::BTreeMap<String, String> {
    let env = |n: &str| std::env::var(n).ok();
    let mut secrets = resolved.secrets.clone();
    let probe = Session::new(rb.clone(), info.clone(), at);
    crate::db::preflight::add_passwords(&probe, &resolved.values, &env, &mut secrets);
    session::display::kept(
        &crate::runbook::placeholders::asked_variables(rb),
        &resolved.values,
        &secrets,
    )
}

/// Takes the team's lock on the runbook and target in the store: `Some`
/// with the reason when another live (or stale) session holds it.
async fn team_lock(driver: &Driver, conninfo: &str) -> Result<Option<String>, String> {
    use crate::store::lock::{self, Taken};
    let client = crate::store::connect(conninfo).await?;
    crate::store::schema::ready(&client).await?;
    let id = crate::store::ship::session_id(driver.journal_path())?;
    let info = driver.session().info();
    let runbook = crate::journal::paths::runbook_slug(Path::new(&info.runbook_path));
    Ok(
        match lock::take(&client, &runbook, &info.target, &id).await? {
            Taken::Held => None,
            Taken::Busy(h) | Taken::Stale(h) => Some(h.refusal(&runbook, &info.target)),
        },
    )
}

/// The webhooks of the runbook's `notify:` and the config file's, their
/// URLs resolved, and what could not be used, to warn of.
fn webhooks(
    rb: &Runbook,
    values: &std::collections::HashMap<String, String>,
) -> (Vec<crate::notify::Webhook>, Vec<String>) {
    let mut hooks = rb.notify.clone();
    let mut warnings = Vec::new();
    match crate::config::load() {
        Ok(c) => hooks.extend(c.hooks()),
        Err(e) => warnings.push(format!(
            "notify: the config file's webhooks are not used: {e}"
        )),
    }
    let env = |n: &str| std::env::var(n).ok();
    let (found, more) = crate::notify::resolve(&hooks, values, &env);
    warnings.extend(more);
    (found, warnings)
}

/// Runs a session in the chosen front end.
async fn drive(
    mut driver: Driver,
    ui: Ui,
    color: bool,
    journal: &Path,
    resumed: bool,
) -> Result<RunEnd, String> {
    // The team's store, when one is set: the journal here stays the first
    // write, so a store that is down or misconfigured costs nothing but a
    // warning.
    match crate::store::conninfo() {
        Ok(Some(conninfo)) => {
            match team_lock(&driver, &conninfo).await {
                Ok(None) => {}
                Ok(Some(busy)) => return Err(driver.refuse_start(&busy).await?),
                Err(why) => {
                    driver
                        .warn(&format!(
                            "the team's lock in the session store could not be taken ({why}): only this machine's lock guards this session"
                        ))
                        .await?
                }
            }
            driver.ship_to(conninfo)
        }
        Ok(None) => {}
        Err(why) => {
            driver
                .warn(&format!("the session store is not used: {why}"))
                .await?
        }
    }
    // After the store: its warnings are the operator's first concern, and
    // the start is told once the session is really going.
    let (hooks, warnings) = webhooks(driver.session().runbook(), driver.values());
    for w in &warnings {
        driver.warn(w).await?;
    }
    driver.notify_to(hooks, resumed);
    let path = driver.journal_path().to_path_buf();
    let end = if ui == Ui::Tui && !driver.auto() {
        crate::tui::event_loop::run(driver, color).await?
    } else {
        let console = Console::new(color, !driver.auto())
            .map_err(|e| e.to_string())?
            .with_secrets(driver.secrets().clone());
        console.session_start(driver.session(), journal, resumed);
        console::run(driver.echo_output(true), console).await?
    };
    if !end.resumable() {
        auto_sign(&path).await;
        auto_archive(&path).await;
    }
    Ok(end)
}

/// Archives an ended session when the config says `archive: {auto: true}`:
/// after its signature, so the signature goes too. A failure is a warning
/// with the command to do it later.
async fn auto_archive(journal: &Path) {
    let Ok(Some(to)) = crate::config::load().map(|c| c.archive.filter(|a| a.auto)) else {
        return;
    };
    let a = crate::archive::Archive {
        journal: journal.to_path_buf(),
        to: to.to.clone(),
        retain_days: to.retain_days,
        require_lock: to.require_lock,
    };
    match crate::archive::archive(&a).await {
        Ok(said) => {
            for l in said.lines() {
                println!("  {l}");
            }
        }
        Err(e) => eprintln!(
            "warning: the session was not archived: {e}; `runsheet archive {} {}` archives it later",
            journal.display(),
            to.to
        ),
    }
}

/// Signs an ended session's journal when the config says `sign: {auto:
/// true}`. The journal is closed and whole by now: a signature that cannot
/// be made is a warning with the command to make it later, never a
/// failure of the session.
async fn auto_sign(journal: &Path) {
    let later = format!(
        "the journal is whole; `runsheet sign {}` signs it later",
        journal.display()
    );
    match crate::config::load() {
        Ok(c) if c.sign.as_ref().is_some_and(|s| s.auto) => {}
        Ok(_) => return,
        Err(e) => {
            eprintln!(
                "warning: not signed (sign: auto in the config file could not be read: {e}); {later}"
            );
            return;
        }
    }
    match crate::evidence::check::sign_journal(journal, None).await {
        Ok(said) => {
            for l in said.lines() {
                println!("  {l}");
            }
        }
        Err(e) => eprintln!("warning: the session was not signed: {e}; {later}"),
    }
}

/// The session a resume would take up (the journal given, else the
/// latest), read from the journal's first line only.
pub fn resumed_session(journal: Option<&Path>) -> Result<SessionInfo, String> {
    use std::io::BufRead;
    let dir = paths::journal_dir().map_err(|e| e.to_string())?;
    let path = journal_to_resume(&dir, journal.map(Path::to_path_buf))?;
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut line)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match journal::record::decode_line::<Msg>(line.trim_ascii_end()) {
        Ok(r) => match r.body {
            Msg::SessionStarted(info) => Ok(info),
            _ => Err(format!("{} does not start a session", path.display())),
        },
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The journal given, else the latest one in `dir`.
fn journal_to_resume(dir: &Path, journal: Option<PathBuf>) -> Result<PathBuf, String> {
    match journal {
        Some(p) => Ok(p),
        None => paths::latest_journal(dir)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no session to resume in {}", dir.display())),
    }
}

pub async fn resume(opts: ResumeOptions) -> Result<RunEnd, String> {
    let dir = paths::journal_dir().map_err(|e| e.to_string())?;
    let path = journal_to_resume(&dir, opts.journal)?;
    let read = journal::reader::read::<Msg>(&path).map_err(|e| e.to_string())?;
    let Some(first) = read.records.first() else {
        return Err(format!(
            "{} holds no record; nothing to resume",
            path.display()
        ));
    };
    let Msg::SessionStarted(info) = &first.body else {
        return Err(format!(
            "{} does not start with a session-started record; it is not a runsheet journal",
            path.display()
        ));
    };
    let info = info.clone();
    if read
        .records
        .iter()
        .any(|r| matches!(r.body, Msg::SessionEnded { .. }))
    {
        return Err(format!(
            "the session in {} has ended; start a new one with `runsheet run {} --target {}`",
            path.display(),
            info.runbook_path,
            info.target
        ));
    }
    // The journal's path and the runbook's are absolute: entering the
    // session's folder changes neither.
    let path = std::path::absolute(&path).unwrap_or(path);
    if let Some(f) = workdir::for_resume(&info)? {
        workdir::enter(&f)?;
    }
    // The versions of the runbook this session has run with: the first
    // record's, then each one a resume accepted.
    let accepted: Vec<String> = read
        .records
        .iter()
        .filter_map(|r| match &r.body {
            Msg::Resumed {
                runbook_text: Some(t),
                ..
            } => Some(t.clone()),
            _ => None,
        })
        .collect();
    let latest = accepted.last().unwrap_or(&info.runbook_text).clone();
    // The journal's copy has the secrets the runbook writes out masked: the
    // file is compared by its hash, as the session last ran it.
    let latest_hash = read
        .records
        .iter()
        .filter_map(|r| match &r.body {
            Msg::Resumed { runbook_hash, .. } => Some(runbook_hash.clone()),
            _ => None,
        })
        .next_back()
        .unwrap_or_else(|| info.runbook_hash.clone());
    let runbook_path = PathBuf::from(&info.runbook_path);
    let (file_rb, text, changed) = match std::fs::read_to_string(&runbook_path) {
        Ok(current) if sha256_hex(&current) == latest_hash => {
            let (rb, text) = load_runbook(&runbook_path, opts.color)?;
            (rb, text, false)
        }
        Ok(_) => {
            let (rb, text) = load_runbook(&runbook_path, opts.color)?;
            let before = runbook::parse(&info.runbook_path, &latest).runbook;
            // Compared as the journal keeps it: its written-out secrets masked.
            let lit = crate::secrets::Secrets::new(runbook::credentials::values(&rb));
            let after = runbook::parse(&info.runbook_path, &lit.redact(&text)).runbook;
            let summary = changes::describe(&before, &after);
            eprintln!(
                "the runbook {} changed since this session {}:\n{}",
                info.runbook_path,
                if accepted.is_empty() {
                    "started"
                } else {
                    "was last resumed"
                },
                summary.render()
            );
            if opts.auto && summary.touches_safety() {
                return Err(format!(
                    "not resumed: the runbook changed in ways that touch safety (listed above), and --auto does not resume over a safety change. Review them with a person at the terminal (`runsheet resume {}` without --auto asks), or restore the runbook as the session last ran it (the journal keeps its text)",
                    path.display()
                ));
            }
            if !opts.accept_changed_runbook
                && !confirm("go on with the changed runbook?", opts.auto)
            {
                return Err(
                    "not resumed: the runbook changed (pass --accept-changed-runbook to go on with it, or restore the original)".into(),
                );
            }
            (rb, text, true)
        }
        Err(_) => {
            eprintln!(
                "note: {} is gone; resuming with the runbook text kept in the journal",
                info.runbook_path
            );
            let rb = runbook::parse(&info.runbook_path, &latest).runbook;
            (rb, latest.clone(), false)
        }
    };
    // Whatever the file now says, the session's targets stay as strict as
    // they ever were in it.
    let (rb, kept) = session::protection::fixed(&info, &accepted, file_rb);
    for k in &kept {
        eprintln!("note: {k}");
    }
    let lock = match SessionLock::acquire(&dir, &runbook_path, &info.target, &path) {
        Ok(l) => l,
        Err(LockError::Stale {
            lock_path, journal, ..
        }) if paths::same_journal(&journal, &path) => {
            // The lock of the very session being resumed: its process is dead.
            SessionLock::clear_stale(&lock_path).map_err(|e| e.to_string())?;
            SessionLock::acquire(&dir, &runbook_path, &info.target, &path)
                .map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    let (journal, writer_task, report) = JournalWriter::<Msg>::open_append(&path)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(r) = &report.repaired {
        eprintln!(
            "note: the journal's last record was cut short (the session died mid-write); kept the original as {} and resumed after record {}",
            r.broken_copy.display(),
            r.kept_records
        );
    }
    let records = journal::reader::read::<Msg>(&path)
        .map_err(|e| e.to_string())?
        .records;
    let messages = records.into_iter().map(|r| (r.ts.as_millisecond(), r.body));
    let mut session = session::fold(Arc::new(rb), messages).map_err(|e| {
        format!(
            "the journal {} does not fit the runbook: {e}; resume with the original runbook file",
            path.display()
        )
    })?;
    // The other sessions' times, as when it started: its own steps so far
    // are not what it expects of itself.
    let _ = crate::store::history::refresh_configured(&runbook_path, &dir).await;
    session.set_rehearsed(crate::history::rehearsed_for(
        &dir,
        &runbook_path,
        &session.runbook().title,
        session.info().sandbox,
        Some(&path),
    ));
    let resolved = resolve_vars(session.runbook(), opts.auto, session.values())?;
    let values = resumed_values(&session, &resolved, opts.auto)?;
    let resumed = Msg::Resumed {
        runbook_hash: sha256_hex(&text),
        runbook_changed: changed,
        runbook_text: changed.then(|| text.clone()),
        operator: Some(operator()),
        host: Some(host()),
        values,
    };
    let mut parts = Parts {
        session,
        journal,
        writer_task: Some(writer_task),
        values: resolved.values,
        secrets: resolved.secrets,
        auto: opts.auto,
        lock,
    };
    add_passwords(&mut parts);
    let mut driver = Driver::new(parts)?;
    if let Submitted::Refused(r) = driver.submit(resumed).await? {
        driver.abandon().await;
        return Err(format!("runsheet refused to resume: {r}"));
    }
    let driver = check_databases(driver).await?;
    let driver = crate::driver::check_contexts(driver, &|q| confirm(q, opts.auto)).await?;
    drive(driver, opts.ui, opts.color, &path, true).await
}

/// The values this resume journals: those that differ from the session's
/// (after the operator agreed to each change; `--auto` refuses) and those
/// the session never kept.
fn resumed_values(
    session: &Session,
    resolved: &vars::Resolved,
    auto: bool,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let env = |n: &str| std::env::var(n).ok();
    let mut secrets = resolved.secrets.clone();
    crate::db::preflight::add_passwords(session, &resolved.values, &env, &mut secrets);
    let now = session::display::kept(
        &crate::runbook::placeholders::asked_variables(session.runbook()),
        &resolved.values,
        &secrets,
    );
    let compared = resume_values::compare(&now, session.values());
    if compared.changed.is_empty() {
        return Ok(compared.record);
    }
    eprintln!(
        "{} not the one this session used:\n{}",
        if compared.changed.len() == 1 {
            "a variable's value is"
        } else {
            "variables' values are"
        },
        resume_values::describe(&compared.changed)
    );
    if auto {
        return Err(resume_values::refused_under_auto(&compared.changed));
    }
    if !confirm("go on with the new values from here?", auto) {
        return Err(
            "not resumed: the values differ from this session's (listed above). Set them back and resume again, or answer y to go on with the new ones"
                .into(),
        );
    }
    Ok(compared.record)
}

/// Database passwords join the secrets, then the driver is made and the
/// databases checked (`check_databases`).
async fn with_databases(mut parts: Parts) -> Result<Driver, String> {
    add_passwords(&mut parts);
    check_databases(Driver::new(parts)?).await
}

fn add_passwords(parts: &mut Parts) {
    let env = |n: &str| std::env::var(n).ok();
    crate::db::preflight::add_passwords(&parts.session, &parts.values, &env, &mut parts.secrets);
}

/// Reaches every target's database before the first step: two targets
/// on one database end the session here, with nothing run, and so does a
/// target whose database is not the one the journal says this session
/// used (a resume with the URLs swapped). An unreachable database is
/// reported and its steps will fail if it stays so.
async fn check_databases(mut driver: Driver) -> Result<Driver, String> {
    let env = |n: &str| std::env::var(n).ok();
    if let Some(warning) = real_hosts(&driver, &env) {
        driver.warn(&warning).await?;
    }
    let found = crate::db::preflight::identify_all(driver.session(), driver.values(), &env).await;
    let verdict = crate::db::shared::judge(driver.session(), &found);
    for warning in &verdict.warnings {
        driver.warn(warning).await?;
    }
    if let Some(stop) = verdict.stop {
        let why = driver.secrets().redact(&stop);
        driver
            .close(&RunEnd::Interrupted {
                reason: why.clone(),
            })
            .await?;
        return Err(why);
    }
    for (target, identity) in found {
        let Ok(identity) = identity else {
            continue;
        };
        let refused = match driver.session().databases().get(&target) {
            Some(known) if known.same_database(&identity) => continue,
            Some(known) => {
                let declared = driver
                    .session()
                    .target(&target)
                    .and_then(|t| t.database.clone())
                    .map_or_else(
                        || "its connection settings".to_string(),
                        |d| format!("`{d}`"),
                    );
                format!(
                    "the database of target `{target}` is not the one this session used: the journal has {}, the connection settings now reach {}. Nothing was run. Point {declared} back at the database the session used, then `runsheet resume`; if that database really moved, start a new session",
                    crate::db::shared::describe(known),
                    crate::db::shared::describe(&identity)
                )
            }
            None => {
                let msg = Msg::DatabaseIdentified {
                    target: target.clone(),
                    identity,
                };
                match driver.submit(msg).await? {
                    Submitted::Accepted => continue,
                    Submitted::Refused(refused) => format!(
                        "{refused}: nothing was run. Fix the connection settings (a copy-paste of one URL into the other?), then `runsheet resume`"
                    ),
                }
            }
        };
        return Err(driver.refuse_start(&refused).await?);
    }
    Ok(driver)
}

/// In the sandbox, once at the start: the real hosts the session's target
/// or the runbook's variables hold, before a step that reaches one is
/// refused.
fn real_hosts(driver: &Driver, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let session = driver.session();
    if !session.info().sandbox {
        return None;
    }
    let name = session.info().target.as_str();
    let target = session.target(name);
    let given = crate::action::env::command_env(driver.values(), target, name, "", "", env);
    crate::action::reach::at_start(target, &given, driver.values())
}

fn confirm(question: &str, auto: bool) -> bool {
    use std::io::Write;
    if auto {
        return false;
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    // Not through `Stdin`'s buffer, which would keep the answers typed
    // ahead from the session's questions.
    console::read_stdin_line().is_some_and(|line| matches!(line.trim(), "y" | "yes" | "o" | "oui"))
}
