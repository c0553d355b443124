//! Reading the applied versions from a migrations table (Rails, dbmate,
//! golang-migrate, sqlx, Flyway), the one part that talks to the database.

use std::fmt;

use serde::Serialize;
use tokio_postgres::GenericClient;

use super::{same_version, sort_versions};

/// How a migrations table records what has run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Semantics {
    /// Rails, dbmate, sqlx, Flyway: one row per applied version.
    Set,
    /// golang-migrate: one row holding the current version; `dirty` when
    /// the migration to that version stopped part-way.
    Latest { dirty: bool },
}

/// What the migrations table says has been applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Set: every applied version, in version order. Latest: the current
    /// version, or nothing for an empty table.
    pub versions: Vec<String>,
    pub semantics: Semantics,
    /// Versions recorded as failed (sqlx or Flyway `success = false`) and
    /// not applied since; they are not in `versions`.
    pub failed: Vec<String>,
    /// Flyway's baseline: versions up to it count as applied without a row.
    pub baseline: Option<String>,
}

#[derive(Debug)]
pub enum AppliedError {
    /// `table=` is not a (schema-qualified) table name.
    BadName {
        table: String,
        why: &'static str,
    },
    Missing {
        table: String,
    },
    /// The table exists but has no `version` column.
    NotMigrations {
        table: String,
        columns: Vec<String>,
    },
    Query {
        table: String,
        source: tokio_postgres::Error,
    },
}

impl fmt::Display for AppliedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppliedError::BadName { table, why } => write!(
                f,
                "table={table} is not a table name ({why}); write it like \
                 schema_migrations or public.schema_migrations"
            ),
            AppliedError::Missing { table } => write!(
                f,
                "the table `{table}` does not exist in this database: either nothing has \
                 been migrated here yet, or table= names the wrong table"
            ),
            AppliedError::NotMigrations { table, columns } => write!(
                f,
                "the table `{table}` has no `version` column (it has: {}), so it is not a \
                 Rails, dbmate, golang-migrate, sqlx or Flyway migrations table; check table=",
                columns.join(", ")
            ),
            AppliedError::Query { table, source } => {
                let why = source
                    .as_db_error()
                    .map_or_else(|| source.to_string(), |db| db.message().to_string());
                write!(f, "reading the table `{table}` failed: {why}")
            }
        }
    }
}

impl std::error::Error for AppliedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppliedError::Query { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads the applied versions from `table` (optionally schema-qualified;
/// unquoted parts fold to lower case, as in SQL), recognising the tool by
/// the table's columns.
pub async fn applied(client: &impl GenericClient, table: &str) -> Result<Applied, AppliedError> {
    let name = TableName::parse(table).map_err(|why| AppliedError::BadName {
        table: table.to_string(),
        why,
    })?;
    let query_error = |source| AppliedError::Query {
        table: table.to_string(),
        source,
    };
    let Some(oid) = resolve(client, &name).await.map_err(query_error)? else {
        return Err(AppliedError::Missing {
            table: table.to_string(),
        });
    };
    let columns = columns(client, oid).await.map_err(query_error)?;
    let Some(shape) = Shape::detect(&columns) else {
        return Err(AppliedError::NotMigrations {
            table: table.to_string(),
            columns,
        });
    };
    let rows = client
        .query(&shape.select(&name.quoted()), &[])
        .await
        .map_err(query_error)?;
    shape.fold(&rows).map_err(query_error)
}

/// A table name as SQL reads it; quoting happens only when building SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TableName {
    schema: Option<String>,
    name: String,
}

impl TableName {
    fn parse(text: &str) -> Result<Self, &'static str> {
        let mut parts = Vec::new();
        let mut rest = text.trim();
        loop {
            let (part, after) = match rest.strip_prefix('"') {
                Some(quoted) => quoted_part(quoted)?,
                None => bare_part(rest)?,
            };
            parts.push(part);
            match after.strip_prefix('.') {
                Some(next) => rest = next,
                None if after.is_empty() => break,
                None => return Err("unexpected text after a quoted name"),
            }
        }
        let mut parts = parts.into_iter();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(name), None, None) => Ok(Self { schema: None, name }),
            (Some(schema), Some(name), None) => Ok(Self {
                schema: Some(schema),
                name,
            }),
            _ => Err("at most a schema and a table, separated by a dot"),
        }
    }

    fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&self.name)),
            None => quote_ident(&self.name),
        }
    }
}

