# SPDX-License-Identifier: Apache-2.0
"""The fixture of the Python-driven shell tests: check() and finish() for
all of them (test-commit-stats, test-query-live, test-kics-query,
test-render), kq_runner() for kics-query, rows_reader() for the database,
tls_get() for a request over a new TLS connection (test-tls-resume,
bench-handshake), and for the tests against the daemon a free port on 127.0.0.1, the
smallest configuration with one integration server, and the daemon started
and ready; the shell side of the same is tests/lib.sh."""
import os
import socket
import sqlite3
import subprocess
import sys
import time

READY_S = 20

checks = 0      # check() calls so far
failures = 0    # of which failed


def check(cond, what):
    """Counts a check; when cond is false, counts a failure and prints
    "FAIL: what" to stderr. The test goes on: finish() gives its result."""
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def finish(prefix=""):
    """Prints "[prefix: ]N checks, M failed" and exits: 1 when a check
    failed, else 0."""
    print("%s%d checks, %d failed" % (prefix + ": " if prefix else "",
                                      checks, failures))
    sys.exit(1 if failures else 0)


def kq_runner(query, data):
    """Returns kq(*args), which runs the kics-query program query with
    --data-dir data and args, NO_COLOR=1, and returns its
    subprocess.CompletedProcess (stdout and stderr as text)."""
    def kq(*args):
        env = dict(os.environ, NO_COLOR="1")
        return subprocess.run([query, "--data-dir", data] + list(args),
                              capture_output=True, env=env, text=True)
    return kq


def rows_reader(db):
    """Returns rows(sql, *params), which runs sql with params on the
    database file db, opened read-only, and returns its rows as a list of
    dicts (column name: value)."""
    def rows(sql, *params):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        con.row_factory = sqlite3.Row
        r = [dict(x) for x in con.execute(sql, params)]
        con.close()
        return r
    return rows


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daemon(daemon, tmp, data, name):
    """Starts daemon with data_dir data and one integration server name
    on a free port, its log in tmp/daemon.log; returns (process, port,
    log path) once it logged "ready:". When it exits first or is not
    ready within READY_S, fails a check with its log and ends the test."""
    port = free_port()
    conf = os.path.join(tmp, "kics-epp.yaml")
    with open(conf, "w") as f:
        f.write("data_dir: %s\nintegration_servers:\n  - name: %s\n"
                "    address: 127.0.0.1\n    port: %d\n"
                "event_types: %s/conf/event-types.yaml\n"
                % (data, name, port, os.environ["KICS_SOURCE_ROOT"]))
    logpath = os.path.join(tmp, "daemon.log")
    with open(logpath, "w") as log:
        proc = subprocess.Popen([daemon, "--config", conf, "--foreground"],
                                stdout=log, stderr=log)
    text = ""
    for _ in range(READY_S * 20):
        with open(logpath) as f:
            text = f.read()
        if "ready:" in text or proc.poll() is not None:
            break
        time.sleep(0.05)
    if "ready:" not in text:
        check(False, "daemon ready within %d s (exit status %s); its log:\n%s"
              % (READY_S, proc.poll(), text))
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise SystemExit(1)
    return proc, port, logpath


def tls_get(ctx, port, session=None):
    """Sends a GET of /api/v1/report over a new TLS connection to
    127.0.0.1:port made by ctx (resuming session, if given) and reads the
    answer to its end; (answer, whether the session was resumed, the
    connection's session), the connection closed.
    Raises ssl.SSLError or OSError when the connection fails."""
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
        session=session)
    s.sendall(b"GET /api/v1/report HTTP/1.1\r\nHost: t\r\n"
        b"Connection: close\r\n\r\n")
    got = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
    reused, session = s.session_reused, s.session
    s.close()
    return got, reused, session
