//! Pending schema migrations: the files of a migrations folder that the
//! database's migrations table does not record as applied, and which of
//! them are destructive (by name, by SQL content, by Rails DSL).
//!
//! Four tools' conventions are read: Rails (and dbmate, which shares its
//! table shape), golang-migrate, sqlx and Flyway. Scanning files is pure;
//! only [`applied`](fn@applied) talks to the database, with catalog
//! lookups and one SELECT on the named table.

use std::cmp::Ordering;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::runbook::destructive::{scan_migration_name, scan_sql};

mod applied;
mod pending;
mod report;
mod ruby;

pub use applied::{Applied, AppliedError, Semantics, applied};
pub use pending::{Pending, pending};
pub use report::report;

/// Far above any hand-written migration; a bigger file is a data dump
/// checked in as a migration, and reading it whole could stall the step.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Rule id of a file too large to scan: it is flagged rather than trusted.
pub const RULE_TOO_LARGE: &str = "too-large-to-scan";
/// Rule id of the migration-name check (same as the shared `Rule`).
pub const RULE_NAME: &str = "migration-name";
const EXCERPT_CHARS: usize = 80;

// ---------------------------------------------------------------- files ---

/// One migration file that a tool would run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MigrationFile {
    /// As written in the file name ("20240101120000", "000003"); Flyway's
    /// `V1_2__` is written "1.2", as Flyway records it.
    pub version: String,
    /// The descriptive part of the name ("remove_email_from_users").
    pub name: String,
    pub path: PathBuf,
    /// Why the migration is destructive; empty when it is not.
    pub destructive: Vec<Reason>,
}

/// One reason a migration is destructive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// A shared rule id (`migration-name`, `sql-drop`, ...), `rails-<method>`
    /// for Rails DSL calls (`rails-remove-column`), or [`RULE_TOO_LARGE`].
    pub rule: String,
    /// The offending code, whitespace collapsed, at most ~80 chars; for
    /// `migration-name`, the removal verb as written in the name.
    pub excerpt: String,
    /// 1-based line in the file; `None` for the name and unscanned files.
    pub line: Option<usize>,
}

#[derive(Debug)]
pub enum ScanError {
    /// `cwd` is set when `dir` is relative, to say where it was looked for.
    Missing {
        dir: PathBuf,
        cwd: Option<PathBuf>,
    },
    NotADirectory {
        dir: PathBuf,
    },
    ReadDir {
        dir: PathBuf,
        source: io::Error,
    },
    ReadFile {
        path: PathBuf,
        source: io::Error,
    },
    /// The folder holds no file named like a migration: most likely `dir=`
    /// is wrong, and "nothing pending" would be a false all-clear.
    Empty {
        dir: PathBuf,
    },
    Duplicate {
        version: String,
        first: PathBuf,
        second: PathBuf,
    },
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SET_DIR: &str = "set dir= to the folder holding your migration files";
        match self {
            ScanError::Missing {
                dir,
                cwd: Some(cwd),
            } => write!(
                f,
                "the migrations folder `{}` does not exist (relative to {}); {SET_DIR}",
                dir.display(),
                cwd.display()
            ),
            ScanError::Missing { dir, cwd: None } => write!(
                f,
                "the migrations folder `{}` does not exist; {SET_DIR}",
                dir.display()
            ),
            ScanError::NotADirectory { dir } => {
                write!(f, "`{}` is a file, not a folder; {SET_DIR}", dir.display())
            }
            ScanError::ReadDir { dir, source } => write!(
                f,
                "cannot list the migrations folder `{}`: {source}; check its permissions \
                 or {SET_DIR}",
                dir.display()
            ),
            ScanError::ReadFile { path, source } => write!(
                f,
                "cannot read the migration `{}`: {source}; check its permissions",
                path.display()
            ),
            ScanError::Empty { dir } => write!(
                f,
                "no migration files in `{}` (expected names like \
                 20240101120000_create_users.rb, 000001_init.up.sql, \
                 20240101120000_add_users.sql or V1__init.sql); {SET_DIR}",
                dir.display()
            ),
            ScanError::Duplicate {
                version,
                first,
                second,
            } => write!(
                f,
                "two migrations have version {version}: `{}` and `{}`; the tools refuse \
                 this too, rename or remove one of them",
                first.display(),
                second.display()
            ),
        }
    }
}

