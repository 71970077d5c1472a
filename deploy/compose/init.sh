#!/bin/sh
# The compose topology's first step (runs once, as root, in the causeway image): the NATS authorization
# (one user for global, one per zone: causeway generate nats-config), each NATS node's cluster
# configuration with a generated route password, and the admin token of global and of each zone (one per
# role: a role's replicas share it), all into the "secrets" volume. Nothing here is committed;
# `docker-compose down -v` deletes it. A second `up` keeps what exists.
set -eu
out=/secrets
if [ -s "$out/nats-auth.conf" ]; then
  echo "init: $out already holds the NATS authorization; kept"
  exit 0
fi
mkdir -p "$out"
causeway generate nats-config --zones zone-1,zone-2 --out "$out/nats-auth.conf" --credentials-dir "$out"
secret() { node -e 'process.stdout.write(require("node:crypto").randomBytes(Number(process.argv[1])).toString("base64url"))' "$1"; }
route_password=$(secret 24)
for role in global zone-1 zone-2; do
  (umask 077 && secret 32 >"$out/$role-admin-token")
done
for n in 1 2 3; do
  cat >"$out/nats-$n.conf" <<CONF
server_name: nats-$n
listen: 0.0.0.0:4222
http: 0.0.0.0:8222
jetstream {
  store_dir: /data
}
cluster {
  name: causeway
  listen: 0.0.0.0:6222
  authorization {
    user: route
    password: "$route_password"
  }
  routes: [
    "nats-route://route:$route_password@nats-1:6222"
    "nats-route://route:$route_password@nats-2:6222"
    "nats-route://route:$route_password@nats-3:6222"
  ]
}
include "nats-auth.conf"
CONF
done
mkdir -p "$out/zone-1" "$out/zone-2"
# The control planes and proxies run as user 10001; the NATS nodes as root.
chown -R 10001:10001 "$out"
chmod 700 "$out" "$out/zone-1" "$out/zone-2"
chmod 600 "$out"/*.conf "$out"/*.env "$out"/*-admin-token
chmod 711 "$out"
echo "init: wrote the NATS authorization, credentials, the configuration of nats-1..3 and the admin tokens to $out"
