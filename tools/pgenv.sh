# tools/pgenv.sh — shared shell functions for the demo, the test runner and the
# benchmark runner.  Source it; do not run it.
#
#   ledger_ensure_deps [extra-package ...]
#       installs the Debian/Ubuntu packages a fresh machine lacks (apt-get, with
#       sudo when not root).
#   ledger_ensure_optional package ...
#       the same for packages some tests use; failures only warn.
#   ledger_build
#       builds the extension and installs it into $LEDGER_TMP/install (a DESTDIR
#       tree; the system directories are never touched).
#   ledger_cluster_start NAME [postgresql.conf lines ...]
#       initdb + start a throwaway cluster under $LEDGER_TMP/NAME, listening on a
#       Unix socket only, loading the extension through extension_destdir.  Sets
#       PGHOST, PGPORT, PGUSER and PGDATA for the caller.
#   ledger_cluster_stop NAME
#   ledger_psql ...            psql with ON_ERROR_STOP and a quiet start-up
#   ledger_as_server CMD ...   runs CMD as the cluster's owner (postgres when root)

LEDGER_TOP=${LEDGER_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
LEDGER_TMP=${LEDGER_TMP:-$LEDGER_TOP/tmp_check}
PG_MAJOR=${PG_MAJOR:-15}

ledger_log() { printf '%s\n' "== $*" >&2; }
ledger_die() { printf '%s\n' "error: $*" >&2; exit 1; }
# ledger_failure_summary NAME LOG : a failed script's seed and FAIL lines (with
# the lines just before them), printed again at the end of a run, where a log
# cut to its tail (CI's) still shows them
ledger_failure_summary() {
	echo "== $1: $(grep -m 1 -o 'seed [0-9]*' "$2" || echo 'no seed printed')"
	grep -B 4 -E '^[[:space:]]*(FAIL|not ok)' "$2" | tail -n 20 | cut -c 1-400
}

ledger_sudo() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get without questions, also through sudo (which drops DEBIAN_FRONTEND
# from the environment): a prompt would wait unseen, its output in a log
ledger_apt() {
	ledger_sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

# Packages every command needs, plus the ones the caller names.
ledger_ensure_deps() {
	local want=(make gcc procps "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"
		"postgresql-$PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl
		"postgresql-$PG_MAJOR-cron" "postgresql-$PG_MAJOR-plproxy" "$@")
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || ledger_die "missing packages (${missing[*]}) and no apt-get to install them"
	ledger_log "installing ${missing[*]}"
	local log="$LEDGER_TMP.apt.log"
	if ! ledger_apt install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
		ledger_apt update -q >>"$log" 2>&1 || true
		if ! ledger_apt install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
			ledger_add_pgdg "$log" &&
				ledger_apt install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
				{ cat "$log" >&2; ledger_die "could not install ${missing[*]}$(ledger_pg_hint)"; }
		fi
	fi
	rm -f "$log"
}

# PostgreSQL $PG_MAJOR from the PostgreSQL project's own apt repository
# (apt.postgresql.org, set up by postgresql-common's script) when the
# distribution's archive does not carry it: Ubuntu 22.04 ships 14, Ubuntu 24.04
# 16, Debian 13 17.  Returns non-zero, changing nothing, when the archive has
# postgresql-$PG_MAJOR already (the failure is elsewhere) or LEDGER_NO_PGDG=1.
ledger_add_pgdg() {
	local log=$1
	[ "${LEDGER_NO_PGDG:-}" = 1 ] && return 1
	apt-cache show "postgresql-$PG_MAJOR" >/dev/null 2>&1 && return 1
	ledger_log "postgresql-$PG_MAJOR is not in this machine's apt sources: adding the PostgreSQL project's repository, apt.postgresql.org (LEDGER_NO_PGDG=1 to refuse)"
	ledger_apt install -y -q --no-install-recommends postgresql-common ca-certificates >>"$log" 2>&1 &&
		ledger_sudo env DEBIAN_FRONTEND=noninteractive /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y >>"$log" 2>&1 &&
		ledger_apt update -q >>"$log" 2>&1
}

ledger_pg_hint() {
	apt-cache show "postgresql-$PG_MAJOR" >/dev/null 2>&1 && return 0
	printf '\n%s' "ledger is built and tested for PostgreSQL $PG_MAJOR, which this machine's apt sources do not carry;" \
		"add the PostgreSQL project's repository (https://wiki.postgresql.org/wiki/Apt) and run the command again"
}

# Packages some tests use; a machine that cannot have them gets a warning.
# Nothing installed is replaced: a package the archive has (a candidate) but
# apt would install only by removing packages, or cannot install beside them
# (Debian's node-pg beside a nodejs from NodeSource), is left out with a
# warning, without an apt-get update that could not help.  apt waits up to
# two minutes for another apt (a test run beside this one) to finish.
ledger_ensure_optional() {
	local missing=() p sim policy
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || { ledger_log "warning: cannot install ${missing[*]}"; return 0; }
	local apt=(install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120)
	for p in "${missing[@]}"; do
		# (no pipe into grep -q: under pipefail its early exit would fail the test)
		policy=$(LC_ALL=C apt-cache policy "$p" 2>/dev/null)
		if [[ $policy == *"Candidate: "[^\(]* ]]; then
			if ! sim=$(LC_ALL=C apt-get -s install --no-install-recommends "$p" 2>&1) || [[ $sim == *$'\nRemv '* ]]; then
				ledger_log "warning: apt cannot install $p beside this machine's packages (a conflict, or it would remove some); the tests that need it will skip or fail"
				continue
			fi
		fi
		ledger_apt "${apt[@]}" "$p" >/dev/null 2>&1 ||
			{ ledger_apt update -q >/dev/null 2>&1; ledger_apt "${apt[@]}" "$p" >/dev/null 2>&1; } ||
			ledger_log "warning: could not install $p; the tests that need it will fail or skip"
	done
}

ledger_pg_config() {
	if [ -n "${PG_CONFIG:-}" ]; then echo "$PG_CONFIG"
	elif [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" ]; then echo "/usr/lib/postgresql/$PG_MAJOR/bin/pg_config"
	else command -v pg_config; fi
}

ledger_build() {
	local pgc; pgc=$(ledger_pg_config)
	mkdir -p "$LEDGER_TMP"
	touch "$LEDGER_TMP/.ledger-tmp"
	make -s -C "$LEDGER_TOP" PG_CONFIG="$pgc" >/dev/null || ledger_die "build failed"
	rm -rf "$LEDGER_TMP/install"
	make -s -C "$LEDGER_TOP" PG_CONFIG="$pgc" install DESTDIR="$LEDGER_TMP/install" >/dev/null ||
		ledger_die "install into $LEDGER_TMP/install failed"
}

# The server refuses to run as root: when we are root the cluster belongs to the
# postgres user, and everything under $LEDGER_TMP must be reachable by it.
ledger_server_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

ledger_as_server() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ledger_cluster_start() {
	local name=$1; shift
	local bindir; bindir=$("$(ledger_pg_config)" --bindir)
	local dir="$LEDGER_TMP/$name"
	ledger_cluster_stop "$name" 2>/dev/null || true
	rm -rf "$dir"
	mkdir -p "$dir/sock"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres: "$dir"
		runuser -u postgres -- test -x "$dir/sock" ||
			ledger_die "the postgres user cannot reach $dir; clone the repository somewhere it can read (e.g. under /tmp or /srv)"
	fi
	ledger_as_server "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; ledger_die "initdb failed"; }
	local port=${LEDGER_PORT:-54329}
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir/sock'"
		echo "port = $port"
		echo "extension_destdir = '$LEDGER_TMP/install'"
		echo "shared_preload_libraries = 'pg_cron'"
		echo "cron.database_name = 'postgres'"
		echo "cron.host = '$dir/sock'"
		echo "max_prepared_transactions = 10"
		echo "log_min_messages = warning"
		echo "lc_messages = 'C'"
		for line in "$@"; do echo "$line"; done
	} | ledger_as_server tee -a "$dir/data/postgresql.conf" >/dev/null
	ledger_as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; ledger_die "could not start the $name cluster"; }
	export PGHOST="$dir/sock" PGPORT=$port PGUSER=postgres PGDATA="$dir/data"
	export PATH="$bindir:$PATH"
}

ledger_cluster_stop() {
	local name=$1
	local bindir; bindir=$("$(ledger_pg_config)" --bindir)
	local dir="$LEDGER_TMP/$name"
	[ -f "$dir/data/postmaster.pid" ] || return 0
	ledger_as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 ||
		ledger_as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
}

# What the two commands leave under $LEDGER_TMP once they are done: they
# remove the entries named (every entry when none is), never a cluster still
# running there (another command's, KEEP=1), and the installed extension and
# the directory itself only once no cluster runs there any more.  Only in a
# directory ledger_build made (its mark, .ledger-tmp): a LEDGER_TMP pointing
# elsewhere is left alone.
ledger_tmp_clean() {
	local d n running=0 entries=()
	[ -f "$LEDGER_TMP/.ledger-tmp" ] || return 0
	if [ $# -eq 0 ]; then entries=("$LEDGER_TMP"/*)
	else for n in "$@"; do entries+=("$LEDGER_TMP"/$n); done; fi
	for d in "${entries[@]}"; do
		[ -e "$d" ] && [ "$d" != "$LEDGER_TMP/install" ] && [ ! -f "$d/data/postmaster.pid" ] || continue
		rm -rf -- "$d"
	done
	for d in "$LEDGER_TMP"/*/data/postmaster.pid; do [ -f "$d" ] && running=1; done
	[ $running = 1 ] && return 0
	rm -rf -- "$LEDGER_TMP/install" "$LEDGER_TMP/.ledger-tmp"
	rmdir -- "$LEDGER_TMP" 2>/dev/null || true
}

ledger_psql() {
	psql -X -q -v ON_ERROR_STOP=1 --pset=pager=off "$@"
}
