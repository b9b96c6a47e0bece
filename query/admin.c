/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's administrative commands: their checks,
 * the requests they send over the daemon's control socket (the action and
 * least role of each come from engine/conf/role.h), the password file and
 * the package written as the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "role.h"

int
cli_control_call(const Kics__Control__V1__Request *req, bool soft,
    struct query_control_reply *ret_reply)
{
	char err[1024];
	int r;

	if ((r = query_control_call(arg_data_dir, req, err, sizeof(err),
	    ret_reply)) < 0) {
		if (soft)
			return -1;
		return cli_fail(EXIT_DAEMON, "%s", err);
	}
	if (ret_reply->status == KICS__CONTROL__V1__STATUS__STATUS_OK)
		return 0;
	/* The daemon's status is our exit code where the two agree. */
	r = ret_reply->status >= 1 && ret_reply->status <= EXIT_ROLE ?
	    ret_reply->status : EXIT_NOT_FOUND;
	(void)cli_fail(r, "%s%s", r == EXIT_ROLE ? "refused: " : "",
	    ret_reply->message);
	query_control_reply_fini(ret_reply);
	return r;
}

int
cli_control_allow(const struct cli_command *c, char **ret_json)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	struct query_control_reply rep;
	int r;

	req.action = role_action_by_name(c->name)->action;
	if ((r = cli_control_call(&req, true, &rep)) < 0) {
		(void)fprintf(stderr, "kics-query: note: the daemon is not "
		    "reachable; reading the database directly\n");
		return 0;
	}
	if (r == 0 && ret_json != NULL && rep.json != NULL) {
		*ret_json = rep.json;
		rep.json = NULL;
	}
	if (r == 0)
		query_control_reply_fini(&rep);
	return r;
}

/*
 * Sends req as the action named like command c. Returns 0 with *ret_reply
 * filled (freed with query_control_reply_fini()), or the exit code.
 */
static int
admin_call(const struct cli_command *c, Kics__Control__V1__Request *req,
    struct query_control_reply *ret_reply)
{
	const struct role_action *ra;

	if ((ra = role_action_by_name(c->name)) == NULL)
		return cli_fail(EXIT_USAGE, "%s: not an administrative command",
		    c->name);
	req->action = ra->action;
	return cli_control_call(req, false, ret_reply);
}

/* Prints the daemon's answer: its JSON with --format json, else its line. */
static void
admin_print(const struct query_control_reply *rep)
{
	char *json;

	if (arg_format == OUT_FORMAT_JSON) {
		/* times as --time says, like every other output */
		json = out_json_time(rep->json != NULL ? rep->json : "{}");
		(void)printf("%s\n", json != NULL ? json : rep->json);
		free(json);
	} else
		(void)printf("%s\n", rep->message);
}

/* Sends req for command c and prints the answer; returns the exit code. */
static int
admin_send(const struct cli_command *c, Kics__Control__V1__Request *req)
{
	struct query_control_reply rep;
	int r;

	if ((r = admin_call(c, req, &rep)) != 0)
		return r;
	admin_print(&rep);
	query_control_reply_fini(&rep);
	return 0;
}

/* A positive id argument (server, device), or exit 2. */
static void
check_id(const char *what, const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1)
		cli_usage_error("invalid %s '%s' (a positive integer)", what,
		    v);
}

/* v is NULL, a, b or c (c may be NULL), or exit 2 listing them. */
static void
check_one_of(const char *name, const char *v, const char *a, const char *b,
    const char *c)
{
	const char *const allowed[] = { a, b, c, NULL };

	if (v != NULL)
		cli_check_enum(name, v, allowed);
}

static void
check_port_named(const char *what, const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 65535)
		cli_usage_error("invalid %s '%s' (1 to 65535)", what, v);
}

static void
check_port(const char *v)
{
	check_port_named("--port", v);
}

/* An id the checks above accepted. */
static int64_t
id_arg(const char *v)
{
	return strtoll(v, NULL, 10);
}

