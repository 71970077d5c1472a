#!/bin/sh
# A zone's token step (runs once its control plane is healthy, as user 10001, in the causeway image):
# zone tokens for its ZoneIngress and ZoneEgress, and a dataplane token for each sidecar NAME:SERVICE given,
# issued by the zone's API (its first replica) with the zone's admin token, into /secrets/ZONE/, with the
# zone's xDS CA certificate from that replica's volume. Usage: tokens.sh ZONE [NAME:SERVICE...]
set -eu
zone=$1
shift
dir=/secrets/$zone
cli() { causeway --address "http://$zone-cp-1:5681" --auth-token-file "/secrets/$zone-admin-token" "$@"; }
umask 077
token=$(cli generate zone-token --scope ingress) && printf '%s' "$token" >"$dir/ingress.token"
token=$(cli generate zone-token --scope egress) && printf '%s' "$token" >"$dir/egress.token"
for sidecar in "$@"; do
  name=${sidecar%%:*}
  service=${sidecar#*:}
  token=$(cli generate dataplane-token --mesh default --name "$name" --tag "kuma.io/service=$service") && printf '%s' "$token" >"$dir/$name.token"
done
cp "/zone-data/.causeway/zone-$zone/xds-ca.pem" "$dir/xds-ca.pem"
echo "tokens: $zone: ingress, egress${*:+, $*} in $dir"
