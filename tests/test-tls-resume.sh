#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Issue 17, against the real daemon: client-certificate sessions resume
# from the daemon's session cache (its connections end without a
# close_notify), a TLS 1.3 ticket once; a package that revokes the
# certificate ends them: neither its sessions nor a fresh handshake get
# in, the new package does. A crl.pem whose signature fails stops the
# daemon at start with an error naming the file.
# Needs root (packages are made through the control socket).
# usage: test-tls-resume.sh KICS_EPP_PROXY KICS_QUERY
set -eu

DAEMON=$1
QUERY=$2
. "$(dirname "$0")/lib.sh"
test_dir test-tls-resume

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (packages are made through the control socket)"
	exit 77
fi

PORT=$(free_port)
daemon_conf "$PORT" <<END_CONF
    verify_client_cert: true
END_CONF
start_daemon
printf 'S3cret passw0rd\n' >"$TMP/pw"

# a new package of the server; its certificate and key to OUT-PEM
cat >"$TMP/package.sh" <<END_SH
set -eu
"$QUERY" --data-dir "$DATA" package create --server 1 \\
    --out "$TMP/pkg.zip" --password-file "$TMP/pw" >/dev/null
unzip -p "$TMP/pkg.zip" certificates.pfx >"$TMP/pkg.pfx"
openssl pkcs12 -in "$TMP/pkg.pfx" -passin "file:$TMP/pw" -nodes \\
    -out "\$1" 2>/dev/null
END_SH
package() {	# OUT-PEM
	sh "$TMP/package.sh" "$1" || fail "package create"
}
package "$TMP/one.pem"

cat >"$TMP/resume.py" <<'END_PY'
import os, ssl, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["KICS_SOURCE_ROOT"], "tests"))
import daemon_fx
port, ca, one, two, new_package = (int(sys.argv[1]), sys.argv[2],
    sys.argv[3], sys.argv[4], sys.argv[5:])

def context(cert):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.load_cert_chain(cert)
    return ctx

def attempt(ctx, session=None):
    """(answered, reused, session) of one request over a new connection"""
    try:
        got, reused, session = daemon_fx.tls_get(ctx, port, session)
    except (ssl.SSLError, OSError):
        return False, False, None
    return got.startswith(b"HTTP/1.1 405"), reused, session

def expect(what, cond):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok - " + what)

ctx = context(one)
ok, reused, first = attempt(ctx)
expect("a fresh client-certificate handshake is answered", ok and not reused)
ok, reused, second = attempt(ctx, first)
expect("its ticket resumes the session", ok and reused)
ok, reused, third = attempt(ctx, second)
expect("the ticket of a resumption resumes again", ok and reused)
ok, reused, _ = attempt(ctx, first)
expect("a used ticket gets a full handshake", ok and not reused)
subprocess.run(new_package, check=True)
ok, _, _ = attempt(ctx, third)
expect("a revoked certificate's session is not resumed", not ok)
ok, _, _ = attempt(ctx)
expect("a revoked certificate gets no fresh handshake", not ok)
ok, _, _ = attempt(context(two))
expect("the new package gets in", ok)
END_PY

# the second package revokes the first one's certificate
python3 "$TMP/resume.py" "$PORT" "$DATA/pki/ca.pem" "$TMP/one.pem" \
    "$TMP/two.pem" sh "$TMP/package.sh" "$TMP/two.pem" ||
    fail "resumption checks"
grep -q "revoked client certificates\|1 earlier client certificate" "$LOG" ||
    fail "the revocation was not logged"
stop_daemon

# A CRL whose signature fails: the daemon does not start, and says which.
python3 - "$DATA/pki/crl.pem" <<'END_PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
der = bytearray(base64.b64decode("".join(lines[1:-2])))
der[-1] ^= 1	# the last byte of the signature
b64 = base64.b64encode(bytes(der)).decode()
open(sys.argv[1], "w").write(lines[0] + "\n" + "\n".join(
    b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n" + lines[-2] + "\n")
END_PY
openssl crl -in "$DATA/pki/crl.pem" -noout 2>/dev/null ||
    fail "the tampered CRL does not parse"
status=0
timeout 30 "$DAEMON" --config "$CONF" --foreground >"$LOG" 2>&1 || status=$?
[ "$status" != 0 ] && [ "$status" != 124 ] ||
    fail "the daemon started (or hung) with a CRL that fails its signature"
grep -q "CRL file: '$DATA/pki/crl.pem': not signed" "$LOG" ||
    fail "the error does not name the CRL file: $(tail -n 1 "$LOG")"
echo "ok - a CRL that fails its signature stops the start, naming the file"
