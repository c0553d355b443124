//! `runsheet sandbox` and `run --sandbox`.

use std::path::PathBuf;
use std::process::ExitCode;

use super::SandboxAction;
use crate::sandbox::{self, StartOptions};

pub fn run(
    action: Option<SandboxAction>,
    dataset: Option<PathBuf>,
    migrations: Option<PathBuf>,
    table: String,
) -> color_eyre::Result<ExitCode> {
    let dir = match sandbox::default_dir() {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    match action {
        None => {
            let migrations = migrations.or_else(|| {
                let default = PathBuf::from("db/migrate");
                default.is_dir().then_some(default)
            });
            let opts = StartOptions {
                dir: dir.clone(),
                dataset,
                migrations,
                table,
            };
            match sandbox::start(&opts) {
                Ok((state, fresh)) => {
                    if fresh {
                        eprintln!("sandbox started in {}", dir.display());
                    } else {
                        eprintln!("a sandbox is already running in {}", dir.display());
                    }
                    for note in &state.notes {
                        eprintln!("note: {note}");
                    }
                    print!("{}", sandbox::exports(&state));
                    eprintln!(
                        "\nthese are in {} (`source` it), or run `runsheet run RUNBOOK --target staging --sandbox`; `runsheet sandbox stop` removes it all",
                        sandbox::env_file(&dir).display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    // Whatever did start is stopped: nothing is left behind.
                    let _ = sandbox::stop(&dir);
                    fail(&format!("{e}; nothing is left running"))
                }
            }
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
            Err(e) => fail(&e),
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

/// `run … --sandbox`: the same command again, with the sandbox's variables.
pub fn exec_run() -> color_eyre::Result<ExitCode> {
    let dir = match sandbox::default_dir() {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--sandbox")
        .collect();
    // Only returns on failure.
    fail(&sandbox::exec_with_env(&dir, &args))
}

fn fail(e: &str) -> color_eyre::Result<ExitCode> {
    eprintln!("runsheet: {e}");
    Ok(ExitCode::from(2))
}
