# tools/router_env.sh — a router cluster and node clusters on this machine, for
# the tests, the demo and the benchmark of ledger_router.  Source it after
# tools/pgenv.sh; do not run it.
#
#   router_clusters_start PREFIX PORT NODES
#       starts NODES node clusters PREFIX-node1 ... (ports PORT+1 ...) and a
#       router cluster PREFIX-router (port PORT) under $LEDGER_TMP, Unix
#       sockets only (ledger_cluster_start); fsync is off, but every commit is
#       acknowledged only once written (a node killed loses nothing it acknowledged).  Sets ROUTER_HOST/ROUTER_PORTNO,
#       NODE_HOST[i]/NODE_PORTNO[i] and leaves PGHOST/PGPORT on the router.
#   router_clusters_stop PREFIX NODES
#   router_node_env I          sets PGHOST/PGPORT to node I
#   router_env                 sets PGHOST/PGPORT to the router
#   router_connstr I DB        the libpq connection string of database DB on node I
#   router_node_kill I         SIGKILL the postmaster of node I and its children
#   router_node_restart I      starts node I again (crash recovery)

declare -a NODE_HOST NODE_PORTNO
ROUTER_PREFIX=
router_clusters_start() {
	local prefix=$1 port=$2 nodes=$3 i pids=() rc=0
	shift 3
	ROUTER_PREFIX=$prefix
	# initdb and start-up of all clusters at once
	for i in $(seq 0 "$nodes"); do
		local name="$prefix-node$i"
		[ "$i" -eq 0 ] && name="$prefix-router"
		( LEDGER_PORT=$((port + i)) ledger_cluster_start "$name" "fsync = off" "max_connections = 40" "$@" ) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	[ $rc -eq 0 ] || return 1
	for i in $(seq 1 "$nodes"); do
		NODE_HOST[$i]=$LEDGER_TMP/$prefix-node$i/sock NODE_PORTNO[$i]=$((port + i))
	done
	ROUTER_HOST=$LEDGER_TMP/$prefix-router/sock ROUTER_PORTNO=$port
	local bindir; bindir=$("$(ledger_pg_config)" --bindir)
	export PGHOST=$ROUTER_HOST PGPORT=$ROUTER_PORTNO PGUSER=postgres PGDATA=$LEDGER_TMP/$prefix-router/data
	export PATH="$bindir:$PATH"
}

router_clusters_stop() {
	local prefix=$1 nodes=$2 i
	ledger_cluster_stop "$prefix-router"
	for i in $(seq 1 "$nodes"); do ledger_cluster_stop "$prefix-node$i"; done
}

router_node_env() { export PGHOST=${NODE_HOST[$1]} PGPORT=${NODE_PORTNO[$1]}; }
router_env() { export PGHOST=$ROUTER_HOST PGPORT=$ROUTER_PORTNO; }
router_connstr() { echo "host=${NODE_HOST[$1]} port=${NODE_PORTNO[$1]} dbname=$2"; }

router_node_kill() {
	local dir="$LEDGER_TMP/$ROUTER_PREFIX-node$1" pm kids pid n
	pm=$(head -n 1 "$dir/data/postmaster.pid")
	kids=$(pgrep -P "$pm")
	kill -9 "$pm" || return 1
	for n in $(seq 1 100); do
		local alive=
		for pid in $kids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in $kids; do kill -9 "$pid" 2>/dev/null; done
	return 0
}

router_node_restart() {
	local dir="$LEDGER_TMP/$ROUTER_PREFIX-node$1" bindir
	bindir=$("$(ledger_pg_config)" --bindir)
	ledger_as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start >/dev/null 2>&1
}
