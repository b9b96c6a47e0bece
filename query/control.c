/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's client of the daemon's control socket
 * DATA_DIR/control.sock: one length-prefixed Request out, one Reply back
 * (schema/control.proto), with the reply's size checked before reading.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.pb-c.h"
#include "kics_limits.h"
#include "query.h"

#define CONTROL_SOCKET_NAME	"control.sock"
#define CONTROL_REPLY_TIMEOUT_MS 120000	/* a package takes a moment */

static int
control_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
control_read_all(int fd, uint8_t *p, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (len > 0) {
		ssize_t n;
		int k = poll(&pfd, 1, CONTROL_REPLY_TIMEOUT_MS);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			return -ETIMEDOUT;
		if (k < 0)
			return -errno;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPROTO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *
control_dup(const char *s)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL) {
		(void)fputs("kics-query: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/*
 * Connects to DATA_DIR's control socket. Returns 0 and the descriptor, or
 * a negative errno with the reason in errbuf.
 */
static int
control_connect(const char *data_dir, char *errbuf, size_t errlen,
    int *ret_fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	r = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", data_dir,
	    CONTROL_SOCKET_NAME);
	if (r < 0 || (size_t)r >= sizeof(sun.sun_path)) {
		(void)snprintf(errbuf, errlen, "control socket path in '%s' "
		    "too long", data_dir);
		return -ENAMETOOLONG;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		(void)snprintf(errbuf, errlen, "cannot reach the daemon's "
		    "control socket '%s': %s (is kics-epp-proxy running?)",
		    sun.sun_path, strerror(-r));
		if (fd >= 0)
			(void)close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Copies the unpacked reply into the caller's struct. */
static void
control_reply_copy(const Kics__Control__V1__Reply *rep,
    struct query_control_reply *ret_reply)
{
	memset(ret_reply, 0, sizeof(*ret_reply));
	ret_reply->status = (int)rep->status;
	ret_reply->message = control_dup(rep->message);
	if (rep->json != NULL && rep->json[0] != '\0')
		ret_reply->json = control_dup(rep->json);
	if (rep->data.len > 0) {
		if ((ret_reply->data = malloc(rep->data.len)) == NULL) {
			(void)fputs("kics-query: out of memory\n", stderr);
			exit(1);
		}
		memcpy(ret_reply->data, rep->data.data, rep->data.len);
		ret_reply->data_len = rep->data.len;
	}
}

int
query_control_call(const char *data_dir,
    const struct Kics__Control__V1__Request *req, char *errbuf,
    size_t errlen, struct query_control_reply *ret_reply)
{
	Kics__Control__V1__Reply *rep = NULL;
	uint8_t hdr[4], *buf = NULL;
	size_t len;
	int fd = -1, r;

	if ((r = control_connect(data_dir, errbuf, errlen, &fd)) < 0)
		return r;
	len = kics__control__v1__request__get_packed_size(req);
	if (len > LIMIT_CONTROL_REQUEST_BYTES) {
		r = -EMSGSIZE;
		(void)snprintf(errbuf, errlen, "request too large");
		goto out;
	}
	buf = calloc(1, len + 4);
	if (buf == NULL) {
		r = -ENOMEM;
		(void)snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	(void)kics__control__v1__request__pack(req, buf + 4);
	r = control_write_all(fd, buf, len + 4);
	/* the request may hold a password */
	memset(buf, 0, len + 4);
	free(buf);
	buf = NULL;
	if (r < 0 || (r = control_read_all(fd, hdr, sizeof(hdr))) < 0) {
		(void)snprintf(errbuf, errlen, "the daemon closed the control "
		    "connection: %s", strerror(-r));
		r = -EPROTO;
		goto out;
	}
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if (len > LIMIT_CONTROL_REPLY_BYTES) {
		r = -EPROTO;
		(void)snprintf(errbuf, errlen, "reply of %zu bytes is over "
		    "the limit", len);
		goto out;
	}
	if ((buf = calloc(1, len + 1)) == NULL) {
		r = -ENOMEM;
		(void)snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	if ((r = control_read_all(fd, buf, len)) < 0 ||
	    (rep = kics__control__v1__reply__unpack(NULL, len, buf)) ==
	    NULL) {
		r = -EPROTO;
		(void)snprintf(errbuf, errlen, "malformed reply from the "
		    "daemon");
		goto out;
	}
	control_reply_copy(rep, ret_reply);
	r = 0;
out:
	if (rep != NULL)
		kics__control__v1__reply__free_unpacked(rep, NULL);
	free(buf);
	if (fd >= 0)
		(void)close(fd);
	return r;
}

void
query_control_reply_fini(struct query_control_reply *r)
{
	if (r == NULL)
		return;
	free(r->message);
	free(r->json);
	if (r->data != NULL)
		memset(r->data, 0, r->data_len);
	free(r->data);
	memset(r, 0, sizeof(*r));
}
