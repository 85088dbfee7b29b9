#!/usr/bin/env bash
# Generates, once, everything secret or per-network that docker/compose.yaml needs (nothing of it is committed):
#   generated/besu/<node>/key               node key of every Besu service (labelled org.fhirledger.besu-node)
#   generated/besu/genesis.json             QBFT genesis from besu/genesis.template.json, extraData = the validators
#   generated/besu/permissions_config.toml  nodes and accounts allowlists; generated/besu/static-nodes.json
#   generated/keys/{admin,server,anchorer}.json   web3j keystores (consortium admin, hospital A's server = CUSTODIAN,
#                                            its anchorer); server-b.json, anchorer-b.json: the same for hospital B
#   generated/keys/server.jwk, server-b.jwk  the servers' public keys as the member directory publishes them
#   generated/consortium/consortium-key.hex  the consortium pseudonym key both servers share
#   .env                                     keystore, database, Keycloak passwords, IPFS swarm key, Cluster secret,
#                                            account addresses, and the uid/gid the containers run as
#   data/<service>/                          bind-mounted data directories, owner-only
# Refuses to run twice over existing key material. Then: docker compose up -d --build (docs/deployment.md).
#
# The generator is org.fhirledger.server.deployment.StackKeys from the server jar: with a JDK 17 and a built
# fhir-server/target/fhir-server.jar it runs locally, otherwise in the server image (built here with docker).
#   STACK_DIR       where generated/, data/ and .env go (default: this directory)
#   STACK_KEYS_CMD  the generator command to use instead (tests)
set -euo pipefail
umask 077
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
STACK_DIR=${STACK_DIR:-$HERE}
mkdir -p "$STACK_DIR"
STACK_DIR=$(cd "$STACK_DIR" && pwd)
IMAGE=fhir-ledger/fhir-server:${FHIR_SERVER_TAG:-local}
MAIN=org.fhirledger.server.deployment.StackKeys
LAUNCHER=org.springframework.boot.loader.launch.PropertiesLauncher

if [[ -e "$STACK_DIR/.env" || -e "$STACK_DIR/generated" ]]; then
  echo "setup: $STACK_DIR/.env or $STACK_DIR/generated already exists: keys are never regenerated over existing ones." >&2
  echo "       To start a new network (losing the old one), move both away first." >&2
  exit 1
fi

if [[ -n "${STACK_KEYS_CMD:-}" ]]; then
  read -r -a GEN <<<"$STACK_KEYS_CMD"
  "${GEN[@]}" "$HERE/compose.yaml" "$HERE/besu/genesis.template.json" "$STACK_DIR/generated" "$STACK_DIR/.env"
elif [[ -f "$ROOT/fhir-server/target/fhir-server.jar" ]] && command -v java >/dev/null; then
  java -Dloader.main=$MAIN -cp "$ROOT/fhir-server/target/fhir-server.jar" $LAUNCHER \
    "$HERE/compose.yaml" "$HERE/besu/genesis.template.json" "$STACK_DIR/generated" "$STACK_DIR/.env"
else
  echo "setup: building the server image $IMAGE (it also holds the key generator)..." >&2
  docker build -t "$IMAGE" -f "$HERE/fhir-server/Dockerfile" "$ROOT"
  docker run --rm --user "$(id -u):$(id -g)" -v "$HERE:/stack:ro" -v "$STACK_DIR:/out" \
    --entrypoint java "$IMAGE" -Dloader.main=$MAIN -cp /app/fhir-server.jar $LAUNCHER \
    /stack/compose.yaml /stack/besu/genesis.template.json /out/generated /out/.env
fi

# The containers that read keys or write bind-mounted data run as this user, so the files can stay owner-only.
{
  echo "STACK_UID=$(id -u)"
  echo "STACK_GID=$(id -g)"
} >>"$STACK_DIR/.env"

for node in "$STACK_DIR"/generated/besu/*/; do
  mkdir -p "$STACK_DIR/data/$(basename "$node")"
done
mkdir -p "$STACK_DIR/data/ledger" "$STACK_DIR/data/fhir-server" "$STACK_DIR/data/fhir-server-b" "$STACK_DIR/data/public-chain"
chmod 700 "$STACK_DIR/data" "$STACK_DIR"/data/*

echo "setup: key material in $STACK_DIR/generated, secrets in $STACK_DIR/.env (owner-only: back both up, share neither)."
grep -E '^(ADMIN|SERVER|ANCHORER|SERVER_B|ANCHORER_B)_ADDRESS=' "$STACK_DIR/.env" | sed 's/^/setup:   /'
echo "setup: next: docker compose up -d --build   (docs/deployment.md)"
