//! What the shell analyser cannot see (opaque) and the destructive
//! families: for each, constructs that must be flagged and look-alikes
//! that must not.

use super::super::{Finding, Rule, scan_shell};

fn rules(text: &str) -> Vec<Rule> {
    scan_shell(text).iter().map(|f| f.rule).collect()
}

#[track_caller]
fn flags(rule: Rule, texts: &[&str]) {
    for text in texts {
        let found = rules(text);
        assert!(
            found.contains(&rule),
            "{rule:?} not found in {text:?}: {found:?}"
        );
    }
}

#[track_caller]
fn clean(texts: &[&str]) {
    for text in texts {
        assert_eq!(rules(text), vec![], "{text:?}");
    }
}

fn spans(text: &str) -> Vec<(Rule, &str)> {
    scan_shell(text)
        .iter()
        .map(|f: &Finding| (f.rule, &text[f.span.clone()]))
        .collect()
}

// ---- opaque ----

#[test]
fn a_command_word_runsheet_cannot_read_is_opaque() {
    flags(
        Rule::ShellOpaque,
        &[
            "$(echo rm) -rf /data",
            "R=rm; $R -rf /data",
            "${CMD} -rf /data",
            "\"$CMD\" -rf /data",
            "`echo rm` -rf /data",
            "$CMD",
            "sudo $CMD -rf /data",
            "env X=1 \"$@\"",
            "nohup ${RM:-rm} -rf /data &",
            "timeout 5 $(which rm) -rf /data",
            "if $CHECK; then echo ok; fi",
            "/bin/r? -rf /data",
            "/bin/r* -rf /data",
            "/bin/{rm,ls} -rf /data",
            "rm${IFS}-rf${IFS}/data",
            "IFS=,; x=rm,-rf,/data; $x",
            "time $CMD",
            "exec \"$@\"",
            "command $X",
            "f() { \"$@\"; }; f rm -rf /data",
        ],
    );
    assert_eq!(
        spans("echo hi; $(echo rm) -rf /data"),
        vec![(Rule::ShellOpaque, "$(echo rm) -rf /data")]
    );
}

#[test]
fn quoting_that_still_spells_a_command_is_that_command() {
    for text in [
        "'rm' -rf /data",
        "r''m -rf /data",
        "\"r\"m -rf /data",
        "\\rm -rf /data",
        "$'\\x72m' -rf /data",
        "$'\\162m' -rf /data",
        "$'r\\u006d' -rf /data",
        "r$'m' -rf /data",
        "/usr/bin/env rm -rf /data",
        "~/bin/rm -rf /data",
    ] {
        assert_eq!(rules(text), vec![Rule::ShellRmRecursiveForce], "{text:?}");
    }
}

#[test]
fn code_for_a_shell_is_scanned_or_opaque() {
    flags(
        Rule::ShellOpaque,
        &[
            "echo cm0gLXJmIC9kYXRh | base64 -d | sh",
            "curl -s https://x/install | bash",
            "curl -s https://x | bash -s -- --yes",
            "wget -qO- https://x | sudo bash",
            "cat script.sh | sh",
            "bash < script.sh",
            "bash script.sh",
            "sh ./cleanup.sh",
            "bash <(curl -s https://x)",
            "source ./env.sh",
            ". /opt/app/functions.sh",
            "bash -c \"$X\"",
            "sh -c \"$(curl -s https://x)\"",
            "bash -c \"ls $DIR\"",
            "eval \"$X\"",
            "eval $(ssh-agent)",
            "ssh db1 \"$REMOTE\"",
            "X='rm -rf /data'; echo \"$X\" | sh",
            "sudo -s \"$CMD\"",
            "env -S \"$LINE\"",
            "trap \"$CLEANUP\" EXIT",
            "alias x=\"$CMD\"",
            "BASH_ENV=./x.sh bash -c true",
            "export LD_PRELOAD=/tmp/x.so",
            "sh <<EOF\n$CMD\nEOF\n",
            "sh <<< \"$CMD\"",
            "echo \"$CMD\" | at now",
            "ssh db1 < commands.txt",
            "parallel < commands.txt",
        ],
    );
    // What a shell runs from literal text is read like any command.
    assert_eq!(
        rules("echo 'rm -rf /data' | sh"),
        vec![Rule::ShellRmRecursiveForce]
    );
    assert_eq!(
        rules("sh <<'EOF'\nrm -rf /data\nEOF\n"),
        vec![Rule::ShellRmRecursiveForce]
    );
    assert_eq!(rules("bash -c 'echo $HOME'"), vec![]);
    assert_eq!(
        rules("trap 'rm -rf /tmp/x' EXIT"),
        vec![Rule::ShellRmRecursiveForce]
    );
    assert_eq!(
        rules("alias cleanup='rm -rf /data'"),
        vec![Rule::ShellRmRecursiveForce]
    );
    assert_eq!(rules("echo 'dropdb x' | at now"), vec![Rule::ShellDropdb]);
    assert_eq!(
        rules("env -S 'rm -rf /data'"),
        vec![Rule::ShellRmRecursiveForce]
    );
    assert_eq!(
        rules("sudo -i 'rm -rf /data'"),
        vec![Rule::ShellRmRecursiveForce]
    );
}

