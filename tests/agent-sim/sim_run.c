/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the event loop of a simulator run: per-agent report
 * schedules, ack checking, retries of busy replies with backoff, refusal
 * handling, progress output and the end of the run.
 *
 * Everything runs in one thread on one event_base. An agent has at most one
 * report in flight; its next send is always started from its own timer,
 * never from inside a reply callback, so a connection can be rebuilt there.
 *
 * Paced runs (--rate) are closed loop by default: a late ack delays the
 * agent's schedule, and latency counts from the moment of sending. With
 * --open-loop the schedule never slips: slot k of an agent is due at
 * start + offset + k * period whatever the replies, a report whose slot
 * passed while the previous one waited goes out right after that ack, and
 * latency counts from the slot. A slow server then shows as latency (and
 * as reports left unsent at the end) instead of as a lower offered rate
 * that hides the queueing ("coordinated omission").
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "sim.h"

#define SIM_REPORT_PATH		"/api/v1/report"
#define SIM_MAX_ATTEMPTS	3	/* transport failures in a row */
#define SIM_BUSY_BASE_MS	100	/* first 503 backoff */
#define SIM_BUSY_MAX_MS		5000	/* backoff cap */
#define SIM_GRACE_S		10	/* wait for replies after the end */
#define SIM_LOGGED_ERRORS	20	/* then stay quiet */
#define SIM_START_SPREAD_US	500	/* unpaced agents start this apart */

struct sim_run;

struct sim_agent {
	struct sim_run		*run;
	struct sim_host		 host;
	struct sim_client	*client;
	struct event		*timer;
	uint64_t		 number;	/* reports built so far */
	struct sim_buf		 body;		/* memory kept between reports */
	bool			 has_body;	/* body awaits its ack */
	uint64_t		 body_seq;
	int64_t			 due_us;	/* paced: next slot */
	int64_t			 body_due_us;	/* open loop: slot of body */
	int64_t			 sent_us;	/* latest post of body */
	unsigned int		 failures;	/* transport, in a row */
	unsigned int		 busy_tries;	/* 503s for this body */
	uint64_t		 acked;
	bool			 in_flight;
	bool			 done;
};

struct sim_run {
	const struct sim_run_params	*params;
	struct event_base		*base;
	struct sim_tls			*tls;
	struct sim_agent		*agents;
	size_t				 n_agents;
	struct sim_stats		*stats;
	/* params->report with peers: the agents' hosts as generated */
	struct sim_report_params	 report;
	struct sim_host			*peers;
	struct sim_arena		 arena;		/* of the report built */
	int64_t				 start_us;
	int64_t				 measure_us;	/* warmup over */
	int64_t				 period_us;	/* 0 = unpaced */
	bool				 stopping;
	size_t				 active;	/* agents not done */
	unsigned int			 logged;
	struct event			*tick;
	struct event			*stop_ev;
	struct event			*grace_ev;
	struct event			*sigint_ev;
	struct event			*sigterm_ev;
	uint64_t			 last_acked;
};

static int64_t
mono_us(void)
{
	return clock_mono_us();
}

static int64_t
wall_ms(void)
{
	return clock_wall_ms();
}

static void run_log(struct sim_run *run, const char *agent,
    const char *fmt, ...) KICS_PRINTF(3, 4);

