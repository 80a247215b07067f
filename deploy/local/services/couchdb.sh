# The CouchDB API from pouchdb-server (npm) on LevelDB files under $DATA_DIR/couchdb (see ../README.md).
POUCHDB_SERVER_VERSION=4.2.0
POUCHDB_DIR=$CACHE_DIR/couchdb/$POUCHDB_SERVER_VERSION
COUCHDB_PORT=5984
TIMEOUT_couchdb=60

install_couchdb() {
  [[ -f $POUCHDB_DIR/.complete ]] && return 0
  mkdir -p "$POUCHDB_DIR"
  # Install scripts stay off: leveldown ships prebuilt binaries that load without them, and the
  # optional WebSQL adapter's sqlite3 would otherwise compile for minutes for nothing we use.
  npm install --prefix "$POUCHDB_DIR" --no-audit --no-fund --ignore-scripts --omit=dev \
    "pouchdb-server@$POUCHDB_SERVER_VERSION" >&2
  touch "$POUCHDB_DIR/.complete"
}

start_couchdb() {
  local dir=$DATA_DIR/couchdb node=node
  [[ -x $ROOT/node_modules/.bin/node ]] && node=$ROOT/node_modules/.bin/node
  mkdir -p "$dir"
  # pouchdb-server writes log.txt into its working directory: keep that in the data folder.
  cd "$dir"
  start_bg couchdb "$node" "$POUCHDB_DIR/node_modules/pouchdb-server/bin/pouchdb-server" \
    --host 127.0.0.1 --port "$COUCHDB_PORT" --dir "$dir" --config "$dir/config.json" --no-color
  cd - >/dev/null
}

health_couchdb() {
  curl -fsS --max-time 3 "http://127.0.0.1:$COUCHDB_PORT/_all_dbs" 2>/dev/null | grep -q '^\['
}

version_couchdb() {
  curl -fsS --max-time 3 "http://127.0.0.1:$COUCHDB_PORT/" |
    sed -n 's/.*"version":"\([^"]*\)".*/pouchdb-server \1 (CouchDB API)/p'
}
