# Shared by test/bench/agent-footprint and test/bench/agent-startup (sourced, not run).
# The real agent (agent/bin/driftguard: jvm.options, AppCDS) in local mode against the engine and
# registry of test/env/up, like test/demo/local-mode, but on its own ports, container name and
# folder so it runs beside the demo and the integration tests:
#   metrics 127.0.0.1:19373, status 127.0.0.1:19374, container bench-demo on 127.0.0.1:18180,
#   everything under $DRIFTGUARD_BENCH_DIR (default /var/tmp/driftguard-bench).
# The caller sets $repo and installs a trap that calls bench_cleanup.

bench_dir=${DRIFTGUARD_BENCH_DIR:-/var/tmp/driftguard-bench}
envdir=${DRIFTGUARD_TESTENV_DIR:-/var/tmp/driftguard-testenv}
metrics_addr=127.0.0.1:19373
status_addr=127.0.0.1:19374
app_port=18180
container=bench-demo
agent_pids=()

bench_fail() { echo "$(basename "$0"): $*" >&2; exit 1; }

# Engine, registry and demo images (idempotent), then the jar: $DRIFTGUARD_JAR if set, else a
# build into target-bench/ (a folder of its own, so other builds in the tree are left alone).
bench_prepare() {
  "$repo/test/env/up" >/dev/null
  # shellcheck disable=SC1091
  source "$envdir/env.sh"
  if [[ -z ${DRIFTGUARD_JAR:-} ]]; then
    DRIFTGUARD_JAR=$repo/target-bench/driftguard.jar
    if [[ ! -f $DRIFTGUARD_JAR ]]; then
      echo "building $DRIFTGUARD_JAR" >&2
      (cd "$repo" && mvn -B -q -ntp -DbuildDir=target-bench -DskipTests -Djdeb.skip=true -Drpm.skip=true package)
    fi
  fi
  [[ -f $DRIFTGUARD_JAR ]] || bench_fail "no jar at $DRIFTGUARD_JAR"
  export DRIFTGUARD_JAR
  mkdir -p "$bench_dir/desired" "$bench_dir/state"
  # The same configuration as test/demo/local-mode, with a 2 s poll.
  cat >"$bench_dir/driftguard.yaml" <<YAML
# Written by test/bench/agent-env.sh: one service, desired state from a file, local mode.
agent:
  pollInterval: 2s
  metrics: { listen: "$metrics_addr" }
  status: { listen: "$status_addr" }
  stateDir: $bench_dir/state
  docker: { host: "$DRIFTGUARD_TESTENV_DOCKER_HOST" }
  aws: { region: us-east-1, instanceId: i-0000000000000b01 }   # local mode: no instance metadata
  registries:
    - host: "$DRIFTGUARD_TESTENV_REGISTRY_HOST"
      username: AWS
      passwordFile: $DRIFTGUARD_TESTENV_REGISTRY_PASSWORD_FILE
services:
  - name: $container
    desired:
      file: desired/$container
      allowedRegistries: ["$DRIFTGUARD_TESTENV_REGISTRY_HOST"]
    container:
      ports: ["127.0.0.1:$app_port:8080"]
      env: { GREETING: "hello from the benchmark" }
      stopTimeout: 5s
    health: { type: http, port: 8080, path: /healthz, interval: 1s, timeout: 1s, healthyThreshold: 2, deadline: 20s }
YAML
}

bench_pin() { # v1 | v2
  local ref
  case $1 in
    v1) ref=$DRIFTGUARD_TESTENV_IMAGE_V1_REF ;;
    v2) ref=$DRIFTGUARD_TESTENV_IMAGE_V2_REF ;;
    *) bench_fail "unknown image $1" ;;
  esac
  echo "$ref" >"$bench_dir/desired/$container"
}

# The launcher as a host runs it; variant settings come from the caller's environment
# (DRIFTGUARD_JVM_OPTIONS, DRIFTGUARD_CDS, DRIFTGUARD_CDS_DIR).
bench_agent() { "$repo/agent/bin/driftguard" --config "$bench_dir/driftguard.yaml" "$@"; }

bench_remove_containers() {
  docker rm -f "$container" "$container-previous" "$container-next" >/dev/null 2>&1 || true
}

# A known start: no containers, no state, v1 running and in sync. Both demo images are pulled
# first, so no variant pays for a registry download the others do not.
bench_reset_to_v1() {
  bench_remove_containers
  rm -f "$bench_dir/state/state.json"
  bench_pin v2
  DRIFTGUARD_CDS=off bench_agent once >/dev/null 2>&1 || bench_fail "once did not reach v2 (log: run it by hand)"
  bench_remove_containers
  rm -f "$bench_dir/state/state.json"
  bench_pin v1
  DRIFTGUARD_CDS=off bench_agent once >/dev/null 2>&1 || bench_fail "once did not reach v1"
}

# Ends the agents this script started (by pid) and removes the benchmark's containers.
bench_cleanup() {
  local pid
  for pid in "${agent_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  bench_remove_containers
}

# Waits (bounded) until the agent's /metrics answers and shows N completed passes.
bench_wait_passes() { # min_passes timeout_seconds
  local want=$1 deadline=$((SECONDS + $2)) n
  while ((SECONDS < deadline)); do
    n=$(curl -fsS --max-time 1 "http://$metrics_addr/metrics" 2>/dev/null |
      awk '/^driftguard_reconcile_passes_total/ {s += $NF} END {print s + 0}')
    ((${n%.*} >= want)) && return 0
    sleep 0.05
  done
  return 1
}

bench_machine() {
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "nproc: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  free -g | sed 's/^/free -g: /'
  java -version 2>&1 | sed 's/^/java: /'
  docker version --format 'docker: client {{.Client.Version}}, engine {{.Server.Version}}' 2>/dev/null || true
  echo "kernel: $(uname -r)"
}
