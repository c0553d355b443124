#!/usr/bin/env bash
# OmniSphere — deployment: ./infra/devops_scripts/deploy-prod.sh SERVICE|all
#
# Sandbox stand-in for rehearsing runbook 004 (the seed names this script
# but does not show it; the real one rolls the service's ECS tasks). There
# is no ECS in the sandbox: this checks what the deployment needs and can
# be checked here — a known service name, and the target's database
# reachable with the schema version the new code will find — then says
# what the real script would deploy. It changes nothing.
#
# The database is $DATABASE_URL (runsheet sets it to the target's).
set -euo pipefail

usage="usage: $0 SERVICE|all"
SERVICE=${1:?$usage}
: "${DATABASE_URL:?DATABASE_URL must name the target database}"
case "$SERVICE" in
    all) services="auth-service user-service billing-service" ;;
    [a-z]*-service) services=$SERVICE ;;
    *) echo "unknown service '$SERVICE' (a *-service name, or all)" >&2; exit 2 ;;
esac

version=$(psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c \
    "SELECT coalesce(max(version), 0) FROM schema_migrations")
for s in $services; do
    echo "[sandbox] $s: would roll its ECS tasks to the new image (rolling update); schema version $version"
done
echo "[sandbox] no ECS here: nothing was deployed"
