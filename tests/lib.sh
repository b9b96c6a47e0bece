# SPDX-License-Identifier: Apache-2.0
# Shared by the shell tests and, through bench-tls-fx.sh, the benchmarks
# (sourced: . "$(dirname "$0")/lib.sh"): a temporary directory, free ports,
# a configuration with one integration server, the kics-epp-proxy daemon
# started in the foreground and stopped, and failures that show its log.
# Sourcing it sets nothing; each function says what it sets.

# test_dir NAME: makes the temporary directory TMP (removed at exit, kept
# and named when a check failed or KEEP is set) and sets the paths in it
# DATA, CONF, LOG and DB, with PID= and FAILED=0. Traps EXIT with
# test_cleanup, and HUP, INT and TERM with an exit so that the cleanup
# also runs when meson's timeout stops the test. A script with more to
# undo traps EXIT with a function of its own that ends in test_cleanup.
test_dir() {	# NAME
	TEST_NAME=$1
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	DATA=$TMP/data
	CONF=$TMP/kics-epp.yaml
	LOG=$TMP/daemon.log
	DB=$DATA/kics-epp.db
	PID=
	FAILED=0
	trap test_cleanup EXIT
	trap 'exit 1' HUP INT TERM
}

# Kills the daemon of PID, if one runs, and sets PID=.
daemon_kill() {
	if [ -n "${PID:-}" ]; then
		kill -9 "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	PID=
}

# The EXIT trap of test_dir: kills the daemon, removes or keeps TMP.
test_cleanup() {
	daemon_kill
	if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$TMP"
	else
		echo "$TEST_NAME: kept $TMP" >&2
	fi
}

# Fails the test: prints "FAIL: MESSAGE", the last lines of the daemon's
# log LOG (when no LOG is set: of every TMP/*.log) and of each file named
# in FAIL_FILES that exists, and exits 1 (FAILED=1 keeps TMP).
fail() {	# MESSAGE...
	FAILED=1
	echo "FAIL: $*" >&2
	if [ -n "${LOG:-}" ]; then
		_logs=$LOG
	else
		_logs=$(ls "${TMP:-.}"/*.log 2>/dev/null || true)
	fi
	for _f in $_logs ${FAIL_FILES:-}; do
		[ -f "$_f" ] || continue
		echo "--- $_f:" >&2
		tail -n 40 "$_f" >&2 || true
	done
	exit 1
}

check_eq() {	# what expected actual
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
	echo "ok - $1"
}

# Prints a port free on 127.0.0.1 for KIND: tcp (the default), udp, or
# both (the same port free for TCP and for UDP).
free_port() {	# [KIND]
	python3 -c 'import socket, sys
kind = sys.argv[1]
while True:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp"
                      else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    if kind != "both":
        break
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
        break
    except OSError:
        pass
print(p)' "${1:-tcp}"
}

# Writes CONF: data in DATA, the event types and rules of the source tree,
# one integration server NAME (default "test") on 127.0.0.1:PORT, then the
# YAML lines read from stdin (a here-document, or </dev/null). The server
# comes last, so stdin may go on with its keys ("    transport: udp") or
# more servers ("  - name: b") before other sections. Needs
# KICS_SOURCE_ROOT.
daemon_conf() {	# PORT [NAME]
	{
		echo "data_dir: $DATA"
		echo "event_types: ${KICS_SOURCE_ROOT:?}/conf/event-types.yaml"
		echo "rules: $KICS_SOURCE_ROOT/conf/rules.yaml"
		echo "integration_servers:"
		echo "  - name: ${2:-test}"
		echo "    address: 127.0.0.1"
		echo "    port: $1"
		cat
	} >"$CONF"
}

# Waits until the daemon PID, logging to LOG, says it is ready (COUNT
# times, default 1, for a log that restarts append to): at most
# READY_TIMEOUT_S seconds (default 10). On failure LOG is the log shown.
daemon_wait_ready() {	# PID LOG [COUNT]
	_i=0
	while _n=$(grep -cs 'ready:' "$2"); [ "${_n:-0}" -lt "${3:-1}" ]; do
		_i=$((_i + 1))
		[ $_i -lt $((${READY_TIMEOUT_S:-10} * 20)) ] ||
		    { LOG=$2; fail "daemon did not start"; }
		kill -0 "$1" 2>/dev/null ||
		    { LOG=$2; fail "daemon exited at start"; }
		sleep 0.05
	done
}

# Starts DAEMON --config CONF --foreground, its output in a new LOG, and
# waits until it is ready; sets PID. PREFIX is a command that execs the
# rest (env VAR=..., ip netns exec NS, prlimit, setpriv), so that PID is
# the daemon's. LOG is emptied here, not by the background command's own
# redirection, which runs in the child: the wait could otherwise find the
# "ready:" of the daemon that wrote LOG before (seen under load).
start_daemon() {	# [PREFIX...]
	: >"$LOG"
	"$@" "$DAEMON" --config "$CONF" --foreground >>"$LOG" 2>&1 &
	PID=$!
	daemon_wait_ready "$PID" "$LOG"
}

# Sends SIGNAL (default TERM) to the daemon, waits for it and checks that
# it exits with STATUS (default 0); sets PID=.
stop_daemon() {	# [SIGNAL [STATUS]]
	kill "-${1:-TERM}" "$PID"
	_rc=0
	wait "$PID" || _rc=$?
	PID=
	check_eq "exit status after SIG${1:-TERM}" "${2:-0}" "$_rc"
}
