use super::*;

fn untyped(code: &str) -> FenceVerdict {
    classify("", code)
}

#[test]
fn a_prompted_session_runs_its_commands_and_shows_its_output() {
    let v = untyped(
        "$ kubectl get pods -n prod\nNAME    READY   STATUS\nweb-1   1/1     Running\n$ kubectl delete pod web-1\npod \"web-1\" deleted\n",
    );
    assert!(v.holds_commands);
    assert!(v.prompted);
    assert_eq!(
        v.commands,
        "kubectl get pods -n prod\nkubectl delete pod web-1\n"
    );
    assert_eq!(
        v.output.as_deref(),
        Some("NAME    READY   STATUS\nweb-1   1/1     Running\npod \"web-1\" deleted")
    );
    assert_eq!(v.first_command_line, Some(0));
    assert_eq!(v.suggested_lang, Some("bash"));
    // Offsets in the commands map back to the text as written.
    let at = v.commands.find("delete").unwrap();
    let code = "$ kubectl get pods -n prod\nNAME    READY   STATUS\nweb-1   1/1     Running\n$ kubectl delete pod web-1\n";
    assert_eq!(&code[v.origin(at)..v.origin(at) + 6], "delete");
}

#[test]
fn prompts_as_people_paste_them() {
    for (line, command) in [
        ("$ systemctl restart nginx", "systemctl restart nginx"),
        ("% brew install libpq", "brew install libpq"),
        (
            "# systemctl restart postgresql",
            "systemctl restart postgresql",
        ),
        ("user@host:~$ ls -la /var/lib", "ls -la /var/lib"),
        ("deploy@web-01:/srv/app$ ./bin/migrate", "./bin/migrate"),
        ("root@db1:~# pg_lsclusters", "pg_lsclusters"),
        (
            "[root@db1 ~]# journalctl -u postgresql",
            "journalctl -u postgresql",
        ),
        (
            "(venv) $ pip install -r requirements.txt",
            "pip install -r requirements.txt",
        ),
        ("~/app$ make build", "make build"),
        ("bash-5.1$ myapp --version", "myapp --version"),
        ("user@mac ~ % git pull", "git pull"),
    ] {
        let v = untyped(&format!("{line}\nsome output\n"));
        assert!(v.holds_commands, "{line}");
        assert_eq!(v.commands.trim_end(), command, "{line}");
        assert_eq!(v.output.as_deref(), Some("some output"), "{line}");
    }
}

#[test]
fn continuations_and_heredocs_stay_with_their_command() {
    let v = untyped(
        "$ kubectl run tmp --rm \\\n>   --image=busybox -- sh\n$ cat <<EOF > /etc/app.conf\n> listen 8080\n> EOF\n$ for i in 1 2; do\n>   echo $i\n> done\n1\n2\n",
    );
    assert_eq!(
        v.commands,
        "kubectl run tmp --rm \\\n  --image=busybox -- sh\ncat <<EOF > /etc/app.conf\nlisten 8080\nEOF\nfor i in 1 2; do\n  echo $i\ndone\n"
    );
    assert_eq!(v.output.as_deref(), Some("1\n2"));
    // A heredoc pasted without secondary prompts, a quote left open.
    let v = untyped(
        "$ cat <<'SQL' | psql\nSELECT 1;\n$ not a prompt inside\nSQL\n$ echo \"two\nlines\"\ntwo\nlines\n",
    );
    assert_eq!(
        v.commands,
        "cat <<'SQL' | psql\nSELECT 1;\n$ not a prompt inside\nSQL\necho \"two\nlines\"\n"
    );
    assert_eq!(v.output.as_deref(), Some("two\nlines"));
}

#[test]
fn psql_sessions_are_sql() {
    let v = untyped(
        "postgres=# SELECT count(*)\npostgres-#   FROM users;\n count\n-------\n    42\n(1 row)\n\napp=> \\dt\n",
    );
    assert!(v.holds_commands);
    assert_eq!(v.lang, Some(Lang::Sql));
    assert_eq!(v.suggested_lang, Some("sql"));
    assert_eq!(v.commands, "SELECT count(*)\n  FROM users;\n\\dt\n");
    assert_eq!(
        v.output.as_deref(),
        Some(" count\n-------\n    42\n(1 row)")
    );
}