#[test]
fn functions_are_code_and_their_bodies_are_scanned() {
    flags(
        Rule::ShellRmRecursiveForce,
        &[
            "cleanup() { rm -rf \"$1\"; }\ncleanup /data",
            "function cleanup { rm -rf \"$1\"; }; cleanup /data",
            "echo() { rm -rf /data; }; echo x",
        ],
    );
    clean(&[
        "greet() { echo hi; }; greet",
        "greet() { echo \"hi $USER\"; }; greet you",
    ]);
    // Arguments a function's body expands may become its commands or their
    // flags (`f() { rm "$@"; }; f -rf /data`): such a call is opaque.
    flags(
        Rule::ShellOpaque,
        &["greet() { echo \"hi $1\"; }; greet you"],
    );
}

#[test]
fn sql_runsheet_cannot_read_is_opaque() {
    flags(
        Rule::ShellOpaque,
        &[
            "Q=\"DROP TABLE t\"; psql -c \"$Q\"",
            "psql \"$URL\" -c \"DELETE FROM t WHERE id = $ID\"",
            "psql -c \"$(cat q.sql)\"",
            "psql -f drop.sql",
            "psql --file=drop.sql",
            "psql \"$URL\" < drop.sql",
            "cat drop.sql | psql",
            "gunzip -c dump.sql.gz | psql \"$URL\"",
            "pg_dump src | psql dst",
            "psql <<EOF\nDELETE FROM t WHERE id = $ID;\nEOF\n",
            "psql <<< \"$Q\"",
            "echo \"$Q\" | psql",
            "psql -c '\\i drop.sql'",
            "psql <<'EOF'\n\\i drop.sql\nEOF\n",
            "psql <<'EOF'\nSELECT 'DROP TABLE ' || tablename FROM pg_tables \\gexec\nEOF\n",
            "psql <<'EOF'\n\\copy t from program 'curl x'\nEOF\n",
            "psql -v q=\"$Q\" <<'EOF'\n:q;\nEOF\n",
            "mysql -e \"$Q\"",
            "mysql db < drop.sql",
            "mysql <<'EOF'\nsource drop.sql\nEOF\n",
        ],
    );
    assert_eq!(
        rules("psql <<'EOF'\n\\! rm -rf /data\nEOF\n"),
        vec![Rule::ShellRmRecursiveForce]
    );
    clean(&[
        "psql -c 'SELECT 1'",
        "psql -f - <<'EOF'\nSELECT 1;\nEOF\n",
        "psql <<'EOF'\nSELECT '\\i x';\n-- \\i y\nSELECT $$ \\gexec $$;\nEOF\n",
        "psql <<EOF\nSELECT 1;\nEOF\n",
        "psql \"$DB_URL\"",
        "psql -c 'SELECT a::text FROM t'",
    ]);
}

