# Shared helpers for the local stack; sourced by stack.sh (see CONTRACT.md).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR=${TRIBUTARY_CACHE:-$HOME/.cache/tributary}
STACK_DIR=${TRIBUTARY_STACK_DIR:-$ROOT/.stack}
DATA_DIR=$STACK_DIR/data
LOG_DIR=$STACK_DIR/logs
PID_DIR=$STACK_DIR/run
mkdir -p "$CACHE_DIR" "$DATA_DIR" "$LOG_DIR" "$PID_DIR"

say() { printf '%s\n' "$*" >&2; }

# Detached in its own session so that the caller (npm, vitest, a CI step) can exit without
# taking the server with it.
start_bg() {
  local name=$1
  shift
  printf '\n=== %s starting %s\n' "$(date -Is)" "$name" >>"$LOG_DIR/$name.log"
  setsid nohup "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

http_ok() {
  local url=$1
  shift
  curl -fsS -o /dev/null --max-time 5 "$@" "$url" 2>/dev/null
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_of() {
  local file=$PID_DIR/$1.pid
  [[ -f $file ]] || return 1
  local pid
  pid=$(<"$file")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Resident memory of a service's process tree in MiB (a wrapper script may sit above the server).
rss_mib() {
  local pid
  pid=$(pid_of "$1") || { echo '-'; return; }
  local total=0 p
  for p in $pid $(pgrep -s "$pid" 2>/dev/null); do
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo $((total / 1024))
}

# apt-get as root, or through sudo when not root; installs only what is missing.
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=
  [[ $(id -u) == 0 ]] || sudo=sudo
  say "  installing Debian packages: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Resolves a Maven project's runtime dependencies into a folder once; Maven's own cache
# (~/.m2) makes a fresh copy after a new clone cheap too.
maven_copy_deps() {
  local pom=$1 out=$2
  [[ -f $out/.complete ]] && return 0
  rm -rf "$out"
  mkdir -p "$out"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out" >&2
  touch "$out/.complete"
}
