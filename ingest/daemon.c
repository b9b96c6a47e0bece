/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains main() of kics-epp-proxy: options, configuration,
 * data directory, PKI, database, the integration server listeners,
 * signals (TERM/INT: drain and exit, HUP: reload) and detaching.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "conf.h"
#include "daemon.h"
#include "diag.h"
#include "engine.h"
#include "event_types.h"
#include "ingest.h"
#include "udp.h"
#include "log.h"
#include "rules.h"
#include "pki.h"
#include "privilege.h"
#include "tls.h"
#include "capture.h"
#include "version.h"

#define DAEMON_DB_FILE		"kics-epp.db"
#define DAEMON_PKI_DIR		"pki"
#define DAEMON_DRAIN_POLL_MS	20	/* shutdown: check for answers */
#define DAEMON_FLUSH_MS		200	/* shutdown: replies leave */

/* Parsed command line (STYLE.md §2: the only globals besides the log). */
static const char *arg_config;
static const char *arg_data_dir;
static bool arg_foreground;
static bool arg_check;

/* Everything main() sets up, for the signal callbacks. */
struct daemon {
	struct certcheck *certcheck;	/* certificate renewal and warnings */
	struct conf	*conf;
	char		*data_dir;	/* absolute once created */
	struct pki	*pki;
	struct event_base *base;
	struct writer	*writer;
	struct http	*http;
	struct udp	*udp;		/* UDP mode (issue 14) */
	struct control	*control;	/* DATA_DIR/control.sock */
	struct traffic	*traffic;	/* monitoring points, imports */
	struct forwarding *forwarding;	/* SIEM connectors */
	struct event	*sig_term, *sig_int, *sig_hup;
	struct event	*drain_ev;
	bool		stopping;
	struct daemon_start start;	/* lock, pid file, waiting parent */
	uint32_t	max_connections; /* as many as open files allow */
};

/* An integration server to listen for. */
struct daemon_server {
	const struct engine_server *row;	/* borrowed from the list */
	struct pki_cert_info	cert;		/* its server certificate */
	bool			certified;	/* cert is valid */
};

static void
usage(FILE *f)
{
	(void)fprintf(f, "usage: " DAEMON_NAME " [--config FILE] "
	    "[--data-dir DIR] [--foreground] [--check]\n"
	    "  --config FILE   configuration (default: $" DAEMON_CONFIG_ENV
	    " when set,\n"
	    "                  else " KICS_SYSCONFDIR "/kics-epp/kics-epp.yaml "
	    "when it\n"
	    "                  exists, else the built-in defaults)\n"
	    "  --data-dir DIR  overrides data_dir of the configuration\n"
	    "  --foreground    do not detach; log to stderr unless the\n"
	    "                  configuration says log: syslog or file\n"
	    "  --check         validate the configuration, the files it\n"
	    "                  names and the TLS material, then exit\n"
	    "  --version       print the version and exit\n");
}

static void
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			break;
		case 'd':
			arg_data_dir = optarg;
			break;
		case 'f':
			arg_foreground = true;
			break;
		case 'n':
			arg_check = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			(void)printf(DAEMON_NAME " %s\n", kics_version());
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

static char *
path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = xcalloc(1, len);

	(void)snprintf(p, len, "%s/%s", dir, name);
	return p;
}

/* Reads the event types the configuration names (or the built-in ones). */
static int
load_event_types(const struct conf *conf, struct diag *diag,
    struct event_types **ret_types)
{
	if (conf->event_types_path != NULL)
		return event_types_load(conf->event_types_path, diag,
		    ret_types);
	return event_types_load_default(diag, ret_types);
}

/* Reads the rules the configuration names (or the built-in ones). */
static int
load_rules(const struct conf *conf, struct diag *diag,
    struct rules **ret_rules)
{
	return rules_load(conf->rules_path, diag, ret_rules);
}

static void
print_diag(const struct diag *diag)
{
	for (size_t i = 0; i < diag_count(diag); i++)
		(void)fprintf(stderr, "%s\n", diag_get(diag, i));
}

