#!/bin/sh
# Initialises $PGDATA on first start (user postgres, trust authentication), then runs the server in the
# foreground, listening on every address.
set -eu
bin=/usr/lib/postgresql/15/bin
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  "$bin/initdb" --username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  printf 'host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n' >> "$PGDATA/pg_hba.conf"
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
