#!/bin/sh
# The `replica` profile's standby: cloned from the primary on first start
# (pg_basebackup -R writes the standby settings), then a plain postgres.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres -U replicator -d postgres; do sleep 1; done
  PGPASSWORD=replicator-dev-password pg_basebackup -h postgres -U replicator \
    -D "$PGDATA" -R -X stream --checkpoint=fast
  chmod 700 "$PGDATA"
fi
exec postgres
