#!/usr/bin/env bash
# Bridge networking cost, in a private world of network namespaces (nothing
# touches the machine's real interfaces): "host" H runs nucleus, "internet" I
# runs iperf3 on 203.0.113.10.
#  1. cold start --network none vs bridge (kernel) vs bridge (userspace), one hyperfine -N run;
#     then none vs bridge (kernel) on a "Docker host" D (iptables-nft FORWARD drop + DOCKER-USER);
#  2. TCP throughput container -> I: kernel and userspace back-ends, and the
#     same veth + bridge + NAT path built by hand without nucleus.
# Usage: bench/network.sh [path/to/nucleus]   (root; needs hyperfine, iperf3, nftables, slirp4netns, iptables)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=${1:-$PWD/.build/release/nucleus}
H=nucbench-h I=nucbench-i C=nucbench-c C2=nucbench-c2 D=nucbench-d
cleanup() {
  pkill -f "iperf3 -s -B 203.0.113.10" 2>/dev/null || true
  pkill -f "slirp4netns.*$C2" 2>/dev/null || true
  for ns in $H $I $C $C2 $D; do ip netns del $ns 2>/dev/null || true; done
}
trap cleanup EXIT
cleanup
ip netns add $H; ip netns add $I; ip netns add $C
ip link add bh netns $H type veth peer name bi netns $I
ip -n $H link set lo up; ip -n $H addr add 198.51.100.1/24 dev bh; ip -n $H link set bh up
ip -n $H route add default via 198.51.100.2
ip -n $I link set lo up; ip -n $I addr add 198.51.100.2/24 dev bi; ip -n $I link set bi up
ip -n $I addr add 203.0.113.10/32 dev lo
ip netns exec $I iperf3 -s -B 203.0.113.10 -D

echo "== cold start"
EXPORT=${EXPORT:-$(mktemp /tmp/nucleus-network-bench.XXXXXX.json)}
ip netns exec $H hyperfine -N --warmup 20 --runs 200 --export-json "$EXPORT" \
  -n "network none" "$NUCLEUS run -- /bin/true" \
  -n "network bridge (kernel)" "$NUCLEUS run --network bridge -- /bin/true" \
  -n "network bridge (userspace)" "$NUCLEUS run --network bridge --nat-backend userspace -- /bin/true"

python3 - "$EXPORT" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print("median %-28s %.2f ms" % (result["command"], result["median"] * 1000))
PY

echo "== cold start on a Docker host"
ip netns add $D; ip -n $D link set lo up
ip netns exec $D iptables-nft -N DOCKER-USER
ip netns exec $D iptables-nft -P FORWARD DROP
ip netns exec $D iptables-nft -A FORWARD -j DOCKER-USER
ip netns exec $D hyperfine -N --warmup 20 --runs 200 --export-json "$EXPORT.docker" \
  -n "network none" "$NUCLEUS run -- /bin/true" \
  -n "network bridge (kernel, Docker host)" "$NUCLEUS run --network bridge -- /bin/true"
python3 - "$EXPORT.docker" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print("median %-36s %.2f ms" % (result["command"], result["median"] * 1000))
PY

throughput() { python3 -c 'import json,sys; print("%.2f Gbit/s" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'; }

echo "== TCP throughput to 203.0.113.10 (iperf3, 5 s)"
printf 'nucleus bridge (kernel):    '
ip netns exec $H "$NUCLEUS" run --network bridge -- iperf3 -c 203.0.113.10 -t 5 -J 2>/dev/null | throughput
printf 'nucleus bridge (userspace): '
ip netns exec $H "$NUCLEUS" run --network bridge --nat-backend userspace -- iperf3 -c 203.0.113.10 -t 5 -J 2>/dev/null | throughput

# The same path without nucleus: a bridge, a veth into namespace C, NAT by hand.
ip -n $H link add benchbr0 type bridge; ip -n $H addr add 10.99.0.1/24 dev benchbr0; ip -n $H link set benchbr0 up
ip link add bc netns $C type veth peer name bcc netns $H
ip -n $H link set bcc master benchbr0 up
ip -n $C link set lo up; ip -n $C addr add 10.99.0.2/24 dev bc; ip -n $C link set bc up
ip -n $C route add default via 10.99.0.1
ip netns exec $H sysctl -qw net.ipv4.ip_forward=1
ip netns exec $H nft add table ip benchnat
ip netns exec $H nft add chain ip benchnat post '{ type nat hook postrouting priority srcnat; }'
ip netns exec $H nft add rule ip benchnat post ip saddr 10.99.0.0/24 oifname != benchbr0 masquerade
printf 'same veth path, no nucleus: '
ip netns exec $C iperf3 -c 203.0.113.10 -t 5 -J | throughput

# slirp4netns by hand, without nucleus, for namespace C2; its host side lives in H.
ip netns add $C2
ip netns exec $H slirp4netns --configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp --netns-type=path /run/netns/$C2 tap0 >/dev/null 2>&1 &
SLIRP=$!
sleep 1
printf 'slirp4netns, no nucleus:    '
ip netns exec $C2 iperf3 -c 203.0.113.10 -t 5 -J | throughput
kill $SLIRP; ip netns del $C2
