#!/usr/bin/env bash
# Keycloak's admin CLI (/opt/keycloak/bin/kcadm.sh in the Keycloak pod), as
# far as the runbook uses it, for a rehearsal in runsheet's sandbox: there
# is no Keycloak pod there. `get users -r REALM` and `get realms/REALM`
# ask the sandbox's Keycloak stand-in, through its admin REST API as
# kcadm.sh does: a token of the realm given by `--realm` for `--user` and
# `--password`, then the resource, printed as JSON on standard output.
# `--server` names the pod's own Keycloak (http://localhost:8080); the
# sandbox's is $KEYCLOAK_SANDBOX_SERVER, which the context's stand-in gets.
set -euo pipefail
usage() { echo "kcadm.sh (sandbox): $*" >&2; exit 2; }
[ "${1:-}" = get ] || usage "only \`get\` is stood in for, not \`${1:-}\`"
resource=${2:-}
shift 2 || usage "\`get\` needs a resource (users, realms/NAME)"
target_realm="" auth_realm=master user="" password=""
while [ $# -gt 0 ]; do
  case "$1" in
    -r|--target-realm) target_realm=$2; shift 2 ;;
    --server) shift 2 ;;
    --realm) auth_realm=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --password) password=$2; shift 2 ;;
    *) usage "unknown option $1" ;;
  esac
done
server=${KEYCLOAK_SANDBOX_SERVER:?the sandbox gives its Keycloak as KEYCLOAK_SANDBOX_SERVER}
token=$(curl -sf \
  --data-urlencode "client_id=admin-cli" \
  --data-urlencode "username=$user" \
  --data-urlencode "password=$password" \
  --data-urlencode "grant_type=password" \
  "$server/realms/$auth_realm/protocol/openid-connect/token" | jq -er .access_token) \
  || { echo "Invalid user credentials [invalid_grant]" >&2; exit 1; }
case "$resource" in
  realms/*) path="/admin/$resource" ;;
  *) [ -n "$target_realm" ] || usage "\`get $resource\` needs -r REALM"
     path="/admin/realms/$target_realm/$resource" ;;
esac
curl -sf -H "Authorization: Bearer $token" "$server$path"
echo