impl std::error::Error for ScanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScanError::ReadDir { source, .. } | ScanError::ReadFile { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The migration files of `dir` (not its subfolders), sorted by version,
/// each scanned for destructive content.
pub fn scan_dir(dir: &Path) -> Result<Vec<MigrationFile>, ScanError> {
    let mut files = Vec::new();
    for (file_name, path) in list_dir(dir)? {
        let Some(named) = classify(&file_name) else {
            continue;
        };
        // Follows symlinks on purpose (migrations shared between apps); a
        // folder or FIFO named like a migration is not one, and reading a
        // FIFO would hang.
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push(scan_file(named, path)?),
            Ok(_) => {}
            Err(source) => return Err(ScanError::ReadFile { path, source }),
        }
    }
    sort_checked(dir, files)
}

fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>, ScanError> {
    let entries = fs::read_dir(dir).map_err(|e| dir_error(dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ScanError::ReadDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        // The tools name migrations in ASCII: a non-UTF-8 name is not theirs.
        if let Some(name) = entry.file_name().to_str() {
            out.push((name.to_string(), entry.path()));
        }
    }
    Ok(out)
}

fn dir_error(dir: &Path, source: io::Error) -> ScanError {
    let dir = dir.to_path_buf();
    match source.kind() {
        io::ErrorKind::NotFound => {
            let cwd = if dir.is_relative() {
                std::env::current_dir().ok()
            } else {
                None
            };
            ScanError::Missing { dir, cwd }
        }
        io::ErrorKind::NotADirectory => ScanError::NotADirectory { dir },
        _ => ScanError::ReadDir { dir, source },
    }
}

fn sort_checked(dir: &Path, files: Vec<MigrationFile>) -> Result<Vec<MigrationFile>, ScanError> {
    if files.is_empty() {
        return Err(ScanError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    let mut keyed: Vec<(Option<VersionKey>, MigrationFile)> = files
        .into_iter()
        .map(|f| (VersionKey::parse(&f.version), f))
        .collect();
    keyed.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.path.cmp(&b.path)));
    for pair in keyed.windows(2) {
        if let [(Some(ka), a), (Some(kb), b)] = pair
            && ka == kb
        {
            return Err(ScanError::Duplicate {
                version: a.version.clone(),
                first: a.path.clone(),
                second: b.path.clone(),
            });
        }
    }
    Ok(keyed.into_iter().map(|(_, f)| f).collect())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Sql,
    Ruby,
}

#[derive(Debug, PartialEq, Eq)]
struct Named {
    version: String,
    name: String,
    lang: Lang,
}

/// Recognises a migration by its file name; anything else in the folder
/// (schema.rb, structure.sql, .keep, README) is not one.
fn classify(file_name: &str) -> Option<Named> {
    if let Some(stem) = file_name.strip_suffix(".rb") {
        let (version, rest) = numbered(stem)?;
        // Rails engines append a scope: `20240101120000_create_users.blog.rb`.
        let name = rest.split('.').next().unwrap_or(rest);
        return Some(Named {
            version,
            name: name.to_string(),
            lang: Lang::Ruby,
        });
    }
    let stem = file_name.strip_suffix(".sql")?;
    // Flyway's `U<version>__` undo files only run on `flyway undo`, and its
    // `R__` repeatable files have no version (they rerun whenever their
    // checksum changes): neither is a pending versioned migration, and
    // neither starts with `V` or a digit, so both fall through to `None`.
    if let Some(rest) = stem.strip_prefix('V') {
        return flyway(rest);
    }
    // golang-migrate and sqlx `.down.sql` files only run on rollback.
    if stem.ends_with(".down") {
        return None;
    }
    let stem = stem.strip_suffix(".up").unwrap_or(stem);
    let (version, name) = numbered(stem)?;
    Some(Named {
        version,
        name: name.to_string(),
        lang: Lang::Sql,
    })
}

/// `<digits>_<rest>`, the Rails, golang-migrate and sqlx shape.
fn numbered(stem: &str) -> Option<(String, &str)> {
    let (version, rest) = stem.split_once('_')?;
    let digits = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| (version.to_string(), rest))
}

