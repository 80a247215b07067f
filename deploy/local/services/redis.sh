# Redis from Debian's packages, append-only data under $DATA_DIR/redis (see ../README.md).
REDIS_PORT=6379
TIMEOUT_redis=30

install_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
}

start_redis() {
  mkdir -p "$DATA_DIR/redis"
  start_bg redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA_DIR/redis" \
    --appendonly yes --save '' --daemonize no --protected-mode yes
}

health_redis() {
  [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

version_redis() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server | awk -F: '/^redis_version/ {print "Redis " $2}' | tr -d '\r'
}
