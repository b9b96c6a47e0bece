/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-agent-sim's UDP mode (--transport udp): agents
 * that send their reports one way, as a data diode lets them, written
 * from the wire contract (docs/udp-protocol.md) without the daemon's
 * code: a 24-byte header, fragments of at most 1,400 bytes, and with a
 * package AES-256-GCM under the key PBKDF2 derives from its password.
 * For tests it drops, duplicates and reorders a share of the datagrams,
 * or mangles every one of them, so that the receiver's accounting can be
 * checked against what was sent.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "log.h"
#include "sim.h"

#define UDP_HEADER_LEN		24
#define UDP_FRAGMENT_MAX	1400
#define UDP_FRAGMENTS_MAX	64
#define UDP_NONCE_LEN		12
#define UDP_TAG_LEN		16
#define UDP_KEY_LEN		32
#define UDP_ITERATIONS		200000
#define UDP_DATAGRAM_MAX	(UDP_HEADER_LEN + UDP_NONCE_LEN + \
				 UDP_FRAGMENT_MAX + UDP_TAG_LEN)
#define UDP_OVERSIZE		1500	/* bytes of a --udp-mangle oversize */
#define UDP_META_MAX		4096	/* bytes of metadata.json */

/* The package's key, number and port. */
struct udp_pkg {
	bool		encrypted;
	uint32_t	number;		/* package id on the wire */
	uint16_t	udp_port;	/* from metadata.json, 0: none */
	uint8_t		key[UDP_KEY_LEN];
};

/* One datagram held back to be sent after the next (--reorder). */
struct udp_held {
	bool		full;
	size_t		len;
	uint8_t		buf[UDP_OVERSIZE];
};

struct udp_send {
	const struct sim_udp_params *u;
	struct udp_pkg	*pkg;
	struct sim_stats *stats;
	struct sim_rng	rng;
	int		fd;
	struct sockaddr_storage to;
	socklen_t	tolen;
	struct udp_held	held;
};

static volatile sig_atomic_t udp_stop;

static void
udp_on_signal(int sig)
{
	(void)sig;
	udp_stop = 1;
}

static void
udp_put(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* metadata.json of the package zip into buf (NUL-terminated). */
static int
udp_package_meta(const char *path, char *buf, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	la_ssize_t n;
	int r = -EINVAL;

	if (a == NULL)
		return -ENOMEM;
	(void)archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 16384) != ARCHIVE_OK) {
		r = -ENOENT;
		goto out;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(e), "metadata.json") != 0)
			continue;
		n = archive_read_data(a, buf, len - 1);
		if (n > 0) {
			buf[n] = '\0';
			r = 0;
		}
		break;
	}
out:
	archive_read_free(a);
	return r;
}

/* The text after "key": in a flat JSON object, or NULL. */
static const char *
udp_json_value(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	(void)snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return NULL;
	return p + strlen(pat);
}

/*
 * The key of a package: its number is the first 8 hex digits of
 * package_id, the salt "kics-epp-udp:" and that number in decimal.
 */
static int
udp_package_load(const char *package, const char *pwfile,
    struct udp_pkg *pkg)
{
	char meta[UDP_META_MAX], pass[1026], salt[32], hex[9];
	const char *v;
	FILE *f;
	int r, n;

	if ((r = udp_package_meta(package, meta, sizeof(meta))) < 0)
		return r;
	if ((v = udp_json_value(meta, "package_id")) == NULL || *v != '"' ||
	    strlen(v) < 9)
		return -EINVAL;
	memcpy(hex, v + 1, 8);
	hex[8] = '\0';
	pkg->number = (uint32_t)strtoul(hex, NULL, 16);
	if ((v = udp_json_value(meta, "udp_port")) != NULL)
		pkg->udp_port = (uint16_t)strtoul(v, NULL, 10);
	if ((f = fopen(pwfile, "r")) == NULL)
		return -ENOENT;
	if (fgets(pass, sizeof(pass), f) == NULL)
		pass[0] = '\0';
	(void)fclose(f);
	pass[strcspn(pass, "\r\n")] = '\0';
	n = snprintf(salt, sizeof(salt), "kics-epp-udp:%" PRIu32,
	    pkg->number);
	r = PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass),
	    (const unsigned char *)salt, n, UDP_ITERATIONS, EVP_sha256(),
	    UDP_KEY_LEN, pkg->key) == 1 ? 0 : -EIO;
	OPENSSL_cleanse(pass, sizeof(pass));
	pkg->encrypted = r == 0;
	return r;
}

