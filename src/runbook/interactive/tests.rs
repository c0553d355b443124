use super::{How, scan};

/// The first interactive command's name and kind, or None.
fn first(code: &str) -> Option<(String, How)> {
    scan(code)
        .interactive
        .first()
        .map(|i| (i.command.clone(), i.how))
}

fn how(code: &str) -> Option<How> {
    first(code).map(|(_, h)| h)
}

fn endless(code: &str) -> Vec<String> {
    scan(code).endless.into_iter().map(|e| e.command).collect()
}

#[test]
fn editors_are_found_with_their_wrappers() {
    for code in [
        "vim /etc/nginx/nginx.conf",
        "sudo vim /etc/hosts",
        "env X=1 vim f",
        "EDITOR=nano crontab -e",
        "sudo -u postgres nano /etc/postgresql/16/main/pg_hba.conf",
        "nohup time nano x",
        "/usr/bin/vi file",
        "$EDITOR config.yml",
        "\"${EDITOR:-vi}\" config.yml",
        "sudo visudo",
        "sudo systemctl edit nginx",
        "kubectl -n prod edit deployment/api",
        "git commit -a",
        "git rebase -i HEAD~3",
        "bash -c 'vim x'",
        "if true; then emacs f; fi",
    ] {
        assert_eq!(how(code), Some(How::Editor), "{code}");
    }
    assert_eq!(first("sudo vim x").map(|f| f.0), Some("vim".into()));
    assert_eq!(
        first("kubectl edit cm/x").map(|f| f.0),
        Some("kubectl edit".into())
    );
}

#[test]
fn editors_run_without_a_person_are_not() {
    for code in [
        "git commit -m 'fix'",
        "git commit -am 'fix'",
        "git commit --no-edit --amend",
        "crontab -l",
        "systemctl restart nginx",
        "kubectl get pods",
        "emacs --batch -l x.el",
        "vim -es -c 'wq' f",
        "echo vim",
        "# vim is nice\necho hi",
        "grep -r 'vim' .",
    ] {
        assert_eq!(how(code), None, "{code}");
    }
}

#[test]
fn pagers_and_monitors() {
    assert_eq!(how("less /var/log/syslog"), Some(How::Pager));
    assert_eq!(how("cat f | less"), Some(How::Pager));
    assert_eq!(how("$PAGER f"), Some(How::Pager));
    assert_eq!(how("less f | grep x"), None, "into a pipe less only copies");
    assert_eq!(how("top"), Some(How::Monitor));
    assert_eq!(how("sudo htop"), Some(How::Monitor));
    assert_eq!(how("watch -n 5 kubectl get pods"), Some(How::Monitor));
    assert_eq!(how("sudo iotop -o"), Some(How::Monitor));
    assert_eq!(how("top -b -n 1 | head -20"), None);
    assert_eq!(how("sudo iotop -b -n 3"), None);
    assert_eq!(how("mtr --report example.org"), None);
}

#[test]
fn database_shells_with_no_command() {
    for code in [
        "psql",
        "psql -h localhost -U app appdb",
        "sudo -u postgres psql",
        "sudo -u postgres psql -d app",
        "mysql -u root -p",
        "redis-cli -h 127.0.0.1",
        "mongosh mongodb://localhost/app",
        "sqlite3 app.db",
        "PGPASSWORD=x psql -U app",
    ] {
        assert_eq!(how(code), Some(How::Prompt), "{code}");
    }
    for code in [
        "psql -c 'select 1'",
        "psql -Atc 'select 1'",
        "sudo -u postgres psql -d app -c \"select 1\"",
        "psql -f migrate.sql",
        "psql -l",
        "psql < dump.sql",
        "psql app <<'SQL'\nselect 1;\nSQL",
        "echo 'select 1' | psql",
        "gunzip -c d.gz | sudo -u postgres psql app",
        "psql <<< 'select 1'",
        "mysql -e 'show databases'",
        "mysql -uroot app < dump.sql",
        "redis-cli ping",
        "redis-cli -h h info memory",
        "mongosh --eval 'db.stats()'",
        "sqlite3 app.db 'select 1'",
        "pg_dump app > app.sql",
    ] {
        assert_eq!(how(code), None, "{code}");
    }
}