/// A `"..."` identifier (opening quote already consumed), `""` standing
/// for a quote; returns it and what follows the closing quote.
fn quoted_part(text: &str) -> Result<(String, &str), &'static str> {
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if chars.peek().is_some_and(|&(_, n)| n == '"') => {
                chars.next();
                out.push('"');
            }
            '"' if out.is_empty() => return Err("an empty quoted name"),
            '"' => return Ok((out, text.get(i + 1..).unwrap_or(""))),
            '\0' => return Err("a NUL character"),
            _ => out.push(c),
        }
    }
    Err("an unterminated double quote")
}

/// An unquoted identifier, folded to lower case as PostgreSQL does.
fn bare_part(text: &str) -> Result<(String, &str), &'static str> {
    let end = text.find('.').unwrap_or(text.len());
    let (part, after) = text.split_at(end);
    let mut chars = part.chars();
    let Some(first) = chars.next() else {
        return Err("an empty name");
    };
    let valid = (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    if !valid {
        return Err("unquoted names are letters, digits, _ and $");
    }
    Ok((part.to_ascii_lowercase(), after))
}

fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The table's oid, found the way a query would find it (search_path for
/// an unqualified name); `None` if there is no such table.
async fn resolve(
    client: &impl GenericClient,
    name: &TableName,
) -> Result<Option<u32>, tokio_postgres::Error> {
    // The name travels as a parameter and to_regclass parses it, so no
    // user text is ever spliced into SQL here.
    let row = client
        .query_one(
            "SELECT pg_catalog.to_regclass($1::text)::oid",
            &[&name.quoted()],
        )
        .await?;
    row.try_get::<_, Option<u32>>(0)
}

async fn columns(
    client: &impl GenericClient,
    oid: u32,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT a.attname::text FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[&oid],
        )
        .await?;
    rows.iter().map(|r| r.try_get::<_, String>(0)).collect()
}

/// Which tool's table this is, told by its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Rails, dbmate: `version` only (plus timestamps for some).
    Versions,
    /// golang-migrate: `version bigint, dirty boolean`.
    GolangMigrate,
    /// sqlx: `version bigint, success boolean, ...`.
    Sqlx,
    /// Flyway: `installed_rank, version, type, success, ...`.
    Flyway { has_type: bool },
}

impl Shape {
    fn detect(columns: &[String]) -> Option<Self> {
        let has = |name: &str| columns.iter().any(|c| c == name);
        if !has("version") {
            return None;
        }
        Some(if has("dirty") {
            Shape::GolangMigrate
        } else if has("success") && has("installed_rank") {
            Shape::Flyway {
                has_type: has("type"),
            }
        } else if has("success") {
            Shape::Sqlx
        } else {
            Shape::Versions
        })
    }

    /// The SELECT for this shape; `from` is already quoted.
    fn select(self, from: &str) -> String {
        match self {
            Shape::Versions => format!("SELECT \"version\"::text FROM {from}"),
            Shape::GolangMigrate => {
                format!("SELECT \"version\"::text, (\"dirty\" IS TRUE) FROM {from}")
            }
            Shape::Sqlx => {
                format!("SELECT \"version\"::text, (\"success\" IS TRUE) FROM {from}")
            }
            Shape::Flyway { has_type } => {
                let kind = if has_type {
                    "\"type\"::text"
                } else {
                    "NULL::text"
                };
                format!(
                    "SELECT \"version\"::text, {kind}, (\"success\" IS TRUE) FROM {from} \
                     ORDER BY \"installed_rank\""
                )
            }
        }
    }

