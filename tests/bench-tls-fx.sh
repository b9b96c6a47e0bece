# SPDX-License-Identifier: Apache-2.0
# Shared by the daemon benchmarks (sourced): a kics-epp-proxy daemon in a
# temporary data directory, the CPU time of one thread, medians, and the
# skip when a tool is missing; free ports, fail (every TMP/*.log shown)
# and daemon_wait_ready come from lib.sh. Needs TMP; sets only
# READY_TIMEOUT_S (30 s for a daemon to start) until a function is called.

. "$(dirname "$0")/lib.sh"	# free_port, fail, daemon_wait_ready
READY_TIMEOUT_S=${READY_TIMEOUT_S:-30}

# Skips the benchmark (meson's 77) when a program is missing.
need() {	# PROGRAM PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
	    [ -x "/usr/sbin/$1" ] || {
		echo "SKIP: $1 is not installed (Debian package $2," \
		    "scripts/install-deps.sh)"
		exit 77
	}
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