#[test]
fn logins_and_containers() {
    assert_eq!(how("ssh deploy@web1"), Some(How::Prompt));
    assert_eq!(how("ssh -i ~/.ssh/id -p 2222 web1"), Some(How::Prompt));
    assert_eq!(
        how("ssh -t web1 sudo systemctl restart x"),
        Some(How::Terminal)
    );
    assert_eq!(how("ssh web1 'df -h'"), None);
    assert_eq!(how("ssh -o BatchMode=yes web1 uptime"), None);
    assert_eq!(how("ssh -N -L 5432:db:5432 bastion"), None);
    assert_eq!(how("ssh web1 < script.sh"), None);
    assert_eq!(how("kubectl exec -it api-0 -- bash"), Some(How::Terminal));
    assert_eq!(
        how("kubectl -n prod exec -ti api-0 -- sh"),
        Some(How::Terminal)
    );
    assert_eq!(how("kubectl exec -i -t api-0 -- sh"), Some(How::Terminal));
    assert_eq!(
        how("kubectl run tmp --rm -it --image=busybox -- sh"),
        Some(How::Terminal)
    );
    assert_eq!(how("kubectl exec api-0 -- ls -it"), None);
    assert_eq!(how("kubectl exec api-0 -- psql -c 'select 1'"), None);
    assert_eq!(how("docker exec -it app bash"), Some(How::Terminal));
    assert_eq!(
        how("docker run --rm -it -e X=1 -v a:/b ubuntu bash"),
        Some(How::Terminal)
    );
    assert_eq!(how("docker exec app ls -lit"), None);
    assert_eq!(how("docker run -d -it nginx"), None);
    assert_eq!(how("docker compose exec web sh"), Some(How::Terminal));
    assert_eq!(how("docker-compose exec db psql"), Some(How::Terminal));
    assert_eq!(how("docker compose exec -T db pg_dump app"), None);
    assert_eq!(how("cat d.sql | docker exec -i db psql"), None);
    assert_eq!(how("tmux attach -t ops"), Some(How::Terminal));
    assert_eq!(how("screen -r ops"), Some(How::Terminal));
    assert_eq!(how("tmux new -d -s x 'sleep 1'"), None);
    assert_eq!(how("sudo -i"), Some(How::Prompt));
    assert_eq!(how("su - postgres"), Some(How::Prompt));
    assert_eq!(how("su postgres -c 'psql -c \"select 1\"'"), None);
    assert_eq!(how("su postgres -c psql"), Some(How::Prompt));
    assert_eq!(how("bash"), Some(How::Prompt));
    assert_eq!(how("bash deploy.sh"), None);
    assert_eq!(how("curl -s https://x | bash"), None);
    assert_eq!(how("python3"), Some(How::Prompt));
    assert_eq!(how("python3 manage.py migrate"), None);
    assert_eq!(how("python3 -c 'print(1)'"), None);
    assert_eq!(how("node"), Some(How::Prompt));
    assert_eq!(how("node server.js &"), None);
}

#[test]
fn answers_and_confirmations() {
    assert_eq!(how("read -p 'Continue? ' ok"), Some(How::Reads));
    assert_eq!(how("read -r NAME"), Some(How::Reads));
    assert_eq!(how("echo y | read ok"), None);
    assert_eq!(how("read -r a b <<< \"$line\""), None);
    assert_eq!(
        how("while read -r l; do echo \"$l\"; done < hosts.txt"),
        None
    );
    assert_eq!(how("cat hosts | while read -r l; do echo $l; done"), None);
    assert_eq!(how("while read -r l; do echo $l; done"), Some(How::Reads));
    assert_eq!(
        how("select env in staging prod; do break; done"),
        Some(How::Reads)
    );
    assert_eq!(how("sudo passwd deploy"), Some(How::Reads));
    assert_eq!(how("echo 'deploy:x' | chpasswd"), None);
    assert_eq!(how("sudo apt-get install nginx"), Some(How::Confirms));
    assert_eq!(how("sudo apt-get install -y nginx"), None);
    assert_eq!(how("sudo apt update"), None);
    assert_eq!(how("terraform apply"), Some(How::Confirms));
    assert_eq!(how("terraform apply -auto-approve"), None);
    assert_eq!(how("terraform apply plan.tfplan"), None);
    assert_eq!(how("terraform destroy -target=x"), Some(How::Confirms));
    assert_eq!(how("docker system prune"), Some(How::Confirms));
    assert_eq!(how("docker system prune -af"), None);
    assert_eq!(how("rm -i old.log"), Some(How::Confirms));
    assert_eq!(how("rm -rf /tmp/x"), None);
}