/* Option name's value; "" (protobuf's "not given") when absent. */
static char *
opt_or_empty(const char *name)
{
	const char *v = cli_opt(name);

	/* The request only reads it: protobuf-c wants char *. */
	return (char *)(v != NULL ? v : "");
}

/*
 * device set (issue 12): devices by id, IP, MAC or name (as device show),
 * several of them, or --subnet; checked here so that a typo is a usage
 * error, resolved by the daemon in the transaction that changes them.
 */
static void
check_device_set(void)
{
	char buf[ADDR_TEXT_MAX];
	const char *subnet = cli_opt("subnet"), *ip = cli_opt("ip");

	if (arg_npos == 0 && subnet == NULL)
		cli_usage_error("give the devices (ID, IP, MAC or NAME) or "
		    "--subnet CIDR");
	if (arg_npos > 0 && subnet != NULL)
		cli_usage_error("give devices or --subnet, not both");
	if (subnet != NULL && addr_cidr_normalize(subnet, buf,
	    sizeof(buf)) < 0)
		cli_usage_error("invalid --subnet '%s' (a network such as "
		    "10.1.0.0/16 or 2001:db8::/32, host bits zero)", subnet);
	for (size_t i = 0; i < arg_npos; i++) {
		if (*arg_pos[i] == '\0')
			cli_usage_error("empty device");
		if (strlen(arg_pos[i]) > LIMIT_SHORT_TEXT_LEN)
			cli_usage_error("'%.32s…' is longer than %d bytes",
			    arg_pos[i], LIMIT_SHORT_TEXT_LEN);
		cli_check_address(arg_pos[i]);
	}
	check_one_of("status", cli_opt("status"), "authorized",
	    "unauthorized", "archived");
	if (ip != NULL && addr_ip_normalize(ip, buf, sizeof(buf)) < 0)
		cli_usage_error("invalid --ip '%s' (an IPv4 or IPv6 address)",
		    ip);
	if (ip != NULL && (subnet != NULL || arg_npos != 1))
		cli_usage_error("--ip sets the address of one device: give "
		    "exactly one");
}

int
admin_device_set(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__DeviceArgs dev =
	    KICS__CONTROL__V1__DEVICE_ARGS__INIT;
	bool any = false;

	check_device_set();
	for (int i = 0; c->opts[i].name != NULL; i++)
		any |= arg_flag[i] && strcmp(c->opts[i].name, "subnet") != 0;
	if (!any)
		cli_usage_error("nothing to set (give at least one of "
		    "--status, --name, --category, --vendor, --model, "
		    "--os-name, --os-version, --ip)");
	req.device = &dev;
	/* The request only reads them: protobuf-c wants char **. */
	dev.keys = (char **)arg_pos;
	dev.n_keys = arg_npos;
	dev.subnet = opt_or_empty("subnet");
	dev.status = opt_or_empty("status");
	dev.name = opt_or_empty("name");
	dev.category = opt_or_empty("category");
	dev.vendor = opt_or_empty("vendor");
	dev.model = opt_or_empty("model");
	dev.os_name = opt_or_empty("os-name");
	dev.os_version = opt_or_empty("os-version");
	dev.ip = opt_or_empty("ip");
	return admin_send(c, &req);
}

/* Sends server command c with the options it has (absent ones empty). */
static int
server_send(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__ServerArgs srv =
	    KICS__CONTROL__V1__SERVER_ARGS__INIT;

	req.server = &srv;
	if (arg_npos > 0)
		srv.id = id_arg(arg_pos[0]);
	srv.name = opt_or_empty("name");
	srv.address = opt_or_empty("address");
	srv.port = cli_opt("port") != NULL ?
	    (uint32_t)atoi(cli_opt("port")) : 0;
	if (cli_flag("verify-client"))
		srv.verify_client_cert = KICS__CONTROL__V1__TOGGLE__TOGGLE_ON;
	else if (cli_flag("no-verify-client"))
		srv.verify_client_cert = KICS__CONTROL__V1__TOGGLE__TOGGLE_OFF;
	srv.force = cli_flag("force");
	srv.transport = opt_or_empty("transport");
	srv.udp_port = cli_opt("udp-port") != NULL ?
	    (uint32_t)atoi(cli_opt("udp-port")) : 0;
	if (cli_flag("udp-encryption"))
		srv.udp_encryption = KICS__CONTROL__V1__TOGGLE__TOGGLE_ON;
	else if (cli_flag("no-udp-encryption"))
		srv.udp_encryption = KICS__CONTROL__V1__TOGGLE__TOGGLE_OFF;
	return admin_send(c, &req);
}

