//! `runsheet sandbox`: a local place to rehearse, in one command. Two
//! throwaway PostgreSQL clusters (staging and production) on free loopback
//! ports, seeded from a dataset; a local S3-compatible server when
//! `moto_server` is installed; a health endpoint answering the seeds'
//! checks from the sandbox databases' real state. What a runbook needs to
//! reach them is printed and written to `env` in the sandbox's folder.
//! `runsheet sandbox stop` removes it all; a crashed sandbox is cleaned up
//! by the next start.

pub mod buckets;
pub mod cluster;
pub mod error;
pub mod health;
pub mod reach;
pub mod runbook_identity;
pub mod status;
pub mod work;

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use cluster::Binaries;
pub use error::SandboxError;
pub use work::work_dir;

/// The database each cluster holds.
pub const DATABASE: &str = "app";

pub struct StartOptions {
    pub dir: PathBuf,
    /// A SQL file, or a pg_dump archive, loaded into both databases.
    pub dataset: Option<PathBuf>,
    /// The application's migrations folder, for the health endpoint.
    pub migrations: Option<PathBuf>,
    pub table: String,
    /// The runbook the sandbox is started for (None: from flags only).
    pub runbook: Option<runbook_identity::RunbookIdentity>,
    /// The folder copied into the work folder (`sandbox: workdir:`).
    pub work_from: Option<PathBuf>,
    /// `sandbox: setup:`, run once in the work folder.
    pub setup: Option<String>,
    /// Buckets to make, as the runbook names them (`$S3_BUCKET` too).
    pub buckets: Vec<String>,
    /// The runbook's `sandbox: env:`, which the setup script sees as a
    /// session would.
    pub spec_env: Vec<(String, String)>,
}

/// What is running, kept in `state.json` so `stop` (or the next start)
/// can end it.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct State {
    pub clusters: Vec<ClusterState>,
    pub health: Option<Process>,
    pub moto: Option<Process>,
    pub env: Vec<(String, String)>,
    /// What could not be started, and why (moto missing, …).
    pub notes: Vec<String>,
    /// The folder the clusters were put in instead of the sandbox's own
    /// when the server user could not reach that (root): `stop` removes it.
    #[serde(default)]
    pub clusters_elsewhere: Option<PathBuf>,
    /// The runbook it was started for; None when started from flags only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<runbook_identity::RunbookIdentity>,
    /// Where sandbox sessions run (`<dir>/work`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<PathBuf>,
    /// What the start made for the runbook (its folder copied, buckets,
    /// the setup script's log), one line each, for the operator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub made: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct ClusterState {
    pub name: String,
    pub dir: PathBuf,
    pub port: u16,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Process {
    pub pid: i32,
    pub port: u16,
}

/// The sandbox's folder: RUNSHEET_SANDBOX_DIR, else `sandbox` in the data
/// directory.
pub fn default_dir() -> Result<PathBuf, SandboxError> {
    if let Some(d) = std::env::var_os("RUNSHEET_SANDBOX_DIR") {
        // Absolute: its PGPASSFILE and work folder are used from other
        // folders (a session enters its own).
        let d = PathBuf::from(d);
        return Ok(std::path::absolute(&d).unwrap_or(d));
    }
    // Beside the journals: the same data directory.
    crate::journal::paths::journal_dir()
        .map(|d| d.with_file_name("sandbox"))
        .map_err(SandboxError::from)
}

