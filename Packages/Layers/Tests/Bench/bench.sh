#!/bin/bash
# make bench, chapter 04: Dosirak's SHA-256, layer unpacking and pull, each against the tool
# a reader would compare it with, measured in the same run on this machine. Comparisons whose
# tool is missing are skipped, and say so. Everything lives in a temporary directory; the pull
# runs in a network namespace of the bench's own (registry, dosirak and a private dockerd),
# over its loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
echo "== Layers (chapter 04): building the release helper"
$SWIFT build -c release -q --product layers-test-helper
helper=$PWD/.build/release/layers-test-helper
work=$(mktemp -d /tmp/dosirak-bench-XXXXXX)
registry_pid=""
dockerd_pid=""
netns=""
loop=""
cleanup() {
    if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
    if [ -n "$dockerd_pid" ]; then
        kill "$dockerd_pid" 2>/dev/null || true; wait "$dockerd_pid" 2>/dev/null || true
        pid=$(cat "$work/docker.pid" 2>/dev/null || true)  # in case it outlived the signal
        [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    fi
    for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$work" | sort -r); do umount -l "$m" 2>/dev/null || true; done
    [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
    [ -n "$netns" ] && ip netns delete "$netns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v bytes="$1" -v s="$2" 'BEGIN { printf "%.0f MB/s", bytes / s / 1e6 }'; }
ratio() { awk -v ref="$1" -v ours="$2" 'BEGIN { printf "%.2fx", ref / ours }'; }

# 1. SHA-256 of a 1 GiB file, from the page cache. Five rounds, the tools alternating: other
# work on the machine slows whichever tool happens to be running, so one run of each says little.
# Interference only ever adds time, so the fastest run of each is the figure; the medians and the
# ratio of each round show how noisy the machine was. Dosirak hashes with the CPU's SHA
# instructions where it has them; its portable Swift rounds are measured as well.
echo
echo "== SHA-256 of a 1 GiB file (5 rounds, alternating; ratio > 1: Dosirak is faster)"
head -c 1G /dev/urandom > "$work/1g"
cat "$work/1g" > /dev/null
fastest() { sort -n | head -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
engine=$("$helper" sha256-engine)
theirs=() mine=() portable=() ratios=()
for _ in 1 2 3 4 5; do
    start=$(now); reference=$(sha256sum "$work/1g" | cut -c1-64); theirs+=("$(seconds "$start" "$(now)")")
    start=$(now); ours=$("$helper" sha256 "$work/1g" | cut -c1-64); mine+=("$(seconds "$start" "$(now)")")
    [ "$reference" = "$ours" ] || { echo "bench: digests differ: $reference $ours"; exit 1; }
    ratios+=("$(ratio "${theirs[-1]}" "${mine[-1]}")")
    start=$(now); ours=$("$helper" sha256 "$work/1g" portable | cut -c1-64); portable+=("$(seconds "$start" "$(now)")")
    [ "$reference" = "$ours" ] || { echo "bench: digests differ: $reference $ours (portable)"; exit 1; }
done
t_ref=$(printf '%s\n' "${theirs[@]}" | fastest); m_ref=$(printf '%s\n' "${theirs[@]}" | median)
t_ours=$(printf '%s\n' "${mine[@]}" | fastest); m_ours=$(printf '%s\n' "${mine[@]}" | median)
t_port=$(printf '%s\n' "${portable[@]}" | fastest); m_port=$(printf '%s\n' "${portable[@]}" | median)
printf "   %-28s %8s %9s   %8s   %s\n" "" "fastest" "" "median" "ratio (fastest)"
printf "   %-28s %6s s %9s   %6s s\n" "sha256sum (coreutils)" "$t_ref" "$(rate 1073741824 "$t_ref")" "$m_ref"
printf "   %-28s %6s s %9s   %6s s   %s\n" "dosirak SHA256 ($engine)" "$t_ours" "$(rate 1073741824 "$t_ours")" "$m_ours" "$(ratio "$t_ref" "$t_ours")"
printf "   %-28s %6s s %9s   %6s s   %s\n" "dosirak SHA256 (portable)" "$t_port" "$(rate 1073741824 "$t_port")" "$m_port" "$(ratio "$t_ref" "$t_port")"
echo "   each round ($engine): ${ratios[*]}"
rm -f "$work/1g"

# 2. Unpacking a 4-layer image made of this machine's own files (one layer of many small files).
echo
echo "== Unpacking a 4-layer gzip image"
mkdir -p "$work/layers"
i=0
for tree in usr/bin usr/lib/python3 usr/share/doc usr/share/locale; do
    i=$((i + 1))
    tar -C / -cf - "$tree" 2>/dev/null | gzip -1 > "$work/layers/$i.tar.gz" || true
done
layers=("$work"/layers/*.tar.gz)
total=$(cat "${layers[@]}" | wc -c)
files=$(for l in "${layers[@]}"; do tar -tzf "$l"; done | wc -l)
echo "   ${#layers[@]} layers, $((total / 1000000)) MB gzipped, $files entries"
mkdir -p "$work/tar"; sync
start=$(now)
i=0
for l in "${layers[@]}"; do i=$((i + 1)); mkdir -p "$work/tar/$i"; tar -xzf "$l" -C "$work/tar/$i"; done
t_ref=$(seconds "$start" "$(now)")
# Trees are removed only at the end: ext4 makes new files slower for a while after many were
# deleted (it checks recently freed inodes), which would penalise whichever run came second.
sync
mkdir -p "$work/ours"
start=$(now); "$helper" unpack "$work/ours" "${layers[@]}" > /dev/null; t_ours=$(seconds "$start" "$(now)")
printf "   %-22s %7s s  %s\n" "tar -xzf, one by one" "$t_ref" "$(rate "$total" "$t_ref")"
printf "   %-22s %7s s  %s   ratio %s\n" "dosirak, in parallel" "$t_ours" "$(rate "$total" "$t_ours")" "$(ratio "$t_ref" "$t_ours")"
sync

# 3. Pulling that image from a local docker-registry into an empty store.
echo
echo "== Pulling the same image from docker-registry on 127.0.0.1"
if ! command -v docker-registry > /dev/null; then
    echo "   skipped: docker-registry is not installed"
    exit 0
fi
# A network namespace of the bench's own: the registry listens on its loopback, and dosirak
# and a private dockerd pull from there.
netns=dosirak-bench-layers-$$
ip netns add "$netns"
ip -n "$netns" link set lo up
inside() { nsenter --net=/run/netns/"$netns" -- "$@"; }
port=5000
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry/storage}}
http: {addr: 127.0.0.1:$port}
YAML
nsenter --net=/run/netns/"$netns" -- docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do inside bash -c "echo > /dev/tcp/127.0.0.1/$port" 2> /dev/null && break; sleep 0.1; done
name=127.0.0.1:$port/bench/image:1
"$helper" image "$work/source" "$name" "${layers[@]}" > /dev/null
inside "$helper" push "$work/source" "$name" > /dev/null
# The registry's blobs in the page cache for every puller alike.
cat "$work"/registry/storage/docker/registry/v2/blobs/sha256/*/*/data > /dev/null
# Both stores live on a file system of the bench's own: ext4 with a journal, as mkfs makes it
# and most machines have, in a file on a loop device. (An ext4 without a journal, such as this
# machine's disk may be, skips every inode freed in the last minute when it allocates one: the
# pulls would pay for the previous rounds' deleted files, more and more with every round.)
mkdir -p "$work/fs"
truncate -s 8G "$work/fs.img"
mkfs.ext4 -q -F "$work/fs.img"
loop=$(losetup --find --show --direct-io=on "$work/fs.img")
mount "$loop" "$work/fs"
echo "   stores on a fresh ext4 (with a journal) on $loop"
# One pull by dosirak into an empty store, and (with docker) one by the private dockerd into an
# empty one, per round; the order alternates, since whichever pulls second finds ext4 busier.
pull_ours() {
    rm -rf "$work/fs/pulled"; sync
    local start=$(now); inside "$helper" pull "$work/fs/pulled" "$name" > /dev/null; seconds "$start" "$(now)"
}
pull_docker() {
    dk rmi -f "$name" > /dev/null 2>&1 || true; sync
    local start=$(now); dk pull -q "$name" > /dev/null; seconds "$start" "$(now)"
}
have_docker=no
if command -v dockerd > /dev/null && command -v docker > /dev/null; then
    # A private dockerd (its own data root, socket and exec root) in the bench's namespace; a
    # registry on 127.0.0.1 is one Docker talks plain HTTP to without being told.
    nsenter --net=/run/netns/"$netns" -- dockerd --data-root "$work/fs/docker-data" --exec-root "$work/docker-exec" \
        --pidfile "$work/docker.pid" -H "unix://$work/docker.sock" --bridge=none --iptables=false --ip6tables=false \
        > "$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    dk() { docker -H "unix://$work/docker.sock" "$@"; }
    for _ in $(seq 100); do dk info > /dev/null 2>&1 && break; sleep 0.2; done
    if dk info > /dev/null 2>&1; then
        have_docker=yes
    else
        echo "   docker pull: skipped (the private dockerd did not start)"; tail -3 "$work/dockerd.log"
    fi
else
    echo "   docker pull: skipped (docker.io is not installed)"
fi
rounds=${PULL_ROUNDS:-3}
ours=(); theirs=(); each=""
for round in $(seq "$rounds"); do
    if [ $have_docker = yes ] && [ $((round % 2)) = 0 ]; then
        t_ref=$(pull_docker); t_ours=$(pull_ours)
    else
        t_ours=$(pull_ours); [ $have_docker = yes ] && t_ref=$(pull_docker)
    fi
    ours+=("$t_ours")
    if [ $have_docker = yes ]; then theirs+=("$t_ref"); each="$each $(ratio "$t_ref" "$t_ours")"; fi
done
middle() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
t_ours=$(middle "${ours[@]}")
echo "   $rounds rounds, alternating who pulls first; medians"
printf "   %-22s %7s s  %s\n" "dosirak pull" "$t_ours" "$(rate "$total" "$t_ours")"
if [ $have_docker = yes ]; then
    t_ref=$(middle "${theirs[@]}")
    printf "   %-22s %7s s  %s   dosirak is %s as fast\n" "docker pull" "$t_ref" "$(rate "$total" "$t_ref")" "$(ratio "$t_ref" "$t_ours")"
    echo "   each round:$each"
fi
if command -v skopeo > /dev/null; then
    start=$(now); inside skopeo copy -q --src-tls-verify=false "docker://$name" "dir:$work/skopeo"; t_ref=$(seconds "$start" "$(now)")
    printf "   %-22s %7s s  %s   dosirak is %s as fast (skopeo only downloads: no unpacking)\n" "skopeo copy" "$t_ref" "$(rate "$total" "$t_ref")" "$(ratio "$t_ref" "$t_ours")"
else
    echo "   skopeo copy: skipped (skopeo is not installed)"
fi
