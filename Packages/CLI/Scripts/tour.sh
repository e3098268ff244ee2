#!/usr/bin/env bash
# The chapter 07 demo: Docker's everyday workflow with `dosirak`, the seed's walk-through.
#   Scripts/tour.sh PATH/TO/dosirak
# Everything happens in a store of its own (a temporary --root) and in a network namespace
# the tour creates, which plays the host: the machine's own network is never touched. Both
# are removed at the end, however the tour ends.
set -euo pipefail
dosirak=$(readlink -f "${1:?usage: tour.sh PATH/TO/dosirak}")
[ "$(id -u)" = 0 ] || { echo "tour: containers need root; run it with sudo"; exit 1; }
tag=$$
root=/tmp/dosirak-tour-$tag
netns=dosirak-tour-$tag

cleanup() {
  # Containers first (their monitors release mounts, cgroups and addresses), then the rest.
  ids=$(inside "$dosirak" --root "$root" ps -aq 2>/dev/null || true)
  [ -n "$ids" ] && inside "$dosirak" --root "$root" rm -f $ids >/dev/null 2>&1 || true
  inside "$dosirak" --root "$root" network rm app-network >/dev/null 2>&1 || true
  inside "$dosirak" --root "$root" network rm bridge >/dev/null 2>&1 || true
  ip netns delete "$netns" 2>/dev/null || true
  rm -rf "$root"
}
inside() { nsenter --net=/run/netns/"$netns" -- "$@"; }
trap cleanup EXIT
ip netns add "$netns"
ip -n "$netns" link set lo up

# Shows a command as the reader would type it (quoted where the shell needs it), then runs it.
quoted() {
  for word in "$@"; do
    if [[ "$word" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then printf ' %s' "$word"; else printf " '%s'" "${word//\'/\'\\\'\'}"; fi
  done
}
step() { echo; echo "\$ dosirak$(quoted "$@")"; inside "$dosirak" --root "$root" "$@" 2>&1; }
note() { echo; echo "# $*"; }

note "the default image, made from the host's busybox (no registry is reachable here)"
step image busybox
step images

note "a shell in a container (here a one-off command: the tour has no terminal)"
step run --rm busybox sh -c 'echo "hello from $(hostname): $(ip -4 -o addr show eth0 | awk "{print \$4}")"'

note "a web app on a published port"
step run -d -p 8080:8080 --name web busybox sh -c \
  'mkdir -p /www && echo "<h1>hello from dosirak</h1>" > /www/index.html && exec httpd -f -v -p 8080 -h /www'
for _ in $(seq 50); do inside busybox wget -qO /dev/null http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done
echo; echo "\$ busybox wget -qO- http://127.0.0.1:8080/"
inside busybox wget -qO- http://127.0.0.1:8080/
step ps
step logs web
step stop web
step rm web

note "a database and an app on a user network"
step network create app-network
step run -d --name mysql --network app-network -e MYSQL_ROOT_PASSWORD=secret -p 172.17.0.1:3306:3306 \
  busybox sh -c 'exec nc -ll -p 3306 -e sh -c "echo db: ready, password \$MYSQL_ROOT_PASSWORD"'
step run --rm --network app-network busybox sh -c 'nslookup mysql | grep Address | tail -1; nc mysql 3306'
note "the app reaches the database through the gateway too, as WordPress reaches 172.17.0.1"
step run --rm busybox nc 172.17.0.1 3306
step exec mysql sh -c 'echo "inside mysql: $MYSQL_ROOT_PASSWORD, $(hostname -i)"'
step ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.Ports}}'
step rm -f mysql
step network rm app-network

note "nothing is left but the image; rmi removes that too"
step ps -a
step rmi busybox
step images