#[test]
fn find_xargs_and_parallel_run_what_they_are_given() {
    flags(
        Rule::ShellFindDelete,
        &["find /data -delete", "find . -name '*.tmp' -delete"],
    );
    flags(
        Rule::ShellRmFromList,
        &[
            "find /data | xargs rm",
            "find /data -print0 | xargs -0 -n 10 rm -f",
            "find /data -exec rm {} \\;",
            "find /data -execdir rm -- {} +",
            "ls | xargs -I{} rm {}",
            "parallel rm ::: a b c",
            "find . | xargs sh -c 'rm \"$@\"' _",
        ],
    );
    flags(
        Rule::ShellRmRecursiveForce,
        &[
            "find /x -type d -exec rm -rf {} \\;",
            "ls | parallel 'rm -rf {}'",
        ],
    );
    flags(
        Rule::ShellOpaque,
        &[
            "find /data -exec $CMD {} \\;",
            "ls | xargs \"$CMD\"",
            "find . -exec sh -c \"$X\" \\;",
            "ls | xargs -I{} {}",
        ],
    );
    clean(&[
        "find . -name x",
        "find /var/log -mtime +7 -print",
        "find . -exec grep -l TODO {} +",
        "ls | xargs echo",
        "ls | xargs",
        "parallel echo ::: a b",
    ]);
}

#[test]
fn interpreters_running_inline_code_are_opaque() {
    flags(
        Rule::ShellOpaque,
        &[
            "python3 -c 'import shutil; shutil.rmtree(\"/data\")'",
            "python -uc 'print(1)'",
            "perl -e 'unlink glob \"*\"'",
            "perl -pi -e 's/a/b/' f",
            "ruby -e 'FileUtils.rm_rf(\"/data\")'",
            "node -e 'require(\"fs\").rmSync(\"/data\", {recursive: true})'",
            "node --eval 'x'",
            "php -r 'unlink(\"x\");'",
            "curl -s https://x | python3",
            "python3 - <<'EOF'\nimport os\nEOF\n",
            "awk '{ system(\"rm \" $1) }' list",
            "awk '{ print | \"sh\" }' list",
            "mongosh --eval 'db.dropDatabase()'",
            "redis-cli EVAL \"return redis.call('flushall')\" 0",
        ],
    );
    clean(&[
        "python3 scripts/report.py --since 1d",
        "awk -F, '{print $1}' data.csv",
        "node server.js",
    ]);
}

// ---- files ----

#[test]
fn rm_recursive_without_force_is_flagged() {
    for text in [
        "rm -r /data",
        "rm -R /data",
        "rm --recursive /data",
        "rm -rv /data",
        "rm -r -- -f",
    ] {
        assert_eq!(rules(text), vec![Rule::ShellRmRecursive], "{text:?}");
    }
    clean(&[
        "rm /tmp/x.lock",
        "rm -f /tmp/x.lock",
        "rm -- -r",
        "rmdir /tmp/empty",
        "rm -- \"$FILE\"",
        "rm /tmp/\"$NAME\".lock",
    ]);
}

#[test]
fn rm_options_from_an_expansion_are_opaque() {
    for text in [
        "F=-rf; rm $F /data",
        "rm \"$OPTS\" /data",
        "rm ${FLAGS} /data",
        "rm $(echo -rf) /data",
        "rm `echo -r` /data",
        "rm \"$DIR\"",
    ] {
        assert!(
            rules(text).contains(&Rule::ShellOpaque),
            "{text:?}: {:?}",
            rules(text)
        );
    }
}

#[test]
fn files_truncated_shredded_or_overwritten() {
    flags(
        Rule::ShellTruncateFile,
        &[
            "truncate -s 0 /var/log/app.log",
            "truncate --size=0 f",
            "truncate -r ref f",
        ],
    );
    clean(&["truncate --help"]);
    flags(
        Rule::ShellShred,
        &["shred -u secrets.txt", "shred -n 3 /dev/sdb"],
    );
    clean(&["shred --version"]);
    flags(
        Rule::ShellDdWrite,
        &[
            "dd if=/dev/zero of=/dev/sda bs=1M",
            "sudo dd if=img of=/dev/sdb",
        ],
    );
    clean(&["dd if=/dev/urandom bs=16 count=1 | base64"]);
    flags(
        Rule::ShellDiskErase,
        &[
            "mkfs.ext4 /dev/sdb1",
            "mkfs -t xfs /dev/sdb1",
            "wipefs -a /dev/sdb",
            "wipefs --all /dev/sdb",
            "blkdiscard /dev/nvme0n1",
            "sgdisk --zap-all /dev/sdb",
            "lvremove -y vg0/data",
            "zfs destroy -r tank/data",
        ],
    );
    clean(&["wipefs /dev/sdb", "zfs list", "lsblk"]);
    flags(
        Rule::ShellRsyncDelete,
        &[
            "rsync -a --delete src/ dst/",
            "rsync -av --delete-after src/ host:/dst/",
            "rsync --remove-source-files a b",
            "rclone sync local remote:bucket",
            "rclone purge remote:bucket",
        ],
    );
    clean(&[
        "rsync -a src/ dst/",
        "rclone copy a remote:b",
        "rclone ls remote:b",
    ]);
}

