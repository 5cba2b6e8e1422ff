#!/usr/bin/env bash
# Two (or more) "hosts" on this machine for multi-host runs without ssh: network namespaces
# bt-host1, bt-host2, … each with its own UTS name (hostN) and one veth link to a bridge
# (bt-br0, 10.77.0.1/24) in the root namespace, so every host and mpirun reach each other only
# over TCP on 10.77.0.0/24. Ranks are started in a host by Scripts/cluster/netns-agent, which
# mpirun uses instead of ssh (plm_rsh_agent). Needs root.
#   Scripts/cluster/netns-hosts.sh up [N]     create N hosts (default 2)
#   Scripts/cluster/netns-hosts.sh down       remove them
#   Scripts/cluster/netns-hosts.sh link-down host2 | link-up host2
set -euo pipefail
command=${1:?usage: netns-hosts.sh up [N] | down | link-down HOST | link-up HOST}
case "$command" in
up)
    count=${2:-2}
    ip link show bt-br0 >/dev/null 2>&1 || { ip link add bt-br0 type bridge; ip addr add 10.77.0.1/24 dev bt-br0; ip link set bt-br0 up; }
    for n in $(seq 1 "$count"); do
        ns=bt-host$n
        ip netns list | grep -qw "$ns" && continue
        ip netns add "$ns"
        ip link add "bt-h$n" type veth peer name eth0 netns "$ns"
        ip link set "bt-h$n" master bt-br0 up
        ip -n "$ns" addr add "10.77.0.$((10 + n))/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" route add default via 10.77.0.1
    done
    ;;
down)
    for ns in $(ip netns list | awk '/^bt-host/ {print $1}'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9
        ip netns del "$ns"
    done
    ip link del bt-br0 2>/dev/null || true
    ;;
link-down) ip link set "bt-h${2#host}" down ;;
link-up) ip link set "bt-h${2#host}" up ;;
*) echo "unknown command $command" >&2; exit 2 ;;
esac