/* --address, --port and --[no-]verify-client of server add and edit. */
static void
check_server_opts(void)
{
	char buf[ADDR_TEXT_MAX];
	const char *v;

	if ((v = cli_opt("address")) != NULL &&
	    addr_ip_normalize(v, buf, sizeof(buf)) < 0)
		cli_usage_error("malformed IP address '%s'", v);
	if ((v = cli_opt("port")) != NULL)
		check_port(v);
	if ((v = cli_opt("udp-port")) != NULL)
		check_port_named("--udp-port", v);
	if ((v = cli_opt("transport")) != NULL && strcmp(v, "https") != 0 &&
	    strcmp(v, "udp") != 0 && strcmp(v, "both") != 0)
		cli_usage_error("invalid --transport '%s' (https, udp or "
		    "both)", v);
	if (cli_flag("udp-encryption") && cli_flag("no-udp-encryption"))
		cli_usage_error("--udp-encryption and --no-udp-encryption "
		    "exclude each other");
	if (cli_flag("verify-client") && cli_flag("no-verify-client"))
		cli_usage_error("--verify-client and --no-verify-client "
		    "exclude each other");
}

int
admin_server_add(const struct cli_command *c)
{
	if (cli_opt("address") == NULL || cli_opt("port") == NULL)
		cli_usage_error("--address and --port are required");
	check_server_opts();
	return server_send(c);
}

int
admin_server_edit(const struct cli_command *c)
{
	check_id("server id", arg_pos[0]);
	check_server_opts();
	return server_send(c);
}

int
admin_server_id(const struct cli_command *c)
{
	check_id("server id", arg_pos[0]);
	return server_send(c);
}

/*
 * package create (issue 10) changes nothing the agents see until the file
 * is written: its checks come first, the daemon then makes the package
 * pending, it is written beside --out and renamed into place, and only
 * then activated, which revokes the server's previous package. A file
 * that cannot be written makes it discarded instead. Every failure after
 * the option checks is told to the daemon, which audits it.
 */
#define PACKAGE_PASSWORD_MIN	12	/* characters, as the daemon's */
#define PACKAGE_ID_LEN		37	/* UUID text and NUL */
#define PACKAGE_REASON_LEN	320	/* bytes of a failure's reason */

/* Characters of a UTF-8 string (invalid bytes count too). */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * The first line of the password file; exit 2 when it cannot be read or
 * is shorter than PACKAGE_PASSWORD_MIN characters. The caller frees it
 * with free() after wiping it.
 */
static char *
read_password(const char *path)
{
	char *line = NULL;
	size_t cap = 0, chars;
	ssize_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		cli_usage_error("cannot read --password-file '%s': %s", path,
		    strerror(errno));
	n = getline(&line, &cap, f);
	(void)fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		cli_usage_error("the password file '%s' is empty", path);
	}
	if ((chars = utf8_chars(line)) < PACKAGE_PASSWORD_MIN) {
		memset(line, 0, (size_t)n);
		free(line);
		cli_usage_error("the password in '%s' has %zu characters; it "
		    "must have at least %d", path, chars,
		    PACKAGE_PASSWORD_MIN);
	}
	return line;
}

/* The file being written: a temporary file beside --out. */
struct package_file {
	const char	*path;		/* --out, borrowed */
	char		dir[PATH_MAX];	/* its directory */
	char		tmp[PATH_MAX];	/* "" once renamed or removed */
	int		fd;
};

/*
 * Creates the temporary file in the directory of --out, which proves that
 * the directory exists and that the caller may write there before the
 * daemon is asked for anything. Returns 0, or -1 with the reason in why.
 */