    fn fold(self, rows: &[tokio_postgres::Row]) -> Result<Applied, tokio_postgres::Error> {
        let version = |r: &tokio_postgres::Row| r.try_get::<_, Option<String>>(0);
        let flag = |r: &tokio_postgres::Row, i| r.try_get::<_, bool>(i);
        Ok(match self {
            Shape::Versions => fold_set(rows.iter().map(version).collect::<Result<_, _>>()?),
            Shape::GolangMigrate => fold_latest(
                rows.iter()
                    .map(|r| Ok((version(r)?, flag(r, 1)?)))
                    .collect::<Result<_, tokio_postgres::Error>>()?,
            ),
            Shape::Sqlx => fold_sqlx(
                rows.iter()
                    .map(|r| Ok((version(r)?, flag(r, 1)?)))
                    .collect::<Result<_, tokio_postgres::Error>>()?,
            ),
            Shape::Flyway { .. } => fold_flyway(
                rows.iter()
                    .map(|r| {
                        Ok(FlywayRow {
                            version: version(r)?,
                            kind: r.try_get(1)?,
                            success: flag(r, 2)?,
                        })
                    })
                    .collect::<Result<_, tokio_postgres::Error>>()?,
            ),
        })
    }
}

fn fold_set(rows: Vec<Option<String>>) -> Applied {
    let mut versions: Vec<String> = rows.into_iter().flatten().collect();
    sort_versions(&mut versions);
    Applied {
        versions,
        semantics: Semantics::Set,
        failed: Vec::new(),
        baseline: None,
    }
}

/// golang-migrate keeps one row; should there be several, the highest
/// version is the state and any dirty row makes it dirty.
fn fold_latest(rows: Vec<(Option<String>, bool)>) -> Applied {
    let dirty = rows.iter().any(|(_, d)| *d);
    let mut versions: Vec<String> = rows.into_iter().filter_map(|(v, _)| v).collect();
    sort_versions(&mut versions);
    Applied {
        versions: versions.pop().into_iter().collect(),
        semantics: Semantics::Latest { dirty },
        failed: Vec::new(),
        baseline: None,
    }
}

/// sqlx records a failed `-- no-transaction` migration with
/// `success = false` and refuses to go on until it is repaired.
fn fold_sqlx(rows: Vec<(Option<String>, bool)>) -> Applied {
    let mut versions = Vec::new();
    let mut failed = Vec::new();
    for (version, success) in rows {
        let Some(version) = version else { continue };
        if success {
            versions.push(version);
        } else {
            failed.push(version);
        }
    }
    sort_versions(&mut versions);
    sort_versions(&mut failed);
    Applied {
        versions,
        semantics: Semantics::Set,
        failed,
        baseline: None,
    }
}

#[derive(Clone, Debug)]
struct FlywayRow {
    version: Option<String>,
    kind: Option<String>,
    success: bool,
}