/* --check of the TLS material that exists already; nothing is created. */
static int
check_tls(const char *data_dir, struct diag *diag)
{
	char *dir = path_join(data_dir, DAEMON_PKI_DIR);
	char *ca = path_join(dir, "ca.pem");
	struct pki *pki = NULL;
	int r = 0;

	if (access(ca, F_OK) == 0 &&
	    (r = pki_open(dir, ingest_now_ms(), &pki)) < 0)
		(void)diag_add(diag, dir, 0, 0, "cannot load the PKI: %s%s%s",
		    strerror(-r), *tls_last_error() ? ": " : "",
		    tls_last_error());
	pki_free(pki);
	free(ca);
	free(dir);
	return r;
}

static void
make_data_dir(struct daemon *d, const char *dir)
{
	char real[PATH_MAX];

	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		fatal("cannot create data directory '%s'", dir);
	/* Absolute, because a detached daemon runs in /. */
	if (realpath(dir, real) == NULL)
		fatal("data directory '%s'", dir);
	d->data_dir = xstrdup(real);
}

/*
 * The integration servers to listen for. At first start the configured
 * ones are stored when the table is empty; afterwards the table rules (the
 * administrator edits it through the control socket). Returns the stored
 * list, which the caller frees with engine_servers_free().
 */
static struct engine_server *
servers_load(const struct conf *conf, struct engine *e, size_t *ret_n)
{
	struct engine_server_spec *specs;
	struct engine_server *rows = NULL;
	int r;

	specs = xcalloc(conf->n_servers + 1, sizeof(*specs));
	for (size_t i = 0; i < conf->n_servers; i++) {
		specs[i].name = conf->servers[i].name;
		specs[i].address = conf->servers[i].address;
		specs[i].port = conf->servers[i].port;
		specs[i].enabled = conf->servers[i].enabled;
		specs[i].verify_client_cert =
		    conf->servers[i].verify_client_cert;
		specs[i].transport = conf->servers[i].transport;
		specs[i].udp_port = conf->servers[i].udp_port;
		specs[i].udp_encryption = conf->servers[i].udp_encryption;
	}
	r = engine_servers_seed(e, specs, conf->n_servers, ingest_now_ms());
	free(specs);
	if (r < 0)
		fatalx("cannot store the configured integration servers: %s",
		    engine_errmsg(e));
	if (r > 0)
		log_info("stored %d integration server(s) from the "
		    "configuration", r);
	if ((r = engine_servers_list(e, &rows, ret_n)) < 0)
		fatalx("cannot read the integration servers: %s",
		    engine_errmsg(e));
	return rows;
}

/*
 * Ensures the server certificate of every enabled server (issued or renewed
 * by the PKI) and records it in the database. Runs before the writer
 * thread owns the engine.
 */
static void
servers_certify(struct daemon *d, struct engine *e,
    struct daemon_server *servers, size_t n)
{
	char host[256];
	int r;

	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct engine_server *row = servers[i].row;

		if (!row->enabled)
			continue;
		r = pki_server_cert_ensure(d->pki, row->id, row->address,
		    host[0] != '\0' ? host : NULL, ingest_now_ms(),
		    &servers[i].cert);
		if (r < 0 && host[0] != '\0')
			/* a host name that is no DNS name: IP SAN only */
			r = pki_server_cert_ensure(d->pki, row->id,
			    row->address, NULL, ingest_now_ms(), &servers[i].cert);
		if (r < 0) {
			log_warnx("server '%s': no certificate: %s: %s, "
			    "ignoring", row->name, strerror(-r),
			    tls_last_error());
			continue;
		}
		if (r == 1)
			log_info("server '%s': new certificate, SHA-256 %s",
			    row->name, servers[i].cert.sha256);
		servers[i].certified = true;
		if (engine_server_set_cert(e, row->id, servers[i].cert.serial,
		    servers[i].cert.sha256, servers[i].cert.not_after_ms,
		    ingest_now_ms()) < 0)
			log_warnx("server '%s': cannot record its certificate: "
			    "%s, ignoring", row->name, engine_errmsg(e));
		else if (r == 1)
			certcheck_revoke_replaced(d->pki, e, row,
			    servers[i].cert.serial, ingest_now_ms());
	}
}

