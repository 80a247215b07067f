# PostgreSQL from Debian's packages, one cluster under $DATA_DIR/postgres (see ../README.md).
PG_PORT=5432
PG_USER=tributary
TIMEOUT_postgres=60

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n $dir ]] && echo "$dir"
}

# The server refuses to run as root; as root we hand the data folder to Debian's postgres user.
PG_AS_OWNER=()
[[ $(id -u) == 0 ]] && PG_AS_OWNER=(runuser -u postgres --)

install_postgres() {
  pg_bin >/dev/null || apt_install postgresql
}

start_postgres() {
  local bin dir=$DATA_DIR/postgres
  bin=$(pg_bin)
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres: "$dir"
  if [[ ! -f $dir/PG_VERSION ]]; then
    # Trust on loopback only: a throwaway developer cluster. The password in DATABASE_URL
    # is still set so the same URL works against a password-protected server.
    "${PG_AS_OWNER[@]}" "$bin/initdb" -D "$dir" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 \
      >>"$LOG_DIR/postgres.log" 2>&1
  fi
  start_bg postgres "${PG_AS_OWNER[@]}" "$bin/postgres" -D "$dir" -h 127.0.0.1 -p "$PG_PORT" \
    -k "$dir" -c max_connections=200 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c shared_buffers=128MB
}

health_postgres() {
  [[ $(psql_q 'select 1' 2>/dev/null) == 1 ]]
}

psql_q() {
  PGCONNECT_TIMEOUT=3 psql "postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres" -XAtqc "$1"
}

version_postgres() {
  psql_q 'show server_version' | awk '{print "PostgreSQL " $1}'
}

after_start_postgres() {
  psql_q "alter role $PG_USER password '$PG_USER'" >/dev/null
  for db in tributary; do
    if [[ -z $(psql_q "select 1 from pg_database where datname = '$db'") ]]; then
      psql_q "create database $db" >/dev/null
    fi
  done
}

stop_postgres() {
  local dir=$DATA_DIR/postgres
  [[ -f $dir/postmaster.pid ]] || return 0
  "${PG_AS_OWNER[@]}" "$(pg_bin)/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}
