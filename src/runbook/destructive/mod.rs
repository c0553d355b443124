//! Flags destructive actions in a step's SQL, shell commands or migration
//! name, so that a protected target can demand confirmation at a gate.
//!
//! The scanners lean towards flagging: a missed destructive command is a
//! disaster, while a false positive only costs the runbook author an
//! attribute with a reason. Every finding carries a byte span into the
//! scanned text so that diagnostics can point at the offending words.

use std::ops::Range;

mod migration_name;
mod shell;
pub(super) mod shell_lex;
mod sql;
mod sql_calls;
mod sql_lex;
#[cfg(test)]
mod sql_tests;
mod sql_where;
#[cfg(test)]
mod tests;

/// One reason an action is destructive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Any `DROP ...` statement.
    SqlDrop,
    /// `TRUNCATE`.
    SqlTruncate,
    /// `DELETE` without a top-level `WHERE`.
    SqlDeleteWithoutWhere,
    /// `UPDATE` without a top-level `WHERE`.
    SqlUpdateWithoutWhere,
    /// `ALTER ... DROP` of a column, constraint or other member.
    SqlAlterDrop,
    // ---- SQL rules of issue 13 (one block; shell rules live elsewhere) ----
    /// A `writes` or batched block on a protected target: gated whatever
    /// its text (set by the session's guard, never by a scanner).
    SqlWrites,
    /// What runsheet cannot read: dynamic `EXECUTE`, `CALL`, a prepared
    /// statement from elsewhere, a body in another language.
    SqlOpaque,
    /// `MERGE … THEN DELETE`.
    SqlMergeDelete,
    /// `COPY … FROM/TO PROGRAM`: a shell command on the database server.
    SqlProgram,
    /// `COPY … TO/FROM 'file'`, `lo_export`, `pg_file_write` …
    SqlServerFiles,
    /// `CREATE RULE`, `CREATE TRIGGER`, `ALTER TABLE … DISABLE TRIGGER`.
    SqlRuleOrTrigger,
    /// `CREATE OR REPLACE FUNCTION/PROCEDURE/VIEW …`.
    SqlReplacesCode,
    /// `ALTER SYSTEM`, `pg_reload_conf()`, `pg_promote()`, replication slots …
    SqlServerControl,
    /// `GRANT`, `REVOKE`, `ALTER ROLE`, `… OWNER TO`.
    SqlPrivileges,
    /// `VACUUM FULL`, `REINDEX`, `CLUSTER`, `LOCK TABLE`, a column type change.
    SqlExclusiveLock,
    /// `SELECT … INTO new_table`.
    SqlSelectInto,
    /// `pg_terminate_backend()`, `pg_cancel_backend()`.
    SqlOtherSessions,
    /// `dblink_exec()` and kin: SQL committed on another connection.
    SqlRemote,
    /// `lo_unlink()`, `lo_truncate()`, `lo_put()`.
    SqlLargeObject,
    /// `setval()`, `nextval()`: not undone by a rollback.
    SqlSequence,
    /// `SET session_replication_role` and settings like it.
    SqlSetting,
    /// `COMMIT`, `SET TRANSACTION READ WRITE` … inside a block: an error at
    /// `check`, refused at run time; never a gate reason.
    SqlTransactionControl,
    // ---- end of the SQL rules of issue 13 ----
    /// `pg_restore --clean` / `-c`.
    ShellPgRestoreClean,
    /// `dropdb`.
    ShellDropdb,
    /// `rm` with both a recursive and a force flag (`rm -r` alone is
    /// [`Rule::ShellRmRecursive`]).
    ShellRmRecursiveForce,
    /// `kubectl ... delete`, `replace --force`, `apply --prune`.
    ShellKubectlDelete,
    /// `aws s3 rm|rb|mv`, `aws s3 sync --delete`, `aws s3api delete-*`.
    ShellAwsS3Rm,
    /// Redis `FLUSHALL` / `FLUSHDB`.
    ShellRedisFlush,
    /// Destructive SQL handed to `psql` or `mysql` (`-c`/`-e`, heredoc,
    /// here-string, pipe).
    ShellSql,
    /// What runs is decided at run time or hidden from the analyser: a variable or substitution as the command, code built at run time for a shell, `eval` or psql, a pipe into a shell, a script file, inline Python/Perl/… code.
    ShellOpaque,
    /// `rm -r` without `-f`.
    ShellRmRecursive,
    /// `rm` run by `find -exec`, `xargs` or `parallel`.
    ShellRmFromList,
    /// `find … -delete`.
    ShellFindDelete,
    /// `truncate -s`/`-r` of a file.
    ShellTruncateFile,
    /// `shred`.
    ShellShred,
    /// `dd of=…`.
    ShellDdWrite,
    /// `mkfs*`, `wipefs -a`, `blkdiscard`, `sgdisk --zap-all`, `lvremove`, `zfs destroy`…
    ShellDiskErase,
    /// `rsync --delete*`/`--remove-source-files`, `rclone sync|delete|purge`.
    ShellRsyncDelete,
    /// `aws SERVICE delete-*|terminate-*|purge-*`.
    ShellAwsDelete,
    /// `gcloud … delete|destroy`, `gsutil rm|rb`.
    ShellGcloudDelete,
    /// `az … delete|purge`.
    ShellAzDelete,
    /// `terraform destroy`, `apply -destroy`/`-replace`, `pulumi destroy`, `cdk destroy`.
    ShellInfraDestroy,
    /// `helm uninstall|delete`.
    ShellHelmUninstall,
    /// `kubectl drain`.
    ShellKubectlDrain,
    /// `kubectl scale --replicas=0`.
    ShellKubectlScaleZero,
    /// `alembic downgrade`, `rails db:rollback`, `migrate down`, `npm run migrate:down`, `flyway clean`…
    ShellMigrateDown,
    /// `docker system|volume|container prune`, `volume rm`, `rm -v`, `compose down -v`.
    ShellDockerData,
    /// `kill -9`, `pkill`, `killall`.
    ShellKill,
    /// `patronictl remove|failover|switchover|reinit`.
    ShellPatroni,
    /// `systemctl stop|disable|mask`, `service X stop`, `shutdown`, `reboot`.
    ShellServiceStop,
    /// `git push --force`, `reset --hard`, `clean -f`, `branch -D`.
    ShellGitDiscard,
    /// Migration name saying it removes something.
    MigrationName,
    /// An S3 step deleting or overwriting an object (flagged by the step).
    S3Delete,
    /// The author marked the step `destructive=true`.
    Attribute,
    /// A check found what it guards against (a destructive migration
    /// pending on a protected target): set by the session's finding gate,
    /// never by a scanner.
    Finding,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::SqlDrop,
        Rule::SqlTruncate,
        Rule::SqlDeleteWithoutWhere,
        Rule::SqlUpdateWithoutWhere,
        Rule::SqlAlterDrop,
        Rule::SqlWrites,
        Rule::SqlOpaque,
        Rule::SqlMergeDelete,
        Rule::SqlProgram,
        Rule::SqlServerFiles,
        Rule::SqlRuleOrTrigger,
        Rule::SqlReplacesCode,
        Rule::SqlServerControl,
        Rule::SqlPrivileges,
        Rule::SqlExclusiveLock,
        Rule::SqlSelectInto,
        Rule::SqlOtherSessions,
        Rule::SqlRemote,
        Rule::SqlLargeObject,
        Rule::SqlSequence,
        Rule::SqlSetting,
        Rule::SqlTransactionControl,
        Rule::ShellPgRestoreClean,
        Rule::ShellDropdb,
        Rule::ShellRmRecursiveForce,
        Rule::ShellKubectlDelete,
        Rule::ShellAwsS3Rm,
        Rule::ShellRedisFlush,
        Rule::ShellSql,
        Rule::ShellOpaque,
        Rule::ShellRmRecursive,
        Rule::ShellRmFromList,
        Rule::ShellFindDelete,
        Rule::ShellTruncateFile,
        Rule::ShellShred,
        Rule::ShellDdWrite,
        Rule::ShellDiskErase,
        Rule::ShellRsyncDelete,
        Rule::ShellAwsDelete,
        Rule::ShellGcloudDelete,
        Rule::ShellAzDelete,
        Rule::ShellInfraDestroy,
        Rule::ShellHelmUninstall,
        Rule::ShellKubectlDrain,
        Rule::ShellKubectlScaleZero,
        Rule::ShellMigrateDown,
        Rule::ShellDockerData,
        Rule::ShellKill,
        Rule::ShellPatroni,
        Rule::ShellServiceStop,
        Rule::ShellGitDiscard,
        Rule::MigrationName,
        Rule::S3Delete,
        Rule::Attribute,
        Rule::Finding,
    ];

    /// Stable kebab-case id, identical to the serde form.
    pub fn id(self) -> &'static str {
        match self {
            Rule::SqlDrop => "sql-drop",
            Rule::SqlTruncate => "sql-truncate",
            Rule::SqlDeleteWithoutWhere => "sql-delete-without-where",
            Rule::SqlUpdateWithoutWhere => "sql-update-without-where",
            Rule::SqlAlterDrop => "sql-alter-drop",
            Rule::SqlWrites => "sql-writes",
            Rule::SqlOpaque => "sql-opaque",
            Rule::SqlMergeDelete => "sql-merge-delete",
            Rule::SqlProgram => "sql-program",
            Rule::SqlServerFiles => "sql-server-files",
            Rule::SqlRuleOrTrigger => "sql-rule-or-trigger",
            Rule::SqlReplacesCode => "sql-replaces-code",
            Rule::SqlServerControl => "sql-server-control",
            Rule::SqlPrivileges => "sql-privileges",
            Rule::SqlExclusiveLock => "sql-exclusive-lock",
            Rule::SqlSelectInto => "sql-select-into",
            Rule::SqlOtherSessions => "sql-other-sessions",
            Rule::SqlRemote => "sql-remote",
            Rule::SqlLargeObject => "sql-large-object",
            Rule::SqlSequence => "sql-sequence",
            Rule::SqlSetting => "sql-setting",
            Rule::SqlTransactionControl => "sql-transaction-control",
            Rule::ShellPgRestoreClean => "shell-pg-restore-clean",
            Rule::ShellDropdb => "shell-dropdb",
            Rule::ShellRmRecursiveForce => "shell-rm-recursive-force",
            Rule::ShellKubectlDelete => "shell-kubectl-delete",
            Rule::ShellAwsS3Rm => "shell-aws-s3-rm",
            Rule::ShellRedisFlush => "shell-redis-flush",
            Rule::ShellSql => "shell-sql",
            Rule::ShellOpaque => "shell-opaque",
            Rule::ShellRmRecursive => "shell-rm-recursive",
            Rule::ShellRmFromList => "shell-rm-from-list",
            Rule::ShellFindDelete => "shell-find-delete",
            Rule::ShellTruncateFile => "shell-truncate-file",
            Rule::ShellShred => "shell-shred",
            Rule::ShellDdWrite => "shell-dd-write",
            Rule::ShellDiskErase => "shell-disk-erase",
            Rule::ShellRsyncDelete => "shell-rsync-delete",
            Rule::ShellAwsDelete => "shell-aws-delete",
            Rule::ShellGcloudDelete => "shell-gcloud-delete",
            Rule::ShellAzDelete => "shell-az-delete",
            Rule::ShellInfraDestroy => "shell-infra-destroy",
            Rule::ShellHelmUninstall => "shell-helm-uninstall",
            Rule::ShellKubectlDrain => "shell-kubectl-drain",
            Rule::ShellKubectlScaleZero => "shell-kubectl-scale-zero",
            Rule::ShellMigrateDown => "shell-migrate-down",
            Rule::ShellDockerData => "shell-docker-data",
            Rule::ShellKill => "shell-kill",
            Rule::ShellPatroni => "shell-patroni",
            Rule::ShellServiceStop => "shell-service-stop",
            Rule::ShellGitDiscard => "shell-git-discard",
            Rule::MigrationName => "migration-name",
            Rule::S3Delete => "s3-delete",
            Rule::Attribute => "attribute",
            Rule::Finding => "finding",
        }
    }

    /// Short operator-facing sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::SqlDrop => "DROP permanently removes a database object and its data",
            Rule::SqlTruncate => "TRUNCATE removes every row",
            Rule::SqlDeleteWithoutWhere => "DELETE without WHERE removes every row",
            Rule::SqlUpdateWithoutWhere => "UPDATE without WHERE rewrites every row",
            Rule::SqlAlterDrop => "ALTER ... DROP removes a column or constraint",
            Rule::SqlWrites => "this block writes to a protected target",
            Rule::SqlOpaque => "runsheet cannot see what this runs",
            Rule::SqlMergeDelete => "MERGE ... THEN DELETE removes rows",
            Rule::SqlProgram => "COPY ... PROGRAM runs a shell command on the database server",
            Rule::SqlServerFiles => "reads or writes files on the database server",
            Rule::SqlRuleOrTrigger => {
                "a rule or trigger changes what other statements do, from now on"
            }
            Rule::SqlReplacesCode => "replaces a function, procedure or view others use",
            Rule::SqlServerControl => {
                "changes the server itself, outside any transaction (settings, WAL, replication)"
            }
            Rule::SqlPrivileges => "changes who may read or change data",
            Rule::SqlExclusiveLock => {
                "locks or rewrites a table: the application waits until it ends"
            }
            Rule::SqlSelectInto => "SELECT ... INTO creates a table",
            Rule::SqlOtherSessions => "ends or interrupts other sessions on the server",
            Rule::SqlRemote => {
                "runs SQL on another connection, committed there whatever happens here"
            }
            Rule::SqlLargeObject => "deletes or overwrites a large object",
            Rule::SqlSequence => "changes a sequence, and a rollback does not undo it",
            Rule::SqlSetting => {
                "changes a setting that switches off the database's checks or how it reads SQL"
            }
            Rule::SqlTransactionControl => {
                "controls the transaction that runsheet runs the block in"
            }
            Rule::ShellPgRestoreClean => {
                "pg_restore --clean drops existing objects before restoring"
            }
            Rule::ShellDropdb => "dropdb deletes a whole database",
            Rule::ShellRmRecursiveForce => "rm -rf deletes files recursively without asking",
            Rule::ShellKubectlDelete => "kubectl delete removes cluster resources",
            Rule::ShellAwsS3Rm => "the aws command deletes S3 objects or buckets",
            Rule::ShellRedisFlush => "FLUSHALL/FLUSHDB erases every key in Redis",
            Rule::ShellSql => "psql or mysql runs destructive SQL",
            Rule::ShellOpaque => "runsheet cannot see what this runs",
            Rule::ShellRmRecursive => "rm -r deletes a whole directory tree",
            Rule::ShellRmFromList => "rm deletes files that find/xargs choose at run time",
            Rule::ShellFindDelete => "find -delete deletes every file it matches",
            Rule::ShellTruncateFile => "truncate cuts files to a size, losing their contents",
            Rule::ShellShred => "shred overwrites files beyond recovery",
            Rule::ShellDdWrite => "dd of=… overwrites the file or device it writes to",
            Rule::ShellDiskErase => "the command erases a filesystem, partition table or volume",
            Rule::ShellRsyncDelete => {
                "rsync --delete / rclone sync deletes files missing from the source"
            }
            Rule::ShellAwsDelete => "the aws command deletes or terminates cloud resources",
            Rule::ShellGcloudDelete => "the gcloud/gsutil command deletes cloud resources",
            Rule::ShellAzDelete => "the az command deletes Azure resources",
            Rule::ShellInfraDestroy => "the command destroys the infrastructure it manages",
            Rule::ShellHelmUninstall => "helm uninstall removes a release and its resources",
            Rule::ShellKubectlDrain => "kubectl drain evicts every pod from a node",
            Rule::ShellKubectlScaleZero => "kubectl --replicas=0 stops every pod of the workload",
            Rule::ShellMigrateDown => "the command rolls migrations back or wipes the schema",
            Rule::ShellDockerData => "docker deletes volumes or containers with their data",
            Rule::ShellKill => "the command kills processes abruptly or by name",
            Rule::ShellPatroni => "patronictl changes the primary or erases a cluster member",
            Rule::ShellServiceStop => "the command stops or disables a service, or the machine",
            Rule::ShellGitDiscard => "git throws away commits, branches or uncommitted files",
            Rule::MigrationName => "the migration's name says it removes schema or data",
            Rule::S3Delete => "the S3 step deletes or overwrites an object",
            Rule::Attribute => "the runbook marks this step destructive",
            Rule::Finding => "a check found what it guards against",
        }
    }
}