/*
 * Starts the listener of each enabled and certified server; returns how
 * many run, and in *ret_enabled how many were enabled. One that cannot
 * listen registers an event (http.c keeps the reason for server list).
 */
static size_t
servers_start(struct daemon *d, const struct daemon_server *servers,
    size_t n, size_t *ret_enabled)
{
	size_t started = 0, enabled = 0;
	char text[256];
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const struct engine_server *row = servers[i].row;
		struct http_server_params p = {
			.server_id = row->id,
			.name = row->name,
			.address = row->address,
			.port = row->port,
			.ca_file = pki_ca_cert_path(d->pki),
			.crl_file = pki_crl_path(d->pki),
			.verify_client = row->verify_client_cert,
			.cert_file = servers[i].cert.cert_path,
			.key_file = servers[i].cert.key_path,
		};

		struct udp_server_params up = {
			.server_id = row->id,
			.name = row->name,
			.address = row->address,
			.port = row->udp_port,
			.encryption = row->udp_encryption,
		};
		bool ok = true;

		if (!row->enabled)
			continue;
		enabled++;
		/* UDP needs no certificate to receive */
		if (server_transport_udp(row->transport) &&
		    (r = udp_listen(d->udp, &up)) < 0) {
			(void)snprintf(text, sizeof(text), "integration server "
			    "%lld '%s' cannot receive on %s UDP port %u: %s",
			    (long long)row->id, row->name, row->address,
			    (unsigned)row->udp_port, strerror(-r));
			writer_notice(d->writer, EVENT_SERVER_ERROR, text);
			ok = false;
		}
		if (server_transport_https(row->transport) &&
		    (!servers[i].certified ||
		    (r = http_listen(d->http, &p)) < 0)) {
			if (servers[i].certified) {
				(void)snprintf(text, sizeof(text), "integration "
				    "server %lld '%s' cannot listen on %s port "
				    "%u: %s", (long long)row->id, row->name,
				    row->address, (unsigned)row->port,
				    strerror(-r));
				writer_notice(d->writer, EVENT_SERVER_ERROR,
				    text);
			}
			ok = false;
		}
		started += ok;
	}
	*ret_enabled = enabled;
	return started;
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { 0, DAEMON_DRAIN_POLL_MS * 1000 };

	(void)fd;
	(void)what;
	if (writer_idle(d->writer) && http_pending(d->http) == 0) {
		/* Every reply is written to its connection's buffer. */
		struct timeval flush = { 0, DAEMON_FLUSH_MS * 1000 };

		(void)event_base_loopexit(d->base, &flush);
		return;
	}
	(void)evtimer_add(d->drain_ev, &tv);
}

static void
stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (d->stopping)
		return;
	d->stopping = true;
	log_info("%s: stop accepting, answering what is queued",
	    strsignal((int)sig));
	http_stop_accepting(d->http);
	traffic_stop(d->traffic);	/* its last flows before the writer */
	udp_stop_accepting(d->udp);
	/* its last cursors go through the writer, so before it stops */
	forwarding_stop(d->forwarding);
	writer_stop(d->writer);
	drain_cb(-1, 0, d);
}

/*
 * SIGHUP: reads the event types and the rules again. Each new set is built
 * aside and swapped in by the writer between batches only when it is
 * valid; a broken file keeps the old set, logs every error and registers
 * a "configuration rejected" system event naming the file.
 */
