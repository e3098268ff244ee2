#!/usr/bin/env bash
# make bench, chapter 07: the dosirak command against Docker (docker.io) and raw runc, measured
# in the same run on this machine, as ratios. Comparisons whose tool is missing are skipped, and
# say so. Everything runs in a store of its own, in a network namespace the bench creates (it
# plays the host), with a private dockerd; all of it is removed at the end.
#   Scripts/bench.sh PATH/TO/dosirak   (a release build)
set -euo pipefail
dosirak=$(readlink -f "${1:?usage: bench.sh PATH/TO/dosirak}")
[ "$(id -u)" = 0 ] || { echo "bench: containers need root"; exit 1; }
runs=${RUNS:-15}
tag=$$
work=/tmp/dosirak-bench-$tag
netns=dosirak-bench-$tag
root=$work/dosirak
dockerd_pid=""
inside() { nsenter --net=/run/netns/"$netns" -- "$@"; }
d() { inside "$dosirak" --root "$root" "$@"; }
dk() { inside docker -H "unix://$work/docker.sock" "$@"; }

cleanup() {
  ids=$(d ps -aq 2>/dev/null || true); [ -n "$ids" ] && d rm -f $ids >/dev/null 2>&1 || true
  d network rm bridge >/dev/null 2>&1 || true
  if [ -n "$dockerd_pid" ]; then
    ids=$(dk ps -aq 2>/dev/null || true); [ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1 || true
    kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true
    pid=$(cat "$work/docker.pid" 2>/dev/null || true)  # in case it outlived the signal
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  fi
  for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$work" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
  ip netns delete "$netns" 2>/dev/null || true
  rm -rf "$work" "$work.img"
}
trap cleanup EXIT
# Everything the tools write (stores, state, docker's data, runc's bundle) lives on a file
# system of the bench's own: ext4 with a journal, as mkfs makes it and most machines have, in a
# file on a loop device. An ext4 without a journal (such as this machine's disk may be) skips
# every inode freed in the last minutes when it allocates one: each container made and removed
# would make the next one slower, in proportion to the files it creates.
loop=""
mkdir -p "$work"
truncate -s 8G "$work.img"
mkfs.ext4 -q -F "$work.img"
loop=$(losetup --find --show --direct-io=on "$work.img")
mount "$loop" "$work"
ip netns add "$netns"
ip -n "$netns" link set lo up

ms() { date +%s%N; }
# median COMMAND...: runs it $runs times (after one warm-up) and prints the median in ms.
median() {
  "$@" >/dev/null 2>&1
  local times=()
  for _ in $(seq "$runs"); do
    local start=$(ms); "$@" >/dev/null 2>&1; times+=($(( ($(ms) - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}
# alternate A B: runs the commands A and B by turns, $runs times each (after a warm-up of
# each), and prints both medians in ms. Taking turns gives both the same machine: whatever
# else happens meanwhile (a dockerd settling down) falls on both alike.
alternate() {
  "$1" >/dev/null 2>&1; "$2" >/dev/null 2>&1
  local first=() second=() start
  for _ in $(seq "$runs"); do
    start=$(ms); "$1" >/dev/null 2>&1; first+=($(( ($(ms) - start) / 1000 )))
    start=$(ms); "$2" >/dev/null 2>&1; second+=($(( ($(ms) - start) / 1000 )))
  done
  for list in "${first[*]}" "${second[*]}"; do
    printf '%s\n' $list | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f ", a[int((NR + 1) / 2)] / 1000 }'
  done
}
ratio() { awk -v ref="$1" -v ours="$2" 'BEGIN { if (ours > 0) printf "%.2fx", ref / ours }'; }
row() { printf "   %-34s %8s ms  %s\n" "$1" "$2" "${3:-}"; }

echo "== dosirak (chapter 07) against docker and runc, median of $runs, ms (ratio > 1: dosirak is faster)"
echo "   (stores on a fresh ext4 with a journal, on $loop)"
d image busybox >/dev/null

have_docker=no
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  # Started directly (not through a shell function, whose subshell would get the PID), so
  # that the clean-up stops dockerd itself.
  nsenter --net=/run/netns/"$netns" -- dockerd --data-root "$work/docker-data" --exec-root "$work/docker-exec" \
    --pidfile "$work/docker.pid" -H "unix://$work/docker.sock" > "$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 100); do dk info >/dev/null 2>&1 && break; sleep 0.2; done
  if dk info >/dev/null 2>&1; then
    d save busybox -o "$work/busybox.tar" && dk load -i "$work/busybox.tar" >/dev/null && have_docker=yes
  fi
  [ $have_docker = yes ] || { echo "   (dockerd did not come up; see below)"; tail -3 "$work/dockerd.log"; }
fi
[ $have_docker = yes ] || echo "   docker: not installed or not running here, skipped"

# 1. A container that does nothing, without a network; against raw runc by turns (both are
# quick, so the machine's state matters), against docker apart.
echo; echo "-- run --rm --network none busybox true"
ours_none() { d run --rm --network none busybox true; }
if command -v runc >/dev/null; then
  # Raw runc on a prepared bundle: no image, no store, no network, no monitor, and (runc
  # spec's default) no seccomp filter, which dosirak installs (Docker's profile).
  mkdir -p "$work/bundle/rootfs/bin"
  cp "$(command -v busybox)" "$work/bundle/rootfs/bin/busybox"
  ln -sf busybox "$work/bundle/rootfs/bin/true"
  (cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' config.json)
  n=0; runc_run() { n=$((n + 1)); inside runc --root "$work/runc" run --bundle "$work/bundle" "bench-$tag-$n"; }
  read -r ours t <<<"$(alternate ours_none runc_run)"
  row "dosirak" "$ours"
  row "runc run (a prepared bundle)" "$t" "ratio $(ratio "$t" "$ours") (by turns with dosirak)"
else
  ours=$(median ours_none); row "dosirak" "$ours"
  echo "   runc: not installed, skipped"
fi
if [ $have_docker = yes ]; then t=$(median dk run --rm --network none busybox true); row "docker" "$t" "ratio $(ratio "$t" "$ours")"; fi

# 2. The same on the default bridge network.
echo; echo "-- run --rm busybox true (default bridge network)"
ours=$(median d run --rm busybox true); row "dosirak" "$ours"
if [ $have_docker = yes ]; then t=$(median dk run --rm busybox true); row "docker" "$t" "ratio $(ratio "$t" "$ours")"; fi

# 3. 50 detached containers started, then removed; while the 50 run, the mean memory (PSS)
# of what supervises each: dosirak's monitors (by now dosirak-relay), docker's containerd-shims.
pss() { # mean PSS in MiB of the processes whose command line matches $1
  local pids; pids=$(pgrep -f -- "$1" || true)
  [ -z "$pids" ] && { echo "-"; return; }
  for pid in $pids; do awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null; done |
    awk '{ s += $1; n++ } END { printf "%.2f", s / n / 1024 }'
}
fifty() {
  local tool=$1 pattern=$2 start ids total
  start=$(ms)
  for _ in $(seq 50); do $tool run -d busybox sleep 600 >/dev/null; done
  local up=$(( ($(ms) - start) / 1000000 ))
  sleep 1
  local memory; memory=$(pss "$pattern")
  ids=$($tool ps -q)
  start=$(ms); $tool rm -f $ids >/dev/null; local down=$(( ($(ms) - start) / 1000000 ))
  echo "$up $down $memory"
}
echo; echo "-- 50 detached containers (run -d), then rm -f of all: ms per container"
read -r up down ours_memory <<<"$(fifty d "--root $root monitor")"; ours_up=$(awk -v t="$up" 'BEGIN{printf "%.1f", t/50}'); ours_down=$(awk -v t="$down" 'BEGIN{printf "%.1f", t/50}')
row "dosirak run -d" "$ours_up"; row "dosirak rm -f" "$ours_down"
if [ $have_docker = yes ]; then
  read -r up down docker_memory <<<"$(fifty dk containerd-shim)"
  t=$(awk -v t="$up" 'BEGIN{printf "%.1f", t/50}'); row "docker run -d" "$t" "ratio $(ratio "$t" "$ours_up")"
  t=$(awk -v t="$down" 'BEGIN{printf "%.1f", t/50}'); row "docker rm -f" "$t" "ratio $(ratio "$t" "$ours_down")"
fi
printf "   %-34s %8s MiB\n" "dosirak monitor, PSS (50 running)" "$ours_memory"
[ $have_docker = yes ] && printf "   %-34s %8s MiB\n" "containerd-shim, PSS (50 running)" "$docker_memory"
leaks=$( { d ps -aq; inside ip -o link show type veth; grep "$root/containers" /proc/self/mountinfo; } 2>/dev/null | wc -l || true)
echo "   left behind by dosirak after rm -f: $leaks (containers, veths and mounts)"

# 4. ps with 100 containers.
echo; echo "-- ps -a with 100 containers (created, not started)"
for _ in $(seq 100); do d create --network none busybox true >/dev/null; done
ours=$(median d ps -a); row "dosirak ps -a" "$ours"
if [ $have_docker = yes ]; then
  for _ in $(seq 100); do dk create --network none busybox true >/dev/null; done
  t=$(median dk ps -a); row "docker ps -a" "$t" "ratio $(ratio "$t" "$ours")"
fi