static void
run_log(struct sim_run *run, const char *agent, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (run->logged++ >= SIM_LOGGED_ERRORS) {
		if (run->logged == SIM_LOGGED_ERRORS + 1)
			log_warnx("further errors are counted, not shown");
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("agent %s: %s", agent, msg);
}

static void
timer_in(struct sim_agent *ag, int64_t us)
{
	struct timeval tv;

	if (us < 0)
		us = 0;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	(void)evtimer_add(ag->timer, &tv);
}

static void
agent_finish(struct sim_agent *ag)
{
	struct sim_run *run = ag->run;

	if (ag->done)
		return;
	ag->done = true;
	ag->has_body = false;
	sim_buf_fini(&ag->body);
	(void)evtimer_del(ag->timer);
	if (--run->active == 0)
		event_base_loopexit(run->base, NULL);
}

static void
agent_drop_body(struct sim_agent *ag)
{
	ag->has_body = false;
	ag->busy_tries = 0;
}

/* Schedules the next new report after one was settled. */
static void
agent_next(struct sim_agent *ag)
{
	struct sim_run *run = ag->run;
	int64_t now = mono_us();

	if (run->stopping || (run->params->reports > 0 &&
	    ag->number >= run->params->reports)) {
		agent_finish(ag);
		return;
	}
	if (run->period_us == 0) {
		timer_in(ag, 0);
		return;
	}
	ag->due_us += run->period_us;
	/*
	 * Late (slow acks): closed loop sends now and does not burst to
	 * catch up; open loop keeps the slot, so the send is immediate and
	 * the wait counts in the latency.
	 */
	if (ag->due_us < now && !run->params->open_loop)
		ag->due_us = now;
	timer_in(ag, ag->due_us - now);
}

static void agent_on_reply(const struct sim_reply *reply, void *arg);

static void
agent_send(evutil_socket_t fd, short what, void *arg)
{
	struct sim_agent *ag = arg;
	struct sim_run *run = ag->run;
	const struct sim_run_params *p = run->params;
	int r;

	(void)fd;
	(void)what;
	if (ag->done || ag->in_flight)
		return;
	if (run->stopping) {
		agent_finish(ag);
		return;
	}
	if (!ag->has_body) {
		if ((r = sim_report_next(&run->report, &ag->host,
		    p->sequence_start, &ag->number, wall_ms(), &run->arena,
		    &ag->body, &ag->body_seq)) < 0)
			fatalx("cannot build a report: %s", strerror(-r));
		ag->has_body = true;
		/*
		 * libevent may run a timer a little before its slot (its
		 * clock is cached); a report sent early counts from then.
		 */
		ag->body_due_us = ag->due_us;
		if (ag->body_due_us > mono_us())
			ag->body_due_us = mono_us();
	}
	/* Set first: a failed connect may deliver the reply right away. */
	ag->in_flight = true;
	ag->sent_us = mono_us();
	run->stats->sent++;
	run->stats->bytes_sent += ag->body.len;
	r = sim_client_post(ag->client, SIM_REPORT_PATH, ag->body.data,
	    ag->body.len, agent_on_reply, ag);
	if (r < 0) {
		ag->in_flight = false;
		run->stats->errors++;
		run_log(run, ag->host.agent_id, "cannot send: %s",
		    strerror(-r));
		if (++ag->failures >= SIM_MAX_ATTEMPTS)
			agent_finish(ag);
		else
			timer_in(ag, 1000000);
	}
}

static void
agent_on_ack(struct sim_agent *ag, const struct sim_reply *reply)
{
	struct sim_run *run = ag->run;
	Kics__Epp__V1__ReportAck *ack;

	ack = kics__epp__v1__report_ack__unpack(NULL, reply->len, reply->body);
	if (ack == NULL || ack->acked_sequence != ag->body_seq) {
		run->stats->errors++;
		if (ack == NULL)
			run_log(run, ag->host.agent_id, "undecodable "
			    "ReportAck for sequence %llu",
			    (unsigned long long)ag->body_seq);
		else
			run_log(run, ag->host.agent_id, "acked_sequence %llu "
			    "for sequence %llu",
			    (unsigned long long)ack->acked_sequence,
			    (unsigned long long)ag->body_seq);
	} else {
		int64_t from = run->params->open_loop ? ag->body_due_us :
		    ag->sent_us;

		if (from < run->measure_us) {
			run->stats->warmup_acked++;
		} else {
			uint64_t us = (uint64_t)(mono_us() - from);

			run->stats->acked++;
			sim_stats_latency(run->stats, us);
			sim_stats_timeline(run->stats, from - run->measure_us,
			    us);
		}
		ag->acked++;
		/* the agent's identity from now on: sent in every report */
		if (ack->agent_token[0] != '\0' &&
		    strlen(ack->agent_token) <= SIM_TOKEN_LEN)
			(void)snprintf(ag->host.token, sizeof(ag->host.token),
			    "%s", ack->agent_token);
	}
	kics__epp__v1__report_ack__free_unpacked(ack, NULL);
	ag->failures = 0;
	agent_drop_body(ag);
	agent_next(ag);
}

static void
agent_on_reply(const struct sim_reply *reply, void *arg)
{
	struct sim_agent *ag = arg;
	struct sim_run *run = ag->run;
	Kics__Epp__V1__ErrorReply *er = NULL;
	const char *code = "";
	int64_t backoff_ms;

	ag->in_flight = false;
	if (ag->done)
		return;
	if (reply->status == 0) {
		run->stats->errors++;
		if (reply->tls_error)
			run->stats->tls_errors++;
		run_log(run, ag->host.agent_id, "%s%s",
		    reply->tls_error ? "TLS: " : "", reply->error);
		/* Resend the same report on a new connection, a few times. */
		if (++ag->failures >= SIM_MAX_ATTEMPTS || reply->tls_error)
			agent_finish(ag);
		else
			timer_in(ag, 1000000);
		return;
	}
	if (reply->status == 200) {
		agent_on_ack(ag, reply);
		return;
	}
	ag->failures = 0;
	if (reply->len > 0)
		er = kics__epp__v1__error_reply__unpack(NULL, reply->len,
		    reply->body);
	if (er != NULL)
		code = er->code;
	if (reply->status == 503) {
		run->stats->busy++;
		backoff_ms = SIM_BUSY_BASE_MS << (ag->busy_tries < 6 ?
		    ag->busy_tries : 6);
		if (backoff_ms > SIM_BUSY_MAX_MS)
			backoff_ms = SIM_BUSY_MAX_MS;
		/* Jitter so that refused agents do not come back in step. */
		backoff_ms += rand() % (backoff_ms / 2 + 1);
		ag->busy_tries++;
		timer_in(ag, backoff_ms * 1000);
	} else if (reply->status == 403 && strcmp(code, "agent_limit") == 0) {
		run->stats->refused++;
		agent_finish(ag);
	} else {
		run->stats->errors++;
		run_log(run, ag->host.agent_id, "unexpected reply: HTTP %d %s",
		    reply->status, er != NULL ? er->code : "(no ErrorReply)");
		if (er != NULL && er->message[0] != '\0' &&
		    run->logged <= SIM_LOGGED_ERRORS)
			log_warnx("agent %s: server says: '%s'",
			    ag->host.agent_id, er->message);
		agent_drop_body(ag);
		agent_next(ag);
	}
	kics__epp__v1__error_reply__free_unpacked(er, NULL);
}

static void
run_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sim_run *run = arg;
	double elapsed = (double)(mono_us() - run->start_us) / 1e6;

	(void)fd;
	(void)what;
	sim_stats_progress(run->stats, elapsed,
	    (double)(run->stats->acked - run->last_acked));
	run->last_acked = run->stats->acked;
}

