# Shared helpers for ci/test, ci/demo and ci/bench (sourced, not run).

# Installs Debian packages whose commands are missing (root, or sudo when present).
ensure_apt() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}; pkg=${pair##*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# ensure_pip MODULE PACKAGE...: pip-installs PACKAGEs when python3 cannot import MODULE
# (pip itself from apt when missing; Debian's externally-managed marker is overridden for CI).
ensure_pip() {
  local module=$1; shift
  python3 -c "import $module" 2>/dev/null && return 0
  python3 -m pip --version >/dev/null 2>&1 || ensure_apt pip3:python3-pip
  echo "installing (pip): $*" >&2
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q "$@" >&2
}

# A loopback TCP port nobody listens on.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry DIR PORT [STORAGE quiet]: plain-HTTP docker-registry on 127.0.0.1:PORT, storage
# and log in DIR. With `STORAGE quiet` it serves STORAGE (another registry's) with access logging
# off and only errors logged: ci/bench times commands against such a one (the logging registry,
# which spends ~15 % of its CPU writing a log line per request, is used to count requests).
start_registry() {
  local dir=$1 port=$2 storage=${3:-$1/storage} level=info accesslog=false
  [ "${4:-}" = quiet ] && { level=error; accesslog=true; }
  mkdir -p "$dir" "$storage"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: $level
  formatter: text
  accesslog:
    disabled: $accesslog
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: uptick-local
YAML
  docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  echo $! > "$dir/registry.pid"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "registry did not start; log:" >&2; cat "$dir/registry.log" >&2; return 1
}

# registry_cpu DIR: CPU seconds (user + system, in clock ticks) the registry of DIR has used.
registry_cpu() {
  awk '{print $14 + $15}' "/proc/$(cat "$1/registry.pid")/stat"
}

stop_registry() {
  local dir=$1
  [ -f "$dir/registry.pid" ] && kill "$(cat "$dir/registry.pid")" 2>/dev/null || true
}

# seed_image WORK REF TEXT: builds a one-file image with umoci and pushes it with skopeo.
seed_image() {
  local work=$1 ref=$2 text=$3
  local layout="$work/layout" bundle="$work/bundle-$RANDOM"
  [ -d "$layout" ] || umoci init --layout "$layout"
  umoci new --image "$layout:build"
  umoci unpack --rootless --image "$layout:build" "$bundle" >/dev/null
  printf '%s\n' "$text" > "$bundle/rootfs/greeting"
  umoci repack --image "$layout:build" "$bundle" >/dev/null
  umoci config --image "$layout:build" --config.label "org.opencontainers.image.version=$text" >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$layout:build" "docker://$ref"
  rm -rf "$bundle"
}
