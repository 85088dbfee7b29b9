#!/bin/sh
# Kubo container init (run before every daemon start): a private swarm only. The swarm key comes from
# IPFS_SWARM_KEY (compose) and LIBP2P_FORCE_PNET=1 makes Kubo refuse to start without it; here the public
# bootstrap peers are removed and local discovery (mDNS on the stack network) finds the other Kubo nodes.
set -e
ipfs bootstrap rm --all >/dev/null
ipfs config --json Discovery.MDNS.Enabled true
ipfs config --json Swarm.RelayClient.Enabled false
ipfs config --json Swarm.RelayService.Enabled false
ipfs config --json AutoNAT '{"ServiceMode": "disabled"}'
