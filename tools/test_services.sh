#!/usr/bin/env bash
# Run the given test command with the real services the tests use: Debian's Chromium for
# the browser tests and a local PostgreSQL for the store tests. As root with apt-get (CI, a
# fresh machine) they are installed and started; elsewhere those tests skip with a reason.
set -uo pipefail
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} (apt) for the browser and PostgreSQL tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
if [ -z "${MTQC_TEST_PG_URL:-}" ] && [ -f tools/ci_postgres.sh ]; then
  url=$(bash tools/ci_postgres.sh 2>/dev/null | grep -Eo 'postgresql://[^ ]+' | tail -n1) || true
  [ -n "${url:-}" ] && export MTQC_TEST_PG_URL="$url"
fi
exec "$@"
