/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kics-agent-sim: simulates up to 2,000 EPP agents that push realistic
 * AgentReports to an integration server over HTTPS. This file contains the
 * command line and the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kics_limits.h"
#include "log.h"
#include "sim.h"
#include "version.h"

#define PROG	"kics-agent-sim"

static const char *arg_address = "127.0.0.1";
static uint64_t arg_port = 8081;
static uint64_t arg_agents = 10;
static double arg_rate = 0;
static bool arg_open_loop;
static double arg_warmup;
static double arg_duration = -1;	/* -1: not given */
static uint64_t arg_reports = 0;
static uint64_t arg_seed = 1;
static const char *arg_ca;
static const char *arg_cert;
static const char *arg_key;
static const char *arg_package;
static const char *arg_password_file;
static double arg_events = 2;
static double arg_connections = 5;
static uint64_t arg_host_every = 10;
static uint64_t arg_first_agent = 0;
static uint64_t arg_sequence_start = 0;	/* 0: from the clock */
static const char *arg_token_file;
static uint64_t arg_timeout = 30;
static bool arg_quiet;
static bool arg_json;
static bool arg_udp;			/* --transport udp */
static struct sim_udp_params arg_udp_params;

enum {
	OPT_ADDRESS = 256, OPT_PORT, OPT_AGENTS, OPT_RATE, OPT_DURATION,
	OPT_REPORTS, OPT_SEED, OPT_CA, OPT_CERT, OPT_KEY, OPT_EVENTS,
	OPT_CONNECTIONS, OPT_HOST_EVERY, OPT_FIRST_AGENT, OPT_SEQUENCE,
	OPT_TOKEN_FILE,
	OPT_TIMEOUT, OPT_QUIET, OPT_JSON, OPT_HELP, OPT_VERSION, OPT_PACKAGE,
	OPT_PASSWORD_FILE, OPT_TRANSPORT, OPT_UDP_PORT, OPT_DROP,
	OPT_DUPLICATE, OPT_REORDER, OPT_MANGLE, OPT_OPEN_LOOP,
	OPT_WARMUP,
};

