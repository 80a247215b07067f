# Apache Kafka 4.x in KRaft mode from Maven Central jars (see ../README.md).
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml")
KAFKA_LIB=$CACHE_DIR/kafka/$KAFKA_VERSION/lib
KAFKA_PORT=9092
TIMEOUT_kafka=90

install_kafka() {
  maven_copy_deps "$ROOT/deploy/local/kafka/pom.xml" "$KAFKA_LIB"
}

KAFKA_JAVA=(java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$ROOT/deploy/local/kafka/log4j2.yaml" -cp "$KAFKA_LIB/*")

start_kafka() {
  local dir=$DATA_DIR/kafka
  mkdir -p "$dir/logs"
  # KRaft storage is formatted once with a fixed cluster id; the config names the data folder.
  sed "\$a log.dirs=$dir/logs\nmetadata.log.dir=$dir/logs" \
    "$ROOT/deploy/local/kafka/server.properties" >"$dir/server.properties"
  if [[ ! -f $dir/logs/meta.properties ]]; then
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --standalone -t tributary-local-0000001 \
      -c "$dir/server.properties" >>"$LOG_DIR/kafka.log" 2>&1
  fi
  start_bg kafka "${KAFKA_JAVA[@]}" kafka.Kafka "$dir/server.properties"
}

# A real request: the broker answers an ApiVersions request with its version (Kafka protocol
# over TCP, through the broker's own client classes would cost a JVM start; a raw request is
# cheap). Response = size, correlation id, error code.
health_kafka() {
  port_open "$KAFKA_PORT" || return 1
  local reply
  reply=$(kafka_api_versions) || return 1
  [[ $reply == ok ]]
}

kafka_api_versions() {
  python3 - "$KAFKA_PORT" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
client = b"tributary-stack"
# ApiVersions (key 18) v0: header = api key, version, correlation id, client id.
body = struct.pack(">hhih", 18, 0, 7, len(client)) + client
s.sendall(struct.pack(">i", len(body)) + body)
size = struct.unpack(">i", s.recv(4))[0]
data = b""
while len(data) < size:
    chunk = s.recv(size - len(data))
    if not chunk:
        break
    data += chunk
corr, err = struct.unpack(">ih", data[:6])
print("ok" if corr == 7 and err == 0 else f"error {err}")
PY
}

version_kafka() {
  echo "Apache Kafka $KAFKA_VERSION (KRaft)"
}
