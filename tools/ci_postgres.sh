#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL for mtqc's store tests, on Debian, as root.
#
#   eval "$(bash tools/ci_postgres.sh)"     # exports MTQC_TEST_PG_URL
#
# Listens on 127.0.0.1 only. Creates role mtqc (password mtqc) and database mtqc_test.
# Progress goes to stderr; stdout is only the export line, so `eval` is safe.
set -euo pipefail

PGPORT="${MTQC_PG_PORT:-5432}"
DB="mtqc_test"
ROLE="mtqc"
PASS="mtqc"

log() { echo "ci_postgres: $*" >&2; }

if [ "$(id -u)" != "0" ]; then
    log "must run as root (installs packages, starts the server as user postgres)"
    exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER="main"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
    log "creating cluster $VERSION/$CLUSTER on port $PGPORT"
    pg_createcluster --port "$PGPORT" "$VERSION" "$CLUSTER" >&2
fi

CONF_DIR="/etc/postgresql/$VERSION/$CLUSTER"
# Loopback only, on the chosen port; password auth over TCP (Debian's default is scram).
sed -i -E "s/^#?listen_addresses\s*=.*/listen_addresses = '127.0.0.1'/" "$CONF_DIR/postgresql.conf"
sed -i -E "s/^#?port\s*=.*/port = $PGPORT/" "$CONF_DIR/postgresql.conf"

STATUS="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}')"
if [ "$STATUS" != "online" ]; then
    log "starting cluster $VERSION/$CLUSTER"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
else
    pg_ctlcluster "$VERSION" "$CLUSTER" reload >&2
fi

for _ in $(seq 1 30); do
    if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$PGPORT"; then break; fi
    sleep 1
done
runuser -u postgres -- pg_isready -h 127.0.0.1 -p "$PGPORT" >&2

psql_admin() { runuser -u postgres -- psql -p "$PGPORT" -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
    log "creating role $ROLE"
    psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASS'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    log "creating database $DB"
    psql_admin -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi

echo "export MTQC_TEST_PG_URL=postgresql://$ROLE:$PASS@127.0.0.1:$PGPORT/$DB"