static void
run_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct sim_run *run = arg;
	size_t stuck = 0;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < run->n_agents; i++)
		if (run->agents[i].in_flight)
			stuck++;
	if (stuck > 0) {
		log_warnx("%zu reports still without a reply after %d s",
		    stuck, SIM_GRACE_S);
		run->stats->errors += stuck;
	}
	event_base_loopexit(run->base, NULL);
}

/*
 * Open loop: the slots that came due before the end but were never sent
 * because the agent still waited for an earlier ack. A server that keeps
 * up leaves none; the count is the queue the agents built up.
 */
static void
run_count_unsent(struct sim_run *run)
{
	int64_t now = mono_us();

	if (!run->params->open_loop || run->period_us == 0)
		return;
	for (size_t i = 0; i < run->n_agents; i++) {
		const struct sim_agent *ag = &run->agents[i];

		if (ag->done || ag->due_us > now)
			continue;
		/* slots after the current one */
		run->stats->unsent += (uint64_t)((now - ag->due_us) /
		    run->period_us);
		/* the current one, unless it was posted */
		if (!ag->in_flight && !ag->has_body)
			run->stats->unsent++;
	}
}

static void
run_stop(evutil_socket_t fd, short what, void *arg)
{
	struct sim_run *run = arg;
	struct timeval grace = { SIM_GRACE_S, 0 };

	(void)fd;
	(void)what;
	if (run->stopping)
		return;
	run->stopping = true;
	run_count_unsent(run);
	for (size_t i = 0; i < run->n_agents; i++)
		if (!run->agents[i].in_flight)
			agent_finish(&run->agents[i]);
	if (run->active > 0)
		(void)evtimer_add(run->grace_ev, &grace);
}

