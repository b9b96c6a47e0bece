# SPDX-License-Identifier: Apache-2.0
# Shared by the daemon benchmarks (sourced): free ports,
# a kics-epp-proxy daemon in a temporary data directory, the CPU time of
# one thread, medians, and the skip when a tool is missing.
# Needs TMP and sets nothing else until a function is called.

free_port() {
	python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fail() {
	echo "FAIL: $*" >&2
	for f in "$TMP"/*.log; do
		[ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
	done
	exit 1
}

# Skips the benchmark (meson's 77) when a program is missing.
need() {	# PROGRAM PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
	    [ -x "/usr/sbin/$1" ] || {
		echo "SKIP: $1 is not installed (Debian package $2," \
		    "scripts/install-deps.sh)"
		exit 77
	}
}

# Waits until the daemon PID, logging to LOG, says it is ready.
daemon_wait_ready() {	# PID LOG
	_i=0
	until grep -qs 'ready:' "$2"; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || fail "daemon did not start"
		kill -0 "$1" 2>/dev/null || fail "daemon exited"
		sleep 0.05
	done
}

# Starts DAEMON with CONF, logging to LOG; prints its pid once ready.
daemon_start() {	# DAEMON CONF LOG
	"$1" --config "$2" --foreground >"$3" 2>&1 &
	_pid=$!
	daemon_wait_ready "$_pid" "$3"
	echo "$_pid"
}

# Time on a CPU of thread TID of process PID so far, in nanoseconds.
thread_cpu_ns() {	# PID TID
	cut -d' ' -f1 "/proc/$1/task/$2/schedstat"
}

# The median of the numbers given as arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# A / B with 2 decimals, "-" when B is 0.
ratio() {	# A B
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-";
else printf "%.2f\n", a / b }'
}

loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}
