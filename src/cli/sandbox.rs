//! `runsheet sandbox` and `run --sandbox`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::SandboxAction;
use crate::runbook::Runbook;
use crate::runbook::model::Sandbox;
use crate::runbook::vars::expand;
use crate::sandbox::runbook_identity::{RunbookIdentity, mismatch};
use crate::sandbox::{self, StartOptions, State};
use crate::session::SessionInfo;

/// What a new sandbox is seeded with: the flags, else the runbook's
/// `sandbox:` front matter.
pub struct Setup {
    pub runbook: Option<PathBuf>,
    pub dataset: Option<PathBuf>,
    pub migrations: Option<PathBuf>,
    pub table: Option<String>,
}

impl Setup {
    /// What to start `dir` with: the flags, else `spec`, the runbook's
    /// `sandbox:` (read once by the caller, which may need it too).
    fn options(
        self,
        dir: PathBuf,
        spec: Sandbox,
        runbook: Option<RunbookIdentity>,
    ) -> StartOptions {
        // The runbook's paths are relative to the runbook, not to where
        // runsheet was started.
        let base = self
            .runbook
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let from_runbook = |p: Option<String>| p.map(|p| base.join(p));
        let migrations = self
            .migrations
            .or_else(|| from_runbook(spec.migrations))
            .or_else(|| {
                let default = PathBuf::from("db/migrate");
                default.is_dir().then_some(default)
            });
        StartOptions {
            dir,
            dataset: self.dataset.or_else(|| from_runbook(spec.dataset)),
            migrations,
            table: self
                .table
                .or(spec.table)
                .unwrap_or_else(|| "schema_migrations".into()),
            runbook,
        }
    }
}

/// The runbook's `sandbox:` and who it is (none without a runbook).
fn spec_of(runbook: Option<&Path>) -> Result<(Sandbox, Option<RunbookIdentity>), String> {
    match runbook {
        Some(r) => {
            let rb = read_runbook(r)?;
            let spec = rb.sandbox.unwrap_or_default();
            let id = RunbookIdentity::of(r, &rb.title, &spec);
            Ok((spec, Some(id)))
        }
        None => Ok((Sandbox::default(), None)),
    }
}

fn read_runbook(path: &Path) -> Result<Runbook, String> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parsed = crate::runbook::parse(&path.to_string_lossy(), &source);
    if parsed.has_errors() {
        return Err(format!(
            "{} has errors: `runsheet check {}` lists them",
            path.display(),
            path.display()
        ));
    }
    Ok(parsed.runbook)
}

/// Starts the sandbox (or finds it running), saying which.
fn start(opts: &StartOptions) -> Result<State, String> {
    match sandbox::start(opts) {
        Ok((state, fresh)) => {
            if fresh {
                eprintln!("sandbox started in {}", opts.dir.display());
            } else {
                eprintln!("a sandbox is already running in {}", opts.dir.display());
            }
            for note in &state.notes {
                eprintln!("note: {note}");
            }
            Ok(state)
        }
        Err(e) => {
            // Whatever did start is stopped: nothing is left behind.
            let _ = sandbox::stop(&opts.dir);
            Err(format!("{e}; nothing is left running"))
        }
    }
}

pub fn run(action: Option<SandboxAction>, setup: Setup) -> color_eyre::Result<ExitCode> {
    let dir = match sandbox::default_dir() {
        Ok(d) => d,
        Err(e) => return fail(&e.to_string()),
    };
    match action {
        None => {
            let started = spec_of(setup.runbook.as_deref())
                .and_then(|(spec, id)| start(&setup.options(dir.clone(), spec, id)));
            let state = match started {
                Ok(s) => s,
                Err(e) => return fail(&e),
            };
            print!("{}", sandbox::exports(&state));
            eprintln!(
                "\nthese are in {} (`source` it), or run `runsheet run RUNBOOK --target staging --sandbox`; `runsheet sandbox stop` removes it all",
                sandbox::env_file(&dir).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(SandboxAction::Stop) => match sandbox::stop(&dir) {
            Ok(done) if done.is_empty() => {
                eprintln!("no sandbox in {}", dir.display());
                Ok(ExitCode::SUCCESS)
            }
            Ok(done) => {
                for d in done {
                    eprintln!("{d}");
                }
                eprintln!("sandbox removed; nothing of it is left running or listening");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => fail(&e.to_string()),
        },
        Some(SandboxAction::Env) => match sandbox::read_state(&dir) {
            Some(state) => {
                print!("{}", sandbox::exports(&state));
                Ok(ExitCode::SUCCESS)
            }
            None => fail(&format!(
                "no sandbox in {}: start one with `runsheet sandbox`",
                dir.display()
            )),
        },
        Some(SandboxAction::ServeHealth {
            port,
            production,
            staging,
            migrations,
            table,
        }) => serve_health(port, production, staging, migrations, table),
    }
}

fn serve_health(
    port: u16,
    production: String,
    staging: String,
    migrations: Option<PathBuf>,
    table: String,
) -> color_eyre::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result: std::io::Result<()> = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        sandbox::health::serve(
            listener,
            sandbox::health::Health {
                production,
                staging,
                migrations,
                table,
            },
        )
        .await
    });
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => fail(&format!("health endpoint: {e}")),
    }
}