/// What follows Flyway's `V`: `<version>__<description>`, where the
/// version's parts are separated by `.` or `_`.
fn flyway(rest: &str) -> Option<Named> {
    let (raw, name) = rest.split_once("__")?;
    let version = raw.replace('_', ".");
    VersionKey::parse(&version)?;
    Some(Named {
        version,
        name: name.to_string(),
        lang: Lang::Sql,
    })
}

fn scan_file(named: Named, path: PathBuf) -> Result<MigrationFile, ScanError> {
    let mut destructive: Vec<Reason> = name_reason(&named.name).into_iter().collect();
    match read_limited(&path)? {
        Some(text) => destructive.extend(match named.lang {
            Lang::Sql => sql_file_reasons(&text),
            Lang::Ruby => ruby::reasons(&text),
        }),
        None => destructive.push(Reason {
            rule: RULE_TOO_LARGE.to_string(),
            excerpt: "not scanned: over 1 MiB; read it before running it".to_string(),
            line: None,
        }),
    }
    Ok(MigrationFile {
        version: named.version,
        name: named.name,
        path,
        destructive,
    })
}

/// The file's text, or `None` when it exceeds [`MAX_FILE_BYTES`].
fn read_limited(path: &Path) -> Result<Option<String>, ScanError> {
    let error = |source| ScanError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(error)?;
    let mut bytes = Vec::new();
    // One byte past the limit tells "too large" from "exactly the limit"
    // without trusting a size that may change under us.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Ok(None);
    }
    // A stray Latin-1 comment must not hide the statements around it.
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn name_reason(name: &str) -> Option<Reason> {
    let finding = scan_migration_name(name)?;
    // The report shows the name already; the verb says what caught it.
    let verb = name.get(finding.span.clone()).unwrap_or(name);
    Some(Reason {
        rule: RULE_NAME.to_string(),
        excerpt: verb.to_string(),
        line: None,
    })
}

fn sql_file_reasons(text: &str) -> Vec<Reason> {
    sql_reasons_in(&mask_down_sections(text), text, 0)
}

/// Findings of `scan_sql` on `scanned`, a same-length copy of
/// `file[base..]` with some bytes masked; excerpts come from `file`.
fn sql_reasons_in(scanned: &str, file: &str, base: usize) -> Vec<Reason> {
    scan_sql(scanned)
        .into_iter()
        .map(|f| {
            let at = base + f.span.start;
            let original = file.get(at..base + f.span.end).unwrap_or(&f.excerpt);
            Reason {
                rule: f.rule.id().to_string(),
                excerpt: excerpt(original),
                line: Some(line_of(file, at)),
            }
        })
        .collect()
}