static const struct option long_options[] = {
	{ "address", required_argument, NULL, OPT_ADDRESS },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "agents", required_argument, NULL, OPT_AGENTS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "open-loop", no_argument, NULL, OPT_OPEN_LOOP },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "reports", required_argument, NULL, OPT_REPORTS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "package", required_argument, NULL, OPT_PACKAGE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "events-per-report", required_argument, NULL, OPT_EVENTS },
	{ "connections-per-report", required_argument, NULL, OPT_CONNECTIONS },
	{ "host-every", required_argument, NULL, OPT_HOST_EVERY },
	{ "first-agent", required_argument, NULL, OPT_FIRST_AGENT },
	{ "sequence-start", required_argument, NULL, OPT_SEQUENCE },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "udp-port", required_argument, NULL, OPT_UDP_PORT },
	{ "drop", required_argument, NULL, OPT_DROP },
	{ "duplicate", required_argument, NULL, OPT_DUPLICATE },
	{ "reorder", required_argument, NULL, OPT_REORDER },
	{ "udp-mangle", required_argument, NULL, OPT_MANGLE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	(void)fprintf(f,
"usage: " PROG " [options]\n"
"Simulates EPP agents that POST AgentReports to /api/v1/report over HTTPS,\n"
"or send them one way over UDP (data diodes).\n"
"\n"
"  --transport https|udp  how reports travel (default https). udp sends\n"
"                         datagrams and gets nothing back: encrypted with\n"
"                         the key derived from --package and its\n"
"                         --password-file, plain without a package\n"
"  --udp-port N           UDP port (default: the package's udp_port, else\n"
"                         --port)\n"
"  --drop F --duplicate F --reorder F\n"
"                         UDP: shares (0 to 1) of datagrams not sent, sent\n"
"                         twice, or sent after the next one\n"
"  --udp-mangle KIND      UDP: spoil every datagram, to test the receiver:\n"
"                         header, ciphertext, magic, short or oversize\n"
"  --address HOST         server IP or name (default 127.0.0.1); the\n"
"                         certificate must name it when --ca is given\n"
"  --port N               server port (default 8081)\n"
"  --agents N             simulated agents, 1 to %d (default 10)\n"
"  --rate R               reports per second over all agents; 0 sends each\n"
"                         agent's next report as soon as its ack arrives\n"
"                         (default 0)\n"
"  --open-loop            with --rate: every agent keeps its schedule\n"
"                         whatever the replies; a report due while the\n"
"                         previous one waits goes out right after its ack,\n"
"                         and latency counts from the scheduled time\n"
"  --warmup S             reports sent (open loop: due) in the first S\n"
"                         seconds count neither in the latencies nor in\n"
"                         the rate (default 0)\n"
"  --duration S           stop sending after S seconds (default 10 unless\n"
"                         --reports is given)\n"
"  --reports N            reports per agent, then stop\n"
"  --seed N               population and content seed (default 1)\n"
"  --first-agent K        simulate agents K, K+1, ... so that two processes\n"
"                         simulate different agents (default 0)\n"
"  --events-per-report R  mean events per report (default 2, max %d)\n"
"  --connections-per-report R\n"
"                         mean connections per report (default 5, max %d)\n"
"  --host-every K         host info and applications in the first report\n"
"                         and every Kth after it; 0: first only (default 10)\n"
"  --token-file FILE      keep each agent's token (from its first ack) in\n"
"                         FILE between runs, as a real agent keeps it; a\n"
"                         rerun without it is refused (403 agent_identity)\n"
"  --sequence-start N     sequence of each agent's first report (default:\n"
"                         the clock in microseconds, so reruns go forward)\n"
"  --timeout S            seconds to wait for one reply (default 30)\n"
"  --ca FILE              verify the server certificate against this PEM CA\n"
"                         and the --address; without it nothing is verified\n"
"  --cert FILE --key FILE client certificate and key (PEM)\n"
"  --package FILE --password-file FILE\n"
"                         a communication data package (zip from kics-query\n"
"                         package create) and its password: the client\n"
"                         certificate, and the CA that verifies the server\n"
"  --quiet                no progress line and no warnings\n"
"  --json                 print the summary as one JSON object\n"
"  --help                 show this help\n"
"  --version              print the version and exit\n"
"\n"
"Exit status: 0 when every reply was expected (200 with the right ack, 503\n"
"busy retried, 403 agent_limit counted as refused) and something was\n"
"acked (over UDP: every report was sent); 1 otherwise (also on TLS\n"
"failures); 2 on a usage error.\n",
	    SIM_MAX_AGENTS, LIMIT_EVENTS, LIMIT_CONNECTIONS);
}

static noreturn void usage_error(const char *fmt, ...) KICS_PRINTF(1, 2);

static noreturn void
usage_error(const char *fmt, ...)
{
	va_list ap;

	(void)fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "\nTry '" PROG " --help'.\n");
	exit(2);
}

static uint64_t
parse_u64(const char *name, const char *s, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		usage_error("--%s needs a whole number", name);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		(void)fprintf(stderr, PROG ": --%s '%s' is not a number in "
		    "%llu..%llu\n", name, s, (unsigned long long)min,
		    (unsigned long long)max);
		exit(2);
	}
	return v;
}

static double
parse_double(const char *name, const char *s, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0) || v > max) {
		(void)fprintf(stderr, PROG ": --%s '%s' is not a number in "
		    "0..%g\n", name, s, max);
		exit(2);
	}
	return v;
}

static enum sim_udp_mangle
parse_mangle(const char *s)
{
	static const char *const names[SIM_UDP_MANGLE_MAX] = {
		"none", "header", "ciphertext", "magic", "short", "oversize",
	};

	for (int i = 0; i < SIM_UDP_MANGLE_MAX; i++)
		if (strcmp(s, names[i]) == 0)
			return (enum sim_udp_mangle)i;
	usage_error("--udp-mangle must be header, ciphertext, magic, short "
	    "or oversize");
}

