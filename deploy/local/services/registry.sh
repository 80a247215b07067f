# shellcheck shell=bash
# Schema registry: Apicurio Registry 3.x (Quarkus, from Maven Central) speaking the
# Confluent Schema Registry REST API under /apis/ccompat/v7.
#
#   Confluent client URL:  http://127.0.0.1:8081/apis/ccompat/v7   (REGISTRY_URL)
#   Native Apicurio API:   http://127.0.0.1:8081/apis/registry/v3
#
# Storage: SQL storage on an H2 *file* database in $DATA_DIR/registry (durable across restarts,
# no dependency on the postgres service). Wipe that directory to reset the registry.
# Needs Java >= 21 (the app is compiled for 21); picks the first suitable JDK (REGISTRY_JAVA,
# JAVA_HOME, /usr/lib/jvm/*). Installed once into $CACHE_DIR/registry/<version>.
#
# Behaviour differences from Confluent's registry worth knowing:
# - The global compatibility default is set to BACKWARD here (Confluent's default); Apicurio's own
#   default is "no rule". A per-subject level is set with PUT /config/<subject>.
# - GET /config/<subject> of an existing subject without its own level answers 200 with the
#   global level (Confluent: 404 unless ?defaultToGlobal=true). An unknown subject gives 404/40401.
# - Schema ids are Apicurio content ids: same schema text => same id across subjects (as Confluent).

REGISTRY_VERSION="${REGISTRY_VERSION:-3.3.3}"
REGISTRY_PORT=8081
REGISTRY_URL="http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7"
REGISTRY_HEAP="${REGISTRY_HEAP:-384m}"
TIMEOUT_registry=180

_registry_home() { echo "$CACHE_DIR/registry/$REGISTRY_VERSION"; }

# Prints the path of a java binary with major version >= 21, or fails.
_registry_java() {
  local c real home ver
  for c in "${REGISTRY_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" \
           /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java \
           "$(command -v java 2>/dev/null || true)"; do
    [[ -n "$c" && -x "$c" ]] || continue
    real=$(readlink -f "$c"); home=${real%/bin/java}
    if [[ -f "$home/release" ]]; then
      ver=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    else
      ver=$("$c" -XshowSettings:properties -version 2>&1 |
            sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
    fi
    if [[ -n "$ver" && "$ver" -ge 21 ]]; then echo "$c"; return 0; fi
  done
  say "registry: needs Java >= 21 (set REGISTRY_JAVA=/path/to/java)"
  return 1
}

install_registry() {
  local home; home=$(_registry_home)
  [[ -f "$home/.installed" ]] && return 0
  _registry_java >/dev/null || return 1
  command -v mvn >/dev/null || { say "registry: mvn not found"; return 1; }
  local tmp="$CACHE_DIR/registry/.tmp-$$"
  rm -rf "$tmp"; mkdir -p "$tmp/dl" "$tmp/app"
  say "registry: fetching io.apicurio:apicurio-registry-app:$REGISTRY_VERSION (all.tar.gz, ~160 MB) via Maven"
  local out
  if ! out=$(mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
        -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" \
        -DoutputDirectory="$tmp/dl" 2>&1); then
    printf '%s\n' "$out" >&2; rm -rf "$tmp"; say "registry: Maven download failed"; return 1
  fi
  tar xzf "$tmp"/dl/apicurio-registry-app-*.tar.gz -C "$tmp/app"
  [[ -f "$tmp/app/quarkus-run.jar" ]] || { rm -rf "$tmp"; say "registry: unexpected archive layout"; return 1; }
  rm -rf "$home"; mkdir -p "$(dirname "$home")"
  mv "$tmp/app" "$home"; rm -rf "$tmp"
  touch "$home/.installed"
}

start_registry() {
  local home java data
  home=$(_registry_home); java=$(_registry_java) || return 1
  mkdir -p "$DATA_DIR/registry/tmp"
  data=$(cd "$DATA_DIR/registry" && pwd -P)   # H2 wants an absolute path
  # Startup tuning for a 2-core box: C1-only JIT (-XX:TieredStopAtLevel=1) roughly halves start
  # CPU; -XX:+AutoCreateSharedArchive keeps a class-data-sharing archive next to the install,
  # written at the first clean exit (SIGTERM) and reused afterwards; rebuilt if the JDK changes.
  start_bg registry "$java" \
    -Xms64m "-Xmx$REGISTRY_HEAP" -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -XX:ReservedCodeCacheSize=64m \
    -XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$home/app-cds.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
    -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port=0 \
    -Dquarkus.http.access-log.enabled=false \
    '-Dquarkus.log.console.format=%d{yyyy-MM-dd HH:mm:ss} %p [%c{3.}] (%t) %s%e%n' \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    "-Dapicurio.datasource.url=jdbc:h2:file:$data/registry" \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    -Dapicurio.datasource.jdbc.max-size=10 \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    "-Dapicurio.storage.snapshot.location=$data/tmp" "-Dapicurio.import.work-dir=$data/tmp" \
    "-Djava.io.tmpdir=$data/tmp" \
    -jar "$home/quarkus-run.jar"
}

health_registry() {
  http_ok "$REGISTRY_URL/subjects" --max-time 5
}

version_registry() {
  local info v=""
  if info=$(curl -fsS --max-time 5 "http://127.0.0.1:$REGISTRY_PORT/apis/registry/v3/system/info" 2>/dev/null); then
    v=$(printf '%s' "$info" | sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p')
  fi
  if [[ -n "$v" ]]; then echo "Apicurio Registry $v"; else echo "Apicurio Registry $REGISTRY_VERSION (not running)"; fi
}
