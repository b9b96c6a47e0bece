#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# meson install into a scratch DESTDIR, then checks of the installed tree:
# programs, systemd unit, sysusers.d and tmpfiles.d files, configuration,
# man pages; systemd-analyze verify and security on the unit; groff on
# every man page. Needs systemd (systemd-analyze, systemd-sysusers,
# systemd-tmpfiles), groff-base and man-db (scripts/install-deps.sh).
# usage: test-install.sh BINDIR SYSCONFDIR MANDIR UNITDIR SYSUSERSDIR
#        TMPFILESDIR   (absolute installed paths, without DESTDIR)
set -eu

BINDIR=$1
SYSCONFDIR=$2
MANDIR=$3
UNITDIR=$4
SYSUSERSDIR=$5
TMPFILESDIR=$6
MAX_EXPOSURE=2.0

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test-install.XXXXXX")
DEST=$TMP/dest
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=1
}

ok() {
	echo "ok: $*"
}

for prog in systemd-analyze systemd-sysusers groff man; do
	command -v "$prog" >/dev/null 2>&1 ||
	    { echo "FAIL: $prog is not installed (scripts/install-deps.sh)" >&2
	    exit 1; }
done

meson install -C "${KICS_BUILD_ROOT:?}" --destdir "$DEST" --no-rebuild \
    --quiet >"$TMP/install.log" 2>&1 ||
    { cat "$TMP/install.log" >&2; echo "FAIL: meson install" >&2; exit 1; }
ok "meson install --destdir"

# --- the files ---------------------------------------------------------
for f in "$BINDIR/kics-epp-proxy" "$BINDIR/kics-query" \
    "$BINDIR/kics-agent-sim"; do
	[ -x "$DEST$f" ] && ok "$f" || fail "$f is not installed executable"
done
v=$("$DEST$BINDIR/kics-agent-sim" --version) &&
    [ "$v" = "kics-agent-sim $(sed -n "s/^  version : '\(.*\)',$/\1/p" \
    "${KICS_SOURCE_ROOT:?}/meson.build")" ] &&
    ok "kics-agent-sim --version: $v" ||
    fail "kics-agent-sim --version printed '$v'"
UNIT=$DEST$UNITDIR/kics-epp-proxy.service
for f in "$UNIT" "$DEST$SYSUSERSDIR/kics-epp.conf" \
    "$DEST$TMPFILESDIR/kics-epp.conf" \
    "$DEST$SYSCONFDIR/kics-epp/kics-epp.yaml" \
    "$DEST$SYSCONFDIR/kics-epp/event-types.yaml" \
    "$DEST$SYSCONFDIR/kics-epp/rules.yaml"; do
	[ -f "$f" ] && ok "${f#"$DEST"}" || fail "${f#"$DEST"} is not installed"
done
MANS="man1/kics-query.1 man1/kics-agent-sim.1 man5/kics-epp.yaml.5
man8/kics-epp-proxy.8"
for m in $MANS; do
	[ -f "$DEST$MANDIR/$m" ] && ok "$MANDIR/$m" ||
	    fail "$MANDIR/$m is not installed"
done
[ "$fails" = 0 ] || exit 1

# --- the unit ----------------------------------------------------------
# @bindir@ and @sysconfdir@ were substituted with the installed paths.
if grep -q '@[a-z]*@' "$UNIT"; then
	fail "unsubstituted @...@ in the unit"
fi
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT")
case $EXEC in
"$BINDIR/kics-epp-proxy --foreground "*) ok "ExecStart names $BINDIR" ;;
*) fail "ExecStart is '$EXEC'" ;;
esac
case $EXEC in
*"--config $SYSCONFDIR/kics-epp/kics-epp.yaml "*)
	ok "ExecStart names the installed kics-epp.yaml" ;;
