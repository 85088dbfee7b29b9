# Sourced by bin/run and bin/run-consortium (needs ROOT and DATA_DIR, and `set -euo pipefail` and `umask 077` in the
# caller): the two chains and the servers on them, and stopping them in order. Settings (environment):
#   CHAIN_PORT         JSON-RPC port of the local private chain (default 8545)
#   PUBLIC_CHAIN_PORT  JSON-RPC port of the public-chain stand-in (default 8546)
#   ANCHOR_EVERY       how often a server anchors its ledger's Merkle root on it (default 10s)
#   SERVER_STOP_TIMEOUT  how long a server may take to stop before it is killed (default 30 s)
# The chains keep their data in $DATA_DIR/chain and $DATA_DIR/public-chain.
export CHAIN_PORT=${CHAIN_PORT:-8545}
export PUBLIC_CHAIN_PORT=${PUBLIC_CHAIN_PORT:-8546}
ANCHOR_EVERY=${ANCHOR_EVERY:-10s}
JAR="$ROOT/fhir-server/target/fhir-server.jar"
# shellcheck source=extracted-jar.sh
source "$ROOT/bin/lib/extracted-jar.sh"
CHAIN_ID=31337
CHAIN_DIR="$DATA_DIR/chain"
CHAIN_URL="http://127.0.0.1:$CHAIN_PORT"
PUBLIC_CHAIN_ID=31338
PUBLIC_DIR="$DATA_DIR/public-chain"
PUBLIC_URL="http://127.0.0.1:$PUBLIC_CHAIN_PORT"
ANVIL_BIN="$ROOT/tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
# Each anvil in a session of its own, so Ctrl-C (SIGINT to this terminal's process group) does not stop the chains
# under the running servers: stop_all stops them after the servers. exec keeps $! the anvil's pid.
anvil_detached() { exec setsid "$ANVIL_BIN" "$@"; }
ANVIL=anvil_detached
SERVER_STOP_TIMEOUT=${SERVER_STOP_TIMEOUT:-30}
SERVERS=()
ANVIL_PID=""
PUBLIC_PID=""

needs_build() {
  [[ ! -f "$JAR" ]] && return 0
  [[ -n "$(find "$ROOT/pom.xml" "$ROOT"/*/pom.xml "$ROOT"/*/src/main "$ROOT/contracts" "$ROOT/console/src" "$ROOT/console/package-lock.json" -newer "$JAR" \
      -not -path '*/target/*' -type f 2>/dev/null | head -1)" ]]
}

