#!/usr/bin/env bash
# Runs a development PostgreSQL server for the AppHost from the machine's own binaries,
# initialising the data directory when it holds no cluster yet.
#
# usage: run-postgres.sh BIN_DIR DATA_DIR PORT
set -euo pipefail

bin_dir=$1
data_dir=$2
port=$3

# PostgreSQL refuses to run as root; then it runs as the postgres user, who owns the data.
# --pdeathsig: should this script die, the server gets SIGINT (a fast shutdown) rather than
# running on alone.
as_server_user=(setpriv --pdeathsig INT)
mkdir -p "$data_dir"
if [[ $(id -u) -eq 0 ]]; then
    as_server_user+=(--reuid=postgres --regid=postgres --init-groups)
    chown postgres:postgres "$data_dir"
    if ! "${as_server_user[@]}" test -w "$data_dir"; then
        echo "run-postgres.sh: the postgres user cannot reach $data_dir;" \
            "set LocalStores:DataPath to a folder it can reach" >&2
        exit 1
    fi
fi
chmod 700 "$data_dir"

if [[ ! -f $data_dir/PG_VERSION ]]; then
    # Trust needs no password; the server listens on 127.0.0.1 only and holds development data.
    "${as_server_user[@]}" "$bin_dir/initdb" --pgdata="$data_dir" --username=postgres \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8
fi

# No Unix socket: its default folder belongs to the system's own server, and clients use TCP.
"${as_server_user[@]}" "$bin_dir/postgres" -D "$data_dir" -p "$port" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories= &
server=$!

# The orchestrator stops a process with SIGTERM and kills its whole tree a few seconds later.
# To postgres SIGTERM means a smart shutdown, which waits for every client to leave and so
# would end in that kill; SIGINT is a fast shutdown: sessions end, a checkpoint is written.
trap 'kill -INT "$server" 2>/dev/null || true' TERM INT

# A trapped signal interrupts wait; wait again until the server has exited, with its status.
while true; do
    wait "$server" && exit 0
    status=$?
    kill -0 "$server" 2>/dev/null || exit "$status"
done