static int
reload_now(void *arg, char *msg, size_t len)
{
	struct daemon *d = arg;
	struct event_types *types = NULL;
	struct rules *rules = NULL;
	struct diag *diag;
	char text[512];
	int ret = 0;

	if ((diag = diag_new()) == NULL)
		fatalx("out of memory");
	if (load_event_types(d->conf, diag, &types) < 0) {
		for (size_t i = 0; i < diag_count(diag); i++)
			log_warnx("%s", diag_get(diag, i));
		log_warnx("reload: keeping the old event types");
		(void)snprintf(text, sizeof(text), "event types file '%s' "
		    "rejected with %zu error(s), the old ones stay: %s",
		    d->conf->event_types_path, diag_count(diag),
		    diag_count(diag) > 0 ? diag_get(diag, 0) : "");
		writer_notice(d->writer, EVENT_CONFIG_REJECTED, text);
		(void)snprintf(msg, len, "%s", text);
		ret = -EINVAL;
	} else {
		log_info("reload: event types read, swapping them in");
		writer_set_event_types(d->writer, types);
	}
	diag_free(diag);
	if ((diag = diag_new()) == NULL)
		fatalx("out of memory");
	if (load_rules(d->conf, diag, &rules) < 0) {
		for (size_t i = 0; i < diag_count(diag); i++)
			log_warnx("%s", diag_get(diag, i));
		log_warnx("reload: keeping the old rules");
		(void)snprintf(text, sizeof(text), "rules file '%s' rejected "
		    "with %zu error(s), the old rules stay: %s",
		    d->conf->rules_path != NULL ? d->conf->rules_path :
		    "built-in", diag_count(diag),
		    diag_count(diag) > 0 ? diag_get(diag, 0) : "");
		writer_notice(d->writer, EVENT_CONFIG_REJECTED, text);
		(void)snprintf(msg, len, "%s", text);
		ret = -EINVAL;
	} else {
		log_info("reload: %zu rule(s) read, swapping them in",
		    rules_count(rules));
		if (ret == 0)
			ret = (int)rules_count(rules);
		writer_set_rules(d->writer, rules);
	}
	diag_free(diag);
	return ret;
}

/*
 * SIGHUP, or kics-query rules reload through the control socket (which
 * gets the number of rules or the first error).
 */
static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	char msg[512];
	int r;

	(void)sig;
	(void)what;
	/* after logrotate moved it, the log file is opened again */
	if ((r = log_reopen()) < 0)
		log_warnx("cannot open the log file again: %s; keeping the "
		    "old one", strerror(-r));
	(void)reload_now(arg, msg, sizeof(msg));
}

static void
add_signals(struct daemon *d)
{
	d->sig_term = evsignal_new(d->base, SIGTERM, stop_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, stop_cb, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, reload_cb, d);
	d->drain_ev = evtimer_new(d->base, drain_cb, d);
	if (d->sig_term == NULL || d->sig_int == NULL || d->sig_hup == NULL ||
	    d->drain_ev == NULL || event_add(d->sig_term, NULL) < 0 ||
	    event_add(d->sig_int, NULL) < 0 || event_add(d->sig_hup, NULL) < 0)
		fatalx("cannot install signal handlers");
	(void)signal(SIGPIPE, SIG_IGN);
}

/*
 * The loop's event base. With epoll's changelist, the changes of one fd
 * in one turn of the loop go to the kernel as one epoll_ctl() when the
 * loop polls: evhttp enables reading and writing of a connection as two
 * changes for every reply (issue 17: 4 epoll_ctl() per request become
 * about 2.5). libevent warns that the changelist mistakes an fd cloned
 * by dup() for its original; the daemon registers no such fd (its dup2()
 * calls only point stdio and the log at files).
 */