#[test]
fn dollar_lines_that_are_not_prompts() {
    for code in [
        "Invoice\n$ 12.00 total\n$ 3.50 tax\n",
        "$ Total due: 15\n",
        "Costs:\n$ 1,200 per month\n",
    ] {
        let v = untyped(code);
        assert!(!v.holds_commands, "{code}");
        assert_eq!(v.suggested_lang, Some("text"), "{code}");
    }
}

#[test]
fn what_is_not_commands() {
    for code in [
        // YAML
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
        // JSON
        "{\n  \"name\": \"web\",\n  \"replicas\": 3\n}\n",
        // a config file
        "listen_addresses = '*'\nmax_connections = 200\nshared_buffers = 4GB\n",
        "[Unit]\nDescription=App\n[Service]\nExecStart=/usr/bin/app\n",
        // an env file
        "DATABASE_URL=postgres://db/app\nREDIS_URL=redis://cache\n",
        // logs
        "2024-05-01 12:00:01 ERROR connection refused\n2024-05-01 12:00:02 INFO retrying\n",
        "Dec 02 10:01:22 db1 systemd[1]: Started PostgreSQL.\nsudo: pam_unix(sudo:session): opened\n",
        "ERROR:  relation \"users\" does not exist\nLINE 1: select * from users;\n",
        // SQL results
        " id | name\n----+------\n  1 | ada\n(1 row)\n",
        // prose, English and French
        "Make sure the service is stopped before you continue.\n",
        "make sure the service is stopped\nwatch the logs for errors\nfind the pod that fails\n",
        "git is the version control system we use.\n",
        "kill the old sessions if they are still open, then find the culprit.\n",
        "Vérifier que le service est arrêté.\ncd dans le dossier du projet\n",
        "Select the region from the dropdown.\nUpdate the config file.\n",
        // output of commands, alone
        "NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          2d\n",
        "drwxr-xr-x  2 root root 4096 Jan  1 00:00 bin\n",
        "● nginx.service - A high performance web server\n   Loaded: loaded\n",
        // a file listing, a URL
        "/etc/nginx/nginx.conf\n/etc/nginx/sites-enabled/default\n",
        "https://status.example.com/incidents\n",
        // Python
        ">>> import os\n>>> os.getcwd()\n'/home/me'\n",
        // a tree
        ".\n├── src\n└── Cargo.toml\n",
        // a word alone that is also a program
        "test\n",
        "file\n",
        // a Dockerfile, a crontab line, an nginx block, Ansible
        "FROM node:20\nRUN npm ci\nCOPY . .\n",
        "* * * * * /usr/local/bin/backup.sh\n",
        "server {\n    listen 80;\n}\n",
        "- name: install nginx\n  apt: name=nginx state=present\n",
        // a numbered list pasted in a fence
        "1. Ouvrir la console\n2. Cliquer sur Déployer\n",
    ] {
        let v = untyped(code);
        assert!(!v.holds_commands, "taken for commands: {code}");
    }
}

#[test]
fn commands_without_prompts() {
    for (code, commands, output) in [
        (
            "kubectl get pods -n prod\n",
            "kubectl get pods -n prod\n",
            None,
        ),
        (
            "kubectl get pods\nNAME    READY\nweb-1   1/1\n",
            "kubectl get pods\n",
            Some("NAME    READY\nweb-1   1/1"),
        ),
        (
            "# back up first\npg_dump -Fc app > /backup/app.dump\n\nsudo systemctl stop app\n",
            "# back up first\npg_dump -Fc app > /backup/app.dump\nsudo systemctl stop app\n",
            None,
        ),
        (
            "export BACKUP_DIR=/var/backups\nBACKUP_DIR=/x tar czf $BACKUP_DIR/a.tgz /srv\n",
            "export BACKUP_DIR=/var/backups\nBACKUP_DIR=/x tar czf $BACKUP_DIR/a.tgz /srv\n",
            None,
        ),
        (
            "curl -s https://api/health | jq .status\nmyapp status | grep ok\nmake install\n",
            "curl -s https://api/health | jq .status\nmyapp status | grep ok\nmake install\n",
            None,
        ),
        (
            "helm upgrade web ./chart \\\n  --set image.tag=1.2.3\n",
            "helm upgrade web ./chart \\\n  --set image.tag=1.2.3\n",
            None,
        ),
    ] {
        let v = untyped(code);
        assert!(v.holds_commands, "{code}");
        assert!(!v.prompted);
        assert_eq!(v.commands, commands, "{code}");
        assert_eq!(v.output.as_deref(), output, "{code}");
    }
    let v = untyped("Run this:\n\nkubectl rollout restart deploy/web\n");
    assert_eq!(v.first_command_line, Some(2));
}

