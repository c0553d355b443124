//! The user's own settings, apart from any runbook: where the team's store
//! is, how sessions are signed, archived and announced.
//!
//! One YAML file (the same parser and error style as a runbook's front
//! matter) at `<config dir>/config.yaml` — `~/.config/runsheet/config.yaml`
//! on Linux — or wherever `RUNSHEET_CONFIG` points. A missing file is an
//! empty config; a malformed one is an error naming the file and the line,
//! never silently ignored: a store or a signing rule that is quietly dropped
//! would leave a team believing evidence exists that does not.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Points at a config file other than the platform's (tests, CI, a team's
/// shared file).
pub const CONFIG_ENV: &str = "RUNSHEET_CONFIG";

/// Everything the config file can say. Each capability owns its own key;
/// unknown keys are refused so a typo is caught, not ignored.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// The team's session store: a libpq connection string (URL or
    /// key=value). `RUNSHEET_STORE` overrides it.
    #[serde(default)]
    pub store: Option<String>,
    /// How `runsheet sign` signs a journal, and whether a session signs
    /// its own at its end.
    #[serde(default)]
    pub sign: Option<Sign>,
    /// The allowed-signers file `verify` checks signatures against (the
    /// format of ssh-keygen's ALLOWED SIGNERS, git's
    /// `gpg.ssh.allowedSignersFile`). Both spellings are read: the
    /// issue and git's own docs write it with an underscore.
    #[serde(default, alias = "allowed_signers")]
    pub allowed_signers: Option<String>,
    /// Where `runsheet archive` puts a session's evidence, and whether a
    /// session archives itself at its end.
    #[serde(default)]
    pub archive: Option<ArchiveTo>,
    /// Webhooks told of every session's start, gates, failures and end,
    /// besides the runbook's own (`notify:` in its front matter).
    #[serde(default)]
    pub notify: Vec<crate::runbook::notify::HookSpec>,
}

/// `archive:` in the config file.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ArchiveTo {
    /// `s3://bucket/prefix`.
    pub to: String,
    /// Days of compliance retention where the bucket has Object Lock;
    /// none: the bucket's default rule.
    #[serde(default, alias = "retain_days")]
    pub retain_days: Option<u32>,
    /// Refuse a bucket without Object Lock.
    #[serde(default, alias = "require_lock")]
    pub require_lock: bool,
    /// Archive each session that ends (after signing it, when it signs).
    #[serde(default)]
    pub auto: bool,
}

impl Config {
    /// The config's webhooks, checked when the file is read.
    pub fn hooks(&self) -> Vec<crate::runbook::notify::Hook> {
        self.notify
            .iter()
            .filter_map(|s| crate::runbook::notify::check(s).ok())
            .collect()
    }
}

/// `sign:` in the config file.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sign {
    /// The SSH private key (or, with ssh-agent holding it, its `.pub`);
    /// `~/` is the home folder. Default: the first of ~/.ssh/id_ed25519,
    /// id_ecdsa, id_rsa.
    #[serde(default)]
    pub key: Option<String>,
    /// Sign the journal when a session ends.
    #[serde(default)]
    pub auto: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the config file {path} is not valid: {message}\n  fix the file, or point {CONFIG_ENV} at another one"
    )]
    Invalid { path: PathBuf, message: String },
}

/// The config file's path: `$RUNSHEET_CONFIG` if set, else the platform's
/// config dir. `None` when there is no home to find one in.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "runsheet").map(|d| d.config_dir().join("config.yaml"))
}

/// Reads the config: empty when there is no file.
pub fn load() -> Result<Config, ConfigError> {
    match config_path() {
        Some(path) => load_from(&path),
        None => Ok(Config::default()),
    }
}

pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(&text).map_err(|message| ConfigError::Invalid {
        path: path.to_path_buf(),
        message,
    })
}

/// An empty or comment-only file is an empty config.
pub fn parse(text: &str) -> Result<Config, String> {
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Config::default());
    }
    let config: Config = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    // A webhook quietly dropped for a typo would leave a team waiting for
    // messages that never come.
    for spec in &config.notify {
        crate::runbook::notify::check(spec)?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_an_empty_config() {
        assert_eq!(parse("").unwrap(), Config::default());
        assert_eq!(parse("# nothing yet\n\n").unwrap(), Config::default());
    }

    #[test]
    fn the_store_is_read() {
        let c = parse("store: postgres://runsheet@db.internal/runsheet\n").unwrap();
        assert_eq!(
            c.store.as_deref(),
            Some("postgres://runsheet@db.internal/runsheet")
        );
    }

    #[test]
    fn signing_and_allowed_signers_are_read_in_either_spelling() {
        let c =
            parse("sign:\n  key: ~/.ssh/ops\n  auto: true\nallowed_signers: /etc/ops/signers\n")
                .unwrap();
        assert_eq!(
            c.sign,
            Some(Sign {
                key: Some("~/.ssh/ops".into()),
                auto: true
            })
        );
        assert_eq!(c.allowed_signers.as_deref(), Some("/etc/ops/signers"));
        let c = parse("sign: {auto: true, key: ~/.ssh/ops}\n").unwrap();
        assert!(
            c.sign
                .is_some_and(|s| s.auto && s.key.as_deref() == Some("~/.ssh/ops"))
        );
        let c = parse("allowed-signers: /x\n").unwrap();
        assert_eq!(c.allowed_signers.as_deref(), Some("/x"));
        // A typo under sign: is named, not dropped: auto-signing that is
        // quietly off would leave no evidence where the team expects some.
        let e = parse("sign:\n  atuo: true\n").unwrap_err();
        assert!(e.contains("atuo"), "{e}");
    }

    #[test]
    fn webhooks_are_read_and_a_wrong_event_is_refused() {
        let c = parse("notify:\n  - url: $TEAM_HOOK\n    on: [failure, end]\n").unwrap();
        let hooks = c.hooks();
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].url, "$TEAM_HOOK");
        assert_eq!(
            hooks[0].on,
            [
                crate::runbook::notify::NotifyEvent::Failure,
                crate::runbook::notify::NotifyEvent::End
            ]
        );
        let e = parse("notify:\n  - url: $TEAM_HOOK\n    on: [ending]\n").unwrap_err();
        assert!(e.contains("ending") && e.contains("rollback"), "{e}");
    }

    #[test]
    fn a_misspelt_key_is_refused_not_ignored() {
        let e = parse("stor: x\n").unwrap_err();
        assert!(e.contains("stor"), "{e}");
    }

    #[test]
    fn a_missing_file_is_empty_and_a_bad_one_names_itself() {
        let dir = std::env::temp_dir().join(format!("runsheet-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            load_from(&dir.join("none.yaml")).unwrap(),
            Config::default()
        );
        let bad = dir.join("bad.yaml");
        std::fs::write(&bad, "store: [unclosed\n").unwrap();
        let e = load_from(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.yaml") && e.contains(CONFIG_ENV), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