static struct event_base *
daemon_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) < 0)
		fatalx("event_config: out of memory");
	if ((base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new failed");
	event_config_free(cfg);
	return base;
}

static struct engine *
open_engine(struct daemon *d, const struct event_types *types)
{
	struct engine_config cfg;
	struct engine *e;
	char *db = path_join(d->data_dir, DAEMON_DB_FILE);
	int r;

	engine_config_init(&cfg);
	cfg.agent_timeout_ms = (int64_t)d->conf->timeout_s * 1000;
	cfg.report_interval_s = d->conf->report_interval_s;
	cfg.max_agents = d->conf->max_agents;
	cfg.max_devices = d->conf->max_devices;
	cfg.max_archived_devices = d->conf->max_archived_devices;
	cfg.max_events = d->conf->max_events;
	cfg.max_interactions = d->conf->max_interactions;
	cfg.archive_after_days = d->conf->archive_after_days;
	cfg.max_new_per_address = d->conf->max_new_per_address;
	if ((r = engine_open(db, &cfg, types, &e)) < 0)
		fatalx("cannot open database '%s': %s", db, r == -EPROTO ?
		    "made by a newer kics-epp" : strerror(-r));
	free(db);
	return e;
}

static void
run(struct daemon *d, struct event_types *types, struct rules *rules)
{
	struct http_config hcfg = {
		.max_body_bytes = d->conf->max_body_bytes,
		.max_body_memory_bytes = d->conf->max_body_memory_bytes,
		.handshake_timeout_s = d->conf->handshake_timeout_s,
		.max_connections_per_address =
		    d->conf->max_connections_per_address,
		.max_connections = d->max_connections,
		.idle_timeout_s = d->conf->idle_timeout_s,
		.report_interval_s = d->conf->report_interval_s,
	};
	struct daemon_server *servers;
	struct engine_server *rows;
	struct engine_user *users = NULL;
	struct control_params cp = { 0 };
	struct udp_config ucfg = {
		.rcvbuf_bytes = d->conf->udp_rcvbuf_bytes,
	};
	struct engine *e;
	char *dir;
	size_t n, n_users = 0, enabled, started, captures;
	int r;

	dir = path_join(d->data_dir, DAEMON_PKI_DIR);
	if ((r = pki_open(dir, ingest_now_ms(), &d->pki)) < 0)
		fatalx("cannot open the PKI in '%s': %s: %s", dir,
		    strerror(-r), tls_last_error());
	if (r == 1)
		log_info("created the installation's CA in '%s'", dir);
	ucfg.pki_dir = dir;

	if (evthread_use_pthreads() < 0)
		fatalx("libevent without pthreads support");
	d->base = daemon_base_new();
	e = open_engine(d, types);
	rows = servers_load(d->conf, e, &n);
	servers = xcalloc(n + 1, sizeof(*servers));
	for (size_t i = 0; i < n; i++)
		servers[i].row = &rows[i];
	servers_certify(d, e, servers, n);
	forwarding_seed(d->conf, e);
	if (engine_users_list(e, &users, &n_users) < 0)
		fatalx("cannot read the users: %s", engine_errmsg(e));
	if ((r = writer_new(d->base, e, types, rules, &d->writer)) < 0)
		fatalx("cannot start the writer: %s", strerror(-r));
	d->http = http_new(d->base, d->writer, &hcfg);
	d->traffic = traffic_new(d->conf, d->writer);
	captures = traffic_start(d->traffic, d->conf);
	d->udp = udp_new(d->base, d->writer, &ucfg);
	free(dir);
	dir = path_join(d->data_dir, DAEMON_DB_FILE);
	d->forwarding = forwarding_new(d->writer, dir);
	free(dir);
	/*
	 * Ready means listening or capturing. With no server enabled there
	 * is nothing to wait for, and the daemon must run for kics-query to
	 * enable one.
	 */
	started = servers_start(d, servers, n, &enabled);
	if (started == 0 && captures == 0) {
		if (enabled > 0)
			fatalx("none of the %zu enabled integration server(s) "
			    "could listen (see above)", enabled);
		log_warnx("no integration server is enabled; add or enable "
		    "one with kics-query server");
	}
	free(servers);
	engine_servers_free(rows, n);
	cp.base = d->base;
	cp.data_dir = d->data_dir;
	cp.conf = d->conf;
	cp.writer = d->writer;
	cp.http = d->http;
	cp.udp = d->udp;
	cp.pki = d->pki;
	cp.traffic = d->traffic;
	cp.reload = reload_now;
	cp.reload_arg = d;
	cp.forward = forwarding_forward(d->forwarding);
	d->control = control_new(&cp, users, n_users);
	d->certcheck = certcheck_new(d->base, d->writer, d->http, d->pki);
	engine_users_free(users, n_users);
	add_signals(d);
	log_info("ready: %zu integration server(s) (%zu HTTPS, %zu UDP "
	    "listener(s)), data directory '%s'", started,
	    http_listener_count(d->http), udp_listener_count(d->udp),
	    d->data_dir);
	daemon_start_ready(&d->start);
	if (event_base_dispatch(d->base) < 0)
		fatalx("event loop failed");
}

static void
cleanup(struct daemon *d)
{
	/* The forwarder saves its cursors through the writer. */
	forwarding_free(d->forwarding);
	/* Traffic waits for its batches at the writer, which then ends. */
	traffic_free(d->traffic);
	/* The writer answers nothing more: the loop has drained it. */
	writer_free(d->writer);
	certcheck_free(d->certcheck);
	http_free(d->http);
	udp_free(d->udp);
	control_free(d->control);
	if (d->sig_term != NULL)
		event_free(d->sig_term);
	if (d->sig_int != NULL)
		event_free(d->sig_int);
	if (d->sig_hup != NULL)
		event_free(d->sig_hup);
	if (d->drain_ev != NULL)
		event_free(d->drain_ev);
	if (d->base != NULL)
		event_base_free(d->base);
	pki_free(d->pki);
	daemon_start_fini(&d->start);
	free(d->data_dir);
	conf_free(d->conf);
}

int
main(int argc, char **argv)
{
	struct daemon d = { 0 };
	struct event_types *types = NULL;
	struct rules *rules = NULL;
	struct diag *diag;
	const char *data_dir;
	int r;

	parse_args(argc, argv);
	daemon_start_init(&d.start);
	log_init(DAEMON_NAME, true, LOG_LEVEL_INFO);
	if (arg_config == NULL)
		arg_config = daemon_default_config();
	if ((diag = diag_new()) == NULL)
		fatalx("out of memory");
	/* Load everything, so that one run reports every error. */
	r = conf_load(arg_config, diag, &d.conf);
	if (r == 0) {
		(void)load_event_types(d.conf, diag, &types);
		(void)load_rules(d.conf, diag, &rules);
	}
	data_dir = arg_data_dir != NULL ? arg_data_dir :
	    d.conf != NULL ? d.conf->data_dir : NULL;
	if (arg_check && data_dir != NULL)
		(void)check_tls(data_dir, diag);
	if (diag_count(diag) > 0 || r < 0) {
		print_diag(diag);
		if (diag_count(diag) == 0)
			(void)fprintf(stderr, "%s: %s\n", arg_config != NULL ?
			    arg_config : "built-in configuration",
			    strerror(-r));
		diag_free(diag);
		event_types_free(types);
		rules_free(rules);
		conf_free(d.conf);
		return 1;
	}
	diag_free(diag);
	if (arg_check) {
		(void)printf("configuration OK\n");
		event_types_free(types);
		rules_free(rules);
		conf_free(d.conf);
		return 0;
	}

	log_set_level(d.conf->log_level);
	make_data_dir(&d, data_dir);
	/* before anything in the data directory is touched */
	daemon_start_lock(&d.start, d.data_dir);
	d.max_connections = daemon_start_files(d.conf->max_connections);
	/*
	 * Still one thread: before the PKI, the database and the writer.
	 * It also sets the umask, and so the modes of the database files;
	 * the log file is opened as the user that will reopen it.
	 */
	privilege_drop(d.conf->user, d.data_dir);
	daemon_start_log(d.conf, arg_foreground);
	if (!arg_foreground)
		daemon_start_detach(&d.start, d.conf);
	daemon_start_pid(&d.start, d.data_dir);
	if (arg_config == NULL)
		log_info("no --config: using the built-in defaults "
		    "(conf/kics-epp.yaml as shipped)");
	else
		log_info("configuration '%s'", arg_config);
	log_info("%zu rule(s) from '%s'", rules_count(rules),
	    d.conf->rules_path != NULL ? d.conf->rules_path :
	    "built-in rules.yaml");
	run(&d, types, rules);
	cleanup(&d);
	log_info("stopped");
	return 0;
}
