#!/usr/bin/env bash
# Installs what the probe tests (tests/probes_*.rs) need to build their own hosts in network
# namespaces: iproute2 (ip netns, veth pairs), nftables and iptables (to drop ICMP or all traffic
# inside a test namespace) and iputils-ping (the platform ping the ICMP probe runs).
# Debian/Ubuntu with apt; run as root (CI runs as root). Safe to run twice.
set -euo pipefail

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)

if [ ${#need[@]} -eq 0 ]; then
    echo "probe-test-deps: iproute2, nftables, iptables and ping are already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "probe-test-deps: apt-get not found; install ${need[*]} by hand (the namespace tests skip without them)" >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "probe-test-deps: not root and no sudo; the namespace tests will skip" >&2
        exit 0
    fi
fi
echo "probe-test-deps: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
