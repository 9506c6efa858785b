#!/usr/bin/env bash
# Builds (or removes) three probe targets in network namespaces on this machine, for trying
# `windoctor --probe` by hand; nothing leaves the machine. Needs root, iproute2, nftables, python3
# (scripts/probe-test-deps.sh installs them).
#   scripts/probe-lab.sh up     # targets: 10.213.201.2:8080 answers TCP and ICMP,
#                               #          10.213.202.2:8080 answers TCP, drops ICMP,
#                               #          10.213.203.2:8080 answers neither
#   scripts/probe-lab.sh down
set -euo pipefail

names=(both tcponly none)
nets=(201 202 203)

down() {
    for i in 0 1 2; do
        ns="wdlab-${names[$i]}"
        if [ -f "/tmp/$ns.pid" ]; then kill "$(cat "/tmp/$ns.pid")" 2>/dev/null || true; rm -f "/tmp/$ns.pid"; fi
        ip netns del "$ns" 2>/dev/null || true
        ip link del "wdlab${nets[$i]}h" 2>/dev/null || true
    done
    rm -rf "$www"
}

www=/tmp/wdlab-www

up() {
    down
    mkdir -p "$www" && echo "windoctor probe lab" > "$www/index.html"
    for i in 0 1 2; do
        ns="wdlab-${names[$i]}"; k="${nets[$i]}"
        ip netns add "$ns"
        ip link add "wdlab${k}h" type veth peer name "wdlab${k}n"
        ip link set "wdlab${k}n" netns "$ns"
        ip addr add "10.213.$k.1/30" dev "wdlab${k}h"
        ip link set "wdlab${k}h" up
        ip netns exec "$ns" ip addr add "10.213.$k.2/30" dev "wdlab${k}n"
        ip netns exec "$ns" ip link set "wdlab${k}n" up
        ip netns exec "$ns" ip link set lo up
        ip netns exec "$ns" python3 -m http.server 8080 --bind 0.0.0.0 --directory "$www" >/dev/null 2>&1 &
        echo $! > "/tmp/$ns.pid"
    done
    sleep 1
    for ns in wdlab-tcponly wdlab-none; do
        ip netns exec "$ns" nft add table inet wdlab
        ip netns exec "$ns" nft 'add chain inet wdlab input { type filter hook input priority 0; policy accept; }'
    done
    ip netns exec wdlab-tcponly nft add rule inet wdlab input meta l4proto icmp drop
    ip netns exec wdlab-none nft add rule inet wdlab input drop
    echo "targets: 10.213.201.2:8080 (TCP+ICMP)  10.213.202.2:8080 (TCP only)  10.213.203.2:8080 (neither)"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