# stop PID SECONDS NAME: SIGTERM, wait up to SECONDS, then SIGKILL; never waits for ever.
stop() {
  local pid=$1 tenths=$(($2 * 10))
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((tenths-- > 0)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$3 did not stop within $2 s; killing it." >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# The servers first, the last started first (the first one takes the chain's last snapshot and closes the ledger while
# the chain is still there), then the anvils. A second Ctrl-C does not cut this short: every step is bounded.
stop_all() {
  trap '' INT TERM HUP
  local i
  for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do
    stop "${SERVERS[$i]}" "$SERVER_STOP_TIMEOUT" "The server (pid ${SERVERS[$i]})"
  done
  stop "$ANVIL_PID" 10 "anvil"
  stop "$PUBLIC_PID" 10 "The public-chain anvil"
}

rpc() {
  curl -fsS -m 2 -H 'Content-Type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "${3:-$CHAIN_URL}" 2>/dev/null
}

# Installs the tools and builds the server jar when sources changed.
prepare_build() {
  "$ROOT/bin/install-tools"
  if needs_build; then
    echo "Building the server (first run or sources changed)..." >&2
    (cd "$ROOT" && ./mvnw -B -ntp -q -pl fhir-server -am package -DskipTests)
  fi
  # The servers run from the extracted jar (extracted-jar.sh): their classes come from plain jars, not from jars
  # nested in a jar. (No class data archive for the server: building one from its class list crashed JDK 17.0.15.)
  ensure_extracted "$JAR"
}

# Starts the local private chain (anvil, reloading the server's last snapshot) and the public-chain stand-in.
start_chains() {
  # The chain directory also holds the server's dev signing key: owner-only.
  [[ -d "$CHAIN_DIR" ]] || mkdir -m 700 "$CHAIN_DIR"
  if rpc eth_chainId '[]' >/dev/null; then
    echo "Port $CHAIN_PORT already answers JSON-RPC: stop that node or choose another CHAIN_PORT." >&2
    exit 1
  fi
  # The server snapshots this chain itself (embedded-chain.state-file): consistent and atomic, unlike anvil's own
  # --state/--state-interval dump; anvil only loads the last snapshot. --prune-history 4: only the last 4 per-block
  # copies of the whole state, in memory (by default anvil keeps 1,500 and 3,600 more on disk: memory grew with every
  # entry); a few are needed, as a call at "latest" fails if a block is mined while it runs and no older state is kept.
  local load_state=()
  [[ -f "$CHAIN_DIR/anvil-state.json" ]] && load_state=(--load-state "$CHAIN_DIR/anvil-state.json")
  "$ANVIL" --host 127.0.0.1 --port "$CHAIN_PORT" --chain-id "$CHAIN_ID" --block-time 1 --gas-price 0 --base-fee 0 \
    --prune-history 4 "${load_state[@]}" >"$CHAIN_DIR/anvil.log" 2>&1 &
  ANVIL_PID=$!
  for _ in $(seq 1 60); do
    kill -0 "$ANVIL_PID" 2>/dev/null || { tail -20 "$CHAIN_DIR/anvil.log" >&2; echo "anvil stopped during start-up." >&2; ANVIL_PID=""; exit 1; }
    rpc eth_chainId '[]' | grep -q '"result"' && break
    sleep 0.5
  done
  rpc eth_chainId '[]' | grep -q '"result"' || { echo "anvil did not answer on $CHAIN_URL" >&2; exit 1; }

  # A chain that lost its state (anvil killed before its last dump) no longer holds the contracts the
  # contracts file names: say so instead of letting the server fail on every start.
  if [[ -f "$CHAIN_DIR/contracts.json" ]]; then
    local registry
    registry=$(sed -n 's/.*"accessRegistry" *: *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$CHAIN_DIR/contracts.json")
    if rpc eth_getCode "[\"$registry\",\"latest\"]" | grep -q '"result":"0x"'; then
      echo "The local chain has no contracts at the addresses in $CHAIN_DIR/contracts.json: its state was lost" >&2
      echo "(anvil was killed before dumping it). Delete $CHAIN_DIR to start a fresh chain (dev data only)." >&2
      exit 1
    fi
  fi

  # The public-chain stand-in: a second anvil with its own chain id and state; a server deploys AnchorRegistry
  # there on its first start (<its data dir>/public-chain/anchor-registry.json) and anchors every ANCHOR_EVERY.
  [[ -d "$PUBLIC_DIR" ]] || mkdir -m 700 "$PUBLIC_DIR"
  if rpc eth_chainId '[]' "$PUBLIC_URL" >/dev/null; then
    echo "Port $PUBLIC_CHAIN_PORT already answers JSON-RPC: stop that node or choose another PUBLIC_CHAIN_PORT." >&2
    exit 1
  fi
  "$ANVIL" --host 127.0.0.1 --port "$PUBLIC_CHAIN_PORT" --chain-id "$PUBLIC_CHAIN_ID" --block-time 1 --gas-price 0 \
    --base-fee 0 --state "$PUBLIC_DIR/anvil-state.json" --state-interval 5 >"$PUBLIC_DIR/anvil.log" 2>&1 &
  PUBLIC_PID=$!
  for _ in $(seq 1 60); do
    kill -0 "$PUBLIC_PID" 2>/dev/null || { tail -20 "$PUBLIC_DIR/anvil.log" >&2; echo "public-chain anvil stopped during start-up." >&2; PUBLIC_PID=""; exit 1; }
    rpc eth_chainId '[]' "$PUBLIC_URL" | grep -q '"result"' && break
    sleep 0.5
  done
  if [[ -f "$PUBLIC_DIR/anchor-registry.json" ]]; then
    local anchors
    anchors=$(sed -n 's/.*"anchorRegistry" *: *"\(0x[0-9a-fA-F]*\)".*/\1/p' "$PUBLIC_DIR/anchor-registry.json")
    if rpc eth_getCode "[\"$anchors\",\"latest\"]" "$PUBLIC_URL" | grep -q '"result":"0x"'; then
      echo "The public-chain stand-in has no AnchorRegistry at the address in $PUBLIC_DIR/anchor-registry.json: its" >&2
      echo "state was lost. Delete $PUBLIC_DIR to start a fresh one (dev data only; earlier anchors are gone)." >&2
      exit 1
    fi
  fi
}

# start_server SERVER_DATA_DIR SERVER_PORT [server arguments...]: a server on both chains, in the background; its pid
# is appended to SERVERS (LAST_SERVER too).
start_server() {
  local dir=$1 port=$2
  shift 2
  DATA_DIR="$dir" PORT="$port" java ${JAVA_OPTS:-} -jar "$EXTRACTED/fhir-server.jar" --ledger.enabled=true \
    --ledger.rpc-url="$CHAIN_URL" --ledger.chain-id="$CHAIN_ID" \
    --anchor.enabled=true --anchor.rpc-url="$PUBLIC_URL" --anchor.chain-id="$PUBLIC_CHAIN_ID" --anchor.gas-price=0 \
    --anchor.every="$ANCHOR_EVERY" "$@" &
  LAST_SERVER=$!
  SERVERS+=("$LAST_SERVER")
}

# await_ready PID URL: waits until the server answers its readiness probe; exits when it stopped during start-up.
await_ready() {
  local pid=$1 url=$2
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || true
      echo "The server for $url stopped during start-up; see the log above." >&2
      exit 1
    fi
    curl -fsS "$url/actuator/health/readiness" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "The server for $url did not become ready within 300 s." >&2
  exit 1
}