*) fail "ExecStart does not name $SYSCONFDIR/kics-epp/kics-epp.yaml" ;;
esac
# The installed daemon accepts the installed configuration.
if out=$("$DEST$BINDIR/kics-epp-proxy" --check \
    --config "$DEST$SYSCONFDIR/kics-epp/kics-epp.yaml" \
    --data-dir "$TMP/no-data" 2>&1) && [ "$out" = "configuration OK" ]; then
	ok "installed kics-epp-proxy --check on the installed configuration"
else
	fail "--check of the installed configuration: $out"
fi

# systemd-analyze verify refuses a unit whose ExecStart= binary does not
# exist, and the binary lives under DESTDIR, not at its installed path.
# --root=DESTDIR would find it but then also looks for /bin/kill and
# sysinit.target under DESTDIR. So the unit is verified as installed
# except for one drop-in that points ExecStart= at the DESTDIR binary
# (same arguments): verify reads drop-ins from UNIT.d/ beside the unit.
# MANPATH makes the man: links of Documentation= resolve to the installed
# pages. verify exits 0 on unknown keys or bad values (it only warns), so
# any output at all is a failure.
mkdir -p "$TMP/units/kics-epp-proxy.service.d"
cp "$UNIT" "$TMP/units/"
{
	echo "[Service]"
	echo "ExecStart="
	echo "ExecStart=$DEST$EXEC"
} >"$TMP/units/kics-epp-proxy.service.d/destdir.conf"
if out=$(MANPATH=$DEST$MANDIR systemd-analyze verify \
    "$TMP/units/kics-epp-proxy.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify"
else
	fail "systemd-analyze verify: $out"
fi

out=$(systemd-analyze security --offline=yes "$UNIT" 2>&1) || true
level=$(printf '%s\n' "$out" |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	fail "systemd-analyze security gave no exposure: $out"
elif awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }'; then
	ok "systemd-analyze security exposure $level (at most $MAX_EXPOSURE)"
else
	printf '%s\n' "$out" | grep '✗' >&2 || true
	fail "systemd-analyze security exposure $level, above $MAX_EXPOSURE"
fi

# --- sysusers.d and tmpfiles.d -----------------------------------------
ROOT=$TMP/root
mkdir -p "$ROOT/etc"
if out=$(systemd-sysusers --root="$ROOT" \
    "$DEST$SYSUSERSDIR/kics-epp.conf" 2>&1) &&
    grep -q '^kics-epp:x:[0-9]*:[0-9]*:.*:/var/lib/kics-epp:' \
    "$ROOT/etc/passwd" && grep -q '^kics-epp:x:' "$ROOT/etc/group"; then
	ok "sysusers.d creates user and group kics-epp"
else
	fail "sysusers.d: $out"
fi
# Creating the directory with its owner needs root (chown).
if [ "$(id -u)" = 0 ]; then
	if out=$(systemd-tmpfiles --root="$ROOT" --create \
	    "$DEST$TMPFILESDIR/kics-epp.conf" 2>&1) &&
	    [ "$(stat -c '%a' "$ROOT/var/lib/kics-epp")" = 750 ] &&
	    [ "$(stat -c '%u' "$ROOT/var/lib/kics-epp")" = \
	    "$(sed -n 's/^kics-epp:x:\([0-9]*\):.*/\1/p' "$ROOT/etc/passwd")" ]
	then
		ok "tmpfiles.d creates /var/lib/kics-epp 0750 kics-epp"
	else
		fail "tmpfiles.d: $out"
	fi
else
	echo "skip: tmpfiles.d (needs root)"
fi

# --- man pages ---------------------------------------------------------
for m in $MANS; do
	out=$(groff -man -ww -z "$DEST$MANDIR/$m" 2>&1) || true
	[ -z "$out" ] && ok "groff -ww $m" || fail "groff -ww $m: $out"
	out=$(MANWIDTH=80 man -l "$DEST$MANDIR/$m" 2>&1 >/dev/null) || true
	[ -z "$out" ] && ok "man -l $m" || fail "man -l $m: $out"
done

[ "$fails" = 0 ] || exit 1
echo "all install checks passed"