// ---- cloud and clusters ----

#[test]
fn cloud_clis_deleting_are_flagged() {
    flags(
        Rule::ShellAwsDelete,
        &[
            "aws rds delete-db-instance --db-instance-identifier prod",
            "aws ec2 terminate-instances --instance-ids i-1",
            "aws --region eu-west-1 dynamodb delete-table --table-name t",
            "aws cloudformation delete-stack --stack-name s",
            "aws sqs purge-queue --queue-url u",
        ],
    );
    flags(
        Rule::ShellAwsS3Rm,
        &[
            "aws s3 rb s3://bucket --force",
            "aws s3api delete-bucket-policy --bucket b",
        ],
    );
    clean(&[
        "aws s3 ls",
        "aws ec2 describe-instances",
        "aws rds describe-db-instances",
    ]);
    flags(
        Rule::ShellGcloudDelete,
        &[
            "gcloud compute instances delete vm1 --zone z",
            "gcloud sql instances delete prod --quiet",
            "gcloud --project p container clusters delete c",
            "gcloud storage rm gs://b/o",
            "gsutil rm -r gs://b",
            "gsutil -m rsync -d -r dir gs://b",
        ],
    );
    clean(&[
        "gcloud compute instances list",
        "gsutil ls gs://b",
        "gsutil cp a gs://b",
    ]);
    flags(
        Rule::ShellAzDelete,
        &[
            "az group delete -n rg --yes",
            "az storage blob delete-batch -s c",
        ],
    );
    clean(&["az group list", "az vm show -n x"]);
    flags(
        Rule::ShellInfraDestroy,
        &[
            "terraform destroy -auto-approve",
            "terraform -chdir=infra destroy",
            "terraform apply -destroy -auto-approve",
            "terraform apply -replace=aws_db_instance.main",
            "tofu destroy",
            "terragrunt run-all destroy",
            "pulumi destroy --yes",
            "cdk destroy --force",
        ],
    );
    clean(&[
        "terraform plan",
        "terraform apply -auto-approve",
        "terraform plan -destroy=false -out x",
    ]);
}

#[test]
fn cluster_commands_removing_capacity_are_flagged() {
    flags(
        Rule::ShellHelmUninstall,
        &[
            "helm uninstall app -n prod",
            "helm -n prod delete app",
            "helm del app",
        ],
    );
    clean(&[
        "helm list -A",
        "helm upgrade --install app ./chart",
        "helm rollback app 3",
    ]);
    flags(
        Rule::ShellKubectlDrain,
        &["kubectl drain node-1 --ignore-daemonsets"],
    );
    flags(
        Rule::ShellKubectlScaleZero,
        &[
            "kubectl scale deploy/api --replicas=0",
            "kubectl scale --replicas 0 deploy/api",
            "kubectl -n prod scale sts/db --replicas=00",
        ],
    );
    flags(
        Rule::ShellKubectlDelete,
        &[
            "kubectl replace --force -f x.yaml",
            "kubectl apply --prune -l app=x -f dir/",
        ],
    );
    flags(
        Rule::ShellOpaque,
        &[
            "kubectl $VERB pod x",
            "terraform \"$ACTION\"",
            "helm $CMD app",
        ],
    );
    clean(&[
        "kubectl get pods",
        "kubectl scale --replicas=3 deploy/api",
        "kubectl scale deploy/api --replicas 10",
        "kubectl apply -f x.yaml",
        "kubectl rollout restart deploy/api",
        "kubectl -n \"$NS\" get pods",
    ]);
}

// ---- migrations ----

