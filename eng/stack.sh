#!/usr/bin/env bash
# The local stack: real servers standing in for AWS, for the tests and for trying a publish by hand.
#   eng/stack.sh up      install what is missing (apt-get, npm, dotnet), start everything, print the environment
#   eng/stack.sh env     print the environment to export (eval "$(eng/stack.sh env)")
#   eng/stack.sh down    stop what `up` started
# Services (loopback only):
#   dockerd          Debian docker.io, unix:///var/run/docker.sock (reused if one answers)
#   registry         Debian docker-registry on 127.0.0.1:5001, htpasswd basic auth (user AWS, the ECR token)
#   s3rver           npm s3rver on 127.0.0.1:4568
#   control plane    tests/Quetzal.LocalAws on 127.0.0.1:4599: ECR, Lambda, Step Functions (executions too) and ECS (task definitions) APIs (and STS's GetCallerIdentity)
#                    with SigV4 checks, every request checked against botocore's service models;
#                    on 127.0.0.1:4569 it fronts s3rver with S3's conditional writes (If-Match, If-None-Match), which s3rver lacks,
#                    and on the Docker bridge's gateway, port 4570, for the containers of executions
# A base image for tests (quetzal-test/lambda-python:local: busybox + the host's Python) is built once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${QUETZAL_STACK_DIR:-$root/artifacts/stack}
mkdir -p "$state"

