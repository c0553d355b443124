#!/usr/bin/env bash
# OmniSphere — schema migrations: ./infra/devops_scripts/run-migrations.sh SERVICE up|down
#
# Sandbox copy for rehearsing runbook 004 (the seed names this script but
# does not show it). It does what golang-migrate does with the files of
# shared/database_migrations (NNNNNN_name.up.sql / NNNNNN_name.down.sql)
# and its table schema_migrations (one row: the current version, dirty):
#
#   up    applies every .up.sql above the current version, in order, each
#         in its own transaction together with the new version;
#   down  reverts the current version only (its .down.sql), like
#         `migrate down 1`, and records the previous version.
#
# SERVICE is a service name (auth-service …) or all. The services share
# one database and one migrations folder, so every service applies the
# same files; the name labels the output.
#
# The database is $DATABASE_URL (runsheet sets it to the target's).
set -euo pipefail

usage="usage: $0 SERVICE|all up|down"
SERVICE=${1:?$usage}
DIRECTION=${2:?$usage}
: "${DATABASE_URL:?DATABASE_URL must name the database to migrate}"
case "$SERVICE" in
    all | [a-z]*-service) ;;
    *) echo "unknown service '$SERVICE' (a *-service name, or all)" >&2; exit 2 ;;
esac

DIR="$(cd "$(dirname "$0")/../.." && pwd)/shared/database_migrations"
[ -d "$DIR" ] || { echo "no migrations folder: $DIR" >&2; exit 2; }

psql_() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }

# The current version, golang-migrate style: 0 when nothing was applied.
read -r current dirty < <(psql_ -At -F ' ' -c \
    "SELECT coalesce(max(version), 0), coalesce(bool_or(dirty), false) FROM schema_migrations")
if [ "$dirty" = "t" ]; then
    echo "schema_migrations is dirty at version $current: a migration stopped part-way; fix the database by hand, then set dirty = false" >&2
    exit 1
fi

version_of() { local base; base=$(basename "$1"); echo $((10#${base%%_*})); }

case "$DIRECTION" in
up)
    applied=0
    for f in "$DIR"/*.up.sql; do
        v=$(version_of "$f")
        [ "$v" -gt "$current" ] || continue
        echo "[$SERVICE] up   $(basename "$f")"
        psql_ -1 \
            -c "DELETE FROM schema_migrations; INSERT INTO schema_migrations (version, dirty) VALUES ($v, true);" \
            -f "$f" \
            -c "UPDATE schema_migrations SET dirty = false;"
        current=$v
        applied=$((applied + 1))
    done
    echo "[$SERVICE] $applied migration(s) applied; version $current"
    ;;
down)
    if [ "$current" -eq 0 ]; then
        echo "[$SERVICE] nothing to revert"
        exit 0
    fi
    down=""
    previous=0
    for f in "$DIR"/*.up.sql; do
        v=$(version_of "$f")
        if [ "$v" -lt "$current" ] && [ "$v" -gt "$previous" ]; then previous=$v; fi
        if [ "$v" -eq "$current" ]; then down=${f%.up.sql}.down.sql; fi
    done
    [ -n "$down" ] && [ -f "$down" ] || { echo "no .down.sql for version $current" >&2; exit 1; }
    echo "[$SERVICE] down $(basename "$down")"
    record="DELETE FROM schema_migrations;"
    if [ "$previous" -gt 0 ]; then
        record="$record INSERT INTO schema_migrations (version, dirty) VALUES ($previous, false);"
    fi
    psql_ -1 -f "$down" -c "$record"
    echo "[$SERVICE] version $previous"
    ;;
*)
    echo "$usage" >&2
    exit 2
    ;;
esac
