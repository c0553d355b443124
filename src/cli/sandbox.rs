//! `runsheet sandbox` and `run --sandbox`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::SandboxAction;
use crate::run::workdir;
use crate::runbook::Runbook;
use crate::runbook::model::Sandbox;
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
    fn options(self, dir: PathBuf, wanted: Wanted) -> Result<StartOptions, String> {
        let Wanted {
            spec,
            identity,
            buckets,
        } = wanted;
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
        let env = |n: &str| std::env::var(n).ok();
        let work_from = spec
            .workdir
            .as_deref()
            .map(|w| {
                let base = std::path::absolute(&base).unwrap_or(base.clone());
                workdir::resolve("sandbox: workdir:", w, &base, &HashMap::new(), &env)
            })
            .transpose()?;
        Ok(StartOptions {
            dir,
            dataset: self.dataset.or_else(|| from_runbook(spec.dataset)),
            migrations,
            table: self
                .table
                .or(spec.table)
                .unwrap_or_else(|| "schema_migrations".into()),
            runbook: identity,
            work_from,
            setup: spec.setup,
            buckets,
            spec_env: spec.env,
        })
    }
}

/// What a runbook asks of a sandbox (nothing without a runbook).
#[derive(Default, Clone)]
struct Wanted {
    spec: Sandbox,
    identity: Option<RunbookIdentity>,
    /// Every bucket it names, as written.
    buckets: Vec<String>,
}

fn wanted_by(path: &Path, rb: &Runbook) -> Wanted {
    let spec = rb.sandbox.clone().unwrap_or_default();
    Wanted {
        identity: Some(RunbookIdentity::of(path, &rb.title, &spec)),
        buckets: sandbox::buckets::named(rb),
        spec,
    }
}

/// The runbook's `sandbox:` and who it is (none without a runbook).
fn spec_of(runbook: Option<&Path>) -> Result<Wanted, String> {
    match runbook {
        Some(r) => Ok(wanted_by(r, &read_runbook(r)?)),
        None => Ok(Wanted::default()),
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
            if fresh {
                for made in &state.made {
                    eprintln!("made: {made}");
                }
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
                .and_then(|wanted| setup.options(dir.clone(), wanted))
                .and_then(|opts| start(&opts));
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
        Some(SandboxAction::Status) => {
            let state = sandbox::read_state(&dir);
            let (text, runs) = sandbox::status::describe(&dir, state.as_ref());
            print!("{text}");
            Ok(if runs {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
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
/// first, from the runbook's `sandbox:`, when none is running, and one
/// started for another runbook is restarted when the operator agrees
/// (`restart`: `--restart-sandbox`, agreed beforehand).
pub fn exec_run(runbook: &Path, auto: bool, restart: bool) -> color_eyre::Result<ExitCode> {
    let dir = match sandbox::default_dir() {
        Ok(d) => d,
        Err(e) => return fail(&e.to_string()),
    };
    let wanted = match read_runbook(runbook) {
        Ok(r) => wanted_by(runbook, &r),
        Err(e) => return fail(&e),
    };
    let spec = wanted.spec.clone();
    let running = match sandbox::read_state(&dir) {
        Some(state) if sandbox::alive(&state) => {
            let why = wanted
                .identity
                .as_ref()
                .and_then(|w| mismatch(state.runbook.as_ref(), w));
            match why {
                None => Some(state),
                Some(why) => {
                    // Its databases hold another dataset: a drill there
                    // would rehearse nothing of this runbook. Restarting
                    // drops them, so it is the operator's call, never
                    // made for them.
                    if !(restart || agrees_to_restart(&why, auto)) {
                        return fail(&format!(
                            "{why}. Restart it for this runbook with `--restart-sandbox` (its databases are removed), or stop it with `runsheet sandbox stop` and run this command again"
                        ));
                    }
                    eprintln!("stopping the sandbox started for the other runbook");
                    if let Err(e) = sandbox::stop(&dir) {
                        return fail(&format!("cannot stop the running sandbox: {e}"));
                    }
                    None
                }
            }
        }
        _ => None,
    };
    let state = match running {
        Some(s) => s,
        None => {
            let setup = Setup {
                runbook: Some(runbook.to_path_buf()),
                dataset: None,
                migrations: None,
                table: None,
            };
            match setup
                .options(dir.clone(), wanted)
                .and_then(|opts| start(&opts))
            {
                Ok(s) => s,
                Err(e) => return fail(&e),
            }
        }
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--sandbox" && a != "--restart-sandbox")
        .collect();
    // Only returns on failure.
    fail(&sandbox::exec_with_env(
        &sandbox::rehearsal_env(&state, &spec.env),
        &args,
    ))
}

/// Asks on the terminal whether to restart the sandbox; never without
/// one, nor under `--auto`, where nobody could have read `why`.
fn agrees_to_restart(why: &str, auto: bool) -> bool {
    use std::io::{IsTerminal, Write};
    if auto || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return false;
    }
    eprint!("{why}.\nrestart it for this runbook? Its databases are removed. [y/N] ");
    let _ = std::io::stderr().flush();
    crate::console::read_stdin_line()
        .is_some_and(|line| matches!(line.trim(), "y" | "yes" | "o" | "oui"))
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
        &sandbox::rehearsal_env(&state, &spec.env),
        &args,
    ))
}

fn fail(e: &str) -> color_eyre::Result<ExitCode> {
    eprintln!("runsheet: {e}");
    Ok(ExitCode::from(2))
}
