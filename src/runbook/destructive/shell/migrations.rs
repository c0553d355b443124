//! Migrations run backwards, and schema or data wiped by migration tools:
//! `alembic downgrade`, `rails db:rollback`, `migrate … down`,
//! `npm run migrate:down`, `flyway clean`, `prisma migrate reset`, …
//!
//! Two readings: a tool that is only about the database (alembic, flyway,
//! knex…) is flagged by a subcommand saying it goes down, rolls back or
//! wipes; a task runner (npm, yarn, make, rake…) by a task whose name says
//! both that it is about the database and that it goes down.

use super::super::Rule;
use super::super::shell_lex::Word;
use super::words::{Options, basename, has_long, positionals, texts};
use super::{Cx, Next, Stdin};

/// Words that say a migration goes backwards or a schema is wiped.
const DOWN_WORDS: &[&str] = &[
    "down",
    "rollback",
    "revert",
    "undo",
    "reset",
    "drop",
    "fresh",
    "refresh",
    "wipe",
    "purge",
    "downgrade",
    "clean",
    "flush",
    "truncate",
    "redo",
    "zero",
];

/// Words that say a task is about the database.
const DB_WORDS: &[&str] = &["migrat", "db", "database", "schema", "ecto", "structure"];

/// Tools whose every subcommand is about the database.
const DB_TOOLS: &[&str] = &[
    "alembic",
    "migrate",
    "flyway",
    "liquibase",
    "dbmate",
    "goose",
    "diesel",
    "sqlx",
    "knex",
    "sequelize",
    "sequelize-cli",
    "typeorm",
    "atlas",
    "sqitch",
    "django-admin",
    "prisma",
];

/// Task runners: the first positional names a task (or `run TASK`).
const RUNNERS: &[&str] = &[
    "npm", "yarn", "pnpm", "bun", "make", "just", "task", "rake", "rails", "mix", "gradle", "mage",
    "invoke", "nx", "turbo", "lerna",
];

pub(super) fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let at = word.span.start;
    let down = if DB_TOOLS.contains(&name) {
        db_tool(name, args)
    } else if RUNNERS.contains(&name) {
        runner(name, args)
    } else if name == "manage.py" || name == "artisan" {
        return Some(script_args(cx, at, name, args));
    } else {
        return None;
    };
    if down {
        cx.flag(Rule::ShellMigrateDown, at);
    }
    Some(Next::Done(Stdin::Data))
}

/// An interpreter running a script: `python manage.py flush`,
/// `php artisan migrate:fresh`; other scripts are programs like any.
pub(super) fn script(cx: &mut Cx, at: usize, script: &Word, args: &[Word]) -> Next {
    script_args(cx, at, basename(&script.text), args)
}

fn script_args(cx: &mut Cx, at: usize, name: &str, args: &[Word]) -> Next {
    let p = positionals(
        args,
        Options {
            short: "",
            long: &["settings", "database", "env"],
        },
    );
    let words = texts(args, &p);
    let down = match name {
        "manage.py" => django(&words),
        "artisan" => words.first().is_some_and(|t| says_down(t) && says_db(t)),
        _ => false,
    };
    if down {
        cx.flag(Rule::ShellMigrateDown, at);
    }
    Next::Done(Stdin::Data)
}

/// `manage.py flush`, `reset_db`, `migrate APP zero`.
fn django(words: &[&str]) -> bool {
    matches!(
        words,
        ["flush" | "reset_db" | "sqlflush", ..] | ["migrate", _, "zero", ..]
    )
}

fn db_tool(name: &str, args: &[Word]) -> bool {
    if name == "django-admin" {
        let p = positionals(args, Options::NONE);
        return django(&texts(args, &p));
    }
    if name == "prisma"
        && (has_long(args, "force-reset", 11) || has_long(args, "accept-data-loss", 16))
    {
        return true;
    }
    let options = Options {
        short: "cxn",
        long: &[
            "-path",
            "-source",
            "-database",
            "-lock-timeout",
            "config",
            "url",
            "env",
            "dir",
            "migrations-dir",
            "knexfile",
            "env-file",
            "name",
            "-url",
            "-user",
            "-password",
            "-locations",
            "-schemas",
            "database-url",
            "source",
        ],
    };
    let p = positionals(args, options);
    texts(args, &p).iter().any(|t| says_down(t))
}

/// `npm run migrate:down`, `yarn db:rollback`, `rake db:drop`,
/// `rails db:schema:load`, `make migrate-down`, `mix ecto.reset`.
fn runner(name: &str, args: &[Word]) -> bool {
    let p = positionals(
        args,
        Options {
            short: "CfC",
            long: &["prefix", "filter", "cwd"],
        },
    );
    let words = texts(args, &p);
    let tasks: &[&str] = match (name, words.first()) {
        ("npm" | "pnpm" | "bun" | "yarn", Some(&("run" | "run-script"))) => {
            &words[1..2.min(words.len())]
        }
        ("npm" | "pnpm" | "bun", _) => &[],
        _ => &words,
    };
    let rails_like = matches!(name, "rails" | "rake");
    let version_zero = rails_like
        && words.contains(&"db:migrate")
        && args.iter().any(|w| w.text.starts_with("VERSION="));
    version_zero
        || tasks.iter().any(|t| {
            let loads = rails_like && (t.contains("schema:load") || t.contains("structure:load"));
            loads || (says_down(t) && says_db(t))
        })
}

fn tokens(t: &str) -> impl Iterator<Item = String> + '_ {
    t.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

fn says_down(t: &str) -> bool {
    tokens(t).any(|w| DOWN_WORDS.iter().any(|d| w.starts_with(d)))
}

fn says_db(t: &str) -> bool {
    tokens(t).any(|w| DB_WORDS.iter().any(|d| w.starts_with(d)))
}
