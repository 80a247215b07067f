# shellcheck shell=bash
# S3 API: MinIO (community edition, built from source via the Go module proxy).
#
# S3 endpoint http://127.0.0.1:9000 (path-style, region us-east-1),
# web console http://127.0.0.1:9001. Credentials: S3_ACCESS_KEY / S3_SECRET_KEY
# (default tributary / tributary-secret). Bucket: S3_BUCKET (default tributary).
#
# Licence: MinIO is GNU AGPLv3. We only build and run it as a separate server
# process for local development/CI and talk to it over HTTP; nothing of it is
# linked into or shipped with Tributary.
#
# Upstream (github.com/minio/minio) is source-only and no longer maintained; its
# RELEASE.* tags are not served by the Go module proxy, so we pin the final
# commit by pseudo-version and stamp the version via -ldflags the way upstream's
# buildscripts/gen-ldflags.go does for non-release builds (DEVELOPMENT.<time>).

MINIO_MODULE_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
MINIO_RELEASE_TIME="2026-02-12T20:18:48Z"
MINIO_COMMIT="7aac2a2c5b7c"

S3_ACCESS_KEY="${S3_ACCESS_KEY:-tributary}"
S3_SECRET_KEY="${S3_SECRET_KEY:-tributary-secret}"
S3_BUCKET="${S3_BUCKET:-tributary}"
S3_REGION="${S3_REGION:-us-east-1}"
# Standard ports; overridable only to test this file beside a running stack.
S3_PORT="${S3_PORT:-9000}"
S3_CONSOLE_PORT="${S3_CONSOLE_PORT:-9001}"

# A cold build (module download + compile) takes several minutes; starting is fast.
TIMEOUT_s3=60

_s3_bin() { echo "$CACHE_DIR/s3/bin/minio"; }
_s3_stamp() { echo "$CACHE_DIR/s3/minio.version"; }

install_s3() {
  local bin stamp
  bin=$(_s3_bin)
  stamp=$(_s3_stamp)
  if [[ -x $bin && -f $stamp && $(<"$stamp") == "$MINIO_MODULE_VERSION" ]]; then
    return 0
  fi
  command -v go >/dev/null || { say "s3: go is required to build MinIO"; return 1; }
  say "s3: building MinIO $MINIO_MODULE_VERSION with go install (cold: ~11 min on 2 cores, then cached)"
  mkdir -p "$CACHE_DIR/s3/bin"
  local tag="DEVELOPMENT.${MINIO_RELEASE_TIME//:/-}"
  local ld="-s -w"
  ld+=" -X github.com/minio/minio/cmd.Version=$MINIO_RELEASE_TIME"
  ld+=" -X github.com/minio/minio/cmd.ReleaseTag=$tag"
  ld+=" -X github.com/minio/minio/cmd.CommitID=$MINIO_COMMIT"
  ld+=" -X github.com/minio/minio/cmd.ShortCommitID=$MINIO_COMMIT"
  ld+=" -X github.com/minio/minio/cmd.CopyrightYear=${MINIO_RELEASE_TIME:0:4}"
  # Run outside the repo so its go.mod (if any) does not interfere.
  (cd "$CACHE_DIR/s3" &&
    GOBIN="$CACHE_DIR/s3/bin" GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
      go install -ldflags "$ld" "github.com/minio/minio@$MINIO_MODULE_VERSION") || return 1
  echo "$MINIO_MODULE_VERSION" >"$stamp"
}

start_s3() {
  mkdir -p "$DATA_DIR/s3"
  start_bg s3 env \
    MINIO_ROOT_USER="$S3_ACCESS_KEY" \
    MINIO_ROOT_PASSWORD="$S3_SECRET_KEY" \
    MINIO_REGION="$S3_REGION" \
    MINIO_UPDATE=off \
    MINIO_CALLHOME_ENABLE=off \
    MINIO_BROWSER=on \
    "$(_s3_bin)" server "$DATA_DIR/s3" \
    --address "127.0.0.1:$S3_PORT" \
    --console-address "127.0.0.1:$S3_CONSOLE_PORT" \
    --quiet --anonymous
}

health_s3() {
  http_ok "http://127.0.0.1:$S3_PORT/minio/health/ready"
}

version_s3() {
  # "minio version DEVELOPMENT.2026-02-12T20-18-48Z (commit-id=…)" -> "MinIO DEVELOPMENT.… (commit …)"
  "$(_s3_bin)" --version 2>/dev/null | awk 'NR==1 { print "MinIO " $3 " (commit '"$MINIO_COMMIT"')"; exit }'
}

# Signed S3 request with curl's built-in SigV4 (curl >= 7.75).
_s3_curl() {
  curl -sS --max-time 10 \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "$@"
}

after_start_s3() {
  local url="http://127.0.0.1:$S3_PORT/$S3_BUCKET" code
  code=$(_s3_curl -o /dev/null -w '%{http_code}' -I "$url") || return 1
  case $code in
    200) return 0 ;;
    404) ;;
    *) say "s3: HEAD $url -> HTTP $code"; return 1 ;;
  esac
  code=$(_s3_curl -o /dev/null -w '%{http_code}' -X PUT "$url") || return 1
  case $code in
    200 | 409) say "s3: bucket $S3_BUCKET ready" ;;
    *) say "s3: PUT $url -> HTTP $code"; return 1 ;;
  esac
}
