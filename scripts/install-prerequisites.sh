#!/usr/bin/env bash
# Installs what the AppHost needs to run Postgres and Redis without a container runtime:
# Debian's postgresql and redis-server packages. Safe to run again: it installs only what is
# missing, and it starts no service (the AppHost runs its own servers, on its own ports).
set -euo pipefail

missing=()
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' > /dev/null; then
    missing+=(postgresql)
fi
if ! command -v redis-server > /dev/null && [[ ! -x /usr/bin/redis-server ]]; then
    missing+=(redis-server)
fi
if (( ${#missing[@]} == 0 )); then
    echo "PostgreSQL and Redis are installed."
    exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    as_root=(sudo)
fi

# The package lists are fetched only when they do not know the packages yet.
if ! apt-cache show "${missing[@]}" > /dev/null 2>&1; then
    "${as_root[@]}" apt-get update
fi

# Exit code 101 from policy-rc.d tells the packages' scripts not to start their services. An
# existing policy (as container images have) is left as it is.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" > /dev/null
    "${as_root[@]}" chmod +x "$policy"
    trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi

echo "Installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