pub fn env_file(dir: &Path) -> PathBuf {
    dir.join("env")
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

pub fn read_state(dir: &Path) -> Option<State> {
    let text = std::fs::read_to_string(state_file(dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Starts the sandbox; an intact running one is kept as it is, a crashed
/// one is removed first.
pub fn start(opts: &StartOptions) -> Result<(State, bool), SandboxError> {
    if let Some(state) = read_state(&opts.dir) {
        if alive(&state) {
            return Ok((state, false));
        }
        stop(&opts.dir)?;
    } else if opts.dir.exists() {
        // Left by a start that died before writing its state.
        remove_all(&opts.dir)?;
    }
    let bins = Binaries::find()?;
    std::fs::create_dir_all(&opts.dir)
        .map_err(|e| SandboxError::io(format!("cannot create {}", opts.dir.display()), e))?;
    let mut state = State {
        runbook: opts.runbook.clone(),
        ..State::default()
    };
    let password = hex::encode(rand_bytes());
    let (root, elsewhere) = reach::clusters_root(
        &opts.dir,
        cluster::server_user()?,
        &hex::encode(rand_bytes()),
    )?;
    if elsewhere {
        state.clusters_elsewhere = Some(root.clone());
        write_state(&opts.dir, &state)?;
    }
    let started = std::thread::scope(|s| {
        let staging =
            s.spawn(|| cluster::start(&bins, "staging", &root.join("staging"), &password));
        let production =
            s.spawn(|| cluster::start(&bins, "production", &root.join("production"), &password));
        (staging.join(), production.join())
    });
    let (Ok(staging), Ok(production)) = started else {
        return Err(SandboxError::Internal("a cluster's start panicked".into()));
    };
    // Record what runs before anything else can fail, so stop can end it.
    for c in [&staging, &production].into_iter().flatten() {
        state.clusters.push(ClusterState {
            name: c.name.clone(),
            dir: c.dir.clone(),
            port: c.port,
        });
    }
    write_state(&opts.dir, &state)?;
    let (staging, production) = (staging?, production?);
    for c in [&staging, &production] {
        cluster::create_db(&bins, c, DATABASE)?;
        if let Some(data) = &opts.dataset {
            load(&bins, c, data)?;
        }
    }
    state.env = vec![
        ("STAGING_DB_URL".into(), staging.url(DATABASE)),
        ("PROD_DB_URL".into(), production.url(DATABASE)),
        ("DB_URL".into(), production.url(DATABASE)),
    ];
    // Runbooks that call pg_dump/psql with --host/--port/--username/--dbname
    // get the pieces; the password comes from a pgpass file, as it would on
    // a bastion, never on a command line.
    for (prefix, c) in [("STAGING_DB", &staging), ("PROD_DB", &production)] {
        state.env.extend([
            (format!("{prefix}_HOST"), "127.0.0.1".to_string()),
            (format!("{prefix}_PORT"), c.port.to_string()),
            (format!("{prefix}_USER"), "postgres".to_string()),
            (format!("{prefix}_NAME"), DATABASE.to_string()),
        ]);
    }
    let pgpass = opts.dir.join("pgpass");
    write_private(
        &pgpass,
        &[&staging, &production]
            .iter()
            .map(|c| format!("127.0.0.1:{}:*:postgres:{}\n", c.port, c.password))
            .collect::<String>(),
    )?;
    state
        .env
        .push(("PGPASSFILE".into(), pgpass.to_string_lossy().into_owned()));
    state
        .env
        .push((ACTIVE.into(), opts.dir.to_string_lossy().into_owned()));
    let health = start_health(opts, &staging, &production)?;
    state.env.push((
        "APP_URL".into(),
        format!("http://127.0.0.1:{}", health.port),
    ));
    state.env.push((
        "STAGING_APP_URL".into(),
        format!("http://127.0.0.1:{}/staging", health.port),
    ));
    state.health = Some(health);
    // The application's migrations folder, for `migrations` steps whose
    // relative `dir=` is not where the rehearsal runs (the same folder the
    // health endpoint reads).
    if let Some(m) = &opts.migrations
        && let Ok(abs) = std::fs::canonicalize(m)
    {
        state.env.push((
            crate::db::pending::SANDBOX_MIGRATIONS.into(),
            abs.to_string_lossy().into_owned(),
        ));
    }
    write_state(&opts.dir, &state)?;
    match start_moto(&opts.dir) {
        Ok(moto) => {
            state.env.extend([
                (
                    "AWS_ENDPOINT_URL".into(),
                    format!("http://127.0.0.1:{}", moto.port),
                ),
                ("AWS_ACCESS_KEY_ID".into(), "sandbox".into()),
                ("AWS_SECRET_ACCESS_KEY".into(), "sandbox".into()),
                ("AWS_REGION".into(), "us-east-1".into()),
                ("AWS_S3_FORCE_PATH_STYLE".into(), "true".into()),
            ]);
            state.moto = Some(moto);
        }
        Err(why) => state.notes.push(why.to_string()),
    }
    write_state(&opts.dir, &state)?;
    provide(opts, &mut state)?;
    write_state(&opts.dir, &state)?;
    std::fs::write(env_file(&opts.dir), exports(&state)).map_err(|e| {
        SandboxError::io(format!("cannot write {}", env_file(&opts.dir).display()), e)
    })?;
    Ok((state, true))
}

/// What the runbook asks the sandbox to bring: its work folder (a copy of
/// `sandbox: workdir:`), its buckets, then what its setup script makes.
fn provide(opts: &StartOptions, state: &mut State) -> Result<(), SandboxError> {
    let work = work::prepare(&opts.dir, opts.work_from.as_deref())?;
    state.work = Some(work.clone());
    if let Some(from) = &opts.work_from {
        state
            .made
            .push(format!("copied {} into {}", from.display(), work.display()));
    }
    let env = rehearsal_env(state, &opts.spec_env);
    if !opts.buckets.is_empty() {
        match &state.moto {
            Some(moto) => {
                let endpoint = format!("http://127.0.0.1:{}", moto.port);
                let made = buckets::make(&endpoint, &opts.buckets, &env)?;
                for b in &made.made {
                    state.made.push(format!("bucket s3://{b}"));
                }
                for b in &made.unnamed {
                    state.notes.push(format!(
                        "the bucket `{b}` was not made: the sandbox does not set its variable (name it under `sandbox: env:`)"
                    ));
                }
            }
            None => state.notes.push(format!(
                "the buckets {} were not made: there is no S3 server",
                opts.buckets.join(", ")
            )),
        }
    }
    if let Some(script) = &opts.setup {
        work::run_setup(&opts.dir, &work, script, &env)?;
        state.made.push(format!(
            "ran `sandbox: setup:` in {} (its output: {})",
            work.display(),
            work::setup_log(&opts.dir).display()
        ));
    }
    Ok(())
}

/// The sandbox's variables, then the runbook's rehearsal values
/// (`sandbox: env:`), which may use them; and the mark that both are set.
pub fn rehearsal_env(state: &State, spec_env: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = state.env.clone();
    let values: std::collections::HashMap<String, String> = env.iter().cloned().collect();
    for (name, value) in spec_env {
        let value = crate::runbook::vars::expand(value, &values, &|n| std::env::var(n).ok());
        env.push((name.clone(), value));
    }
    env.push((APPLIED.into(), "1".into()));
    env
}

fn load(bins: &Binaries, c: &cluster::Cluster, data: &Path) -> Result<(), SandboxError> {
    let is_sql = data.extension().is_some_and(|e| e == "sql")
        || std::fs::read(data)
            .map(|b| !b.starts_with(b"PGDMP"))
            .unwrap_or(true)
            && !data.is_dir();
    if is_sql {
        cluster::psql_file(bins, c, DATABASE, data)
    } else {
        cluster::restore(bins, c, DATABASE, data)
    }
}

/// `export NAME='value'` lines, for `source`.
pub fn exports(state: &State) -> String {
    state
        .env
        .iter()
        .map(|(k, v)| format!("export {k}='{}'\n", v.replace('\'', "'\\''")))
        .collect()
}

/// Stops everything the sandbox in `dir` started and removes the folder.
/// Returns what it stopped.
pub fn stop(dir: &Path) -> Result<Vec<String>, SandboxError> {
    let mut done = Vec::new();
    let Some(state) = read_state(dir) else {
        if dir.exists() {
            remove_all(dir)?;
            done.push(format!("removed {}", dir.display()));
        }
        return Ok(done);
    };
    for p in [&state.health, &state.moto].into_iter().flatten() {
        end_process(p.pid);
        done.push(format!("stopped process {} (port {})", p.pid, p.port));
    }
    if let Ok(bins) = Binaries::find() {
        for c in &state.clusters {
            cluster::stop(&bins, &c.dir);
            done.push(format!("stopped PostgreSQL {} (port {})", c.name, c.port));
        }
    }
    if let Some(elsewhere) = &state.clusters_elsewhere
        && elsewhere.exists()
    {
        remove_all(elsewhere)?;
        done.push(format!("removed {}", elsewhere.display()));
    }
    remove_all(dir)?;
    let ports: Vec<u16> = state
        .clusters
        .iter()
        .map(|c| c.port)
        .chain(
            [&state.health, &state.moto]
                .into_iter()
                .flatten()
                .map(|p| p.port),
        )
        .collect();
    let still: Vec<u16> = ports.into_iter().filter(|p| listening(*p)).collect();
    if !still.is_empty() {
        return Err(SandboxError::StillListening { ports: still });
    }
    Ok(done)
}

pub fn alive(state: &State) -> bool {
    state.clusters.len() == 2
        && state.clusters.iter().all(|c| listening(c.port))
        && state.health.as_ref().is_some_and(|h| listening(h.port))
}

pub(crate) fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

fn start_health(
    opts: &StartOptions,
    staging: &cluster::Cluster,
    production: &cluster::Cluster,
) -> Result<Process, SandboxError> {
    let port = cluster::free_port()?;
    let exe =
        std::env::current_exe().map_err(|e| SandboxError::io("cannot find runsheet itself", e))?;
    let mut cmd = Command::new(exe);
    cmd.args(["sandbox", "serve-health", "--port", &port.to_string()])
        .args(["--production", &production.url(DATABASE)])
        .args(["--staging", &staging.url(DATABASE)])
        .args(["--table", &opts.table]);
    if let Some(m) = &opts.migrations {
        let abs = std::fs::canonicalize(m)
            .map_err(|e| SandboxError::io(format!("the migrations folder {}", m.display()), e))?;
        cmd.arg("--migrations").arg(abs);
    }
    let pid = detach(&mut cmd, &opts.dir.join("health.log"))?;
    wait_listening(port, "the health endpoint")?;
    Ok(Process { pid, port })
}

fn start_moto(dir: &Path) -> Result<Process, SandboxError> {
    let Some(moto) = which("moto_server") else {
        return Err(SandboxError::NoS3Server);
    };
    let port = cluster::free_port()?;
    let pid = detach(
        Command::new(moto).args(["-H", "127.0.0.1", "-p", &port.to_string()]),
        &dir.join("moto.log"),
    )?;
    wait_listening(port, "moto_server")?;
    Ok(Process { pid, port })
}

/// Starts `cmd` in its own process group, so that it outlives this
/// command and a Ctrl-C of the operator's shell does not reach it.
fn detach(cmd: &mut Command, log: &Path) -> Result<i32, SandboxError> {
    let out = std::fs::File::create(log)
        .map_err(|e| SandboxError::io(format!("cannot write {}", log.display()), e))?;
    let err = out
        .try_clone()
        .map_err(|e| SandboxError::io(format!("cannot write {}", log.display()), e))?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| {
            SandboxError::io(
                format!("cannot start {}", cmd.get_program().to_string_lossy()),
                e,
            )
        })?;
    i32::try_from(child.id()).map_err(|e| SandboxError::Internal(e.to_string()))
}

fn wait_listening(port: u16, what: &str) -> Result<(), SandboxError> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        if listening(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(SandboxError::NotListening {
        what: what.to_string(),
        port,
    })
}

fn end_process(pid: i32) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let pid = Pid::from_raw(pid);
    if kill(pid, Signal::SIGTERM).is_err() {
        return;
    }
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        if kill(pid, None).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(pid, Signal::SIGKILL);
}

fn write_state(dir: &Path, state: &State) -> Result<(), SandboxError> {
    let text =
        serde_json::to_string_pretty(state).map_err(|e| SandboxError::Internal(e.to_string()))?;
    std::fs::write(state_file(dir), text)
        .map_err(|e| SandboxError::io("cannot write the sandbox state", e))
}

/// libpq ignores a password file others can read.
fn write_private(path: &Path, text: &str) -> Result<(), SandboxError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| SandboxError::io(format!("cannot write {}", path.display()), e))
}

