//! A seed runbook rehearsed against a real sandbox (`runsheet sandbox`:
//! two PostgreSQL clusters, moto, the health endpoint), by an operator at
//! the plain console, then verified and reported. Use it from a test
//! module with `use crate::support::rehearsal;`.
#![allow(dead_code)]

use super::operator::Operator;
use super::workdir::{Workdir, text};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Rehearsal {
    pub w: Workdir,
    /// The runbook, as shipped in assets/runbooks.
    pub runbook: PathBuf,
}

/// The runbook shipped as `assets/runbooks/NAME`.
pub fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/runbooks")
        .join(name)
}

impl Rehearsal {
    /// A scratch folder and a sandbox started from the runbook's own
    /// `sandbox:` front matter, as `runsheet sandbox --runbook` does. The
    /// sandbox is stopped when this is dropped, even after a failed assert.
    pub fn start(runbook: &str) -> Rehearsal {
        let w = Workdir::new();
        let runbook = asset(runbook);
        let out = w.run(&["sandbox", "--runbook", &runbook.to_string_lossy()], "");
        let r = Rehearsal { w, runbook };
        assert!(out.status.success(), "sandbox: {}", text(&out));
        r
    }

    /// The folder the sandbox's sessions run in (`<sandbox>/work`): where
    /// their relative paths (dumps, downloads) land.
    pub fn work(&self) -> PathBuf {
        self.w.data().join("sandbox/work")
    }

    /// A variable the sandbox set (`PROD_DB_URL`, `APP_URL` …).
    pub fn env(&self, name: &str) -> String {
        self.sandbox_env()
            .into_iter()
            .find_map(|(k, v)| (k == name).then_some(v))
            .unwrap_or_else(|| panic!("the sandbox set no {name}"))
    }

    /// `runsheet run RUNBOOK --target TARGET --plain --sandbox [--drill]`
    /// with `vars` in its environment, an operator at its keyboard.
    pub fn run(&self, target: &str, vars: &[(&str, &str)], drill: bool) -> Operator {
        let rb = self.runbook.to_string_lossy().into_owned();
        let mut args = vec!["run", &rb, "--target", target, "--plain", "--sandbox"];
        if drill {
            args.push("--drill");
        }
        let mut cmd = self.w.cmd(&args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Operator::start(cmd)
    }

    /// `runsheet resume JOURNAL --plain`, with the sandbox's variables.
    pub fn resume(&self, vars: &[(&str, &str)]) -> Operator {
        let journal = self.journal().to_string_lossy().into_owned();
        let mut cmd = self.w.cmd(&["resume", &journal, "--plain"]);
        for (k, v) in self.sandbox_env() {
            cmd.env(k, v);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Operator::start(cmd)
    }

    fn sandbox_env(&self) -> Vec<(String, String)> {
        let text =
            std::fs::read_to_string(self.w.data().join("sandbox/state.json")).unwrap_or_default();
        let state: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        state["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|kv| Some((kv[0].as_str()?.to_string(), kv[1].as_str()?.to_string())))
            .collect()
    }

    /// SQL through psql on one of the sandbox's databases (`STAGING_DB_URL`
    /// or `PROD_DB_URL`); its unaligned output.
    pub fn psql(&self, url_var: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                &self.env(url_var),
                "-v",
                "ON_ERROR_STOP=1",
                "-qAt",
                "-c",
                sql,
            ])
            .output()
            .expect("psql");
        assert!(out.status.success(), "psql {sql}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The session's journal: the one written last (names sort by target
    /// before time, so a production session's sorts before staging's).
    pub fn journal(&self) -> PathBuf {
        self.w
            .journals()
            .into_iter()
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .expect("no journal was written")
    }

    /// `runsheet verify` passes on the journal, and `runsheet report` names
    /// every step of the runbook; the report's Markdown.
    pub fn verify_and_report(&self) -> String {
        let journal = self.journal().to_string_lossy().into_owned();
        let out = self.w.run(&["verify", &journal], "");
        assert!(out.status.success(), "verify: {}", text(&out));
        let out = self.w.run(&["report", &journal], "");
        assert!(out.status.success(), "report: {}", text(&out));
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            report.contains("in the sandbox |"),
            "the report does not say the session ran in the sandbox:\n{report}"
        );
        for title in self.step_titles() {
            assert!(
                report.contains(&title),
                "the report does not name the step {title:?}:\n{report}"
            );
        }
        report
    }

    /// The titles of the steps the flow runs in order (`role: flow`).
    pub fn flow_step_titles(&self) -> Vec<String> {
        self.steps_json()
            .into_iter()
            .filter(|s| s["role"] == "flow")
            .filter_map(|s| s["title"].as_str().map(str::to_string))
            .collect()
    }

    /// Every step's title, as `runsheet check` reads the runbook.
    pub fn step_titles(&self) -> Vec<String> {
        self.steps_json()
            .into_iter()
            .filter_map(|s| s["title"].as_str().map(str::to_string))
            .collect()
    }

    fn steps_json(&self) -> Vec<serde_json::Value> {
        let rb = self.runbook.to_string_lossy().into_owned();
        let out = self.w.run(&["check", "--format", "json", &rb], "");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("check --format json: {e}: {}", text(&out)));
        json[0]["phases"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["steps"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The session journal's records of one type.
    pub fn of_type(&self, kind: &str) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.journal()).expect("read the journal");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line {l}: {e}")))
            .filter(|r: &serde_json::Value| r["type"] == kind)
            .collect()
    }
}

impl Drop for Rehearsal {
    fn drop(&mut self) {
        let _ = self.w.run(&["sandbox", "stop"], "");
    }
}