static void
parse_args(int argc, char **argv)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
		const char *name = long_options[0].name;

		for (size_t i = 0; long_options[i].name != NULL; i++)
			if (long_options[i].val == c)
				name = long_options[i].name;
		switch (c) {
		case OPT_ADDRESS:
			arg_address = optarg;
			break;
		case OPT_PORT:
			arg_port = parse_u64(name, optarg, 1, 65535);
			break;
		case OPT_AGENTS:
			arg_agents = parse_u64(name, optarg, 1,
			    SIM_MAX_AGENTS);
			break;
		case OPT_RATE:
			arg_rate = parse_double(name, optarg, 1e7);
			break;
		case OPT_OPEN_LOOP:
			arg_open_loop = true;
			break;
		case OPT_WARMUP:
			arg_warmup = parse_double(name, optarg, 1e7);
			break;
		case OPT_DURATION:
			arg_duration = parse_double(name, optarg, 1e7);
			break;
		case OPT_REPORTS:
			arg_reports = parse_u64(name, optarg, 1, UINT32_MAX);
			break;
		case OPT_SEED:
			arg_seed = parse_u64(name, optarg, 0, UINT64_MAX);
			break;
		case OPT_CA:
			arg_ca = optarg;
			break;
		case OPT_CERT:
			arg_cert = optarg;
			break;
		case OPT_KEY:
			arg_key = optarg;
			break;
		case OPT_PACKAGE:
			arg_package = optarg;
			break;
		case OPT_PASSWORD_FILE:
			arg_password_file = optarg;
			break;
		case OPT_EVENTS:
			arg_events = parse_double(name, optarg, LIMIT_EVENTS);
			break;
		case OPT_CONNECTIONS:
			arg_connections = parse_double(name, optarg,
			    LIMIT_CONNECTIONS);
			break;
		case OPT_HOST_EVERY:
			arg_host_every = parse_u64(name, optarg, 0,
			    UINT32_MAX);
			break;
		case OPT_FIRST_AGENT:
			arg_first_agent = parse_u64(name, optarg, 0,
			    SIM_MAX_AGENT_INDEX - 1);
			break;
		case OPT_TOKEN_FILE:
			arg_token_file = optarg;
			break;
		case OPT_SEQUENCE:
			/* SQLite stores sequences as signed INTEGER. */
			arg_sequence_start = parse_u64(name, optarg, 1,
			    INT64_MAX / 2);
			break;
		case OPT_TIMEOUT:
			arg_timeout = parse_u64(name, optarg, 1, 3600);
			break;
		case OPT_TRANSPORT:
			if (strcmp(optarg, "udp") != 0 &&
			    strcmp(optarg, "https") != 0)
				usage_error("--transport must be https or udp");
			arg_udp = strcmp(optarg, "udp") == 0;
			break;
		case OPT_UDP_PORT:
			arg_udp_params.port = (uint16_t)parse_u64(name,
			    optarg, 1, 65535);
			break;
		case OPT_DROP:
			arg_udp_params.drop = parse_double(name, optarg, 1);
			break;
		case OPT_DUPLICATE:
			arg_udp_params.duplicate = parse_double(name, optarg,
			    1);
			break;
		case OPT_REORDER:
			arg_udp_params.reorder = parse_double(name, optarg,
			    1);
			break;
		case OPT_MANGLE:
			arg_udp_params.mangle = parse_mangle(optarg);
			break;
		case OPT_QUIET:
			arg_quiet = true;
			break;
		case OPT_JSON:
			arg_json = true;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			(void)printf("%s %s\n", PROG, kics_version());
			exit(0);
		case ':':
			usage_error("option '%s' needs a value",
			    argv[optind - 1]);
			break;
		default:
			if (optopt > 0 && optopt < 256) {
				char opt[3] = { '-', (char)optopt, '\0' };

				usage_error("unknown option '%s'", opt);
			}
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if ((arg_cert == NULL) != (arg_key == NULL))
		usage_error("--cert and --key go together");
	if ((arg_package == NULL) != (arg_password_file == NULL))
		usage_error("--package and --password-file go together");
	if (arg_package != NULL && arg_cert != NULL)
		usage_error("--package replaces --cert and --key");
	if (arg_first_agent + arg_agents > SIM_MAX_AGENT_INDEX)
		usage_error("--first-agent plus --agents is above the "
		    "simulated population (%d)", SIM_MAX_AGENT_INDEX);
	if (!arg_udp && (arg_udp_params.port != 0 || arg_udp_params.drop > 0 ||
	    arg_udp_params.duplicate > 0 || arg_udp_params.reorder > 0 ||
	    arg_udp_params.mangle != SIM_UDP_MANGLE_NONE))
		usage_error("--udp-port, --drop, --duplicate, --reorder and "
		    "--udp-mangle need --transport udp");
	if (arg_udp && (arg_cert != NULL || arg_token_file != NULL))
		usage_error("--transport udp takes no --cert, --key or "
		    "--token-file");
	if (arg_open_loop && (arg_rate <= 0 || arg_udp))
		usage_error("--open-loop needs --rate and --transport https");
	if (arg_duration < 0)
		arg_duration = arg_reports > 0 ? 0 : 10;
	if (arg_warmup > 0 && (arg_udp || arg_duration == 0 ||
	    arg_warmup >= arg_duration))
		usage_error("--warmup must be shorter than --duration");
}

