//! `runsheet archive`: a session's evidence to S3 (`crate::archive`).

use std::path::PathBuf;
use std::process::ExitCode;

/// `runsheet archive`: the destination and retention from the flags, else
/// the config's `archive:`.
pub fn run(
    journal: PathBuf,
    to: Option<String>,
    retain_days: Option<u32>,
    require_lock: bool,
    sign: bool,
) -> color_eyre::Result<ExitCode> {
    let config = match crate::config::load() {
        Ok(c) => c.archive,
        Err(e) => {
            eprintln!("runsheet: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let Some(to) = to.or_else(|| config.as_ref().map(|c| c.to.clone())) else {
        eprintln!(
            "runsheet: where to? give s3://bucket/prefix, or `archive: {{to: s3://bucket/prefix}}` in the config file"
        );
        return Ok(ExitCode::from(2));
    };
    let a = crate::archive::Archive {
        journal,
        to,
        retain_days: retain_days.or_else(|| config.as_ref().and_then(|c| c.retain_days)),
        require_lock: require_lock || config.as_ref().is_some_and(|c| c.require_lock),
    };
    let done = super::runtime()?.block_on(async {
        let mut said = String::new();
        if sign && !crate::journal::paths::sig_path(&a.journal).exists() {
            said = crate::evidence::check::sign_journal(&a.journal, None).await?;
            if !said.ends_with('\n') {
                said.push('\n');
            }
        }
        Ok::<_, String>(said + &crate::archive::archive(&a).await?)
    });
    Ok(super::said(done))
}
