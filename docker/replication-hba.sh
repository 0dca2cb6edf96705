#!/bin/sh
# Lets the `replica` profile's standby stream from this server (development only).
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