static uint64_t
clock_sequence(void)
{
	struct timespec ts;

	/*
	 * A rerun against the same database must not resend sequences that
	 * are already committed (they would be acked and ignored).
	 */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	struct sim_run_params p;
	struct sim_stats *stats;
	double elapsed = 0;
	int status;

	parse_args(argc, argv);
	log_init(PROG, true, arg_quiet ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO);
	if ((stats = calloc(1, sizeof(*stats))) == NULL)
		fatal("calloc");
	memset(&p, 0, sizeof(p));
	p.address = arg_address;
	p.port = (uint16_t)arg_port;
	p.agents = (uint32_t)arg_agents;
	p.first_agent = (uint32_t)arg_first_agent;
	p.rate = arg_rate;
	p.open_loop = arg_open_loop;
	p.warmup_s = arg_warmup;
	p.duration_s = arg_duration;
	p.reports = arg_reports;
	p.token_file = arg_token_file;
	p.sequence_start = arg_sequence_start != 0 ? arg_sequence_start :
	    clock_sequence();
	p.timeout_s = (int)arg_timeout;
	p.progress = !arg_quiet && isatty(STDERR_FILENO);
	p.report.seed = arg_seed;
	p.report.first_agent = p.first_agent;
	p.report.n_agents = p.agents;
	p.report.host_every = (uint32_t)arg_host_every;
	p.report.events_per_report = arg_events;
	p.report.connections_per_report = arg_connections;
	p.report.period_ms = arg_rate > 0 ?
	    (int64_t)((double)arg_agents * 1000.0 / arg_rate) : 60000;
	p.tls.server_name = arg_address;
	p.tls.ca_file = arg_ca;
	p.tls.cert_file = arg_cert;
	p.tls.key_file = arg_key;
	p.tls.package_file = arg_package;
	p.tls.password_file = arg_password_file;
	if (arg_udp) {
		if (sim_udp_run(&p, &arg_udp_params, stats, &elapsed) < 0) {
			free(stats);
			return 1;
		}
		sim_stats_print(stats, elapsed, arg_json, stdout);
		status = stats->errors == 0 && stats->sent > 0 ? 0 : 1;
		free(stats);
		return status;
	}
	if (arg_ca == NULL && arg_package == NULL)
		log_warnx("no --ca: the server certificate is not verified");

	if (sim_run(&p, stats, &elapsed) < 0) {
		free(stats);
		return 1;
	}
	sim_stats_print(stats, elapsed, arg_json, stdout);
	status = stats->errors == 0 && stats->acked > 0 ? 0 : 1;
	if (stats->acked == 0 && !arg_quiet)
		log_warnx("no report was acknowledged");
	free(stats);
	return status;
}