/// Where and why a text is destructive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: Rule,
    /// Byte range in the scanned text of the offending statement/command word(s).
    pub span: Range<usize>,
    /// The offending fragment as written, whitespace collapsed to single
    /// spaces, at most ~80 chars (cut with "…").
    pub excerpt: String,
}

/// Findings in PostgreSQL text (psql meta-commands are skipped).
pub fn scan_sql(text: &str) -> Vec<Finding> {
    sql::scan(text).into_iter().map(|(_, f)| f).collect()
}

/// Statements of an SQL block that begin, end or change the mode of its
/// transaction (`COMMIT`, `SET TRANSACTION READ WRITE`, `RESET
/// transaction_read_only` …), including inside `DO` blocks and functions.
/// A block runs in one transaction runsheet opens and closes, so these are
/// errors at `check` and refused at run time.
pub fn sql_transaction_control(text: &str) -> Vec<Finding> {
    sql::transaction_control(text)
}

pub use sql_lex::{Statement as SqlStatement, statements as sql_statements};

/// A fragment as findings show it: one line, at most ~80 characters.
pub fn excerpt_of(fragment: &str) -> String {
    excerpt(fragment)
}

/// Findings in bash-ish shell text, including SQL handed to psql.
pub fn scan_shell(text: &str) -> Vec<Finding> {
    shell::scan(text, 0)
}

/// A finding if a word of the migration's name is a removal verb; the span
/// covers that word.
pub fn scan_migration_name(name: &str) -> Option<Finding> {
    migration_name::scan(name)
}

const EXCERPT_CHARS: usize = 80;

fn finding(rule: Rule, text: &str, span: Range<usize>) -> Finding {
    let excerpt = excerpt(text.get(span.clone()).unwrap_or_default());
    Finding {
        rule,
        span,
        excerpt,
    }
}

fn excerpt(fragment: &str) -> String {
    // Line continuations are layout, not content: an excerpt of a wrapped
    // command should read as the one line the shell sees.
    let unwrapped = fragment.replace("\\\r\n", " ").replace("\\\n", " ");
    let collapsed = unwrapped.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= EXCERPT_CHARS {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}
