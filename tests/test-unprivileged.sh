#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of unprivileged operation (issue 10, item 4): the real
# daemon started as root runs as a service user made for this run, with a
# 0750 data directory for that user's group; group members read with
# kics-query (also while the daemon is stopped), writes still go by role,
# others are denied; a listener below port 1024 after the drop; an agent's
# report acked by the unprivileged daemon; a data directory of an earlier
# run as root handed over.
# usage: test-unprivileged.sh KICS_EPP_PROXY KICS_QUERY KICS_AGENT_SIM
# Needs root, setpriv (util-linux), useradd, groupadd, userdel, groupdel,
# python3. Removes at exit the users and groups it created.
set -eu

DAEMON=$1
QUERY=$2
SIM=$3
SRC=${KICS_SOURCE_ROOT:?KICS_SOURCE_ROOT not set}

if [ "$(id -u)" != 0 ]; then
	echo "test-unprivileged: needs root (useradd, setpriv); skipped"
	exit 77
fi

. "$(dirname "$0")/lib.sh"
test_dir test-unpriv
# the users of this run must reach $TMP/data, as they would /var/lib
chmod 0755 "$TMP"
# names of this run only: runs of other build trees may overlap with it
SVC=kics-t$$-svc	# the service user and its group
OTHER=kics-t$$-oth	# primary group of the people below
MEMBER=kics-t$$-mem	# in the group $SVC, not in the users table
OP=kics-t$$-op		# in the group $SVC and an operator
OUT=kics-t$$-out	# outside the group $SVC
MADE_GROUPS=
MADE_USERS=

cleanup() {
	daemon_kill
	for u in $MADE_USERS; do
		userdel "$u" || echo "test-unprivileged: cannot remove user $u" >&2
	done
	# userdel of $SVC (made last, removed last) may take its group along
	for g in $MADE_GROUPS; do
		if getent group "$g" >/dev/null; then
			groupdel "$g" || echo "test-unprivileged: cannot" \
			    "remove group $g" >&2
		fi
	done
	test_cleanup
}
trap cleanup EXIT

# a free port below 1024 on 127.0.0.1, tried from 1023 down
free_low_port() {
	python3 -c 'import socket
for p in range(1023, 899, -1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}

q() {
	"$QUERY" --data-dir "$DATA" "$@"
}

# as USER kics-query ARGS...: with the user's groups from /etc/group;
# exit status in $rc, output in $TMP/out
as() {
	u=$1
	shift
	rc=0
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
	    --init-groups "$QUERY" --data-dir "$DATA" "$@" \
	    >"$TMP/out" 2>&1 || rc=$?
}

# a lookup by a group member: found (0) or nothing found (1), never an
# error about permissions or a read-only database
check_reads() {	# what user
	as "$2" devices
	case $rc in
	0|1) ;;
	*) fail "$1: exit $rc: $(cat "$TMP/out")" ;;
	esac
	if grep -Eqi 'denied|readonly|read-only|cannot' "$TMP/out"; then
		fail "$1: $(cat "$TMP/out")"
	fi
	echo "ok - $1 (exit $rc)"
}

# agent PORT PACKAGE: exit status of one agent's report
agent() {
	src=0
	"$SIM" --address 127.0.0.1 --port "$1" --package "$2" \
	    --password-file "$TMP/pw" --agents 1 --reports 1 --quiet \
	    --timeout 5 >"$TMP/sim.out" 2>&1 || src=$?
	echo "$src"
}

# start_as USER: writes the configuration for a daemon that runs as USER
# and starts it
start_as() {
	daemon_conf "$P0" base <<EOC
user: $1
log_level: debug
EOC
	start_daemon
}

# owner, group and mode of a file: "user group mode"
perms() {
	stat -c '%U %G %a' "$1"
}

for g in "$SVC" "$OTHER"; do
	getent group "$g" >/dev/null && fail "group $g exists already"
	groupadd "$g"
	MADE_GROUPS="$MADE_GROUPS $g"
done
for u in "$SVC" "$MEMBER" "$OP" "$OUT"; do
	id "$u" >/dev/null 2>&1 && fail "user $u exists already"
	case $u in
	"$SVC") opts="-g $SVC" ;;
	"$OUT") opts="-g $OTHER" ;;
	*) opts="-g $OTHER -G $SVC" ;;
	esac
	# shellcheck disable=SC2086
	useradd -M -N $opts -s /usr/sbin/nologin "$u"
	MADE_USERS="$u $MADE_USERS"
done
P0=$(free_port)

# --- a user named in the configuration must exist ---
cat >"$CONF" <<EOC
data_dir: $DATA
user: kics-t$$-none
event_types: $SRC/conf/event-types.yaml
rules: $SRC/conf/rules.yaml
EOC
rc=0
"$DAEMON" --config "$CONF" --foreground >"$LOG" 2>&1 || rc=$?
check_eq "a missing configured user: no start" 1 "$rc"
grep -q "user 'kics-t$$-none'.*does not exist" "$LOG" ||
    fail "no message naming the missing user: $(cat "$LOG")"

