//! `runsheet sandbox`: two real PostgreSQL clusters seeded from a dataset,
//! a health endpoint that follows the databases, a runbook run against it
//! with `--sandbox`, and nothing left running after `sandbox stop` — or
//! after a crash and the next start.

use crate::support::raw_http;
use crate::support::workdir;

use std::net::TcpStream;
use std::time::Duration;
use workdir::{Workdir, text};

const DATA: &str = "CREATE TABLE users (id bigint primary key, email text);
INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 250) g;
CREATE TABLE schema_migrations (version varchar primary key);
INSERT INTO schema_migrations VALUES ('20250101000000');
";

pub(crate) fn state(w: &Workdir) -> serde_json::Value {
    let text = std::fs::read_to_string(w.data().join("sandbox/state.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

pub(crate) fn env(w: &Workdir, name: &str) -> String {
    state(w)["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|kv| kv[0] == name)
        .and_then(|kv| kv[1].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in the sandbox's env"))
}

pub(crate) fn ports(w: &Workdir) -> Vec<u16> {
    let s = state(w);
    let mut out: Vec<u16> = s["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["port"].as_u64())
        .map(|p| p as u16)
        .collect();
    for p in ["health", "moto"] {
        if let Some(port) = s[p]["port"].as_u64() {
            out.push(port as u16);
        }
    }
    out
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300)).is_ok()
}

/// GET on the sandbox's health server, the body as JSON.
fn get(url: &str) -> serde_json::Value {
    raw_http::get_json(url)
}

fn start(w: &Workdir) {
    let out = w.run(
        &[
            "sandbox",
            "--dataset",
            "data.sql",
            "--migrations",
            "db/migrate",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_sandbox_serves_a_runbook_and_leaves_nothing_behind() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    w.write(
        "db/migrate/20250101000000_create_users.rb",
        "class CreateUsers\nend\n",
    );
    w.write(
        "db/migrate/20250102000000_remove_email_from_users.rb",
        "class RemoveEmailFromUsers\n  def change\n    remove_column :users, :email\n  end\nend\n",
    );
    start(&w);
    let env_file = std::fs::read_to_string(w.data().join("sandbox/env")).unwrap_or_default();
    for var in ["STAGING_DB_URL", "PROD_DB_URL", "APP_URL"] {
        assert!(env_file.contains(&format!("export {var}='")), "{env_file}");
    }
    assert_ne!(env(&w, "STAGING_DB_URL"), env(&w, "PROD_DB_URL"));
    // The health endpoint follows the database: one pending migration.
    let health = get(&format!("{}/health", env(&w, "APP_URL")));
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["migrations"]["pending_count"], 1, "{health}");
    assert_eq!(
        health["migrations"]["pending_migrations"][0]["version"],
        "20250102000000"
    );
    assert_eq!(
        get(&format!("{}/healthz", env(&w, "STAGING_APP_URL")))["status"],
        "ok"
    );

    // A runbook run with --sandbox reaches the seeded databases and applies
    // the migration; the endpoint then says so.
    let rb = w.write(
        "r.md",
        "---\ntargets:\n  staging: { database: $STAGING_DB_URL }\n  production: { protected: true, database: $PROD_DB_URL }\nvariables:\n  STAGING_DB_URL: { secret: true }\n  PROD_DB_URL: { secret: true }\n---\n# Rehearsal\n\n## Check {#check}\n\n### Same data {#same}\n\n```compare {left=staging right=production}\nusers\n```\n\n### Apply {#apply target=staging}\n\n```sql {writes}\nINSERT INTO schema_migrations VALUES ('20250102000000');\n```\n",
    );
    let out = w.run(
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--auto",
            "--sandbox",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("| 250"), "{}", text(&out));
    let staging = get(&format!("{}/health", env(&w, "STAGING_APP_URL")));
    assert_eq!(staging["migrations"]["pending_count"], 0, "{staging}");
    assert_eq!(
        get(&format!("{}/health", env(&w, "APP_URL")))["migrations"]["pending_count"],
        1
    );

    // Stop: nothing listens any more, the folder is gone.
    let ports = ports(&w);
    assert!(ports.len() >= 3, "{ports:?}");
    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
    for p in &ports {
        assert!(!listening(*p), "port {p} still listens");
    }
    assert!(!w.data().join("sandbox").exists());
}

#[test]
fn a_crashed_sandbox_is_cleaned_up_by_the_next_start() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    w.write(
        "db/migrate/20250101000000_create_users.rb",
        "class CreateUsers\nend\n",
    );
    start(&w);
    let before = ports(&w);
    // The health server dies (as if killed): the sandbox is not whole.
    let pid = state(&w)["health"]["pid"].as_i64().unwrap_or(0) as i32;
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    std::thread::sleep(Duration::from_millis(300));
    start(&w);
    for p in &before {
        assert!(
            !listening(*p) || ports(&w).contains(p),
            "the old sandbox's port {p} still listens"
        );
    }
    let after = ports(&w);
    assert!(after.iter().all(|p| listening(*p)), "{after:?}");
    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(after.iter().all(|p| !listening(*p)));
}

#[test]
fn run_with_sandbox_starts_the_runbooks_own_sandbox_when_none_runs() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    let rb = w.write(
        "r.md",
        "---\nsandbox:\n  dataset: data.sql\n  env:\n    API_URL: $APP_URL/api\n---\n# R\n\n## P\n\n\
         ```bash\n\
         psql -qAt -h \"$STAGING_DB_HOST\" -p \"$STAGING_DB_PORT\" -U \"$STAGING_DB_USER\" \"$STAGING_DB_NAME\" -c 'select count(*) from users'\n\
         echo \"api at $API_URL\"\n```\n",
    );
    let out = w.run(
        &[
            "run",
            &rb.to_string_lossy(),
            "--target",
            "staging",
            "--sandbox",
            "--auto",
        ],
        "",
    );
    let all = text(&out);
    // The sandbox was started from the runbook's `sandbox:` and seeded
    // with its dataset; psql found its password in the sandbox's pgpass.
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sandbox started in"), "{all}");
    assert!(all.lines().any(|l| l.trim() == "250"), "{all}");
    assert!(
        all.contains(&format!("api at {}/api", env(&w, "APP_URL"))),
        "{all}"
    );
    let ports = ports(&w);
    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(ports.iter().all(|p| !listening(*p)));
}

/// A drill stopped halfway and resumed from a shell that points at other
/// databases goes on in the sandbox; once the sandbox is gone, a resume
/// says so instead of running against whatever the shell points at.
#[test]
fn a_drill_in_the_sandbox_resumes_in_the_sandbox_only() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    let rb = w.write(
        "r.md",
        "---\nvariables:\n  STAGING_DB_URL: { secret: true }\nsandbox:\n  dataset: data.sql\n  env:\n    WHO: rehearsal\n---\n# R\n\n## P\n\n\
         ### Ready {#ready}\n\n- [ ] ready\n\n\
         ### Count {#count}\n\n```bash\npsql -qAt \"$STAGING_DB_URL\" -c 'select count(*) from users'\necho \"who=$WHO\"\n```\n",
    );
    let rb = rb.to_string_lossy().into_owned();
    let run = |stdin: &str| {
        w.run(
            &["run", &rb, "--target", "staging", "--sandbox", "--auto"],
            stdin,
        )
    };
    // Stopped at the checklist, which --auto never ticks.
    let out = run("");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let journal = w.journals().pop().unwrap_or_default();
    let started = std::fs::read_to_string(&journal).unwrap_or_default();
    assert!(
        started
            .lines()
            .next()
            .unwrap_or("")
            .contains(r#""sandbox":true"#),
        "{started}"
    );
    let decoy = "postgresql://nobody@127.0.0.1:1/elsewhere";
    let resume = |journal: &std::path::Path| {
        let mut c = w.cmd(&["resume", &journal.to_string_lossy(), "--plain"]);
        c.env("STAGING_DB_URL", decoy)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(mut i) = child.stdin.take() {
            use std::io::Write;
            let _ = i.write_all(b"y\n\n");
        }
        child.wait_with_output().unwrap()
    };
    let out = resume(&journal);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("resuming in the sandbox"), "{all}");
    assert!(all.lines().any(|l| l.trim() == "250"), "{all}");
    assert!(all.contains("who=rehearsal"), "{all}");
    assert!(!all.contains("elsewhere"), "{all}");

    // A second drill, stopped the same way; then the sandbox goes.
    let out = run("");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let second = w
        .journals()
        .into_iter()
        .find(|j| *j != journal)
        .unwrap_or_default();
    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
    let out = resume(&second);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("no sandbox is running"), "{all}");
    assert!(!all.contains("ready"), "nothing of the session ran: {all}");
}

/// A shell that sourced the sandbox's `env` file and runs without
/// `--sandbox` still gets the runbook's rehearsal values: its `API_URL` is
/// the sandbox's, not the real one.
#[test]
fn a_shell_with_the_sandbox_sourced_gets_the_runbooks_rehearsal_values() {
    let w = Workdir::new();
    w.write("data.sql", DATA);
    let rb = w.write(
        "r.md",
        "---\nvariables:\n  API_URL: { default: https://api.example.com }\nsandbox:\n  dataset: data.sql\n  env:\n    API_URL: $APP_URL/api\n---\n# R\n\n## P\n\n\
         ```bash\necho \"api at $API_URL\"\n```\n",
    );
    let out = w.run(&["sandbox", "--runbook", &rb.to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out));
    // `source env`: every exported variable, as a shell would have them.
    let sourced: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.strip_prefix("export ")?.split_once('=')?;
            Some((k.to_string(), v.trim_matches('\'').to_string()))
        })
        .collect();
    assert!(sourced.iter().any(|(k, _)| k == "RUNSHEET_SANDBOX"));
    let mut cmd = w.cmd(&[
        "run",
        &rb.to_string_lossy(),
        "--target",
        "staging",
        "--auto",
    ]);
    cmd.envs(sourced);
    let out = cmd.output().unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains(&format!("api at {}/api", env(&w, "APP_URL"))),
        "{all}"
    );
    assert!(!all.contains("api.example.com"), "{all}");
    let out = w.run(&["sandbox", "stop"], "");
    assert!(out.status.success(), "{}", text(&out));
}
