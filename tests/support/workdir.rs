//! A scratch directory to run `runsheet` in, with its own data dir, and
//! readers for what it journaled. Use it from a test
//! module with `use crate::support::workdir;`.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// libpq's settings in the caller's environment, which would point a
/// test's database steps at the caller's own server.
pub const PG_ENV: [&str; 6] = [
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
];

pub struct Workdir {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("tempdir"),
            env: Vec::new(),
        }
    }

    /// An environment variable for every run (a runbook's `$PROD_DB_URL`).
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.push((name.into(), value.into()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {name}: {e}"));
        p
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_runsheet"));
        c.args(args)
            .env("RUNSHEET_DATA_DIR", self.data())
            .env("NO_COLOR", "1")
            .env("WORK", self.dir.path())
            // The user's own config (a team store) is not the test's.
            .env("RUNSHEET_CONFIG", self.dir.path().join("config.yaml"))
            .env_remove("RUNSHEET_STORE")
            .current_dir(self.dir.path());
        for k in PG_ENV {
            c.env_remove(k);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runsheet");
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin.as_bytes());
        }
        child.wait_with_output().expect("wait runsheet")
    }

    /// `runsheet run RUNBOOK --target TARGET --auto` in the background,
    /// its output kept for `wait_with_output`.
    pub fn background(&self, runbook: &Path, target: &str) -> std::process::Child {
        self.auto_cmd(runbook, target)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn runsheet")
    }

    fn auto_cmd(&self, runbook: &Path, target: &str) -> Command {
        self.cmd(&[
            "run",
            &runbook.to_string_lossy(),
            "--target",
            target,
            "--auto",
        ])
    }

    /// `runsheet run RUNBOOK --target TARGET --plain`, answering with `stdin`.
    pub fn plain(&self, runbook: &Path, target: &str, stdin: &str) -> Output {
        self.run(
            &[
                "run",
                &runbook.to_string_lossy(),
                "--target",
                target,
                "--plain",
            ],
            stdin,
        )
    }

    /// `runsheet run RUNBOOK --target TARGET --auto`.
    pub fn auto(&self, runbook: &Path, target: &str) -> Output {
        self.run(
            &[
                "run",
                &runbook.to_string_lossy(),
                "--target",
                target,
                "--auto",
            ],
            "",
        )
    }

    /// `runsheet run RUNBOOK --target TARGET --auto` in the background,
    /// its output thrown away: a session to kill.
    pub fn spawn_auto(&self, runbook: &Path, target: &str) -> std::process::Child {
        self.auto_cmd(runbook, target)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn runsheet")
    }

    pub fn journals(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.data().join("journals"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        v.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
        v.sort();
        v
    }

    /// Every record of the latest journal.
    pub fn records(&self) -> Vec<serde_json::Value> {
        let Some(path) = self.journals().pop() else {
            return Vec::new();
        };
        let text = std::fs::read_to_string(&path).expect("read journal");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {l}: {e}")))
            .collect()
    }

    /// The records of one type (`"action-result"`, `"output"` …).
    pub fn of_type(&self, kind: &str) -> Vec<serde_json::Value> {
        self.records()
            .into_iter()
            .filter(|r| r["type"] == kind)
            .collect()
    }

    /// The string field `field` of each record of type `kind`, in order.
    pub fn strings(&self, kind: &str, field: &str) -> Vec<String> {
        self.of_type(kind)
            .iter()
            .filter_map(|r| r[field].as_str().map(str::to_string))
            .collect()
    }

    /// The whole journal as text, to look for what must not be there.
    pub fn journal_text(&self) -> String {
        self.journals()
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits (30 s at most) until `ready` holds, then SIGKILLs `child`: a crash
/// at a chosen point of a session.
pub fn kill_when(child: &mut std::process::Child, ready: impl Fn() -> bool) {
    let t = std::time::Instant::now();
    while !ready() && t.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
}
