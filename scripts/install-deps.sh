#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs, with apt-get, every Debian 12 package that building and testing
# kics-epp needs. Run as root; packages already present are left alone.
# libgraphviz-dev and libgvc6 (whose cairo/pango plugin draws PNG) with a
# font are for kics-query map render; graphviz, the programs, only gives
# bench-render its baseline (kics-query never runs them).
# nghttp2-client (h2load) and nginx are the load generator and the
# baseline of the request-path benchmark, which runs its own nginx in a
# temporary prefix on 127.0.0.1.
set -eu

PACKAGES="
	gcc
	clang-14
	libclang-rt-14-dev
	libc6-dev
	pkg-config
	meson
	ninja-build
	python3
	protobuf-c-compiler
	libprotobuf-c-dev
	libsqlite3-dev
	sqlite3
	libssl-dev
	openssl
	libyaml-dev
	libevent-dev
	libarchive-dev
	curl
	faketime
	ca-certificates
	procps
	util-linux
	passwd
	unzip
	systemd
	man-db
	groff-base
	libpcap-dev
	libndpi-dev
	ieee-data
	python3-scapy
	iproute2
	rsyslog
	rsyslog-gnutls
	libgraphviz-dev
	libgvc6
	fonts-dejavu-core
	graphviz
	nghttp2-client
	nginx
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing; run as root" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# Debian's nginx package starts a web server on port 80 of every address.
# The benchmark runs its own nginx on 127.0.0.1, so when this script is
# what installed the package, the system's nginx is stopped and disabled.
case " $missing " in
*" nginx "*)
	if command -v systemctl >/dev/null 2>&1 &&
	    systemctl disable --now nginx >/dev/null 2>&1; then
		echo "install-deps: stopped and disabled the system's nginx"
	elif command -v service >/dev/null 2>&1; then
		service nginx stop >/dev/null 2>&1 || true
	fi
	;;
esac