fn remove_all(dir: &Path) -> Result<(), SandboxError> {
    std::fs::remove_dir_all(dir)
        .map_err(|e| SandboxError::io(format!("cannot remove {}", dir.display()), e))
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|p| p.exists())
    })
}

fn rand_bytes() -> [u8; 12] {
    use std::io::Read;
    let mut out = [0u8; 12];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut out);
    }
    out
}

/// Set in the sandbox's variables (to its folder): a session started with
/// them runs against the sandbox, and its journal says so.
pub const ACTIVE: &str = "RUNSHEET_SANDBOX";

/// Whether this process runs with the sandbox's variables.
pub fn active() -> bool {
    std::env::var_os(ACTIVE).is_some_and(|v| !v.is_empty())
}

/// Set once a runbook's `sandbox.env` is in the environment too (by
/// `run --sandbox` or a resume in the sandbox): a shell that only sourced
/// the sandbox's `env` file has the databases but not, say, the runbook's
/// `API_URL: $APP_URL`, and would reach the real API.
pub const APPLIED: &str = "RUNSHEET_SANDBOX_APPLIED";

/// Whether the runbook's rehearsal values are in this process's environment.
pub fn applied() -> bool {
    std::env::var_os(APPLIED).is_some_and(|v| !v.is_empty())
}

/// Replaces this process with runsheet itself, the sandbox's variables
/// in its environment (`run --sandbox`): no `set_var` in a running
/// program.
pub fn exec_with_env(env: &[(String, String)], args: &[String]) -> String {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return format!("cannot find runsheet itself: {e}"),
    };
    let err = Command::new(exe)
        .args(args)
        .envs(env.iter().cloned())
        .exec();
    format!("cannot start runsheet with the sandbox's environment: {err}")
}
