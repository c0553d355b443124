//! One side of a comparison: a connection to a target's database holding
//! one read-only snapshot, and the queries run in it. Queries of one side
//! are issued together: tokio-postgres pipelines them on the connection,
//! and `query_typed` spares the round trip of a prepare.

use futures::future::try_join_all;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};

use super::narrow::{Range, Sum};
use super::query::Relation;
use crate::db::conn::DbError;
use crate::db::ctx::DbCtx;
use crate::db::error::DbStepError;
use crate::exec::task::TaskCtx;

/// Every count of one side sees the same instant. The display settings are
/// pinned because a row's text, hence its checksum, depends on them (a
/// timestamptz printed in each server's time zone would differ).
const SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
    SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; \
    SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; \
    SET LOCAL bytea_output = 'hex'";

/// What the catalog says of a table, and of its key column. Same columns
/// for a table looked up by name and one listed from a schema.
const FOUND_COLUMNS: &str = "n.nspname, c.relname, \
    CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END, \
    a.attname IS NOT NULL, \
    coalesce(a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype), false), \
    coalesce(format_type(a.atttypid, a.atttypmod), '')";

const KEY_JOIN: &str = "LEFT JOIN pg_attribute a ON a.attrelid = c.oid \
    AND a.attname = $2::text AND a.attnum > 0 AND NOT a.attisdropped";

pub struct Side<'a> {
    db: &'a DbCtx,
    pub target: &'a str,
    client: Client,
}

/// A table as one side has it.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub relation: Relation,
    /// `pg_class.reltuples`; `None` when never analyzed.
    pub estimate: Option<i64>,
    pub key: Key,
}

/// The key column of a table, as checksum narrowing needs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    Missing,
    Integer,
    /// Its type, for the message saying it cannot narrow.
    Other(String),
}

/// Count, and in checksum mode checksum and key bounds, of a whole table.
#[derive(Clone, Debug, PartialEq)]
pub struct Totals {
    pub rows: i64,
    pub hash: Option<String>,
    pub bounds: Option<(i64, i64)>,
}

impl<'a> Side<'a> {
    /// Connects (identifying the database; the session refuses a second
    /// target on the same one) and opens the snapshot.
    pub async fn open(db: &'a DbCtx, ctx: &TaskCtx, target: &'a str) -> Result<Self, DbStepError> {
        let client = db.connect(ctx, target).await?;
        let side = Side { db, target, client };
        side.client
            .batch_execute(SNAPSHOT)
            .await
            .map_err(|e| side.error(e))?;
        Ok(side)
    }

    pub async fn commit(&self) -> Result<(), DbError> {
        self.client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| self.error(e))
    }

    /// Asks the server to stop what this side is running: dropping the
    /// connection would leave a long count running there.
    pub async fn cancel(&self) {
        if let Some(cfg) = self.db.config(self.target) {
            cfg.cancel(self.client.cancel_token()).await;
        }
    }

    fn error(&self, e: tokio_postgres::Error) -> DbError {
        self.db.query_error(self.target, e)
    }

    /// The tables `names` (as written, schema-qualified or not, quoted or
    /// not) stand for here, in order; `None` where there is none.
    pub async fn resolve(
        &self,
        names: &[String],
        key: &str,
    ) -> Result<Vec<Option<Found>>, DbError> {
        let sql = format!(
            "SELECT {FOUND_COLUMNS} FROM unnest($1::text[]) WITH ORDINALITY AS u(name, i) \
             LEFT JOIN pg_class c ON c.oid = to_regclass(u.name) \
             LEFT JOIN pg_namespace n ON n.oid = c.relnamespace {KEY_JOIN} ORDER BY u.i"
        );
        let rows = self
            .client
            .query_typed(&sql, &[(&names, Type::TEXT_ARRAY), (&key, Type::TEXT)])
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(found).collect())
    }

    /// The tables of `schema` (partitions aside: their parent counts them).
    pub async fn list(&self, schema: &str, key: &str) -> Result<Vec<Found>, DbError> {
        let sql = format!(
            "SELECT {FOUND_COLUMNS} FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace {KEY_JOIN} \
             WHERE n.nspname = $1::text AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
             ORDER BY c.relname"
        );
        let rows = self
            .client
            .query_typed(&sql, &[(&schema, Type::TEXT), (&key, Type::TEXT)])
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().filter_map(found).collect())
    }

    /// Runs each statement (`None`: no table here) and reads its totals.
    pub async fn totals(
        &self,
        statements: &[Option<String>],
    ) -> Result<Vec<Option<Totals>>, DbError> {
        let runs = statements.iter().map(|sql| async move {
            match sql {
                Some(sql) => self.client.query_typed_one(sql, &[]).await.map(Some),
                None => Ok(None),
            }
        });
        let rows = try_join_all(runs).await.map_err(|e| self.error(e))?;
        rows.iter()
            .map(|row| {
                row.as_ref()
                    .map(totals)
                    .transpose()
                    .map_err(|e| self.error(e))
            })
            .collect()
    }

    /// Count and checksum of each key range, by the statement of
    /// `query::range`.
    pub async fn sums(&self, sql: &str, ranges: &[Range]) -> Result<Vec<Sum>, DbError> {
        let runs = ranges.iter().map(|r| async move {
            self.client
                .query_typed_one(sql, &[(&r.from, Type::INT8), (&r.to, Type::INT8)])
                .await
        });
        let rows = try_join_all(runs).await.map_err(|e| self.error(e))?;
        rows.iter()
            .map(|row| {
                Ok(Sum {
                    rows: row.try_get(0).map_err(|e| self.error(e))?,
                    hash: row.try_get(1).map_err(|e| self.error(e))?,
                })
            })
            .collect()
    }
}

fn found(row: &Row) -> Option<Found> {
    let schema: Option<String> = row.try_get(0).ok()?;
    let key = match (row.try_get(3), row.try_get(4)) {
        (Ok(true), Ok(true)) => Key::Integer,
        (Ok(true), _) => Key::Other(row.try_get(5).unwrap_or_default()),
        _ => Key::Missing,
    };
    Some(Found {
        relation: Relation {
            schema: schema?,
            name: row.try_get(1).ok()?,
        },
        estimate: row.try_get(2).ok().flatten(),
        key,
    })
}

/// Count mode reads one column; checksum mode two, or four with bounds.
fn totals(row: &Row) -> Result<Totals, tokio_postgres::Error> {
    let rows = row.try_get(0)?;
    let hash = if row.len() > 1 {
        Some(row.try_get(1)?)
    } else {
        None
    };
    let bounds = if row.len() > 3 {
        let min: Option<i64> = row.try_get(2)?;
        let max: Option<i64> = row.try_get(3)?;
        min.zip(max)
    } else {
        None
    };
    Ok(Totals { rows, hash, bounds })
}
