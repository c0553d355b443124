//! `runsheet store init|status|push`: the team's session store.

use super::StoreAction;
use std::process::ExitCode;

pub fn run(action: StoreAction) -> color_eyre::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match rt.block_on(act(action)) {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("runsheet: {e}");
            Ok(ExitCode::from(2))
        }
    }
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
