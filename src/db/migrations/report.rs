//! The plain-text report of pending migrations shown to the operator.

use super::{MigrationFile, Pending, RULE_NAME, Reason, Semantics, VersionKey};

/// Enough to judge a migration in the output pane; the rest are counted.
const MAX_REASONS_SHOWN: usize = 6;
const MAX_VERSIONS_SHOWN: usize = 4;

/// The operator's view: pending migrations, why the destructive ones are,
/// and what in the table needs attention. Plain text, one `\n` per line.
pub fn report(p: &Pending, dir: &str, table: &str) -> String {
    let mut lines = vec![header(p, dir, table)];
    let width = p
        .files
        .iter()
        .map(|f| f.version.chars().count())
        .max()
        .unwrap_or(0);
    for file in &p.files {
        file_lines(file, width, &mut lines);
    }
    let destructive = p.destructive().count();
    if destructive > 0 {
        lines.push(match (destructive, p.files.len()) {
            (1, 1) => "It is destructive.".to_string(),
            (d, n) if d == n => format!("All {n} are destructive."),
            (1, n) => format!("1 of the {n} is destructive."),
            (d, n) => format!("{d} of the {n} are destructive."),
        });
    }
    dirty_lines(p, table, &mut lines);
    out_of_order_lines(p, &mut lines);
    unknown_lines(p, dir, table, &mut lines);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn header(p: &Pending, dir: &str, table: &str) -> String {
    let state = match (p.semantics, &p.newest_applied) {
        (Semantics::Set, _) => format!("{table} has {} applied", p.applied_count),
        (Semantics::Latest { .. }, Some(v)) => format!("{table} is at version {v}"),
        (Semantics::Latest { .. }, None) => format!("{table} records no version"),
    };
    match p.files.len() {
        0 => format!("No pending migrations in {dir} ({state})."),
        1 => format!("1 pending migration in {dir} ({state}):"),
        n => format!("{n} pending migrations in {dir} ({state}):"),
    }
}

fn file_lines(file: &MigrationFile, width: usize, lines: &mut Vec<String>) {
    let mark = if file.destructive.is_empty() {
        ""
    } else {
        "  DESTRUCTIVE"
    };
    lines.push(format!("  {:<width$}  {}{mark}", file.version, file.name));
    for reason in file.destructive.iter().take(MAX_REASONS_SHOWN) {
        lines.push(format!("      {}", describe(reason)));
    }
    let hidden = file.destructive.len().saturating_sub(MAX_REASONS_SHOWN);
    if hidden > 0 {
        lines.push(format!("      … and {hidden} more"));
    }
}

fn describe(reason: &Reason) -> String {
    if reason.rule == RULE_NAME {
        return format!("name says \"{}\"", reason.excerpt);
    }
    match reason.line {
        Some(line) => format!("line {line}: {}", reason.excerpt),
        None => reason.excerpt.clone(),
    }
}

fn dirty_lines(p: &Pending, table: &str, lines: &mut Vec<String>) {
    if !p.dirty {
        return;
    }
    match (p.semantics, p.failed.first()) {
        (Semantics::Latest { .. }, Some(v)) => {
            lines.push(format!(
                "{table} is dirty at version {v}: that migration stopped part-way."
            ));
            lines.push(
                "Repair the database by hand, then `migrate force` a clean version.".to_string(),
            );
        }
        (Semantics::Latest { .. }, None) => {
            lines.push(format!(
                "{table} is marked dirty: a migration stopped part-way."
            ));
        }
        (Semantics::Set, _) => {
            lines.push(format!(
                "{table} records failed migrations (not applied; repair them first):"
            ));
            lines.push(format!("  {}", list(&p.failed)));
        }
    }
}

/// Rails and sqlx run a pending migration older than applied ones, Flyway
/// refuses it unless `outOfOrder` is set: the operator should know.
fn out_of_order_lines(p: &Pending, lines: &mut Vec<String>) {
    if p.semantics != Semantics::Set {
        return;
    }
    let Some(newest) = p.newest_applied.as_deref().and_then(VersionKey::parse) else {
        return;
    };
    let older: Vec<String> = p
        .files
        .iter()
        .filter(|f| VersionKey::parse(&f.version).is_some_and(|k| k < newest))
        .map(|f| f.version.clone())
        .collect();
    if older.is_empty() {
        return;
    }
    lines.push(format!(
        "Out of order (older than the newest applied, {}):",
        p.newest_applied.as_deref().unwrap_or_default()
    ));
    lines.push(format!("  {}", list(&older)));
}

fn unknown_lines(p: &Pending, dir: &str, table: &str, lines: &mut Vec<String>) {
    let n = p.applied_unknown.len();
    if n == 0 {
        return;
    }
    lines.push(format!(
        "Applied in {table} but with no file in {dir} ({n}):"
    ));
    lines.push(format!("  {}", list(&p.applied_unknown)));
    let newest_file = p.newest_file.as_deref().and_then(VersionKey::parse);
    let ahead = p
        .applied_unknown
        .iter()
        .filter_map(|v| VersionKey::parse(v))
        .any(|k| newest_file.as_ref().is_none_or(|f| &k > f));
    lines.push(if ahead {
        "The database is ahead of these files: is this the code that is deployed?".to_string()
    } else {
        "(Old migrations deleted or squashed?)".to_string()
    });
}

fn list(versions: &[String]) -> String {
    let shown = versions
        .iter()
        .take(MAX_VERSIONS_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match versions.len().saturating_sub(MAX_VERSIONS_SHOWN) {
        0 => shown,
        more => format!("{shown} … ({more} more)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::pending;
    use crate::db::migrations::tests::{file, latest, scan, set, tempdir, write};

    #[test]
    fn report_lists_pending_and_reasons() {
        let dir = tempdir();
        let d = dir.path();
        write(d, "20240101000000_create_users.rb", "create_table :users\n");
        write(
            d,
            "20250105101500_add_index_to_orders.rb",
            "add_index :orders, :x\n",
        );
        write(
            d,
            "20250106090000_remove_email_from_users.rb",
            "class RemoveEmailFromUsers < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :email, :string\n  end\nend\n",
        );
        let p = pending(scan(d), &set(&["20240101000000"]));
        let text = report(&p, "db/migrate", "schema_migrations");
        assert_eq!(
            text,
            "2 pending migrations in db/migrate (schema_migrations has 1 applied):\n\
             \x20 20250105101500  add_index_to_orders\n\
             \x20 20250106090000  remove_email_from_users  DESTRUCTIVE\n\
             \x20     name says \"remove\"\n\
             \x20     line 3: remove_column :users, :email, :string\n\
             1 of the 2 is destructive.\n"
        );
    }

    #[test]
    fn report_when_nothing_is_pending() {
        let p = pending(vec![file("1", "a")], &set(&["1"]));
        assert_eq!(
            report(&p, "db/migrate", "schema_migrations"),
            "No pending migrations in db/migrate (schema_migrations has 1 applied).\n"
        );
        let p = pending(vec![file("000001", "a")], &latest(Some("1"), false));
        assert_eq!(
            report(&p, "migrations", "schema_migrations"),
            "No pending migrations in migrations (schema_migrations is at version 1).\n"
        );
    }

    #[test]
    fn report_notes_dirty_out_of_order_and_unknown() {
        let p = pending(
            vec![file("000001", "a"), file("000002", "b")],
            &latest(Some("1"), true),
        );
        assert_eq!(
            report(&p, "migrations", "schema_migrations"),
            "1 pending migration in migrations (schema_migrations is at version 1):\n\
             \x20 000002  b\n\
             schema_migrations is dirty at version 1: that migration stopped part-way.\n\
             Repair the database by hand, then `migrate force` a clean version.\n"
        );

        let files = vec![file("1", "a"), file("2", "b"), file("3", "c")];
        assert_eq!(
            report(&pending(files, &set(&["1", "3", "4"])), "db", "t"),
            "1 pending migration in db (t has 3 applied):\n\
             \x20 2  b\n\
             Out of order (older than the newest applied, 4):\n\
             \x20 2\n\
             Applied in t but with no file in db (1):\n\
             \x20 4\n\
             The database is ahead of these files: is this the code that is deployed?\n"
        );

        let files = vec![file("7", "e")];
        assert_eq!(
            report(
                &pending(files, &set(&["1", "2", "3", "4", "5", "6", "7"])),
                "db",
                "t"
            ),
            "No pending migrations in db (t has 7 applied).\n\
             Applied in t but with no file in db (6):\n\
             \x20 1, 2, 3, 4 … (2 more)\n\
             (Old migrations deleted or squashed?)\n"
        );

        let mut applied = set(&["1"]);
        applied.failed = vec!["2".into()];
        assert_eq!(
            report(
                &pending(vec![file("1", "a"), file("2", "b")], &applied),
                "db",
                "t"
            ),
            "1 pending migration in db (t has 1 applied):\n\
             \x20 2  b\n\
             t records failed migrations (not applied; repair them first):\n\
             \x20 2\n"
        );
    }

    #[test]
    fn report_lines_stay_short_and_reasons_are_capped() {
        let mut f = file("20250106090000", "cleanup");
        for line in 1..=9 {
            f.destructive.push(Reason {
                rule: "sql-drop".into(),
                excerpt: "DROP TABLE x".repeat(7).chars().take(80).collect(),
                line: Some(line),
            });
        }
        let p = pending(vec![f], &set(&[]));
        let text = report(&p, "db/migrate", "schema_migrations");
        assert!(text.contains("      … and 3 more\n"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(!text.contains('\x1b'));
    }
}