#[test]
fn commands_that_never_end() {
    assert_eq!(endless("tail -f /var/log/app.log"), ["tail"]);
    assert_eq!(endless("sudo journalctl -fu nginx"), ["journalctl"]);
    assert_eq!(endless("kubectl logs -f deploy/api"), ["kubectl logs"]);
    assert_eq!(
        endless("kubectl -n x port-forward svc/db 5432"),
        ["kubectl port-forward"]
    );
    assert_eq!(endless("sleep infinity"), ["sleep"]);
    assert_eq!(endless("ping db1"), ["ping"]);
    assert_eq!(endless("watch df -h"), ["watch"]);
    assert!(endless("tail -n 100 app.log").is_empty());
    assert!(endless("ping -c 3 db1").is_empty());
    assert!(endless("sleep 5").is_empty());
    assert!(endless("kubectl logs deploy/api --tail=50").is_empty());
    assert!(
        scan("tail -f x").interactive.is_empty(),
        "never ends, not interactive"
    );
}

#[test]
fn spans_point_at_the_command_in_the_block() {
    let code = "echo start\nsudo -u postgres psql\necho end\n";
    let s = scan(code);
    let span = s.interactive[0].span.clone();
    assert_eq!(&code[span], "sudo -u postgres psql");
    let code = "sh -c 'echo; vim f'";
    let span = scan(code).interactive[0].span.clone();
    assert_eq!(&code[span], "vim f");
}

#[test]
fn the_reason_names_the_command() {
    assert_eq!(
        scan("vim x").reason().as_deref(),
        Some("`vim` opens an editor")
    );
    assert!(scan("vim x").needs_terminal());
    assert!(!scan("read -p 'x' y").needs_terminal());
    assert_eq!(scan("echo hi").reason(), None);
}

#[test]
fn the_command_inside_a_wrapper_decides() {
    for (code, found) in [
        ("ssh web1 'vim /etc/x'", Some(("vim", How::Editor))),
        ("ssh -t web1 top", Some(("top", How::Monitor))),
        (
            "ssh web1 sudo -u postgres psql",
            Some(("psql", How::Prompt)),
        ),
        (
            "ssh -p 2222 deploy@web1 \"cd /app && nano .env\"",
            Some(("nano", How::Editor)),
        ),
        (
            "ssh -t web1 sudo systemctl restart x",
            Some(("ssh", How::Terminal)),
        ),
        ("ssh web1 'systemctl restart nginx'", None),
        ("ssh web1 df -h", None),
        ("ssh web1 psql < dump.sql", None),
        (
            "kubectl exec -it api-0 -- psql",
            Some(("kubectl exec", How::Terminal)),
        ),
        ("kubectl exec api-0 -- ls", None),
        (
            "docker exec -it c bash",
            Some(("docker exec", How::Terminal)),
        ),
        (
            "docker compose exec app rails c",
            Some(("docker-compose exec", How::Terminal)),
        ),
        (
            "find . -name '*.conf' | xargs vim",
            Some(("vim", How::Editor)),
        ),
        ("git ls-files -m | xargs -o vim", Some(("vim", How::Editor))),
        ("ls *.log | xargs -n 1 gzip", None),
        (
            "sudo -u app -- vim /srv/app/.env",
            Some(("vim", How::Editor)),
        ),
        ("sudo -u app -- ls /srv", None),
        ("timeout 5 top", Some(("top", How::Monitor))),
        ("timeout 5 ls", None),
        ("nice -n 10 htop", Some(("htop", How::Monitor))),
        ("nice tar czf a.tgz /srv", None),
        ("nohup less x.log", Some(("less", How::Pager))),
        ("env -i X=1 vim f", Some(("vim", How::Editor))),
        ("env -i X=1 make", None),
        (
            "bash -c 'read -p \"Continue? \" ok'",
            Some(("read", How::Reads)),
        ),
        ("sh -c \"read -r answer\"", Some(("read", How::Reads))),
        ("sh -c 'read -r answer' < answers.txt", None),
        ("sh -c \"echo done\"", None),
        (
            "watch -n1 'kubectl get pods'",
            Some(("watch", How::Monitor)),
        ),
    ] {
        let got = first(code);
        assert_eq!(got.as_ref().map(|(c, h)| (c.as_str(), *h)), found, "{code}");
    }
    assert_eq!(endless("ssh web1 'tail -f /var/log/syslog'"), ["tail"]);
    assert_eq!(endless("watch -n1 'kubectl get pods'"), ["watch"]);
    let code = "ssh web1 'vim /etc/x'";
    let span = scan(code).interactive[0].span.clone();
    assert_eq!(&code[span], "vim /etc/x");
}
