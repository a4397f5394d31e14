# tools/router_env.sh — a router cluster and node clusters on this machine, for
# the tests, the demo and the benchmark of ledger_router.  Source it after
# tools/pgenv.sh; do not run it.
#
#   router_clusters_start PREFIX PORT NODES
#       starts NODES node clusters PREFIX-node1 ... (ports PORT+1 ...) and a
#       router cluster PREFIX-router (port PORT) under $LEDGER_TMP, Unix
#       sockets only (ledger_cluster_start).  Sets ROUTER_HOST/ROUTER_PORTNO,
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
	local prefix=$1 port=$2 nodes=$3 i
	shift 3
	ROUTER_PREFIX=$prefix
	for i in $(seq 1 "$nodes"); do
		LEDGER_PORT=$((port + i)) ledger_cluster_start "$prefix-node$i" "fsync = off" "synchronous_commit = off" \
			"full_page_writes = off" "max_connections = 40" "$@" || return 1
		NODE_HOST[$i]=$PGHOST NODE_PORTNO[$i]=$PGPORT
	done
	LEDGER_PORT=$port ledger_cluster_start "$prefix-router" "fsync = off" "synchronous_commit = off" \
		"full_page_writes = off" "max_connections = 40" "$@" || return 1
	ROUTER_HOST=$PGHOST ROUTER_PORTNO=$PGPORT
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
	ledger_as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start >/dev/null
}