static int
package_file_open(struct package_file *pf, const char *path, char *why,
    size_t len)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	struct stat sb;
	int n;

	pf->path = path;
	pf->fd = -1;
	pf->tmp[0] = '\0';
	if (*base == '\0' || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
		(void)snprintf(why, len, "--out '%s' is a directory, not a "
		    "file name", path);
		return -1;
	}
	if (slash == NULL)
		n = snprintf(pf->dir, sizeof(pf->dir), ".");
	else
		n = snprintf(pf->dir, sizeof(pf->dir), "%.*s",
		    slash == path ? 1 : (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(pf->dir) ||
	    (n = snprintf(pf->tmp, sizeof(pf->tmp), "%s/.%s.XXXXXX", pf->dir,
	    base)) < 0 || (size_t)n >= sizeof(pf->tmp)) {
		pf->tmp[0] = '\0';
		(void)snprintf(why, len, "--out '%s' is too long", path);
		return -1;
	}
	/* mkstemp() opens with O_CREAT | O_EXCL, mode 0600 */
	if ((pf->fd = mkstemp(pf->tmp)) < 0 ||
	    fcntl(pf->fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fchmod(pf->fd, 0600) < 0) {
		(void)snprintf(why, len, "cannot create a file in the "
		    "directory of --out '%s': %s", path, strerror(errno));
		if (pf->fd >= 0) {
			(void)close(pf->fd);
			(void)unlink(pf->tmp);
		}
		pf->fd = -1;
		pf->tmp[0] = '\0';
		return -1;
	}
	return 0;
}

/* Removes the temporary file if it is still there. */
static void
package_file_fini(struct package_file *pf)
{
	if (pf->fd >= 0)
		(void)close(pf->fd);
	if (pf->tmp[0] != '\0')
		(void)unlink(pf->tmp);
	pf->fd = -1;
	pf->tmp[0] = '\0';
}

/*
 * Writes data to the temporary file, syncs it and renames it to --out
 * (then syncs the directory, so that the name survives a crash too).
 * Returns 0, or -1 with the reason in why.
 */
static int
package_file_commit(struct package_file *pf, const uint8_t *data,
    size_t len, char *why, size_t why_len)
{
	size_t off = 0;
	int fd, r;

	while (off < len) {
		ssize_t n = write(pf->fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0) {
			errno = EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(pf->fd) < 0)
		goto fail;
	r = close(pf->fd);
	pf->fd = -1;
	if (r < 0 || rename(pf->tmp, pf->path) < 0)
		goto fail;
	pf->tmp[0] = '\0';
	if ((fd = open(pf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
	return 0;
fail:
	(void)snprintf(why, why_len, "cannot write '%s': %s", pf->path,
	    strerror(errno));
	return -1;
}

/*
 * The package id in the json of the daemon's create reply (its
 * metadata.json, which the daemon writes itself: the id comes first).
 * Returns 0 or -EPROTO.
 */
static int
package_id_parse(const char *json, char out[PACKAGE_ID_LEN])
{
	static const char key[] = "\"package_id\":\"";
	const char *p = json != NULL ? strstr(json, key) : NULL;

	if (p == NULL)
		return -EPROTO;
	p += sizeof(key) - 1;
	for (size_t i = 0; i < PACKAGE_ID_LEN - 1; i++)
		if (strchr("0123456789abcdef-", p[i]) == NULL || p[i] == '\0')
			return -EPROTO;
	if (p[PACKAGE_ID_LEN - 1] != '"')
		return -EPROTO;
	memcpy(out, p, PACKAGE_ID_LEN - 1);
	out[PACKAGE_ID_LEN - 1] = '\0';
	return 0;
}

/*
 * Tells the daemon that package id (NULL: none was made) of server_id
 * will not be written, and why; the daemon revokes it and audits the
 * failure. Prints its answer, or why alone when it cannot be reached.
 * Returns exit code 1.
 */
static int
package_discard(int64_t server_id, const char *id, const char *why)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__PackageArgs pkg =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	struct query_control_reply rep;
	char err[1024];

	req.action = KICS__CONTROL__V1__ACTION__ACTION_PACKAGE_DISCARD;
	req.package = &pkg;
	pkg.server_id = server_id;
	pkg.package_id = (char *)(id != NULL ? id : "");
	pkg.reason = (char *)why;
	if (query_control_call(arg_data_dir, &req, err, sizeof(err),
	    &rep) < 0)
		return cli_fail(EXIT_NOT_FOUND, "%s; %s", why, id != NULL ?
		    "the daemon could not be told, the package stays pending "
		    "and the server's current package stays valid" :
		    "nothing changed");
	(void)cli_fail(0, "%s", rep.message);
	query_control_reply_fini(&rep);
	return EXIT_NOT_FOUND;
}

/*
 * Activates package id of server_id now that pf is in place. When the
 * daemon refuses, the file is removed: its package is not the server's.
 * When the daemon cannot be heard, what happened is unknown and the file
 * is kept. Returns 0 after printing, or the exit code.
 */
static int
package_activate(int64_t server_id, const char *id,
    const struct package_file *pf, const struct query_control_reply *made)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__PackageArgs pkg =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	struct query_control_reply rep;
	char err[1024];

	req.action = KICS__CONTROL__V1__ACTION__ACTION_PACKAGE_ACTIVATE;
	req.package = &pkg;
	pkg.server_id = server_id;
	pkg.package_id = (char *)id;
	if (query_control_call(arg_data_dir, &req, err, sizeof(err),
	    &rep) < 0)
		return cli_fail(EXIT_DAEMON, "'%s' written, but whether "
		    "package %s was activated is unknown: %s (see "
		    "'kics-query audit')", pf->path, id, err);
	if (rep.status != KICS__CONTROL__V1__STATUS__STATUS_OK) {
		(void)unlink(pf->path);
		(void)cli_fail(0, "%s; '%s' removed, the server's current "
		    "package stays valid", rep.message, pf->path);
		query_control_reply_fini(&rep);
		return EXIT_NOT_FOUND;
	}
	if (arg_format == OUT_FORMAT_JSON)
		(void)printf("%s\n", made->json);
	else
		(void)printf("'%s' written (%zu bytes); %s\n", pf->path,
		    made->data_len, rep.message);
	query_control_reply_fini(&rep);
	return 0;
}

int
admin_package_create(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__PackageArgs pkg =
	    KICS__CONTROL__V1__PACKAGE_ARGS__INIT;
	struct package_file pf;
	struct query_control_reply rep;
	char why[PACKAGE_REASON_LEN], id[PACKAGE_ID_LEN];
	char *password;
	int64_t server_id;
	int r;

	if (cli_opt("server") == NULL || cli_opt("out") == NULL ||
	    cli_opt("password-file") == NULL)
		cli_usage_error("--server, --out and --password-file are "
		    "required");
	check_id("--server", cli_opt("server"));
	server_id = id_arg(cli_opt("server"));
	password = read_password(cli_opt("password-file"));
	if (package_file_open(&pf, cli_opt("out"), why, sizeof(why)) < 0) {
		memset(password, 0, strlen(password));
		free(password);
		return package_discard(server_id, NULL, why);
	}
	req.package = &pkg;
	pkg.server_id = server_id;
	pkg.password.data = (uint8_t *)password;
	pkg.password.len = strlen(password);
	r = admin_call(c, &req, &rep);
	memset(password, 0, strlen(password));
	free(password);
	if (r != 0) {
		package_file_fini(&pf);
		return r;
	}
	if (package_id_parse(rep.json, id) < 0) {
		/* without its id it cannot be activated: it stays pending */
		r = cli_fail(EXIT_NOT_FOUND, "the daemon's answer has no "
		    "package id; '%s' not written", pf.path);
	} else if (package_file_commit(&pf, rep.data, rep.data_len, why,
	    sizeof(why)) < 0)
		r = package_discard(server_id, id, why);
	else
		r = package_activate(server_id, id, &pf, &rep);
	package_file_fini(&pf);
	query_control_reply_fini(&rep);
	return r;
}

int
admin_user_add(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__UserArgs usr = KICS__CONTROL__V1__USER_ARGS__INIT;

	if (cli_opt("role") == NULL)
		cli_usage_error("--role is required");
	check_one_of("role", cli_opt("role"), "administrator", "operator",
	    NULL);
	req.user = &usr;
	usr.name = (char *)arg_pos[0];
	usr.role = opt_or_empty("role");
	return admin_send(c, &req);
}

int
admin_user_remove(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__UserArgs usr = KICS__CONTROL__V1__USER_ARGS__INIT;

	req.user = &usr;
	usr.name = (char *)arg_pos[0];
	usr.role = opt_or_empty("role");
	return admin_send(c, &req);
}

int
admin_plain(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;

	return admin_send(c, &req);
}

int
admin_agent_id(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__AgentArgs agent =
	    KICS__CONTROL__V1__AGENT_ARGS__INIT;

	req.agent = &agent;
	agent.agent_id = (char *)arg_pos[0];
	return admin_send(c, &req);
}

int
admin_traffic_import(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__TrafficArgs tr =
	    KICS__CONTROL__V1__TRAFFIC_ARGS__INIT;
	char cwd[PATH_MAX], *path = NULL;
	size_t len;
	int r;

	/* the daemon opens the file: it needs a path of its own */
	if (arg_pos[0][0] == '\0')
		cli_usage_error("FILE must not be empty");
	if (arg_pos[0][0] == '/')
		path = strdup(arg_pos[0]);
	else if (getcwd(cwd, sizeof(cwd)) != NULL) {
		len = strlen(cwd) + strlen(arg_pos[0]) + 2;
		if ((path = malloc(len)) != NULL)
			(void)snprintf(path, len, "%s/%s", cwd, arg_pos[0]);
	}
	if (path == NULL)
		return cli_fail(EXIT_FAILURE, "cannot make '%s' an absolute "
		    "path: %s", arg_pos[0], strerror(errno));
	req.traffic = &tr;
	tr.file = path;
	tr.point = opt_or_empty("point");
	r = admin_send(c, &req);
	free(path);
	return r;
}

/*
 * connector add, edit, remove and test: NAME and the options as given;
 * the daemon checks them again and keeps what is not given.
 */
int
admin_connector(const struct cli_command *c)
{
	Kics__Control__V1__Request req = KICS__CONTROL__V1__REQUEST__INIT;
	Kics__Control__V1__ConnectorArgs a =
	    KICS__CONTROL__V1__CONNECTOR_ARGS__INIT;
	bool add = strcmp(c->name, "connector add") == 0;

	if (cli_opt("port") != NULL)
		check_port(cli_opt("port"));
	if (add && (cli_opt("address") == NULL || cli_opt("port") == NULL))
		cli_usage_error("--address and --port are required");
	check_one_of("transport", cli_opt("transport"), "udp", "tcp", "tls");
	check_one_of("message-format", cli_opt("message-format"), "rfc5424",
	    "cef", NULL);
	check_one_of("min-severity", cli_opt("min-severity"), "info",
	    "warning", "critical");
	if (cli_flag("enable") && cli_flag("disable"))
		cli_usage_error("--enable and --disable exclude each other");
	req.connector = &a;
	a.name = (char *)arg_pos[0];
	a.address = opt_or_empty("address");
	a.port = cli_opt("port") != NULL ?
	    (uint32_t)strtol(cli_opt("port"), NULL, 10) : 0;
	a.transport = opt_or_empty("transport");
	a.ca = opt_or_empty("ca");
	a.format = opt_or_empty("message-format");
	a.min_severity = opt_or_empty("min-severity");
	a.technologies = opt_or_empty("technologies");
	a.enabled = cli_flag("enable") ? KICS__CONTROL__V1__TOGGLE__TOGGLE_ON :
	    cli_flag("disable") ? KICS__CONTROL__V1__TOGGLE__TOGGLE_OFF :
	    KICS__CONTROL__V1__TOGGLE__TOGGLE_UNCHANGED;
	return admin_send(c, &req);
}