# s3rver knows one key pair, S3RVER/S3RVER; the control plane is told to use the same.
access_key=${QUETZAL_STACK_ACCESS_KEY:-S3RVER}
secret_key=${QUETZAL_STACK_SECRET_KEY:-S3RVER}
token_file="$state/registry-token"
[ -s "$token_file" ] || { [ -n "${QUETZAL_STACK_REGISTRY_TOKEN:-}" ] && printf '%s' "$QUETZAL_STACK_REGISTRY_TOKEN" > "$token_file" || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$token_file"; }
registry_token=$(cat "$token_file")
# Versioned by the files it is made of, so a changed recipe rebuilds it.
base_image=quetzal-test/lambda-python:$(cat "$root/eng/stack/base-image.sh" "$root/eng/stack/lambda-rie.py" | sha256sum | cut -c1-12)

log() { echo "stack: $*" >&2; }

need_apt() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import boto3' 2>/dev/null || missing+=(python3-boto3)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh || missing+=(busybox-static)
  [ -d /usr/lib/python3/dist-packages/pip ] || missing+=(python3-pip)
  command -v aws >/dev/null || missing+=(awscli)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v node >/dev/null || missing+=(nodejs npm)
  # nbconvert runs notebook steps (the handler converts them); without its recommends (pandoc, 100 MB).
  local plain=()
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import nbconvert' 2>/dev/null || plain+=(python3-nbconvert)
  if [ ${#missing[@]} -gt 0 ] || [ ${#plain[@]} -gt 0 ]; then
    log "installing ${missing[*]} ${plain[*]}"
    apt-get update -qq
    [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ ${#plain[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${plain[@]}" >/dev/null
  fi
}

# A server answering on our port is reused only if this folder's stack started it: one from another checkout
# has other data and another registry token.
ours() { # ours <name> <port>: 0 = ours and alive, 1 = port free, exits when a stranger holds the port
  local name=$1 port=$2
  if [ -s "$state/$name.pid" ] && kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port is held by a $name this folder did not start (another checkout's eng/stack.sh?); stop it with 'eng/stack.sh down' there, or kill it"
    exit 1
  fi
  return 1
}

need_npm() {
  local m="$root/eng/stack/node_modules"
  if [ ! -x "$m/.bin/s3rver" ] || [ ! -d "$m/@cdktf/hcl2json" ] || [ ! -d "$m/aws-local-stepfunctions" ] || [ ! -d "$m/asl-validator" ]; then
    log "installing s3rver, @cdktf/hcl2json, aws-local-stepfunctions and asl-validator (npm)"
    (cd "$root/eng/stack" && npm install --no-audit --no-fund --no-package-lock --silent)
  fi
}

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not start; see $state/*.log"; return 1
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then return; fi
  log "starting dockerd"
  nohup dockerd --host unix:///var/run/docker.sock > "$state/dockerd.log" 2>&1 &
  echo $! > "$state/dockerd.pid"
  wait_for dockerd 60 docker info
}

start_registry() {
  if ours registry 5001; then return; fi
  log "starting docker-registry on 127.0.0.1:5001"
  htpasswd -Bbn AWS "$registry_token" > "$state/htpasswd"
  cat > "$state/registry.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $state/registry-data }
  delete: { enabled: true }
http: { addr: 127.0.0.1:5001 }
auth:
  htpasswd: { realm: quetzal-local, path: $state/htpasswd }
YAML
  nohup docker-registry serve "$state/registry.yml" > "$state/registry.log" 2>&1 &
  echo $! > "$state/registry.pid"
  wait_for registry 30 curl -fs -o /dev/null -u "AWS:$registry_token" http://127.0.0.1:5001/v2/
}

start_s3rver() {
  if ours s3rver 4568; then return; fi
  log "starting s3rver on 127.0.0.1:4568"
  mkdir -p "$state/s3-data"
  nohup "$root/eng/stack/node_modules/.bin/s3rver" -d "$state/s3-data" -a 127.0.0.1 -p 4568 --silent > "$state/s3rver.log" 2>&1 &
  echo $! > "$state/s3rver.pid"
  wait_for s3rver 30 curl -s -o /dev/null http://127.0.0.1:4568/
}

# The address of the Docker bridge's gateway, as the containers on that bridge see it: the one place the stack and the
# tests find it (the tests read QUETZAL_DOCKER_GATEWAY from `eng/stack.sh env`). Docker's IPAM config names it on some
# engines; Debian's docker.io lists only the subnet there ("Config": [{"Subnet": "172.17.0.0/16"}]), and then the
# bridge's own interface (docker0) holds it.
bridge_gateway() {
  local gateway bridge
  gateway=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{if .Gateway}}{{.Gateway}} {{end}}{{end}}' 2>/dev/null \
    | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | head -n 1 || true)
  if [ -z "$gateway" ]; then
    bridge=$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)
    gateway=$(ip -4 -o addr show dev "${bridge:-docker0}" 2>/dev/null | sed -nE 's/.* inet ([0-9.]+)\/.*/\1/p' | head -n 1)
  fi
  if [ -z "$gateway" ]; then
    log "cannot find the Docker bridge's gateway (docker network inspect bridge, ip addr show docker0): is dockerd running?"
    return 1
  fi
  echo "$gateway"
}

start_control_plane() {
  if ours localaws 4599; then return; fi
  log "building and starting the control plane on 127.0.0.1:4599"
  dotnet build "$root/tests/Quetzal.LocalAws/Quetzal.LocalAws.csproj" -c Release -nodeReuse:false -v:q -o "$state/localaws" >/dev/null
  # The AWS service models every request is checked against: botocore's data folder, the newest at hand (the
  # machine's pip botocore, else Debian's python3-botocore, which the stack installs).
  local models
  models=$(for python in python3 /usr/bin/python3; do
      "$python" -c 'import botocore, os; print(botocore.__version__, os.path.join(os.path.dirname(botocore.__file__), "data"))' 2>/dev/null
    done | sort -V -r | head -n 1 | cut -d' ' -f2-)
  # Executions run the model's images in containers on Docker's bridge: they reach S3 through the control plane on
  # the bridge's gateway (the S3 server itself listens on loopback only).
  local gateway
  gateway=$(bridge_gateway)
  QUETZAL_LOCAL_ACCESS_KEY=$access_key QUETZAL_LOCAL_SECRET_KEY=$secret_key QUETZAL_LOCAL_REGISTRY_TOKEN=$registry_token \
    QUETZAL_LOCAL_REGISTRY=127.0.0.1:5001 QUETZAL_LOCAL_SERVICE_MODELS="$models" QUETZAL_LOCAL_CONTAINER_S3="http://$gateway:4570" \
    nohup dotnet "$state/localaws/Quetzal.LocalAws.dll" --urls "http://127.0.0.1:4599;http://127.0.0.1:4569;http://$gateway:4570" > "$state/localaws.log" 2>&1 &
  echo $! > "$state/localaws.pid"
  wait_for "control plane" 60 curl -fs -o /dev/null http://127.0.0.1:4599/_local/health
}

build_base_image() {
  if docker image inspect "$base_image" >/dev/null 2>&1; then return; fi
  log "building $base_image from busybox and the host's Python (nothing can be pulled here)"
  bash "$root/eng/stack/base-image.sh" "$base_image"
}

print_env() {
  cat <<ENV
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_REGION=ca-central-1
export AWS_DEFAULT_REGION=ca-central-1
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:4568
export AWS_ENDPOINT_URL_ECR=http://127.0.0.1:4599
export AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:4599
export AWS_ENDPOINT_URL_SFN=http://127.0.0.1:4599
export AWS_ENDPOINT_URL_ECS=http://127.0.0.1:4599
export DOCKER_HOST=unix:///var/run/docker.sock
export QUETZAL_TEST_BASE_IMAGE=$base_image
# S3 with conditional writes (s3rver behind the control plane), for QuetzalGrantAccess / QuetzalRevokeAccess.
export QUETZAL_TEST_S3_CONDITIONAL=http://127.0.0.1:4569
# Where containers on Docker's bridge reach the host (the control plane's S3 for executions listens there).
export QUETZAL_DOCKER_GATEWAY=$(bridge_gateway 2>/dev/null || true)
ENV
}

stop() {
  for name in localaws s3rver registry dockerd; do
    if [ -s "$state/$name.pid" ]; then
      pid=$(cat "$state/$name.pid")
      kill "$pid" 2>/dev/null && log "stopping $name" || true
      # Wait for the exit (dockerd takes a few seconds and keeps its pid file until then): "down; up" must work.
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      rm -f "$state/$name.pid"
    fi
  done
}

case "${1:-up}" in
  up)
    need_apt
    need_npm
    start_dockerd
    start_registry
    start_s3rver
    start_control_plane
    build_base_image
    print_env
    ;;
  env) print_env ;;
  down) stop ;;
  *) echo "usage: eng/stack.sh up|env|down" >&2; exit 2 ;;
esac