/* Resolves address once so that 2,000 connects do not each resolve it. */
static int
resolve(const char *address, uint16_t port, char *ip, size_t iplen,
    char *host_header, size_t hlen)
{
	struct addrinfo hints, *res = NULL;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(address, NULL, &hints, &res)) != 0) {
		log_warnx("cannot resolve '%s': %s", address, gai_strerror(r));
		return -ENOENT;
	}
	r = getnameinfo(res->ai_addr, res->ai_addrlen, ip, (socklen_t)iplen,
	    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (r != 0) {
		log_warnx("cannot use address '%s'", address);
		return -EINVAL;
	}
	(void)snprintf(host_header, hlen, strchr(address, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", address, port);
	return 0;
}

/* Each agent needs a socket: raise the descriptor limit when allowed. */
static void
raise_fd_limit(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warnx("descriptor limit %llu is below the %zu needed, "
		    "ignoring", (unsigned long long)rl.rlim_cur, want);
}

static void
run_fini(struct sim_run *run)
{
	for (size_t i = 0; run->agents != NULL && i < run->n_agents; i++) {
		sim_client_free(run->agents[i].client);
		if (run->agents[i].timer != NULL)
			event_free(run->agents[i].timer);
		sim_buf_fini(&run->agents[i].body);
	}
	free(run->agents);
	free(run->peers);
	sim_arena_fini(&run->arena);
	if (run->tick != NULL)
		event_free(run->tick);
	if (run->stop_ev != NULL)
		event_free(run->stop_ev);
	if (run->grace_ev != NULL)
		event_free(run->grace_ev);
	if (run->sigint_ev != NULL)
		event_free(run->sigint_ev);
	if (run->sigterm_ev != NULL)
		event_free(run->sigterm_ev);
	sim_tls_free(run->tls);
	if (run->base != NULL)
		event_base_free(run->base);
}

/* The hosts of the run's agents, for the token file; freed with free(). */
static struct sim_host **
run_hosts(struct sim_run *run)
{
	struct sim_host **v = calloc(run->n_agents + 1, sizeof(*v));

	for (size_t i = 0; v != NULL && i < run->n_agents; i++)
		v[i] = &run->agents[i].host;
	return v;
}

/* Loads (save false) or saves the token file, when there is one. */
static int
run_tokens(struct sim_run *run, bool save)
{
	const char *path = run->params->token_file;
	struct sim_host **hosts;
	int r;

	if (path == NULL)
		return 0;
	if ((hosts = run_hosts(run)) == NULL)
		return -ENOMEM;
	r = save ? sim_tokens_save(path, hosts, run->n_agents) :
	    sim_tokens_load(path, hosts, run->n_agents);
	free(hosts);
	if (r < 0)
		log_warnx("token file '%s': %s", path, strerror(-r));
	return r;
}

/*
 * Reports name other agents as peers: when they are the run's agents,
 * a copy of their hosts spares generating one per connection.
 */
static int
run_setup_peers(struct sim_run *run)
{
	const struct sim_run_params *p = run->params;

	run->report = p->report;
	if (p->report.first_agent != p->first_agent ||
	    p->report.n_agents != run->n_agents)
		return 0;
	if ((run->peers = calloc(run->n_agents, sizeof(*run->peers))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < run->n_agents; i++)
		run->peers[i] = run->agents[i].host;
	run->report.peers = run->peers;
	return 0;
}

static int
run_setup_agents(struct sim_run *run)
{
	const struct sim_run_params *p = run->params;
	char ip[NI_MAXHOST], host_header[NI_MAXHOST + 16];
	int r;

	if ((r = resolve(p->address, p->port, ip, sizeof(ip), host_header,
	    sizeof(host_header))) < 0)
		return r;
	run->n_agents = p->agents;
	if ((run->agents = calloc(run->n_agents, sizeof(*run->agents))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < run->n_agents; i++) {
		struct sim_agent *ag = &run->agents[i];

		ag->run = run;
		if ((r = sim_host_generate(p->report.seed,
		    p->first_agent + (uint32_t)i, &ag->host)) < 0)
			return r;
		ag->client = sim_client_new(run->base, run->tls, ip, p->port,
		    host_header, p->timeout_s);
		ag->timer = evtimer_new(run->base, agent_send, ag);
		if (ag->client == NULL || ag->timer == NULL)
			return -ENOMEM;
	}
	if ((r = run_setup_peers(run)) < 0)
		return r;
	return run_tokens(run, false);
}

int
sim_run(const struct sim_run_params *params, struct sim_stats *ret_stats,
    double *ret_elapsed_s)
{
	struct sim_run run;
	struct sim_stats *stats;
	struct timeval one = { 1, 0 };
	int r;

	memset(&run, 0, sizeof(run));
	sim_arena_init(&run.arena);
	if ((stats = calloc(1, sizeof(*stats))) == NULL)
		return -ENOMEM;
	run.params = params;
	run.stats = stats;
	(void)signal(SIGPIPE, SIG_IGN);
	raise_fd_limit(params->agents + 64);
	if ((r = sim_tls_new(&params->tls, &run.tls)) < 0) {
		log_warnx("TLS setup failed: %s%s%s", strerror(-r),
		    r == -EINVAL ? ": " : "",
		    r == -EINVAL ? sim_tls_last_error() : "");
		goto out;
	}
	r = -ENOMEM;
	if ((run.base = event_base_new()) == NULL)
		goto out;
	if ((r = run_setup_agents(&run)) < 0) {
		if (r == -ENOMEM)
			log_warnx("out of memory for %u agents",
			    params->agents);
		goto out;
	}
	r = -ENOMEM;
	run.stop_ev = evtimer_new(run.base, run_stop, &run);
	run.grace_ev = evtimer_new(run.base, run_grace_over, &run);
	run.sigint_ev = evsignal_new(run.base, SIGINT, run_stop, &run);
	run.sigterm_ev = evsignal_new(run.base, SIGTERM, run_stop, &run);
	run.tick = event_new(run.base, -1, EV_PERSIST, run_tick, &run);
	if (run.stop_ev == NULL || run.grace_ev == NULL ||
	    run.sigint_ev == NULL || run.sigterm_ev == NULL || run.tick == NULL)
		goto out;
	(void)evsignal_add(run.sigint_ev, NULL);
	(void)evsignal_add(run.sigterm_ev, NULL);
	if (params->progress)
		(void)evtimer_add(run.tick, &one);
	if (params->duration_s > 0) {
		struct timeval d;

		d.tv_sec = (time_t)params->duration_s;
		d.tv_usec = (suseconds_t)((params->duration_s -
		    (double)d.tv_sec) * 1e6);
		(void)evtimer_add(run.stop_ev, &d);
	}
	stats->open_loop = params->open_loop && params->rate > 0;
	stats->offered_per_s = params->rate;
	run.period_us = params->rate > 0 ?
	    (int64_t)((double)params->agents * 1e6 / params->rate) : 0;
	run.start_us = mono_us();
	run.measure_us = run.start_us + (int64_t)(params->warmup_s * 1e6);
	run.active = run.n_agents;
	for (size_t i = 0; i < run.n_agents; i++) {
		struct sim_agent *ag = &run.agents[i];
		int64_t offset = run.period_us > 0 ? run.period_us *
		    (int64_t)i / (int64_t)run.n_agents :
		    (int64_t)i * SIM_START_SPREAD_US;

		ag->due_us = run.start_us + offset;
		timer_in(ag, offset);
	}
	(void)event_base_dispatch(run.base);
	if (params->progress)
		(void)fputc('\n', stderr);
	*ret_elapsed_s = (double)(mono_us() - run.measure_us) / 1e6;
	*ret_stats = *stats;
	r = run_tokens(&run, true);
out:
	run_fini(&run);
	free(stats);
	return r;
}
