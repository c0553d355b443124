//! `check`'s literal-host: which texts name a real system a rehearsal
//! would reach, and which do not (loopback, reserved names, placeholders,
//! e-mail addresses, comments).

use crate::check;
use runsheet::runbook::ActionKind;
use runsheet::runbook::hosts::{self, in_text};

fn shell_hosts(code: &str) -> Vec<String> {
    let kind = ActionKind::Shell {
        interpreter: "bash".into(),
    };
    in_text(&kind, code).into_iter().map(|f| f.host).collect()
}

#[test]
fn real_hosts_in_shell_blocks_are_found() {
    let cases: &[(&str, &str)] = &[
        (
            "curl -s https://auth.veylant.ai/realms/x",
            "auth.veylant.ai",
        ),
        ("curl \"http://api.acme.io:8080/v1\"", "api.acme.io"),
        ("wscat -c wss://stream.acme.io/feed", "stream.acme.io"),
        (
            "psql postgres://app:s3cr@t@db.prod.acme.io:5432/app",
            "db.prod.acme.io",
        ),
        ("psql postgresql://10.0.3.4/app -c 'select 1'", "10.0.3.4"),
        ("mysql --host=mysql.acme.io -u root", "mysql.acme.io"),
        ("pg_dump -h pg.acme.io -U app app > dump.sql", "pg.acme.io"),
        ("pg_restore -hpg2.acme.io -d app dump", "pg2.acme.io"),
        ("redis-cli -h cache.acme.io ping", "cache.acme.io"),
        (
            "ssh deploy@bastion.acme.io 'systemctl restart app'",
            "bastion.acme.io",
        ),
        ("ssh -i key -p 2222 web1.acme.io uptime", "web1.acme.io"),
        ("ssh -J jump.acme.io app@10.1.2.3 true", "jump.acme.io"),
        ("scp dump.sql ops@files.acme.io:/backups/", "files.acme.io"),
        (
            "rsync -az ./out/ backup.acme.io:/srv/out/",
            "backup.acme.io",
        ),
        ("sudo -u app ssh db1.acme.io", "db1.acme.io"),
        (
            "aws s3 cp x s3://bucket/x --endpoint-url https://s3.fr-par.scw.cloud",
            "s3.fr-par.scw.cloud",
        ),
        (
            "kubectl --server=https://k8s.acme.io get pods",
            "k8s.acme.io",
        ),
        ("mongosh --host mongo.acme.io", "mongo.acme.io"),
        ("export PGHOST=pg3.acme.io", "pg3.acme.io"),
        ("psql \"host=pg4.acme.io dbname=app\"", "pg4.acme.io"),
        (
            "echo ok && curl https://hooks.slack.com/services/x # notify",
            "hooks.slack.com",
        ),
        (
            "KEYCLOAK_URL=\"https://auth.veylant.ai\"\ncurl $KEYCLOAK_URL",
            "auth.veylant.ai",
        ),
    ];
    for (code, host) in cases {
        let found = shell_hosts(code);
        assert!(
            found.iter().any(|h| h == host),
            "`{code}` should name {host}, found {found:?}"
        );
    }
}

#[test]
fn what_is_not_a_real_host_is_left_alone() {
    let cases: &[&str] = &[
        "curl http://localhost:3000/up",
        "curl http://127.0.0.1:8080 http://127.9.9.9 http://[::1]:80/ http://0.0.0.0:9000",
        "curl https://app.localhost/ https://api.example.com/x https://example.org",
        "curl https://svc.test/ https://nothing.invalid/ https://foo.example/",
        "curl \"$API_URL/v1/users\" \"${KEYCLOAK_URL}/realms\"",
        "curl https://<host>/v1 https://{{HOST}}/x",
        "curl -d 'username=admin-test@veylant.ai' \"$KEYCLOAK_URL/token\"",
        "curl -d '{\"email\":\"ops@veylant.ai\"}' \"$API_URL/users\"",
        "git commit --author='Ops <ops@veylant.ai>' -m x",
        "# curl https://auth.veylant.ai/realms\necho done",
        "echo 'see the docs' # https://auth.veylant.ai",
        "aws s3 cp dump.sql s3://veylant-backups/dump.sql",
        "cp ./a:b /tmp/x",
        "scp ./dump.sql /mnt/backup/",
        "pg_dump -h \"$PGHOST\" -U app app",
        "ssh \"$BASTION\" uptime",
        "grep -h pattern file.txt",
        "psql \"$DATABASE_URL\" -c 'select 1'",
        "psql postgres:///app",
    ];
    for code in cases {
        let found = shell_hosts(code);
        assert!(
            found.is_empty(),
            "`{code}` names no real host, found {found:?}"
        );
    }
}

#[test]
fn reserved_names_and_loopback_are_not_real() {
    for h in [
        "localhost",
        "a.localhost",
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "example.com",
        "a.example.net",
        "x.test",
        "x.invalid",
        "host",
    ] {
        assert!(!hosts::is_real(h), "{h} is not a real system");
    }
    for h in [
        "auth.veylant.ai",
        "10.0.0.1",
        "192.168.1.10",
        "db",
        "example.com.evil.io",
    ] {
        assert!(hosts::is_real(h), "{h} is a real system");
    }
}

#[test]
fn check_warns_about_a_literal_host_in_actions_and_targets_but_not_in_context() {
    let dir = std::env::temp_dir().join(format!("runsheet-check-hosts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hosts.md");
    let runbook = "---\nruntsheet: 1\n".replace("runtsheet", "runsheet")
        + "targets:\n  staging:\n    description: \"Staging (https://docs.acme.io)\"\n    env:\n      API_URL: https://api-staging.acme.io\n      LOCAL_URL: http://localhost:3000\n---\n# Hosts\n\n\
           ## Overview\n\n```bash\ncurl https://overview.acme.io\n```\n\n\
           ## Phase 1\n\n### Call\n\n```bash\ncurl https://auth.acme.io/token\ncurl \"$API_URL/x\"\n```\n\n\
           ### Check\n\n```http\nGET https://health.acme.io/up\nHTTP 200\n```\n\n\
           ## Rollback {role=rollback undoes=phase-1}\n\n### Undo\n\n```bash\nssh ops@rollback.acme.io restart\n```\n";
    std::fs::write(&path, runbook).unwrap();
    let (_, _, stderr) = check(&["check", "--color", "never", path.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    for host in [
        "api-staging.acme.io",
        "auth.acme.io",
        "health.acme.io",
        "rollback.acme.io",
    ] {
        assert!(
            stderr.contains(&format!("warning[literal-host]: `{host}`")),
            "{host} should be reported:\n{stderr}"
        );
    }
    for host in ["docs.acme.io", "overview.acme.io", "localhost"] {
        assert!(
            !stderr.contains(&format!("`{host}`")),
            "{host} is not a destination:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("sandbox: env:"),
        "the help says how to map it:\n{stderr}"
    );
}