#[test]
fn migrations_going_down_are_flagged() {
    flags(
        Rule::ShellMigrateDown,
        &[
            "alembic downgrade -1",
            "alembic -c prod.ini downgrade base",
            "bin/rails db:rollback STEP=2",
            "rails db:drop",
            "bundle exec rake db:reset",
            "docker exec app bin/rails db:schema:load",
            "rails db:migrate VERSION=0",
            "migrate -path db/migrations -database \"$URL\" down 1",
            "migrate -database \"$URL\" drop -f",
            "npm run migrate:down",
            "yarn db:rollback",
            "pnpm run db:reset",
            "flyway clean",
            "flyway -url=jdbc:x undo",
            "npx knex migrate:rollback --all",
            "npx sequelize-cli db:migrate:undo:all",
            "npx prisma migrate reset --force",
            "prisma db push --force-reset",
            "typeorm migration:revert",
            "python manage.py flush --no-input",
            "python3 manage.py migrate shop zero",
            "php artisan migrate:fresh",
            "mix ecto.rollback",
            "make db-rollback",
            "kubectl exec deploy/api -- /app/proxy migrate down",
            "goose postgres \"$URL\" reset",
        ],
    );
    clean(&[
        "alembic upgrade head",
        "bin/rails db:migrate",
        "docker exec app bin/rails db:migrate:status",
        "migrate -path db/migrations -database \"$URL\" up",
        "npm run build",
        "npm test",
        "yarn migrate:up",
        "make clean",
        "rake assets:clean",
        "flyway migrate",
        "npx prisma migrate deploy",
        "python manage.py migrate",
        "php artisan migrate --force",
    ]);
}

// ---- services, processes, data stores ----

#[test]
fn docker_losing_data_is_flagged() {
    flags(
        Rule::ShellDockerData,
        &[
            "docker system prune -af --volumes",
            "docker volume prune -f",
            "docker container prune",
            "docker volume rm pgdata",
            "docker rm -v db",
            "docker rm -fv db",
            "docker compose down -v",
            "docker-compose down --volumes",
        ],
    );
    clean(&[
        "docker volume ls",
        "docker ps -a",
        "docker rm -f web",
        "docker compose down",
        "docker image prune",
    ]);
    assert_eq!(
        rules("docker exec -it -u postgres db psql -c 'DROP TABLE t'"),
        vec![Rule::ShellSql]
    );
    assert_eq!(
        rules("docker compose exec -T db rm -rf /data"),
        vec![Rule::ShellRmRecursiveForce]
    );
}

#[test]
fn kills_and_cluster_changes_are_flagged() {
    flags(
        Rule::ShellKill,
        &[
            "kill -9 1234",
            "kill -KILL 1234",
            "kill -s KILL 1234",
            "kill -SIGKILL 1",
            "pkill -f worker",
            "killall nginx",
        ],
    );
    clean(&[
        "kill -0 1234",
        "kill 1234",
        "kill -HUP 1234",
        "pkill -0 worker",
    ]);
    flags(
        Rule::ShellPatroni,
        &[
            "patronictl -c /etc/patroni.yml remove pg-cluster",
            "patronictl failover --candidate pg2 --force",
            "patronictl switchover pg-cluster",
            "patronictl reinit pg-cluster pg3",
        ],
    );
    clean(&["patronictl list", "patronictl -c /etc/patroni.yml history"]);
    flags(
        Rule::ShellServiceStop,
        &[
            "systemctl stop postgresql",
            "sudo systemctl disable --now nginx",
            "systemctl mask app",
            "service nginx stop",
            "shutdown -h now",
            "reboot",
        ],
    );
    clean(&[
        "systemctl status postgresql",
        "systemctl restart nginx",
        "service nginx status",
        "shutdown -c",
    ]);
    flags(
        Rule::ShellGitDiscard,
        &[
            "git push --force origin main",
            "git push -f",
            "git push --force-with-lease",
            "git push origin +main",
            "git push origin :old-branch",
            "git push --delete origin v1",
            "git reset --hard origin/main",
            "git clean -fdx",
            "git -C /srv/app clean -ffd",
            "git branch -D feature",
            "git stash clear",
        ],
    );
    clean(&[
        "git push origin main",
        "git status",
        "git clean -n",
        "git reset HEAD~1",
        "git branch -d merged",
        "git log -p",
    ]);
    flags(
        Rule::ShellRedisFlush,
        &["valkey-cli FLUSHALL", "redis-cli <<'EOF'\nFLUSHDB\nEOF\n"],
    );
    flags(
        Rule::ShellOpaque,
        &["cat cmds.txt | redis-cli", "redis-cli $CMD"],
    );
}

