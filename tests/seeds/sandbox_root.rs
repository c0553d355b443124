//! Run as root (containers, CI), the clusters run as `postgres`, which
//! cannot enter a data folder that root created with mode 0700 (as every
//! session does). The sandbox must still start, and leave nothing behind.

use crate::support::workdir;

use std::os::unix::fs::PermissionsExt;
use workdir::{Workdir, text};

fn state(w: &Workdir) -> serde_json::Value {
    let text = std::fs::read_to_string(w.data().join("sandbox/state.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[test]
fn as_root_the_sandbox_starts_under_a_private_data_folder() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: only root runs the clusters as another user");
        return;
    }
    let w = Workdir::new();
    w.write(
        "data.sql",
        "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n",
    );
    // The data folder as a session leaves it: root's, 0700, and the
    // workdir above it 0700 too (a tempdir).
    std::fs::create_dir_all(w.data().join("journals")).unwrap();
    for d in [w.path().to_path_buf(), w.data()] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out = w.run(&["sandbox", "--dataset", "data.sql"], "");
    assert!(out.status.success(), "{}", text(&out));
    let s = state(&w);
    let elsewhere = s["clusters_elsewhere"]
        .as_str()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("no fallback folder recorded: {s}"));
    assert!(elsewhere.is_dir(), "{}", elsewhere.display());
    assert!(!elsewhere.starts_with(w.path()));
    for c in s["clusters"].as_array().into_iter().flatten() {
        let dir = c["dir"].as_str().unwrap_or_default();
        assert!(dir.starts_with(&*elsewhere.to_string_lossy()), "{s}");
    }
    // The databases answer, through the sandbox's pgpass.
    let url = s["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|kv| kv[0] == "STAGING_DB_URL")
        .and_then(|kv| kv[1].as_str())
        .unwrap_or_default()
        .to_string();
    let psql = std::process::Command::new("psql")
        .args(["-XqAt", &url, "-c", "select count(*) from t"])
        .output()
        .expect("psql");
    assert_eq!(
        String::from_utf8_lossy(&psql.stdout).trim(),
        "1",
        "{psql:?}"
    );

    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!elsewhere.exists(), "{} left behind", elsewhere.display());
    assert!(!w.data().join("sandbox").exists());
}