/// dbmate (`-- migrate:down`) and goose (`-- +goose Down`) keep both
/// directions in one file; the down half only runs on rollback, and every
/// `CREATE TABLE` migration has a `DROP TABLE` there. Masking keeps offsets
/// and line numbers.
fn mask_down_sections(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut down = false;
    for line in text.split_inclusive('\n') {
        if let Some(is_down) = section_marker(line) {
            down = is_down;
        }
        if down {
            blank(line, ' ', &mut out);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `Some(true)` for a down-section marker, `Some(false)` for an up one.
fn section_marker(line: &str) -> Option<bool> {
    let line = line.trim().to_ascii_lowercase();
    let marker = line.strip_prefix("--")?.trim_start();
    if marker.starts_with("migrate:down") || marker.starts_with("+goose down") {
        Some(true)
    } else if marker.starts_with("migrate:up") || marker.starts_with("+goose up") {
        Some(false)
    } else {
        None
    }
}

/// Appends `s` with every byte but newlines replaced by `fill`, so that
/// byte offsets into the copy match the original.
fn blank(s: &str, fill: char, out: &mut String) {
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            out.extend(std::iter::repeat_n(fill, c.len_utf8()));
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.bytes().take(offset).filter(|&b| b == b'\n').count() + 1
}

fn excerpt(fragment: &str) -> String {
    let collapsed = fragment.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= EXCERPT_CHARS {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

// ------------------------------------------------------------- versions ---

/// A version compared the way the tools compare them: dot-separated
/// numbers, leading zeros ignored (golang-migrate records 3 for `000003`)
/// and trailing zero parts too (Flyway: 1.0 = 1). Parts are digit strings
/// so that no version is too long to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
struct VersionKey(Vec<String>);

impl VersionKey {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = Vec::new();
        for part in text.trim().split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts.push(part.trim_start_matches('0').to_string());
        }
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        Some(Self(parts))
    }
}

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(&other.0) {
            let order = a.len().cmp(&b.len()).then_with(|| a.cmp(b));
            if order != Ordering::Equal {
                return order;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn same_version(a: &str, b: &str) -> bool {
    match (VersionKey::parse(a), VersionKey::parse(b)) {
        (Some(ka), Some(kb)) => ka == kb,
        _ => a == b,
    }
}

/// Numeric order first; versions that are not numbers last, by text.
fn sort_versions(versions: &mut [String]) {
    versions.sort_by_cached_key(|v| {
        let key = VersionKey::parse(v);
        (key.is_none(), key, v.clone())
    });
}

// ---------------------------------------------------------------- tests ---

#[cfg(test)]
mod tests {
    // Tests of the files and versions sections, and the helpers that the
    // tests of the other sections share.

    use super::*;

    pub(super) fn write(dir: &Path, name: &str, content: &str) {
        if let Err(e) = fs::write(dir.join(name), content) {
            panic!("cannot write {name}: {e}");
        }
    }

    pub(super) fn tempdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
    }

    pub(super) fn scan(dir: &Path) -> Vec<MigrationFile> {
        scan_dir(dir).unwrap_or_else(|e| panic!("scan_dir: {e}"))
    }

    pub(super) fn versions(files: &[MigrationFile]) -> Vec<&str> {
        files.iter().map(|f| f.version.as_str()).collect()
    }

    fn names(files: &[MigrationFile]) -> Vec<&str> {
        files.iter().map(|f| f.name.as_str()).collect()
    }

    fn rules(file: &MigrationFile) -> Vec<(&str, Option<usize>)> {
        file.destructive
            .iter()
            .map(|r| (r.rule.as_str(), r.line))
            .collect()
    }

    pub(super) fn file(version: &str, name: &str) -> MigrationFile {
        MigrationFile {
            version: version.to_string(),
            name: name.to_string(),
            path: PathBuf::from(format!("{version}_{name}.sql")),
            destructive: Vec::new(),
        }
    }

    pub(super) fn set(versions: &[&str]) -> Applied {
        Applied {
            versions: versions.iter().map(|v| v.to_string()).collect(),
            semantics: Semantics::Set,
            failed: Vec::new(),
            baseline: None,
        }
    }

    pub(super) fn latest(version: Option<&str>, dirty: bool) -> Applied {
        Applied {
            versions: version.into_iter().map(str::to_string).collect(),
            semantics: Semantics::Latest { dirty },
            failed: Vec::new(),
            baseline: None,
        }
    }

    // ---- naming conventions ----

    #[test]
    fn classify_recognises_each_convention() {
        let named = |v: &str, n: &str, lang| {
            Some(Named {
                version: v.to_string(),
                name: n.to_string(),
                lang,
            })
        };
        let cases = [
            (
                "20240101120000_create_users.rb",
                named("20240101120000", "create_users", Lang::Ruby),
            ),
            (
                "20240101120000_create_posts.blog.rb",
                named("20240101120000", "create_posts", Lang::Ruby),
            ),
            ("000001_init.up.sql", named("000001", "init", Lang::Sql)),
            ("000001_init.down.sql", None),
            (
                "20240101120000_add_users.sql",
                named("20240101120000", "add_users", Lang::Sql),
            ),
            (
                "20240101120000_add_users.up.sql",
                named("20240101120000", "add_users", Lang::Sql),
            ),
            ("V1__init.sql", named("1", "init", Lang::Sql)),
            ("V1_2__add_col.sql", named("1.2", "add_col", Lang::Sql)),
            ("V1.10__more.sql", named("1.10", "more", Lang::Sql)),
            ("U1__init.sql", None),
            ("R__views.sql", None),
            ("V__x.sql", None),
            ("Views.sql", None),
            ("schema.rb", None),
            ("structure.sql", None),
            ("seeds.rb", None),
            (".keep", None),
            ("README.md", None),
            ("20240101120000_create_users.rb.orig", None),
            ("20240101120000-create_users.rb", None),
            ("abc_create_users.rb", None),
        ];
        for (file_name, want) in cases {
            assert_eq!(classify(file_name), want, "{file_name}");
        }
    }

    #[test]
    fn rails_folder_ignores_other_files_and_sorts() {
        let dir = tempdir();
        let d = dir.path();
        write(
            d,
            "20240201000000_add_index_to_orders.rb",
            "add_index :orders, :x\n",
        );
        write(d, "20240101120000_create_users.rb", "create_table :users\n");
        write(d, "schema.rb", "drop_table :x\n");
        write(d, ".keep", "");
        write(d, "README", "remove_column everywhere\n");
        if let Err(e) = fs::create_dir(d.join("20240301000000_a_folder.rb")) {
            panic!("{e}");
        }
        let files = scan(d);
        assert_eq!(versions(&files), ["20240101120000", "20240201000000"]);
        assert_eq!(names(&files), ["create_users", "add_index_to_orders"]);
        assert!(files.iter().all(|f| f.destructive.is_empty()));
        assert_eq!(
            files[0].path,
            d.join("20240101120000_create_users.rb"),
            "paths are the folder joined with the file name"
        );
    }

    #[test]
    fn golang_migrate_uses_up_files_only() {
        let dir = tempdir();
        let d = dir.path();
        write(d, "000001_init.up.sql", "CREATE TABLE a (id int);\n");
        write(d, "000001_init.down.sql", "DROP TABLE a;\n");
        write(d, "000010_ten.up.sql", "SELECT 1;\n");
        write(d, "000002_two.up.sql", "SELECT 1;\n");
        write(d, "000002_two.down.sql", "SELECT 1;\n");
        let files = scan(d);
        assert_eq!(versions(&files), ["000001", "000002", "000010"]);
        assert!(files[0].destructive.is_empty(), "the down file is not read");
    }

    #[test]
    fn sqlx_simple_and_reversible() {
        let dir = tempdir();
        let d = dir.path();
        write(
            d,
            "20240101120000_add_users.sql",
            "CREATE TABLE users ();\n",
        );
        write(
            d,
            "20240102000000_add_posts.up.sql",
            "CREATE TABLE posts ();\n",
        );
        write(
            d,
            "20240102000000_add_posts.down.sql",
            "DROP TABLE posts;\n",
        );
        let files = scan(d);
        assert_eq!(versions(&files), ["20240101120000", "20240102000000"]);
        assert_eq!(names(&files), ["add_users", "add_posts"]);
        assert!(files.iter().all(|f| f.destructive.is_empty()));
    }

    #[test]
    fn flyway_versions_sort_numerically_and_skip_undo_and_repeatable() {
        let dir = tempdir();
        let d = dir.path();
        for name in [
            "V1__init.sql",
            "V1_10__ten.sql",
            "V1.9__nine.sql",
            "V2__two.sql",
            "V1_2__add_col.sql",
        ] {
            write(d, name, "SELECT 1;\n");
        }
        write(d, "U2__two.sql", "DROP TABLE x;\n");
        write(d, "R__views.sql", "DROP VIEW v;\n");
        let files = scan(d);
        assert_eq!(versions(&files), ["1", "1.2", "1.9", "1.10", "2"]);
        assert_eq!(names(&files)[1], "add_col");
    }

    #[test]
    fn version_order_is_numeric_aware() {
        let key = |v: &str| VersionKey::parse(v).unwrap_or_else(|| panic!("{v}"));
        assert!(key("10") > key("9"));
        assert!(key("1.10") > key("1.9"));
        assert_eq!(key("000003"), key("3"));
        assert_eq!(key("1.0"), key("1"));
        assert_eq!(key("0"), key("000"));
        assert!(key("2") > key("1.999"));
        assert!(key("123456789012345678901234567890") > key("99999999999999999999"));
        assert_eq!(VersionKey::parse("1..2"), None);
        assert_eq!(VersionKey::parse("20240101-1200"), None);
        assert_eq!(VersionKey::parse(""), None);

        let mut v: Vec<String> = ["10", "x", "9", "0009", "1.2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_versions(&mut v);
        assert_eq!(v, ["1.2", "0009", "9", "10", "x"]);
    }

    #[test]
    fn duplicate_versions_are_an_error_naming_both() {
        let dir = tempdir();
        let d = dir.path();
        write(d, "000003_a.up.sql", "SELECT 1;\n");
        write(d, "3_b.up.sql", "SELECT 1;\n");
        let Err(e) = scan_dir(d) else {
            panic!("duplicate versions accepted")
        };
        let message = e.to_string();
        assert!(matches!(e, ScanError::Duplicate { .. }), "{e:?}");
        assert!(message.contains("000003_a.up.sql"), "{message}");
        assert!(message.contains("3_b.up.sql"), "{message}");

        let dir = tempdir();
        write(dir.path(), "V1__a.sql", "SELECT 1;\n");
        write(dir.path(), "V1.0__b.sql", "SELECT 1;\n");
        assert!(matches!(
            scan_dir(dir.path()),
            Err(ScanError::Duplicate { .. })
        ));
    }

    #[test]
    fn missing_dir_says_where_it_looked_and_what_to_do() {
        let Err(e) = scan_dir(Path::new("db/no-such-migrate-folder")) else {
            panic!("missing folder accepted")
        };
        let message = e.to_string();
        assert!(
            message.starts_with(
                "the migrations folder `db/no-such-migrate-folder` does not exist (relative to /"
            ),
            "{message}"
        );
        assert!(message.ends_with("set dir= to the folder holding your migration files"));

        let dir = tempdir();
        let absent = dir.path().join("absent");
        let Err(e) = scan_dir(&absent) else {
            panic!("missing folder accepted")
        };
        assert!(!e.to_string().contains("relative to"), "{e}");
    }

    #[test]
    fn a_file_or_an_empty_folder_is_an_error() {
        let dir = tempdir();
        write(dir.path(), "20240101120000_x.rb", "");
        let path = dir.path().join("20240101120000_x.rb");
        assert!(matches!(
            scan_dir(&path),
            Err(ScanError::NotADirectory { .. })
        ));

        let dir = tempdir();
        write(dir.path(), ".keep", "");
        write(dir.path(), "schema.rb", "");
        let Err(e) = scan_dir(dir.path()) else {
            panic!("empty folder accepted")
        };
        assert!(matches!(e, ScanError::Empty { .. }));
        assert!(e.to_string().contains("no migration files in"), "{e}");
    }

    // ---- destructive content ----

    #[test]
    fn destructive_by_name() {
        let dir = tempdir();
        write(
            dir.path(),
            "20240101120000_RemoveEmailFromUsers.rb",
            "class RemoveEmailFromUsers; end\n",
        );
        write(dir.path(), "000002_drop_old.up.sql", "SELECT 1;\n");
        let files = scan(dir.path());
        assert_eq!(names(&files), ["drop_old", "RemoveEmailFromUsers"]);
        assert_eq!(rules(&files[0]), [("migration-name", None)]);
        assert_eq!(files[0].destructive[0].excerpt, "drop");
        assert_eq!(rules(&files[1]), [("migration-name", None)]);
        assert_eq!(files[1].destructive[0].excerpt, "Remove");
    }

    #[test]
    fn destructive_sql_content_with_lines() {
        let dir = tempdir();
        write(
            dir.path(),
            "000001_cleanup.up.sql",
            "-- DROP TABLE in a comment\nSELECT 'DROP TABLE x';\n\nALTER TABLE users\n  DROP COLUMN email;\nDELETE FROM sessions;\nDELETE FROM t WHERE id = 1;\n",
        );
        let files = scan(dir.path());
        assert_eq!(
            rules(&files[0]),
            [
                ("sql-alter-drop", Some(4)),
                ("sql-delete-without-where", Some(6))
            ]
        );
        assert_eq!(
            files[0].destructive[0].excerpt,
            "ALTER TABLE users DROP COLUMN email"
        );
    }

    #[test]
    fn dbmate_and_goose_down_sections_are_not_scanned() {
        let dir = tempdir();
        write(
            dir.path(),
            "20240101120000_users.sql",
            "-- migrate:up\nCREATE TABLE users ();\n\n-- migrate:down\nDROP TABLE users;\n",
        );
        write(
            dir.path(),
            "20240102000000_posts.sql",
            "-- +goose Down\nDROP TABLE a;\n-- +goose Up\nTRUNCATE b;\n",
        );
        let files = scan(dir.path());
        assert_eq!(rules(&files[0]), []);
        assert_eq!(rules(&files[1]), [("sql-truncate", Some(4))]);
    }

    #[test]
    fn rails_dsl_content() {
        let dir = tempdir();
        write(
            dir.path(),
            "20240101120000_tidy_users.rb",
            "class TidyUsers < ActiveRecord::Migration[7.1]\n  def change\n    # remove_column :users, :email\n    remove_column :users, :legacy, :string\n    execute \"DROP TABLE old_sessions\"\n  end\nend\n",
        );
        let files = scan(dir.path());
        assert_eq!(
            rules(&files[0]),
            [("rails-remove-column", Some(4)), ("sql-drop", Some(5))]
        );
    }

    #[test]
    fn commented_out_rails_call_is_not_flagged() {
        let dir = tempdir();
        write(
            dir.path(),
            "20240101120000_add_name.rb",
            "class AddName < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :name, :string\n    # remove_column :users, :email\n  end\nend\n",
        );
        assert!(scan(dir.path())[0].destructive.is_empty());
    }

    #[test]
    fn too_large_file_is_flagged_not_read() {
        let dir = tempdir();
        let big = "SELECT 1;\n".repeat(110_000);
        write(dir.path(), "000001_seed.up.sql", &big);
        write(dir.path(), "000002_small.up.sql", "SELECT 1;\n");
        let files = scan(dir.path());
        assert_eq!(rules(&files[0]), [(RULE_TOO_LARGE, None)]);
        assert!(files[1].destructive.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn down_masking_keeps_offsets(text in "(?s)(-- migrate:down\n|-- \\+goose Up\n|.){0,200}") {
            proptest::prop_assert_eq!(mask_down_sections(&text).len(), text.len());
            let _ = sql_file_reasons(&text);
        }

        #[test]
        fn classify_never_panics(name in "(?s).{0,60}") {
            if let Some(named) = classify(&name) {
                proptest::prop_assert!(VersionKey::parse(&named.version).is_some());
            }
        }
    }

    #[test]
    fn non_utf8_content_is_still_scanned() {
        let dir = tempdir();
        let mut bytes = b"-- caf\xe9\nDROP TABLE t;\n".to_vec();
        bytes.extend_from_slice(b"SELECT 1;\n");
        if let Err(e) = fs::write(dir.path().join("000001_x.up.sql"), bytes) {
            panic!("{e}");
        }
        assert_eq!(rules(&scan(dir.path())[0]), [("sql-drop", Some(2))]);
    }
}