#[test]
fn a_printed_script_stays_output() {
    // `cat deploy.sh` printed a script: its lines are output, not commands.
    let v = untyped("cat deploy.sh\n#!/bin/sh\nkubectl apply -f k8s/\necho done\n");
    assert_eq!(v.commands, "cat deploy.sh\n");
    assert_eq!(
        v.output.as_deref(),
        Some("#!/bin/sh\nkubectl apply -f k8s/\necho done")
    );
}

#[test]
fn unprompted_sql() {
    let v = untyped("SELECT count(*)\nFROM users\nWHERE active;\n");
    assert!(v.holds_commands);
    assert_eq!(v.lang, Some(Lang::Sql));
    assert_eq!(v.suggested_lang, Some("sql"));
    assert_eq!(v.commands, "SELECT count(*)\nFROM users\nWHERE active;\n");
    let v = untyped("update users set active = false where id = 3;\n");
    assert!(v.holds_commands);
    // Without its `;` it is a sentence about SQL, not a statement.
    assert!(!untyped("SELECT the rows you need\n").holds_commands);
}

#[test]
fn other_shells_are_found_but_not_runnable() {
    let v = untyped("PS C:\\Users\\me> Get-Service postgresql*\nStatus   Name\n");
    assert!(!v.holds_commands);
    assert_eq!(v.lang, Some(Lang::PowerShell));
    assert_eq!(v.suggested_lang, Some("powershell"));
    assert_eq!(v.commands, "Get-Service postgresql*\n");
    let v = untyped("mysql> SELECT 1;\n+---+\n| 1 |\n");
    assert!(!v.holds_commands);
    assert_eq!(v.suggested_lang, Some("mysql"));
}

#[test]
fn split_runs_sessions_and_leaves_scripts_alone() {
    // A script runs as written, `# ` lines are its comments.
    assert!(split("bash", "# kubectl delete ns prod\necho hi\n").is_none());
    assert!(split("bash", "cat <<EOF\n$ literal\nEOF\n").is_none());
    assert!(split("sql", "SELECT 1;\n").is_none());
    assert!(split("yaml", "$ a\n").is_none());
    // A script written as a session runs its commands.
    let v = split("bash", "$ echo hi\nhi\n").unwrap();
    assert_eq!(
        (v.commands.as_str(), v.output.as_deref()),
        ("echo hi\n", Some("hi"))
    );
    // In a script `# ` is a comment, never a root prompt.
    let v = split("bash", "$ ls\n# rm -rf /srv\n").unwrap();
    assert_eq!(v.commands, "ls\n# rm -rf /srv\n");
    let v = split("console", "$ echo hi\nhi\n").unwrap();
    assert_eq!(v.commands, "echo hi\n");
    let v = split("console", "# systemctl restart nginx\n").unwrap();
    assert_eq!(v.commands, "systemctl restart nginx\n");
    let v = split("sql", "postgres=# select 1;\n ?column?\n").unwrap();
    assert_eq!(v.commands, "select 1;\n");
    // A console block with no prompt runs what reads as commands.
    let v = split("console", "kubectl get pods\nNAME READY\n").unwrap();
    assert_eq!(
        (v.commands.as_str(), v.output.as_deref()),
        ("kubectl get pods\n", Some("NAME READY"))
    );
    assert!(
        split("console", "just some output\n")
            .unwrap()
            .commands
            .is_empty()
    );
}

#[test]
fn families() {
    assert_eq!(family(""), Family::Untyped);
    assert_eq!(family("Bash"), Family::Script);
    assert_eq!(family("console"), Family::Session);
    assert_eq!(family("shell-session"), Family::Session);
    assert_eq!(family("text"), Family::Text);
    assert_eq!(family("yaml"), Family::Other);
    assert_eq!(
        classify("text {name=x}", "$ ls\n").suggested_lang,
        Some("bash")
    );
}
