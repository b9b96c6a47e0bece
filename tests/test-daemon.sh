#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of kics-epp-proxy: the real daemon on a free 127.0.0.1
# port, real TLS (curl --cacert DATA_DIR/pki/ca.pem), a real database file.
# usage: test-daemon.sh KICS_EPP_PROXY MAKE_REPORT KICS_QUERY
# Needs curl, sqlite3 and python3 (free port, raw TLS for the 413 case).
set -eu

DAEMON=$1
MKREP=$2
KQ=$3

. "$(dirname "$0")/lib.sh"
test_dir test-daemon
PORT=$(free_port)
URL=https://127.0.0.1:$PORT
daemon_conf "$PORT" <<EOF
log_level: debug
agents:
  max_agents: 3
  report_interval_s: 30
  timeout_s: 60
limits:
  max_body_bytes: 4096
  max_body_memory_bytes: 8192
  max_connections: 64
  idle_timeout_s: 20
EOF

# post BODYFILE [CONTENT_TYPE [PATH [METHOD]]]: prints the HTTP status,
# leaves the reply body in $TMP/reply.
post() {
	curl -sS --cacert "$DATA/pki/ca.pem" -o "$TMP/reply" \
	    -w '%{http_code}' -X "${4:-POST}" \
	    -H "Content-Type: ${2:-application/x-protobuf}" \
	    --data-binary "@$1" "$URL${3:-/api/v1/report}"
}

report() {	# FILE make-report-args...
	f=$1
	shift
	"$MKREP" "$@" >"$f"
}

error_code() {
	"$MKREP" --decode-error <"$TMP/reply" | sed -n 's/^code=//p'
}

acked() {
	"$MKREP" --decode-ack <"$TMP/reply" | sed -n 's/^acked_sequence=//p'
}

sql() {
	sqlite3 -bail "$DB" "$1"
}

totals() {	# events/devices
	sql "SELECT (SELECT count(*) FROM event_log) || '/' ||
	    (SELECT count(*) FROM map_nodes)"
}

# --check ------------------------------------------------------------------
out=$("$DAEMON" --config "$CONF" --check 2>&1) || fail "--check: $out"
check_eq "--check of a good configuration" "configuration OK" "$out"
printf 'agents:\n  bogus_key: 1\n' >"$TMP/bad.yaml"
rc=0
out=$("$DAEMON" --config "$TMP/bad.yaml" --check 2>&1) || rc=$?
check_eq "--check of a bad configuration fails" 1 "$rc"
echo "$out" | grep -q "^$TMP/bad.yaml:2:[0-9]*: " ||
    fail "--check error not as file:line:column: '$out'"
echo "ok - --check prints file:line:column"

start_daemon
[ -f "$DATA/pki/ca.pem" ] || fail "no pki/ca.pem"

# Happy path and resend -----------------------------------------------------
report "$TMP/a1" --agent agent-a --seq 1 --mac aa:bb:cc:00:00:01 \
    --ip 10.0.0.1 --hostname host-a --events 3 --event-prefix a1
check_eq "valid report" 200 "$(post "$TMP/a1")"
check_eq "ack sequence" 1 "$(acked)"
"$MKREP" --decode-ack <"$TMP/reply" | grep -q '^next_report_interval_s=30$' ||
    fail "ack does not carry report_interval_s"
echo "ok - ack carries report_interval_s"
# events.event_id is the agent's id (event_log shows the row id).
events=$(sql "SELECT count(*) FROM events WHERE event_id LIKE 'a1-%'")
check_eq "events stored" 3 "$events"
check_eq "configured server stored" "test|1|$PORT" \
    "$(sql "SELECT name, enabled, port FROM integration_servers")"
check_eq "server certificate recorded" 1 \
    "$(sql "SELECT cert_not_after_ms > 0 AND length(cert_sha256) = 64
	FROM integration_servers")"
check_eq "report tied to its server" "1|1" \
    "$(sql "SELECT a.server_id, s.last_data_ms > 0 FROM agents a
	JOIN integration_servers s ON s.id = a.server_id")"
total=$(totals)

