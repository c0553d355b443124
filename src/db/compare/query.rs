//! SQL text of the comparison. Table and column names come back from the
//! server's catalog and always go into SQL double-quoted, so no name (odd,
//! mixed-case, hostile) can change a statement; filters are the runbook
//! author's own SQL and go in as written, parenthesised.

/// `"name"`, quotes doubled: a safe identifier whatever `name` holds.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The catalog name an identifier written in the runbook stands for:
/// `"Id"` is `Id`, `ID` is `id`, as PostgreSQL folds unquoted names.
pub fn unquote(written: &str) -> String {
    let written = written.trim();
    match written
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(inner) if !inner.is_empty() => inner.replace("\"\"", "\""),
        _ => written.to_ascii_lowercase(),
    }
}

/// A table found on one side, ready to be put into SQL.
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    pub schema: String,
    pub name: String,
}

impl Relation {
    /// `"schema"."name"`, for FROM.
    pub fn from(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.name))
    }

    /// A 64-bit hash of each row's text: `ROW("name".*)` rather than an
    /// alias, so that a filter written with the table's name still works.
    fn row_hash(&self) -> String {
        format!(
            "('x' || substr(md5(ROW({}.*)::text), 1, 16))::bit(64)::bigint",
            quote(&self.name)
        )
    }
}

/// `WHERE (filter) AND …`, or nothing when there is no condition.
fn where_clause(filter: Option<&str>, range: Option<&str>) -> String {
    let parts: Vec<String> = filter
        .map(|f| format!("({f})"))
        .into_iter()
        .chain(range.map(str::to_string))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    }
}

/// Exact row count.
pub fn count(table: &Relation, filter: Option<&str>) -> String {
    format!(
        "SELECT count(*) FROM {}{}",
        table.from(),
        where_clause(filter, None)
    )
}

/// Row count and checksum of the whole table and, given an integer key
/// (quoted), its bounds to narrow differences down from. The sum of
/// bigints is numeric in PostgreSQL (no overflow): it comes back as text.
pub fn totals(table: &Relation, filter: Option<&str>, key: Option<&str>) -> String {
    let bounds = key
        .map(|k| format!(", min({k})::bigint, max({k})::bigint"))
        .unwrap_or_default();
    format!(
        "SELECT count(*), coalesce(sum({}), 0)::text{bounds} FROM {}{}",
        table.row_hash(),
        table.from(),
        where_clause(filter, None)
    )
}

/// Row count and checksum of the keys `$1 ..= $2`. The bounds are bigint
/// whatever the key's integer type: the cross-type comparison still uses
/// the key's index.
pub fn range(table: &Relation, filter: Option<&str>, key: &str) -> String {
    let range = format!("{key} >= $1::bigint AND {key} <= $2::bigint");
    format!(
        "SELECT count(*), coalesce(sum({}), 0)::text FROM {}{}",
        table.row_hash(),
        table.from(),
        where_clause(filter, Some(&range))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Relation {
        Relation {
            schema: "public".into(),
            name: "Us\"ers".into(),
        }
    }

    #[test]
    fn names_are_always_quoted() {
        assert_eq!(quote("users"), "\"users\"");
        assert_eq!(
            quote("a\"; DROP TABLE x; --"),
            "\"a\"\"; DROP TABLE x; --\""
        );
        assert_eq!(users().from(), "\"public\".\"Us\"\"ers\"");
    }

    #[test]
    fn written_names_fold_like_postgres() {
        assert_eq!(unquote("ID"), "id");
        assert_eq!(unquote("\"Id\""), "Id");
        assert_eq!(unquote("\"a\"\"b\""), "a\"b");
        assert_eq!(unquote("\"\""), "\"\"");
    }

    #[test]
    fn statements() {
        let t = users();
        assert_eq!(
            count(&t, None),
            "SELECT count(*) FROM \"public\".\"Us\"\"ers\""
        );
        assert_eq!(
            count(&t, Some("a = 1 OR b = 2")),
            "SELECT count(*) FROM \"public\".\"Us\"\"ers\" WHERE (a = 1 OR b = 2)"
        );
        let hash = "('x' || substr(md5(ROW(\"Us\"\"ers\".*)::text), 1, 16))::bit(64)::bigint";
        assert_eq!(
            totals(&t, None, Some("\"id\"")),
            format!(
                "SELECT count(*), coalesce(sum({hash}), 0)::text, min(\"id\")::bigint, \
                 max(\"id\")::bigint FROM \"public\".\"Us\"\"ers\""
            )
        );
        assert_eq!(
            range(&t, Some("x"), "\"id\""),
            format!(
                "SELECT count(*), coalesce(sum({hash}), 0)::text FROM \"public\".\"Us\"\"ers\" \
                 WHERE (x) AND \"id\" >= $1::bigint AND \"id\" <= $2::bigint"
            )
        );
    }
}