/* AES-256-GCM of len bytes of frag after the header in dg. */
static int
udp_seal(const struct udp_pkg *pkg, uint8_t *dg, const uint8_t *frag,
    size_t len)
{
	uint8_t *nonce = dg + UDP_HEADER_LEN, *ct = nonce + UDP_NONCE_LEN;
	EVP_CIPHER_CTX *ctx;
	int n = 0, ok;

	if (RAND_bytes(nonce, UDP_NONCE_LEN) != 1 ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -EIO;
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) ==
	    1 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
	    UDP_NONCE_LEN, NULL) == 1 &&
	    EVP_EncryptInit_ex(ctx, NULL, NULL, pkg->key, nonce) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, dg, UDP_HEADER_LEN) == 1 &&
	    EVP_EncryptUpdate(ctx, ct, &n, frag, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, ct + n, &n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, UDP_TAG_LEN,
	    ct + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static void
udp_sendto(struct udp_send *s, const uint8_t *dg, size_t len)
{
	if (sendto(s->fd, dg, len, 0, (const struct sockaddr *)&s->to,
	    s->tolen) < 0) {
		s->stats->errors++;
		return;
	}
	s->stats->datagrams++;
}

/* Spoils one datagram as --udp-mangle asks; returns its new length. */
static size_t
udp_mangle(const struct udp_send *s, uint8_t *dg, size_t len)
{
	switch (s->u->mangle) {
	case SIM_UDP_MANGLE_HEADER:
		dg[12] ^= 0x01;		/* message id: authenticated */
		return len;
	case SIM_UDP_MANGLE_CIPHERTEXT:
		dg[len - 1] ^= 0x01;	/* tag, or the last plain byte */
		return len;
	case SIM_UDP_MANGLE_MAGIC:
		dg[3] = '9';
		return len;
	case SIM_UDP_MANGLE_SHORT:
		return UDP_HEADER_LEN - 4;
	case SIM_UDP_MANGLE_OVERSIZE:
		memset(dg + len, 0, UDP_OVERSIZE - len);
		return UDP_OVERSIZE;
	default:
		return len;
	}
}

/* Sends one datagram through the loss, duplication and reordering. */
static void
udp_emit(struct udp_send *s, uint8_t *dg, size_t len)
{
	const struct sim_udp_params *u = s->u;

	len = udp_mangle(s, dg, len);
	if (u->drop > 0 && sim_rng_chance(&s->rng, u->drop)) {
		s->stats->dgram_dropped++;
		return;
	}
	if (u->reorder > 0 && !s->held.full &&
	    sim_rng_chance(&s->rng, u->reorder)) {
		memcpy(s->held.buf, dg, len);
		s->held.len = len;
		s->held.full = true;
		s->stats->dgram_reordered++;
		return;
	}
	udp_sendto(s, dg, len);
	if (u->duplicate > 0 && sim_rng_chance(&s->rng, u->duplicate)) {
		udp_sendto(s, dg, len);
		s->stats->dgram_duplicated++;
	}
	if (s->held.full) {
		udp_sendto(s, s->held.buf, s->held.len);
		s->held.full = false;
	}
}

/* Cuts one serialized report into datagrams and sends them. */
static int
udp_send_report(struct udp_send *s, const uint8_t *rep, size_t len)
{
	size_t count = len == 0 ? 1 : (len + UDP_FRAGMENT_MAX - 1) /
	    UDP_FRAGMENT_MAX;
	uint8_t dg[UDP_OVERSIZE];
	uint64_t id;
	int r;

	if (count > UDP_FRAGMENTS_MAX)
		return -EMSGSIZE;
	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
		return -EIO;
	for (size_t i = 0; i < count; i++) {
		size_t off = i * UDP_FRAGMENT_MAX;
		size_t n = len - off < UDP_FRAGMENT_MAX ? len - off :
		    UDP_FRAGMENT_MAX;
		size_t dlen = UDP_HEADER_LEN + n;

		memset(dg, 0, UDP_HEADER_LEN);
		memcpy(dg, "KEU1", 4);
		dg[4] = s->pkg->encrypted ? 0x01 : 0x00;
		udp_put(dg + 6, i, 2);
		udp_put(dg + 8, count, 2);
		udp_put(dg + 12, id, 8);
		udp_put(dg + 20, s->pkg->encrypted ? s->pkg->number : 0, 4);
		if (s->pkg->encrypted) {
			if ((r = udp_seal(s->pkg, dg, rep + off, n)) < 0)
				return r;
			dlen += UDP_NONCE_LEN + UDP_TAG_LEN;
		} else if (n > 0)
			memcpy(dg + UDP_HEADER_LEN, rep + off, n);
		udp_emit(s, dg, dlen);
	}
	return 0;
}

static int
udp_open(struct udp_send *s, const char *address, uint16_t port)
{
	struct addrinfo hints, *res = NULL;
	char sport[8];
	int r, size = 4 * 1024 * 1024;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	(void)snprintf(sport, sizeof(sport), "%u", (unsigned)port);
	if ((r = getaddrinfo(address, sport, &hints, &res)) != 0) {
		log_warnx("cannot resolve '%s': %s", address, gai_strerror(r));
		return -ENOENT;
	}
	memcpy(&s->to, res->ai_addr, res->ai_addrlen);
	s->tolen = res->ai_addrlen;
	s->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(res);
	if (s->fd < 0)
		return -errno;
	(void)setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return 0;
}

static int64_t
udp_mono_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
udp_wall_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps until due_us (monotonic), unless stopped. */
static void
udp_pace(int64_t due_us)
{
	int64_t wait = due_us - udp_mono_us();
	struct timespec ts;

	if (wait <= 0)
		return;
	ts.tv_sec = (time_t)(wait / 1000000);
	ts.tv_nsec = (long)(wait % 1000000) * 1000;
	(void)nanosleep(&ts, NULL);
}

/* Every agent's next report, in turn, paced by params->rate. */
static int
udp_rounds(struct udp_send *s, const struct sim_run_params *p,
    struct sim_host *hosts, uint64_t *numbers, int64_t start_us)
{
	int64_t gap_us = p->rate > 0 ? (int64_t)(1e6 / p->rate) : 0;
	struct sim_report_params rp = p->report;
	struct sim_buf out = { NULL, 0, 0 };
	struct sim_arena arena;
	uint64_t sent = 0;
	int r = 0;

	/* peers looked up in the hosts generated already */
	if (rp.first_agent == p->first_agent && rp.n_agents == p->agents)
		rp.peers = hosts;
	sim_arena_init(&arena);
	for (uint64_t round = 0; !udp_stop; round++) {
		for (uint32_t i = 0; i < p->agents && !udp_stop; i++) {
			uint64_t seq;

			if ((p->reports > 0 && round >= p->reports) ||
			    (p->duration_s > 0 && (double)(udp_mono_us() -
			    start_us) / 1e6 >= p->duration_s)) {
				r = 0;
				goto out;
			}
			if (gap_us > 0)
				udp_pace(start_us + (int64_t)sent * gap_us);
			if ((r = sim_report_next(&rp, &hosts[i],
			    p->sequence_start, &numbers[i], udp_wall_ms(),
			    &arena, &out, &seq)) < 0)
				goto out;
			if ((r = udp_send_report(s, out.data, out.len)) < 0) {
				s->stats->errors++;
				log_warnx("agent %u: report not sent: %s", i,
				    strerror(-r));
				continue;
			}
			s->stats->sent++;
			s->stats->bytes_sent += out.len;
			sent++;
		}
	}
	r = 0;
out:
	sim_buf_fini(&out);
	sim_arena_fini(&arena);
	return r;
}

int
sim_udp_run(const struct sim_run_params *p, const struct sim_udp_params *u,
    struct sim_stats *ret_stats, double *ret_elapsed_s)
{
	struct udp_pkg pkg = { 0 };
	struct udp_send s = { .u = u, .pkg = &pkg, .fd = -1 };
	struct sim_host *hosts = NULL;
	uint64_t *numbers = NULL;
	int64_t start;
	uint16_t port = p->port;
	int r;

	if ((s.stats = calloc(1, sizeof(*s.stats))) == NULL ||
	    (hosts = calloc(p->agents, sizeof(*hosts))) == NULL ||
	    (numbers = calloc(p->agents, sizeof(*numbers))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (p->tls.package_file != NULL && (r = udp_package_load(
	    p->tls.package_file, p->tls.password_file, &pkg)) < 0) {
		log_warnx("package '%s': %s", p->tls.package_file,
		    strerror(-r));
		goto out;
	}
	if (u->port != 0)
		port = u->port;
	else if (pkg.udp_port != 0)
		port = pkg.udp_port;
	for (uint32_t i = 0; i < p->agents; i++)
		if ((r = sim_host_generate(p->report.seed, p->first_agent + i,
		    &hosts[i])) < 0)
			goto out;
	if ((r = udp_open(&s, p->address, port)) < 0)
		goto out;
	sim_rng_init(&s.rng, p->report.seed, 0x756470, (uint64_t)
	    udp_mono_us());
	(void)signal(SIGINT, udp_on_signal);
	(void)signal(SIGTERM, udp_on_signal);
	start = udp_mono_us();
	r = udp_rounds(&s, p, hosts, numbers, start);
	if (s.held.full)
		udp_sendto(&s, s.held.buf, s.held.len);
	*ret_elapsed_s = (double)(udp_mono_us() - start) / 1e6;
	*ret_stats = *s.stats;
out:
	OPENSSL_cleanse(&pkg, sizeof(pkg));
	if (s.fd >= 0)
		(void)close(s.fd);
	free(numbers);
	free(hosts);
	free(s.stats);
	return r;
}
