#!/usr/bin/env bash
# The local stack: real servers run as processes, installed on first use into a cache outside
# the clone. Usage: stack.sh up|down|status|logs [service…]   (see deploy/local/README.md)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# Start order is also the order of `status`; `down` goes in reverse.
ALL_SERVICES=(postgres redis kafka registry search couchdb s3)
for svc in "${ALL_SERVICES[@]}"; do
  # shellcheck source=/dev/null
  source "$HERE/services/$svc.sh"
done

declare -A ADDRESS=(
  [postgres]=127.0.0.1:5432 [redis]=127.0.0.1:6379 [kafka]=127.0.0.1:9092
  [registry]=127.0.0.1:8081 [search]=127.0.0.1:9200 [couchdb]=127.0.0.1:5984 [s3]=127.0.0.1:9000
)

# Whatever fails under `set -e` is reported with the step it failed in and that step's log.
STEP=
on_exit() {
  local rc=$?
  if ((rc != 0)) && [[ -n $STEP ]]; then
    say "stack: failed while $STEP (exit $rc); see $LOG_DIR/${STEP##* }.log"
  fi
}
trap on_exit EXIT

is_fn() { declare -F "$1" >/dev/null; }
timeout_of() { local v="TIMEOUT_$1"; echo "${!v:-120}"; }

fail_service() {
  local svc=$1 why=$2
  say ""
  say "stack: $svc $why"
  say "stack: log file: $LOG_DIR/$svc.log (last lines below)"
  tail -n 25 "$LOG_DIR/$svc.log" 2>/dev/null | sed 's/^/    /' >&2 || true
  exit 1
}

wait_healthy() {
  local svc=$1 deadline=$(($(date +%s) + $(timeout_of "$1")))
  until "health_$svc"; do
    if ! pid_of "$svc" >/dev/null; then
      fail_service "$svc" "exited before it became healthy"
    fi
    if (($(date +%s) > deadline)); then
      fail_service "$svc" "did not answer its health check within $(timeout_of "$svc")s"
    fi
    sleep 0.5
  done
}

cmd_up() {
  local services=("$@") svc started=() t0
  t0=$(date +%s)
  # Install everything missing first, in parallel: on a cold machine the downloads and builds
  # dominate, and they do not compete for ports.
  local -A install_pid=()
  for svc in "${services[@]}"; do
    if ! "health_$svc"; then
      "install_$svc" >>"$LOG_DIR/$svc.install.log" 2>&1 &
      install_pid[$svc]=$!
    fi
  done
  # Tools the tests need beside the servers (the browser tests' Chromium), installed the same way.
  # shellcheck source=tools/chromium.sh
  source "$HERE/tools/chromium.sh"
  install_chromium >>"$LOG_DIR/chromium.install.log" 2>&1 &
  install_pid[chromium]=$!
  for svc in "${!install_pid[@]}"; do
    if ! wait "${install_pid[$svc]}"; then
      say "stack: installing $svc failed; log file: $LOG_DIR/$svc.install.log (last lines below)"
      tail -n 25 "$LOG_DIR/$svc.install.log" | sed 's/^/    /' >&2
      exit 1
    fi
  done
  for svc in "${services[@]}"; do
    if "health_$svc"; then
      continue
    fi
    if pid_of "$svc" >/dev/null; then
      say "stack: $svc is starting (pid $(pid_of "$svc"))"
    else
      if port_open "${ADDRESS[$svc]##*:}"; then
        fail_service "$svc" "cannot start: port ${ADDRESS[$svc]##*:} is taken by a process that does not answer as $svc"
      fi
      say "stack: starting $svc"
      STEP="starting $svc"
      "start_$svc"
      STEP=
    fi
    started+=("$svc")
  done
  for svc in "${started[@]}"; do
    wait_healthy "$svc"
  done
  for svc in "${services[@]}"; do
    if is_fn "after_start_$svc"; then
      STEP="setting up $svc"
      "after_start_$svc" >>"$LOG_DIR/$svc.log" 2>&1
      STEP=
    fi
  done
  say "stack: up in $(($(date +%s) - t0))s (${services[*]})"
}

cmd_down() {
  local svc pid i
  for ((i = ${#@}; i > 0; i--)); do
    svc=${!i}
    if is_fn "stop_$svc"; then
      "stop_$svc" || true
    fi
    pid=$(pid_of "$svc") || { rm -f "$PID_DIR/$svc.pid"; continue; }
    say "stack: stopping $svc (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PID_DIR/$svc.pid"
  done
}

cmd_status() {
  local svc state version rc=0
  printf '%-9s %-16s %-9s %8s  %s\n' SERVICE ADDRESS STATE 'RSS MiB' VERSION
  for svc in "$@"; do
    version=-
    if "health_$svc"; then
      state=healthy
      version=$("version_$svc" 2>/dev/null || echo '?')
    elif pid_of "$svc" >/dev/null; then
      state=starting
      rc=1
    else
      state=down
      rc=1
    fi
    printf '%-9s %-16s %-9s %8s  %s\n' "$svc" "${ADDRESS[$svc]}" "$state" "$(rss_mib "$svc")" "$version"
  done
  return $rc
}

cmd_logs() {
  local svc
  for svc in "$@"; do
    say "==> $LOG_DIR/$svc.log"
    tail -n 40 "$LOG_DIR/$svc.log" 2>/dev/null || say "(no log yet)"
  done
}

main() {
  local cmd=${1:-status}
  shift || true
  local services=("$@")
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
  for svc in "${services[@]}"; do
    [[ -v "ADDRESS[$svc]" ]] || { say "stack: unknown service '$svc' (known: ${ALL_SERVICES[*]})"; exit 2; }
  done
  case $cmd in
    up) cmd_up "${services[@]}" ;;
    down) cmd_down "${services[@]}" ;;
    status) cmd_status "${services[@]}" ;;
    logs) cmd_logs "${services[@]}" ;;
    *) say "usage: stack.sh up|down|status|logs [service…]"; exit 2 ;;
  esac
}

main "$@"