/// Replays Flyway's history in `installed_rank` order: a successful
/// migration applies its version, an undo or a `repair`'s DELETE marker
/// unapplies it, a BASELINE row stands for every version up to it.
/// Repeatable migrations have no version and are skipped, as is the
/// SCHEMA row Flyway writes when it creates the schema.
fn fold_flyway(rows: Vec<FlywayRow>) -> Applied {
    let mut versions: Vec<String> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut baseline = None;
    for row in rows {
        let Some(version) = row.version else { continue };
        let kind = row.kind.unwrap_or_default().to_ascii_uppercase();
        let unapplies = kind == "DELETE" || kind.starts_with("UNDO");
        if kind == "SCHEMA" || (!row.success && (unapplies || kind == "BASELINE")) {
            continue;
        }
        if kind == "BASELINE" {
            baseline = Some(version);
        } else if unapplies {
            versions.retain(|v| !same_version(v, &version));
        } else if row.success {
            failed.retain(|v| !same_version(v, &version));
            if !versions.iter().any(|v| same_version(v, &version)) {
                versions.push(version);
            }
        } else if !failed.iter().any(|v| same_version(v, &version)) {
            failed.push(version);
        }
    }
    sort_versions(&mut versions);
    sort_versions(&mut failed);
    Applied {
        versions,
        semantics: Semantics::Set,
        failed,
        baseline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_parse_and_quote() {
        let parse = |s: &str| TableName::parse(s).map(|t| t.quoted());
        assert_eq!(
            parse("schema_migrations"),
            Ok("\"schema_migrations\"".into())
        );
        assert_eq!(
            parse("public.Schema_Migrations"),
            Ok("\"public\".\"schema_migrations\"".into())
        );
        assert_eq!(
            parse("\"My Schema\".\"odd\"\"name\""),
            Ok("\"My Schema\".\"odd\"\"name\"".into())
        );
        assert_eq!(
            parse(" flyway_schema_history "),
            Ok("\"flyway_schema_history\"".into())
        );
        for bad in [
            "",
            "a.b.c",
            "a.",
            ".a",
            "x; DROP TABLE y",
            "\"unterminated",
            "\"\"",
            "\"a\"b",
            "a b",
            "1abc",
        ] {
            assert!(TableName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shapes_from_columns() {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Shape::detect(&cols(&["version"])), Some(Shape::Versions));
        assert_eq!(
            Shape::detect(&cols(&["version", "dirty"])),
            Some(Shape::GolangMigrate)
        );
        assert_eq!(
            Shape::detect(&cols(&[
                "version",
                "description",
                "installed_on",
                "success",
                "checksum",
                "execution_time"
            ])),
            Some(Shape::Sqlx)
        );
        assert_eq!(
            Shape::detect(&cols(&[
                "installed_rank",
                "version",
                "description",
                "type",
                "script",
                "checksum",
                "installed_by",
                "installed_on",
                "execution_time",
                "success"
            ])),
            Some(Shape::Flyway { has_type: true })
        );
        assert_eq!(Shape::detect(&cols(&["id", "name"])), None);
        let sql = Shape::Flyway { has_type: true }.select("\"public\".\"h\"");
        assert!(sql.ends_with("FROM \"public\".\"h\" ORDER BY \"installed_rank\""));
    }

    #[test]
    fn flyway_history_is_replayed() {
        let row = |v: Option<&str>, kind: &str, success: bool| FlywayRow {
            version: v.map(str::to_string),
            kind: Some(kind.to_string()),
            success,
        };
        let applied = fold_flyway(vec![
            row(Some("0"), "SCHEMA", true),
            row(Some("1"), "BASELINE", true),
            row(Some("2"), "SQL", true),
            row(None, "SQL", true),
            row(Some("3"), "SQL", true),
            row(Some("3"), "UNDO_SQL", true),
            row(Some("4"), "SQL", false),
            row(Some("5"), "SQL", false),
            row(Some("5"), "SQL", true),
            row(Some("1.10"), "JDBC", true),
            row(Some("6"), "SQL", true),
            row(Some("6"), "DELETE", true),
        ]);
        assert_eq!(applied.versions, ["1.10", "2", "5"]);
        assert_eq!(applied.failed, ["4"]);
        assert_eq!(applied.baseline.as_deref(), Some("1"));
        assert_eq!(applied.semantics, Semantics::Set);
    }

    #[test]
    fn golang_and_sqlx_rows() {
        let a = fold_latest(vec![(Some("3".into()), true)]);
        assert_eq!(a.versions, ["3"]);
        assert_eq!(a.semantics, Semantics::Latest { dirty: true });
        assert_eq!(fold_latest(vec![]).versions, Vec::<String>::new());

        let a = fold_sqlx(vec![
            (Some("20240102".into()), true),
            (Some("20240101".into()), true),
            (Some("20240103".into()), false),
        ]);
        assert_eq!(a.versions, ["20240101", "20240102"]);
        assert_eq!(a.failed, ["20240103"]);
    }
}
