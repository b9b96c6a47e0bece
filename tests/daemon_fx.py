# SPDX-License-Identifier: Apache-2.0
"""The daemon fixture of the Python-driven shell tests (test-commit-stats,
test-query-live): a free port on 127.0.0.1, the smallest configuration
with one integration server, and the daemon started and ready; the shell
side of the same is tests/lib.sh."""
import os
import socket
import subprocess
import time

READY_S = 20


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daemon(daemon, tmp, data, name, check):
    """Starts daemon with data_dir data and one integration server name
    on a free port, its log in tmp/daemon.log; returns (process, port,
    log path) once it logged "ready:". When it exits first or is not
    ready within READY_S, fails check with its log and ends the test."""
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