check_eq "resend" 200 "$(post "$TMP/a1")"
check_eq "resend ack sequence" 1 "$(acked)"
check_eq "resend changes nothing" "$total" \
    "$(totals)"
# A resend is answered from its head (agent_id, sequence, agent_token)
# without waiting for a batch: what else it carries is not looked at,
# since that sequence is stored already.
report "$TMP/a1-other" --agent agent-a --seq 1 --mac aa:bb:cc:00:00:01 \
    --ip 10.0.0.1 --hostname host-a --events 5 --event-prefix a1x
check_eq "resend with other contents" 200 "$(post "$TMP/a1-other")"
check_eq "its ack sequence" 1 "$(acked)"
check_eq "it changes nothing" "$total" "$(totals)"
early=$("$KQ" --data-dir "$DATA" status --format json | python3 -c '
import json, sys
print(json.load(sys.stdin)["daemon"]["writer"]["resends_early"])')
check_eq "resends answered outside a batch" 2 "$early"

# Errors ------------------------------------------------------------------
head -c 512 /dev/urandom >"$TMP/garbage"
printf '\377\377\377\377' >>"$TMP/garbage"
check_eq "garbage" 400 "$(post "$TMP/garbage")"
check_eq "garbage code" bad_payload "$(error_code)"
report "$TMP/noid" --seq 5 --mac aa:bb:cc:00:00:09 --events 1 \
    --event-prefix noid
check_eq "report without agent_id" 400 "$(post "$TMP/noid")"
check_eq "report without agent_id code" bad_payload "$(error_code)"
check_eq "nothing stored for bad payloads" "$total" \
    "$(totals)"

check_eq "wrong content type" 415 "$(post "$TMP/a1" text/plain)"
check_eq "wrong content type code" bad_content_type "$(error_code)"
check_eq "unknown path" 404 "$(post "$TMP/a1" '' /api/v1/other)"
check_eq "unknown path code" not_found "$(error_code)"
check_eq "GET on the report path" 405 \
    "$(curl -sS --cacert "$DATA/pki/ca.pem" -o "$TMP/reply" \
    -w '%{http_code}' "$URL/api/v1/report")"
check_eq "GET code" method_not_allowed "$(error_code)"

# 413 from the Content-Length alone: the body is never sent, and the
# daemon must answer instead of waiting for it.
status=$(python3 - "$PORT" "$DATA/pki/ca.pem" <<'EOF'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
        t.sendall(b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-protobuf\r\n"
                  b"Content-Length: 10000000\r\n\r\n")
        print(t.recv(4096).split(b"\r\n")[0].decode())
EOF
) || fail "413 probe failed"
check_eq "oversize Content-Length" "HTTP/1.1 413 Payload Too Large" \
    "$(echo "$status" | sed 's/Request Entity Too Large/Payload Too Large/')"

# The gate (ingest/http_gate.c) sees each request's framing before evhttp
# reads a body: its refusals are ErrorReplies like every other answer, and
# the requests it passes arrive whole however the bytes are cut (a1 is
# committed already: each resend is acked again).
# raw_probe CASE...: one line per case, "STATUS CODE..." per reply.
raw_probe() {
	python3 - "$PORT" "$DATA/pki/ca.pem" "$TMP/a1" "$@" <<'EOF'
import socket, ssl, sys, time
port, ca, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
ctx = ssl.create_default_context(cafile=ca)

def head(extra, length=None):
    h = (b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\n"
         b"Content-Type: application/x-protobuf\r\n")
    if length is not None:
        h += b"Content-Length: %d\r\n" % length
    return h + extra + b"\r\n"

def field(data, want):
    """The string field number want of a protobuf message (ErrorReply)."""
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        n, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7f) << shift
            shift += 7
            if b < 0x80:
                break
        if tag >> 3 == want and tag & 7 == 2:
            return data[i:i + n].decode()
        i += n
    return "-"

def replies(t, count):
    """Reads count HTTP responses: [(status, ErrorReply code or '')]."""
    buf, out = b"", []
    t.settimeout(5)
    while len(out) < count:
        while b"\r\n\r\n" not in buf:
            chunk = t.recv(65536)
            if not chunk:
                return out + [("closed", "")]
            buf += chunk
        h, buf = buf.split(b"\r\n\r\n", 1)
        lines = h.decode().split("\r\n")
        status, n = lines[0].split()[1], 0
        for l in lines[1:]:
            k, v = l.split(":", 1)
            if k.strip().lower() == "content-length":
                n = int(v)
        while len(buf) < n:
            chunk = t.recv(65536)
            if not chunk:
                break
            buf += chunk
        data, buf = buf[:n], buf[n:]
        out.append((status, field(data, 1) if status != "200" else ""))
    return out

def send(t, case):
    """Sends case; returns how many replies it expects."""
    if case == "too_large":
        t.sendall(head(b"", 10000000))
    elif case == "two_lengths":
        t.sendall(head(b"Content-Length: 5\r\n", 6) + b"x" * 6)
    elif case == "same_length_twice":
        t.sendall(head(b"Content-Length: %d\r\n" % len(body), len(body)) +
                  body)
    elif case == "te_and_length":
        t.sendall(head(b"Transfer-Encoding: chunked\r\n", 5))
    elif case == "chunked":
        t.sendall(head(b"Transfer-Encoding: chunked\r\n") +
                  b"5\r\nhello\r\n0\r\n\r\n")
    elif case == "folded":
        t.sendall(head(b"X-A: 1\r\n  folded\r\n", len(body)) + body)
    elif case == "space_before_colon":
        t.sendall(head(b"Content-Length : 3\r\n") + body)
    elif case == "huge_headers":
        t.sendall(head(b"X-Pad: " + b"p" * 9000 + b"\r\n", len(body)))
    elif case == "bad_length":
        t.sendall(head(b"Content-Length: 1x\r\n"))
    elif case == "dribble":
        data = head(b"", len(body)) + body
        for i in range(0, len(data), 3):
            t.sendall(data[i:i + 3])
            time.sleep(0.002)
    elif case == "pipelined":
        t.sendall((head(b"", len(body)) + body) * 2)
        return 2
    return 1

for case in sys.argv[4:]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            got = replies(t, send(t, case))
            print(" ".join(("%s %s" % g).strip() for g in got))
EOF
}
out=$(raw_probe too_large two_lengths same_length_twice te_and_length \
    chunked folded space_before_colon huge_headers bad_length dribble \
    pipelined) || fail "gate probe failed"