#[test]
fn mysql_sql_is_scanned_like_psql() {
    flags(
        Rule::ShellSql,
        &[
            "mysql -e \"DROP TABLE t\"",
            "mysql -u root -Bse 'TRUNCATE t'",
            "mysql --execute='DELETE FROM t'",
            "mysql db <<'EOF'\nDROP DATABASE app;\nEOF\n",
            "echo 'DROP TABLE t' | mysql db",
        ],
    );
    flags(Rule::ShellDropdb, &["mysqladmin -u root drop app"]);
    clean(&[
        "mysql -e \"SELECT 1\"",
        "mysql -u root -p -e 'SHOW TABLES' db",
        "mysqladmin status",
    ]);
}

// ---- the words that only mention a command ----

#[test]
fn mentions_are_not_commands() {
    clean(&[
        "echo rm -rf /",
        "grep -r \"rm -rf\" .",
        "grep -rn 'kubectl delete' docs/",
        "printf '%s\\n' 'terraform destroy'",
        "man rm",
        "which kubectl",
        "command -v rm",
        "type rm",
        "case \"$1\" in\n  start) echo start;;\n  *) echo usage;;\nesac",
        "case $x in *.log|*.tmp) echo skip;; esac",
        "for f in *.log; do echo \"$f\"; done",
        "n=$(( $i + 1 ))",
        "(( $n > 3 )) && echo big",
        "[ \"$a\" = \"$b\" ] && echo same",
        "[[ -n $x ]]",
        "while IFS= read -r line; do echo \"$line\"; done < list.txt",
        "x=$(date +%s); echo \"$x\"",
        "kubectl exec pod -- tool delete",
    ]);
}

// ---- item 12: linear in the words of a line ----

#[test]
fn a_line_of_200k_words_is_scanned_in_one_pass() {
    // Each word used to be tried as a program, re-reading every word after
    // it: this line took minutes. Now each word is read a bounded number of
    // times.
    let line = vec!["rm"; 200_000].join(" ");
    assert_eq!(rules(&line), vec![]);
    let line = format!("sudo {} -rf /data", vec!["rm"; 200_000].join(" "));
    assert_eq!(rules(&line), vec![Rule::ShellRmRecursiveForce]);
    let line = vec!["psql"; 100_000].join(" ; ");
    assert_eq!(rules(&line), vec![]);
    let line = format!("foo {}", vec!["x"; 200_000].join(" "));
    assert_eq!(rules(&line), vec![]);
}

