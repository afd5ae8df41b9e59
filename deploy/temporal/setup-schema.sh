#!/bin/sh
# One-shot schema setup of Temporal's two PostgreSQL databases, run by the temporal-schema
# service (temporalio/admin-tools) before the server starts. Safe to run on every `up`:
# create is skipped for a database that exists, and update-schema only applies missing versions.
set -eu
export SQL_PASSWORD="$POSTGRES_PWD"
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }
until nc -z -w 2 "$POSTGRES_SEEDS" "$DB_PORT"; do echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"; sleep 1; done
for db in temporal:temporal temporal_visibility:visibility; do
  name=${db%%:*}
  schema=${db#*:}
  sql --db "$name" create 2>/dev/null || echo "database $name exists"
  sql --db "$name" setup-schema -v 0.0
  sql --db "$name" update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
echo "Temporal schema is up to date"