check_eq "gate refusals and passes" "413 too_large
400 bad_request
400 bad_request
400 bad_request
411 length_required
400 bad_request
400 bad_request
400 bad_request
400 bad_request
200
200 200" "$out"

# TLS records cut on purpose (issue 17): the daemon reads ahead, one
# read() for what the socket has, so several records arrive at once and
# must all be read although the socket then looks empty. The client does
# its TLS in memory and sends each case's records in one write: the
# request's head and body as two records; two requests in four records;
# the client's last handshake message with the first request behind it;
# a request sent while the one before it is at the writer; a request
# followed by the client's half close.
rec_probe() {
	python3 - "$PORT" "$DATA/pki/ca.pem" "$TMP/a1" "$@" <<'EOF2'
import socket, ssl, sys, time
port, ca, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
head = (b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-protobuf\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body))

def connect(hold_finished):
    """Handshakes in memory; the client's Finished is sent unless held."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inc, out, server_hostname="127.0.0.1")
    while True:
        try:
            o.do_handshake()
            break
        except ssl.SSLWantReadError:
            s.sendall(out.read())
            data = s.recv(65536)
            if not data:
                raise SystemExit("closed in the handshake")
            inc.write(data)
    if not hold_finished:
        s.sendall(out.read())
    return s, o, inc, out

def statuses(s, o, inc, count):
    """The status codes of count replies, "closed" if it ends first."""
    buf, got = b"", []
    while len(got) < count:
        try:
            buf += o.read(65536)
        except ssl.SSLWantReadError:
            data = s.recv(65536)
            if not data:
                return got + ["closed"]
            inc.write(data)
            continue
        except ssl.SSLZeroReturnError:
            return got + ["closed"]
        while b"\r\n\r\n" in buf:
            h, rest = buf.split(b"\r\n\r\n", 1)
            n = 0
            for l in h.decode().split("\r\n")[1:]:
                k, v = l.split(":", 1)
                if k.strip().lower() == "content-length":
                    n = int(v)
            if len(rest) < n:
                break
            got.append(h.split(b" ")[1].decode())
            buf = rest[n:]
    return got

for case in sys.argv[4:]:
    s, o, inc, out = connect(case == "after_finished")
    n = 1
    if case == "split":
        o.write(head)
        o.write(body)
    elif case in ("two", "after_finished"):
        n = 2 if case == "two" else 1
        for _ in range(n):
            o.write(head)
            o.write(body)
    elif case == "while_queued":
        o.write(head + body)
        s.sendall(out.read())
        time.sleep(0.001)
        o.write(head + body)
        n = 2
    elif case == "half_close":
        o.write(head + body)
    s.sendall(out.read())
    if case == "half_close":
        s.shutdown(socket.SHUT_WR)
    print(case, " ".join(statuses(s, o, inc, n)))
    s.close()
EOF2
}
out=$(rec_probe split two after_finished while_queued half_close) ||
    fail "record probe failed"
check_eq "records read ahead" "split 200
two 200 200
after_finished 200
while_queued 200 200
half_close 200" "$out"

# A decode bomb (issue 11): 2,000 empty events in 4,000 bytes are refused
# by the pre-scan before protobuf-c allocates any of them.
python3 -c 'import sys
sys.stdout.buffer.write(b"\x0a\x07agent-z\x10\x01" + b"\x3a\x00" * 2000)' \
    >"$TMP/bomb"
check_eq "decode bomb" 400 "$(post "$TMP/bomb")"
check_eq "decode bomb code" bad_payload "$(error_code)"
grep -q 'refused before decoding: events: more than 1000 entries' "$LOG" ||
    fail "the log does not say why the bomb was refused"
echo "ok - decode bomb: the log says why"

# The gate pre-scans a report's body as it arrives (issue 11): a client
# that declares 4,095 bytes of empty events (limits.max_body_bytes: 4096)
# and has sent 2,100 of them gets 400 bad_payload at once, without
# sending the rest. (test-admission.sh does it with 4 MiB bombs.)
out=$(python3 - "$PORT" "$DATA/pki/ca.pem" <<'EOF'
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
body = b"\x0a\x07agent-y\x10\x01" + b"\x3a\x00" * (2048 - 6)
head = (b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\nContent-Type: "
        b"application/x-protobuf\r\nContent-Length: %d\r\n\r\n" % len(body))
s = socket.create_connection(("127.0.0.1", port), timeout=5)
t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
t.sendall(head + body[:2100])
reply = t.recv(4096).decode("latin-1")
print(reply.split("\r\n")[0])
print("close" if "Connection: close" in reply else "keep-alive")
EOF
) || fail "streaming bomb probe failed"
check_eq "bomb refused before it was sent whole" "HTTP/1.1 400 Bad Request
close" "$out"
n=$(sed -n 's/.*more than 1000 entries (after \([0-9]*\) of 4095 bytes).*/\1/p' "$LOG" | tail -1)
[ -n "$n" ] && [ "$n" -le 2100 ] ||
    fail "the log does not say the bomb was refused within 2,100 bytes ('$n')"
echo "ok - decode bomb refused after $n of 4095 bytes"

# A client that waits for "100 Continue" before it sends its body gets it
# from the gate (evhttp sees the request only once its body is whole).
# (agent-a's first report again: acked as a resend, no new agent)
report "$TMP/ex" --agent agent-a --seq 1 --mac aa:bb:cc:00:00:01 \
    --ip 10.0.0.1 --hostname host-a --events 1 --event-prefix ex
code=$(curl -sS --cacert "$DATA/pki/ca.pem" -o /dev/null -m 10 \
    --expect100-timeout 30 -H 'Expect: 100-continue' -w '%{http_code}' \
    -H 'Content-Type: application/x-protobuf' --data-binary "@$TMP/ex" \
    "$URL/api/v1/report") || true
check_eq "report after 100 Continue" 200 "$code"
# Such a client's body goes on to evhttp as it comes; a bomb there is
# still refused by the pre-scan, by closing the connection.
python3 -c 'import sys
sys.stdout.buffer.write(b"\x0a\x07agent-w\x10\x01" + b"\x3a\x00" * 2042)' \
    >"$TMP/bomb-w"
code=$(curl -sS --cacert "$DATA/pki/ca.pem" -o /dev/null -m 10 \
    --expect100-timeout 30 -H 'Expect: 100-continue' -w '%{http_code}' \
    -H 'Content-Type: application/x-protobuf' --data-binary "@$TMP/bomb-w" \
    "$URL/api/v1/report" 2>/dev/null) || true
case $code in	# curl says 100 when all it got was the "go on"
000|100) echo "ok - bomb after 100 Continue: closed ($code)" ;;
*) fail "bomb after 100 Continue: got $code" ;;
esac
grep -q 'gate: report refused before decoding: events: more than 1000 entries (after 2012 of 4095 bytes), closing' \
    "$LOG" || fail "the log does not say why the connection was closed"

# Memory for bodies being received (limits.max_body_memory_bytes: 8192,
# two bodies of max_body_bytes): of 100 slow clients that declare 4,096
# bytes and send 100, two are admitted and 98 are answered 503 busy at
# once, before their bodies are read. A client that gives up returns its
# share, and one that completes its body too.
out=$(python3 - "$PORT" "$DATA/pki/ca.pem" <<'EOF'
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
HEAD = (b"POST /api/v1/report HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-protobuf\r\nContent-Length: %d\r\n\r\n")

def open_slow(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    # the start of a report: agent_id, 4,093 bytes long (refused once whole)
    t.sendall(HEAD % n + b"\x0a\xfd\x1f" + b"a" * 97)
    return t

def status(t, wait):
    t.settimeout(wait)
    try:
        line = t.recv(4096).split(b"\r\n")[0].decode()
        return line.split()[1] if line else "closed"
    except socket.timeout:
        return "pending"

slow = [open_slow(4096) for _ in range(100)]
time.sleep(0.5)
got = [status(t, 0.05) for t in slow]
pending = [t for t, g in zip(slow, got) if g == "pending"]
print(len(pending), got.count("503"))
# one of the admitted gives up; the other sends the rest of its body
pending[0].close()
pending[1].sendall(b"a" * (4096 - 100))
print(status(pending[1], 5))
time.sleep(0.3)
# both shares are back: two new slow clients fit again, a third does not
again = [open_slow(4096) for _ in range(3)]
time.sleep(0.3)
print(" ".join(sorted(status(t, 0.2) for t in again)))
for t in slow + again:
    t.close()
EOF
) || fail "budget probe failed"
check_eq "body memory budget" "2 98
400
503 pending pending" "$out"

# Keep-alive: two requests, one connection.
report "$TMP/a2" --agent agent-a --seq 2 --mac aa:bb:cc:00:00:01 \
    --ip 10.0.0.1 --hostname host-a --events 1 --event-prefix a2
connects=$(curl -sS --cacert "$DATA/pki/ca.pem" -o /dev/null -o /dev/null \
    -w '%{http_code}:%{num_connects} ' \
    -H 'Content-Type: application/x-protobuf' --data-binary "@$TMP/a2" \
    "$URL/api/v1/report" "$URL/api/v1/report")
check_eq "keep-alive" "200:1 200:0 " "$connects"

# 50 idle connections do not delay an agent; past max_connections (64)
# new connections are closed at once.
out=$(python3 - "$PORT" "$DATA/pki/ca.pem" "$TMP/a2" <<'EOF'
import socket, subprocess, sys, time
port, ca, body = int(sys.argv[1]), sys.argv[2], sys.argv[3]
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
t = time.monotonic()
code = subprocess.run(["curl", "-sS", "--cacert", ca, "-o", "/dev/null",
    "-w", "%{http_code}", "-H", "Content-Type: application/x-protobuf",
    "--data-binary", "@" + body,
    "https://127.0.0.1:%d/api/v1/report" % port],
    capture_output=True, text=True).stdout
slow = time.monotonic() - t > 2
more = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
closed = 0
for s in more:
    s.settimeout(0.2)
    try:
        closed += s.recv(1) == b""
    except ConnectionResetError:
        closed += 1
    except socket.timeout:
        pass
print(code, "slow" if slow else "fast", "closed" if closed >= 10 else closed)
EOF
)
check_eq "agent beside 50 idle connections" "200 fast closed" "$out"

# Agent limit (max_agents: 3) -----------------------------------------------
for x in b c; do
	report "$TMP/$x" --agent "agent-$x" --seq 1 --mac "aa:bb:cc:00:00:0$x" \
	    --hostname "host-$x" --events 1 --event-prefix "$x"
	check_eq "agent $x within the limit" 200 "$(post "$TMP/$x")"
done
report "$TMP/d" --agent agent-d --seq 1 --mac aa:bb:cc:00:00:0d \
    --hostname host-d --events 1 --event-prefix d1
check_eq "4th computer" 403 "$(post "$TMP/d")"
check_eq "4th computer code" agent_limit "$(error_code)"
check_eq "nothing of the 4th computer stored" 0 \
    "$(sql "SELECT count(*) FROM events WHERE event_id = 'd1-0'")"
report "$TMP/a-new" --agent agent-a-reinstalled --seq 1 \
    --mac aa:bb:cc:00:00:01 --hostname host-a --events 1 --event-prefix an
check_eq "reinstalled agent on a known computer" 200 "$(post "$TMP/a-new")"

# SIGHUP reloads the event types on the writer thread.
kill -HUP "$PID"
i=0
until grep -q 'event types reloaded' "$LOG"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "SIGHUP did not reload the event types"
	sleep 0.05
done
echo "ok - SIGHUP reloads the event types"
check_eq "a report after the reload" 200 "$(post "$TMP/a-new")"

# SIGTERM under load: every acknowledged report is stored -----------------
load() {	# AGENT MAC FIRST LAST ACKFILE
	s=$3
	while [ "$s" -le "$4" ]; do
		"$MKREP" --agent "$1" --seq "$s" --mac "$2" --events 2 \
		    --event-prefix "$1-$s" >"$TMP/load-$1"
		code=$(curl -sS --cacert "$DATA/pki/ca.pem" -o /dev/null \
		    -w '%{http_code}' \
		    -H 'Content-Type: application/x-protobuf' \
		    --data-binary "@$TMP/load-$1" "$URL/api/v1/report" \
		    2>/dev/null) || code=000
		[ "$code" = 200 ] && echo "$1-$s" >>"$5"
		[ "$code" != 000 ] || break	# the daemon is gone
		s=$((s + 1))
	done
}

check_acked() {	# ACKFILE what
	n=0
	while read -r id; do
		got=$(sql "SELECT count(*) FROM events
		    WHERE event_id IN ('$id-0', '$id-1')")
		[ "$got" = 2 ] || fail "$2: acknowledged report $id lost"
		n=$((n + 1))
	done <"$1"
	[ "$n" -gt 0 ] || fail "$2: nothing was acknowledged"
	echo "ok - $2: all $n acknowledged reports stored"
}

: >"$TMP/acks-term"
load agent-b aa:bb:cc:00:00:0b 10 400 "$TMP/acks-term" &
LOADER=$!
sleep 1
stop_daemon TERM 0
wait "$LOADER" || true
check_acked "$TMP/acks-term" "SIGTERM under load"
check_eq "integrity after SIGTERM" ok "$(sql 'PRAGMA integrity_check')"

# kill -9 under load ------------------------------------------------------
start_daemon
: >"$TMP/acks-kill"
load agent-c aa:bb:cc:00:00:0c 10 400 "$TMP/acks-kill" &
LOADER=$!
sleep 1
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
wait "$LOADER" || true
check_eq "integrity after kill -9" ok "$(sql 'PRAGMA integrity_check')"
start_daemon
check_acked "$TMP/acks-kill" "kill -9 under load"
stop_daemon INT 0

echo "all daemon tests passed"