/// Lines real runbooks are full of: none of them may stop at a gate.
#[test]
fn common_runbook_commands_are_not_flagged() {
    clean(&[
        "export PATH=$PATH:/opt/bin",
        "cd /srv/app && git pull",
        "docker compose up -d",
        "docker compose pull && docker compose up -d --remove-orphans",
        "kubectl apply -f k8s/",
        "kubectl rollout status deploy/api",
        "helm upgrade --install api ./chart -n prod --set image.tag=$TAG",
        "terraform init && terraform plan -out plan.tfplan",
        "terraform apply plan.tfplan",
        "aws s3 cp backup.gz s3://b/",
        "aws ecs update-service --cluster c --service s --force-new-deployment",
        "gcloud run deploy api --image gcr.io/x",
        "az webapp restart -n x -g y",
        "systemctl reload nginx",
        "systemctl daemon-reload",
        "journalctl -u app --since today",
        "sleep 5; curl -fsS http://localhost/health",
        "tar -czf backup.tgz /etc/app",
        "mv /tmp/new /srv/app/current",
        "cp -r dist/ /var/www/",
        "ln -sfn /srv/r/2 /srv/current",
        "pg_dump -Fc \"$DATABASE_URL\" > dump.bin",
        "psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -c 'VACUUM ANALYZE'",
        "redis-cli -h cache PING",
        "npm ci && npm run build",
        "yarn install --frozen-lockfile",
        "python3 manage.py migrate --noinput",
        "bin/rails db:migrate RAILS_ENV=production",
        "bundle exec rake db:migrate",
        "mix ecto.migrate",
        "php artisan migrate --force",
        "alembic current",
        "flyway info",
        "npx prisma migrate deploy",
        "for i in $(seq 1 10); do curl -s x; sleep 1; done",
        "while ! pg_isready; do sleep 1; done",
        "if [ -f x ]; then echo y; fi",
        "test -d /srv || mkdir -p /srv",
        "date -u +%FT%TZ",
        "echo \"$(date)\" >> log",
        "jq -r '.items[].name' < x.json",
        "ssh db1 'uptime'",
        "ssh -o StrictHostKeyChecking=no db1 sudo systemctl restart app",
        "scp a db1:/tmp/",
        "kubectl logs -f deploy/api --since=10m",
        "kubectl get events --sort-by=.metadata.creationTimestamp",
        "git fetch --all --prune",
        "git checkout v1.2.3",
        "git tag -a v1 -m rel && git push --tags",
        "openssl s_client -connect x:443 </dev/null",
        "watch -n 5 kubectl get pods",
        "trap 'echo done' EXIT",
        "set -euo pipefail",
        "read -r -p 'ok? ' answer",
        "docker exec app bin/rails runner 'puts User.count'",
        "kill -HUP $(cat /run/nginx.pid)",
        "STATUS=$(curl -s -o /dev/null -w '%{http_code}' x)",
        "time pg_dump db > x",
        "rsync -avz dist/ web:/srv/",
        "find /var/log -name '*.gz' -mtime +30 -print",
        "xargs -n1 echo < list",
        "printf '%s\\n' \"$X\"",
        "wc -l < file",
        "exec > >(tee -a log) 2>&1",
        "cat <<EOF > config.yml\nkey: $VALUE\nEOF",
        "case \"$ENV\" in prod) echo p;; *) echo o;; esac",
    ]);
}

#[test]
fn wrappers_are_seen_through() {
    for text in [
        "command rm -rf x",
        "exec rm -rf x",
        "nice -n 10 rm -rf x",
        "ionice -c3 rm -rf x",
        "timeout -s KILL 10 rm -rf x",
        "sudo -u postgres -- rm -rf x",
        "doas rm -rf x",
        "env -u X rm -rf x",
        "xargs -0 rm -rf < list",
        "( rm -rf x )",
        "{ rm -rf x; }",
        "if true; then rm -rf x; fi",
        "busybox rm -rf x",
        "watch -n1 rm -rf x",
        "ssh -t host sudo rm -rf /x",
        "nohup sh -c 'rm -rf x' &",
        "script -qc 'rm -rf x' /dev/null",
        "flock /tmp/l rm -rf x",
        "flock /tmp/l -c 'rm -rf x'",
        "chroot /mnt rm -rf /x",
        "stdbuf -oL rm -rf x",
        "setsid rm -rf x",
        "strace -f rm -rf x",
        "gosu app rm -rf /x",
        "nsenter -t 1 -m -- rm -rf /x",
        "runuser -u app -- rm -rf /x",
        "su -c 'rm -rf /x' app",
        "docker run --rm -v /x:/x alpine rm -rf /x",
        "podman exec c rm -rf /x",
        "kubectl exec -it pod -c app -- sh -c 'rm -rf /x'",
        "time -p rm -rf x",
        "! rm -rf x",
        "echo $(( $(rm -rf x) ))",
        "sudo -- sh -c 'rm -rf /x'",
        "eval 'rm -rf x'",
    ] {
        assert_eq!(rules(text), vec![Rule::ShellRmRecursiveForce], "{text:?}");
    }
    flags(
        Rule::ShellOpaque,
        &[
            "alias k=kubectl\nk delete pod x",
            "f() { rm \"$@\"; }\nf -rf x",
            "tee >(sh) < cmds",
            "sh -c 'eval \"$1\"' _ 'rm -rf x'",
            "cmd=(rm -rf x); \"${cmd[@]}\"",
        ],
    );
    // Code built at run time is one finding, not one per piece.
    assert_eq!(rules("builtin eval \"$X\""), vec![Rule::ShellOpaque]);
}
