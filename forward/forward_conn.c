/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the syslog transports of SIEM forwarding: UDP (RFC
 * 5426, one message per datagram), TCP with octet counting (RFC 6587) and
 * TLS (RFC 5425, the receiver verified with the connector's CA and its
 * address). It is forward/'s only file that includes OpenSSL.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "forward.h"

struct forward_conn {
	int		fd;
	enum connector_transport transport;
	SSL_CTX		*ctx;		/* tls only */
	SSL		*ssl;
};

void
forward_conn_free(struct forward_conn *fc)
{
	if (fc == NULL)
		return;
	if (fc->ssl != NULL) {
		(void)SSL_shutdown(fc->ssl);
		SSL_free(fc->ssl);
	}
	SSL_CTX_free(fc->ctx);
	if (fc->fd >= 0)
		(void)close(fc->fd);
	free(fc);
}

/* Waits until fd's non-blocking connect ends; 0 or a negative errno. */
static int
conn_wait(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, err = 0;

	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/* Connects a socket of c's transport to one address; fd or -errno. */
static int
conn_try(const struct addrinfo *ai, bool stream, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd, r, one = 1;

	fd = socket(ai->ai_family, (stream ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
	if (r == -EINPROGRESS)
		r = conn_wait(fd, timeout_ms);
	if (r == 0 && fcntl(fd, F_SETFL, 0) < 0)
		r = -errno;
	if (r < 0) {
		(void)close(fd);
		return r;
	}
	/* a receiver that stops reading fails the write instead of
	   blocking the forwarder for ever */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (stream)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return fd;
}

/* Resolves c's address and connects to the first that answers. */
static int
conn_connect(const struct engine_connector *c, int timeout_ms, char *err,
    size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char port[8];
	int fd = -ECONNREFUSED, g;

	hints.ai_socktype = c->transport == CONNECTOR_UDP ? SOCK_DGRAM :
	    SOCK_STREAM;
	(void)snprintf(port, sizeof(port), "%u", c->port);
	if ((g = getaddrinfo(c->address, port, &hints, &res)) != 0) {
		(void)snprintf(err, errlen, "cannot resolve '%s': %s",
		    c->address, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if ((fd = conn_try(ai, c->transport != CONNECTOR_UDP,
		    timeout_ms)) >= 0)
			break;
	freeaddrinfo(res);
	if (fd < 0)
		(void)snprintf(err, errlen, "cannot connect to %s port %u: %s",
		    c->address, c->port, strerror(-fd));
	return fd;
}

/* The last OpenSSL error as text, or what the verification said. */
static void
conn_tls_error(struct forward_conn *fc, const char *what, char *err,
    size_t errlen)
{
	long v = fc->ssl != NULL ? SSL_get_verify_result(fc->ssl) : X509_V_OK;
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "handshake failed";

	if (v != X509_V_OK)
		(void)snprintf(buf, sizeof(buf), "certificate verify failed: "
		    "%s", X509_verify_cert_error_string(v));
	else if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	(void)snprintf(err, errlen, "TLS %s: %s", what, buf);
}

/* The TLS client handshake, verifying the receiver. */
static int
conn_tls(struct forward_conn *fc, const struct engine_connector *c,
    char *err, size_t errlen)
{
	unsigned char ip[16];
	bool is_ip;

	is_ip = inet_pton(AF_INET, c->address, ip) == 1 ||
	    inet_pton(AF_INET6, c->address, ip) == 1;
	if ((fc->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(fc->ctx, TLS1_2_VERSION) != 1) {
		conn_tls_error(fc, "setup", err, errlen);
		return -ENOMEM;
	}
	if (c->ca == NULL || SSL_CTX_load_verify_locations(fc->ctx, c->ca,
	    NULL) != 1) {
		conn_tls_error(fc, "CA", err, errlen);
		if (c->ca != NULL)
			(void)snprintf(err + strlen(err), errlen - strlen(err),
			    " (ca '%s')", c->ca);
		return -EINVAL;
	}
	SSL_CTX_set_verify(fc->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(fc->ctx, SSL_MODE_AUTO_RETRY);
	if ((fc->ssl = SSL_new(fc->ctx)) == NULL ||
	    SSL_set_fd(fc->ssl, fc->fd) != 1) {
		conn_tls_error(fc, "setup", err, errlen);
		return -ENOMEM;
	}
	/* the receiver's name (or IP) must be in its certificate */
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(fc->ssl),
	    c->address) != 1 : SSL_set1_host(fc->ssl, c->address) != 1 ||
	    SSL_set_tlsext_host_name(fc->ssl, c->address) != 1) {
		conn_tls_error(fc, "setup", err, errlen);
		return -EINVAL;
	}
	if (SSL_connect(fc->ssl) != 1) {
		conn_tls_error(fc, "handshake", err, errlen);
		return -EPROTO;
	}
	return 0;
}

int
forward_conn_open(const struct engine_connector *c, int timeout_ms,
    char *err, size_t errlen, struct forward_conn **ret_conn)
{
	struct forward_conn *fc;
	int r;

	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return -ENOMEM;
	fc->transport = c->transport;
	if ((fc->fd = conn_connect(c, timeout_ms, err, errlen)) < 0) {
		r = fc->fd;
		fc->fd = -1;
		forward_conn_free(fc);
		return r;
	}
	if (c->transport == CONNECTOR_TLS &&
	    (r = conn_tls(fc, c, err, errlen)) < 0) {
		forward_conn_free(fc);
		return r;
	}
	*ret_conn = fc;
	return 0;
}

/* Writes all of buf to the stream; 0 or a negative errno. */
static int
conn_write(struct forward_conn *fc, const char *buf, size_t len)
{
	ssize_t n;
	size_t done = 0;
	int w;

	while (done < len) {
		if (fc->ssl != NULL) {
			w = SSL_write(fc->ssl, buf + done, (int)(len - done));
			if (w <= 0)
				return errno != 0 ? -errno : -EPIPE;
			done += (size_t)w;
			continue;
		}
		n = send(fc->fd, buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		done += (size_t)n;
	}
	return 0;
}

int
forward_conn_send(struct forward_conn *fc, const char *msg, size_t len,
    char *err, size_t errlen)
{
	char head[24];
	int n, r;

	if (fc->transport == CONNECTOR_UDP) {
		if (send(fc->fd, msg, len, MSG_NOSIGNAL) < 0) {
			r = -errno;
			(void)snprintf(err, errlen, "send: %s", strerror(-r));
			return r;
		}
		return 0;
	}
	/* RFC 6587 3.4.1 octet counting: MSG-LEN SP SYSLOG-MSG */
	n = snprintf(head, sizeof(head), "%zu ", len);
	errno = 0;
	ERR_clear_error();
	if ((r = conn_write(fc, head, (size_t)n)) < 0 ||
	    (r = conn_write(fc, msg, len)) < 0) {
		(void)snprintf(err, errlen, "write: %s", strerror(-r));
		return r;
	}
	return 0;
}

int
forward_conn_write(struct forward_conn *fc, const char *buf, size_t len,
    char *err, size_t errlen)
{
	int r;

	errno = 0;
	ERR_clear_error();
	if ((r = conn_write(fc, buf, len)) < 0)
		(void)snprintf(err, errlen, "write: %s", strerror(-r));
	return r;
}

int
forward_conn_acked(struct forward_conn *fc, uint64_t *ret_acked,
    uint64_t *ret_mark)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int outq = 0;

	if (fc->transport == CONNECTOR_UDP) {
		*ret_acked = *ret_mark = 0;
		return 0;
	}
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fc->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    ioctl(fc->fd, SIOCOUTQ, &outq) < 0)
		return -errno;
	*ret_acked = ti.tcpi_bytes_acked;
	*ret_mark = ti.tcpi_bytes_acked + (uint64_t)(outq > 0 ? outq : 0);
	return 0;
}

bool
forward_conn_closed(struct forward_conn *fc)
{
	char c;
	ssize_t n;

	if (fc->transport == CONNECTOR_UDP)
		return false;
	n = recv(fc->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return true;
	return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR;
}