# --- an earlier run as root (user: root) leaves root's files ---
start_as root
check_eq "user: root runs as root" 0 \
    "$(awk '/^Uid:/ { print $3 }' "/proc/$PID/status")"
stop_daemon
check_eq "files of the root run" "root root" \
    "$(stat -c '%U %G' "$DB" "$DATA/pki/ca.key" | sort -u)"

# --- started as root with the service user: the drop ---
start_as "$SVC"
SVC_UID=$(id -u "$SVC")
SVC_GID=$(getent group "$SVC" | cut -d: -f3)
check_eq "daemon uids" "$SVC_UID $SVC_UID $SVC_UID $SVC_UID" \
    "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$PID/status")"
check_eq "daemon gids" "$SVC_GID $SVC_GID $SVC_GID $SVC_GID" \
    "$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$PID/status")"
check_eq "daemon groups" "$SVC_GID" \
    "$(awk '/^Groups:/ { print $2 }' "/proc/$PID/status")"
check_eq "daemon capabilities: CAP_NET_BIND_SERVICE only" \
    "0000000000000400 0000000000000400" \
    "$(awk '/^CapEff:|^CapPrm:/ { print $2 }' "/proc/$PID/status" |
    tr '\n' ' ' | sed 's/ $//')"
check_eq "data directory" "$SVC $SVC 750" "$(perms "$DATA")"
check_eq "database" "$SVC $SVC 640" "$(perms "$DB")"
check_eq "database -wal" "$SVC $SVC 640" "$(perms "$DB-wal")"
check_eq "database -shm" "$SVC $SVC 640" "$(perms "$DB-shm")"
check_eq "control socket" "$SVC $SVC 660" "$(perms "$DATA/control.sock")"
check_eq "pki directory" "$SVC $SVC 700" "$(perms "$DATA/pki")"
for k in "$DATA"/pki/*.key; do
	check_eq "key $(basename "$k")" "$SVC $SVC 600" "$(perms "$k")"
done
check_eq "nothing left to root" "" \
    "$(find "$DATA" -user root -o -group root)"

# --- agents: a server on a high port and one below 1024 ---
printf 'S3cret passphrase\n' >"$TMP/pw"
P1=$(free_port)
q --format json server add --address 127.0.0.1 --port "$P1" \
    --name t1 >"$TMP/add.json" || fail "server add"
ID1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
    "$TMP/add.json")
q package create --server "$ID1" --out "$TMP/pkg1.zip" \
    --password-file "$TMP/pw" >/dev/null || fail "package create"
check_eq "agent acked by the unprivileged daemon" 0 \
    "$(agent "$P1" "$TMP/pkg1.zip")"

LOW=$(free_low_port)
[ -n "$LOW" ] || fail "no free port below 1024 on 127.0.0.1"
q --format json server add --address 127.0.0.1 --port "$LOW" \
    --name low >"$TMP/add.json" ||
    fail "server add --port $LOW after the drop: $(cat "$TMP/add.json")"
ID2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
    "$TMP/add.json")
grep -q "listening on 127.0.0.1:$LOW" "$LOG" ||
    fail "no listener on port $LOW"
q package create --server "$ID2" --out "$TMP/pkg2.zip" \
    --password-file "$TMP/pw" >/dev/null || fail "package create (low)"
check_eq "agent on port $LOW, opened after the drop" 0 \
    "$(agent "$LOW" "$TMP/pkg2.zip")"

# --- who may read, who may write ---
check_reads "group member reads" "$MEMBER"
as "$MEMBER" server add --address 127.0.0.1 --port "$(free_port)"
check_eq "group member may not add a server" 4 "$rc"
q user add "$OP" --role operator >/dev/null || fail "user add"
check_reads "operator in the group reads" "$OP"
as "$OP" server add --address 127.0.0.1 --port "$(free_port)"
check_eq "operator may not add a server" 4 "$rc"
as "$OUT" devices
check_eq "outsider: kics-query fails" 1 "$rc"
grep -q "permission denied.*'$DATA'" "$TMP/out" ||
    fail "outsider: no 'permission denied' naming '$DATA': $(cat "$TMP/out")"
echo "ok - outsider: $(cat "$TMP/out")"
if setpriv --reuid="$(id -u "$OUT")" --regid="$(id -g "$OUT")" \
    --init-groups cat "$DB" >/dev/null 2>&1; then
	fail "outsider can read $DB"
fi
echo "ok - outsider cannot read kics-epp.db"

# --- the daemon stopped: group members still read ---
stop_daemon
[ -e "$DB-wal" ] && [ -e "$DB-shm" ] ||
    fail "-wal or -shm gone with the daemon: $(ls "$DATA")"
echo "ok - -wal and -shm stay after the daemon stopped"
check_reads "group member reads, daemon stopped" "$MEMBER"
check_eq "and finds the agent's device" 0 "$rc"
check_reads "operator reads, daemon stopped" "$OP"
as "$OUT" devices
check_eq "outsider, daemon stopped" 1 "$rc"
grep -q 'permission denied' "$TMP/out" || fail "$(cat "$TMP/out")"
echo "test-unprivileged: all passed"