/// `run RUNBOOK … --sandbox`: the same command again, with the sandbox's
/// variables and the runbook's rehearsal values; a sandbox is started
/// first, from the runbook's `sandbox:`, when none is running.
pub fn exec_run(runbook: &Path) -> color_eyre::Result<ExitCode> {
    let dir = match sandbox::default_dir() {
        Ok(d) => d,
        Err(e) => return fail(&e.to_string()),
    };
    let (spec, wanted) = match read_runbook(runbook) {
        Ok(r) => {
            let spec = r.sandbox.unwrap_or_default();
            let id = RunbookIdentity::of(runbook, &r.title, &spec);
            (spec, id)
        }
        Err(e) => return fail(&e),
    };
    let state = match sandbox::read_state(&dir) {
        Some(state) if sandbox::alive(&state) => {
            if let Some(why) = mismatch(state.runbook.as_ref(), &wanted) {
                // Its databases hold another dataset: a drill there would
                // rehearse nothing of this runbook. Restarting drops them,
                // so it is the operator's call, never made for them.
                return fail(&format!(
                    "{why}. Stop it with `runsheet sandbox stop` (its databases are removed), then run this command again: a new sandbox is started for this runbook"
                ));
            }
            state
        }
        _ => {
            let setup = Setup {
                runbook: Some(runbook.to_path_buf()),
                dataset: None,
                migrations: None,
                table: None,
            };
            match start(&setup.options(dir.clone(), spec.clone(), Some(wanted))) {
                Ok(s) => s,
                Err(e) => return fail(&e),
            }
        }
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--sandbox")
        .collect();
    // Only returns on failure.
    fail(&sandbox::exec_with_env(
        &rehearsal_env(&state, &spec),
        &args,
    ))
}

/// `resume` of a session that ran in the sandbox, from a shell without
/// its variables: the same command again, with them, so that the drill
/// goes on against the sandbox and never against the databases the shell
/// points at. The runbook's `sandbox:` is read from the text the session
/// started with.
pub fn exec_resume(info: &SessionInfo) -> color_eyre::Result<ExitCode> {
    let dir = match sandbox::default_dir() {
        Ok(d) => d,
        Err(e) => return fail(&e.to_string()),
    };
    let state = match sandbox::read_state(&dir) {
        Some(state) if sandbox::alive(&state) => state,
        _ => {
            return fail(&format!(
                "this session is a rehearsal in the sandbox, and no sandbox is running in {}. \
                 A new one (`runsheet sandbox --runbook {}`) would have new databases, which \
                 the session would refuse: start a new drill with `runsheet run {} --target {} \
                 --sandbox --drill`",
                dir.display(),
                info.runbook_path,
                info.runbook_path,
                info.target
            ));
        }
    };
    let spec = crate::runbook::parse(&info.runbook_path, &info.runbook_text)
        .runbook
        .sandbox
        .unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!("resuming in the sandbox ({})", dir.display());
    fail(&sandbox::exec_with_env(
        &rehearsal_env(&state, &spec),
        &args,
    ))
}

/// The sandbox's variables, then the runbook's rehearsal values, which
/// may use them.
fn rehearsal_env(state: &State, spec: &Sandbox) -> Vec<(String, String)> {
    let mut env = state.env.clone();
    let values: HashMap<String, String> = env.iter().cloned().collect();
    for (name, value) in &spec.env {
        let value = expand(value, &values, &|n| std::env::var(n).ok());
        env.push((name.clone(), value));
    }
    env.push((sandbox::APPLIED.into(), "1".into()));
    env
}

fn fail(e: &str) -> color_eyre::Result<ExitCode> {
    eprintln!("runsheet: {e}");
    Ok(ExitCode::from(2))
}
