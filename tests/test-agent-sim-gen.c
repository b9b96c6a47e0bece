/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of kics-agent-sim's generators: determinism for a seed, reports
 * that pack and unpack, unique ids and MACs over 2,000 agents, increasing
 * sequences, every EPP category, one-way connections, and the histogram.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-sim/sim.h"
#include "testutil.h"

#define NOW_MS		1700000000000LL
#define POPULATION	2000

static const struct sim_report_params default_params = {
	.seed = 42,
	.first_agent = 0,
	.n_agents = POPULATION,
	.host_every = 10,
	.events_per_report = 2,
	.connections_per_report = 5,
	.period_ms = 60000,
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts a string array and checks that no two entries are equal. */
static void
check_unique(char **v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i - 1], v[i]) == 0)
			(void)fprintf(stderr, "duplicate '%s'\n", v[i]);
		CHECK(strcmp(v[i - 1], v[i]) != 0);
	}
}

static Kics__Epp__V1__AgentReport *
encode_decode(const struct sim_report_params *params,
    const struct sim_host *h, uint64_t seq, uint64_t number)
{
	Kics__Epp__V1__AgentReport *r;
	uint8_t *buf = NULL;
	size_t len = 0;

	CHECK_EQ(sim_report_encode(params, h, seq, number, NOW_MS, &buf,
	    &len), 0);
	CHECK(buf != NULL && len > 0);
	r = kics__epp__v1__agent_report__unpack(NULL, len, buf);
	CHECK(r != NULL);
	free(buf);
	return r;
}

static bool
valid_mac(const char *m)
{
	unsigned int first;

	if (strlen(m) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? m[i] != ':' : !(isxdigit((unsigned char)m[i])
		    && !isupper((unsigned char)m[i])))
			return false;
	}
	if (sscanf(m, "%2x", &first) != 1)
		return false;
	return (first & 1) == 0;	/* unicast */
}

static void
test_host_deterministic(void)
{
	struct sim_host a, b, c;
	size_t differ = 0;

	for (uint32_t i = 0; i < 200; i++) {
		CHECK_EQ(sim_host_generate(7, i, &a), 0);
		CHECK_EQ(sim_host_generate(7, i, &b), 0);
		CHECK_EQ(sim_host_generate(8, i, &c), 0);
		CHECK(strcmp(a.agent_id, b.agent_id) == 0);
		CHECK(strcmp(a.hostname, b.hostname) == 0);
		CHECK(strcmp(a.serial, b.serial) == 0);
		CHECK(a.os_name == b.os_name && a.model == b.model);
		CHECK_EQ(a.n_ifaces, b.n_ifaces);
		for (size_t k = 0; k < a.n_ifaces; k++) {
			CHECK(strcmp(a.ifaces[k].mac, b.ifaces[k].mac) == 0);
			CHECK(strcmp(a.ifaces[k].ipv4, b.ifaces[k].ipv4) == 0);
		}
		CHECK_EQ(a.n_apps, b.n_apps);
		/* Another seed is another population. */
		if (strcmp(a.agent_id, c.agent_id) != 0)
			differ++;
		CHECK(strlen(a.agent_id) == 36 && a.agent_id[14] == '4');
		CHECK(a.n_ifaces >= 1 && a.n_ifaces <= SIM_MAX_IFACES);
		CHECK(a.n_apps >= 1 && a.n_apps <= SIM_MAX_APPS);
		CHECK(a.hostname[0] != '\0' && a.os_name != NULL);
	}
	CHECK_EQ(differ, 200);
}

static void
test_host_index_limit(void)
{
	struct sim_host h;

	memset(&h, 0xa5, sizeof(h));
	CHECK_EQ(sim_host_generate(1, SIM_MAX_AGENT_INDEX, &h), -EINVAL);
	CHECK_EQ(h.index, 0xa5a5a5a5u);	/* untouched on failure */
	CHECK_EQ(sim_host_generate(1, SIM_MAX_AGENT_INDEX - 1, &h), 0);
	CHECK_EQ(h.index, SIM_MAX_AGENT_INDEX - 1);
}

static void
test_host_unique_population(void)
{
	char **ids = calloc(POPULATION, sizeof(char *));
	char **names = calloc(POPULATION, sizeof(char *));
	char **macs = calloc(POPULATION * SIM_MAX_IFACES, sizeof(char *));
	char **ips = calloc(POPULATION * SIM_MAX_IFACES, sizeof(char *));
	struct sim_host *hosts = calloc(POPULATION, sizeof(*hosts));
	size_t n_macs = 0, n_ips = 0, loopbacks = 0, multi = 0;
	size_t roles[SIM_ROLE_MAX] = { 0 };

	CHECK(ids && names && macs && ips && hosts);
	for (uint32_t i = 0; i < POPULATION; i++) {
		struct sim_host *h = &hosts[i];

		CHECK_EQ(sim_host_generate(42, i, h), 0);
		ids[i] = h->agent_id;
		names[i] = h->hostname;
		roles[h->role]++;
		if (h->n_ifaces > 2)
			multi++;
		for (size_t k = 0; k < h->n_ifaces; k++) {
			struct sim_iface *f = &h->ifaces[k];

			if (f->net == SIM_NET_LOOPBACK) {
				loopbacks++;
				CHECK(strcmp(f->ipv4, "127.0.0.1") == 0);
				continue;
			}
			CHECK(valid_mac(f->mac));
			macs[n_macs++] = f->mac;
			ips[n_ips++] = f->ipv4;
		}
	}
	check_unique(ids, POPULATION);
	check_unique(names, POPULATION);
	check_unique(macs, n_macs);
	check_unique(ips, n_ips);
	/* Varied: every role, some loopbacks, some multi-homed hosts. */
	for (int r = 0; r < SIM_ROLE_MAX; r++)
		CHECK(roles[r] > 0);
	CHECK(loopbacks > POPULATION / 10 && loopbacks < POPULATION);
	CHECK(multi > 0);
	CHECK(n_macs > POPULATION);
	free(ids);
	free(names);
	free(macs);
	free(ips);
	free(hosts);
}

static void
test_report_roundtrip(void)
{
	struct sim_host h;
	Kics__Epp__V1__AgentReport *r;

	CHECK_EQ(sim_host_generate(42, 5, &h), 0);
	r = encode_decode(&default_params, &h, 1000, 0);
	CHECK(strcmp(r->agent_id, h.agent_id) == 0);
	CHECK_EQ(r->sequence, 1000);
	CHECK_EQ(r->sent_at_ms, NOW_MS);
	CHECK(r->host != NULL);
	CHECK(strcmp(r->host->hostname, h.hostname) == 0);
	CHECK(strcmp(r->host->os_name, h.os_name) == 0);
	CHECK(strcmp(r->host->serial_number, h.serial) == 0);
	CHECK_EQ(r->host->n_interfaces, h.n_ifaces);
	CHECK(strcmp(r->host->interfaces[0]->mac, h.ifaces[0].mac) == 0);
	CHECK(r->host->interfaces[0]->n_addresses >= 1);
	CHECK_EQ(r->n_applications, h.n_apps);
	CHECK(r->applications[0]->bases_date_ms < NOW_MS);
	CHECK(r->applications[0]->state != 0);
	kics__epp__v1__agent_report__free_unpacked(r, NULL);

	/* Host info again in report K, not in between. */
	r = encode_decode(&default_params, &h, 1001, 1);
	CHECK(r->host == NULL && r->n_applications == 0);
	kics__epp__v1__agent_report__free_unpacked(r, NULL);
	r = encode_decode(&default_params, &h, 1010, 10);
	CHECK(r->host != NULL && r->n_applications == h.n_apps);
	kics__epp__v1__agent_report__free_unpacked(r, NULL);
}

static void
test_report_deterministic(void)
{
	struct sim_report_params other = default_params;
	uint8_t *a, *b, *c;
	size_t la, lb, lc;
	struct sim_host h;

	other.seed = 43;
	CHECK_EQ(sim_host_generate(42, 17, &h), 0);
	for (uint64_t n = 0; n < 20; n++) {
		CHECK_EQ(sim_report_encode(&default_params, &h, 50 + n, n,
		    NOW_MS, &a, &la), 0);
		CHECK_EQ(sim_report_encode(&default_params, &h, 50 + n, n,
		    NOW_MS, &b, &lb), 0);
		CHECK_EQ(sim_report_encode(&other, &h, 50 + n, n, NOW_MS, &c,
		    &lc), 0);
		CHECK_EQ(la, lb);
		CHECK(memcmp(a, b, la) == 0);
		CHECK(la != lc || memcmp(a, c, la) != 0);
		free(a);
		free(b);
		free(c);
	}
}

/*
 * Issue 17 (a cheaper simulator): reports packed into a reused arena and
 * buffer, with the peers looked up in a table of generated hosts, are
 * byte for byte the reports built from scratch; the arena survives a
 * report that needs several chunks and one that needs one again.
 */
static void
test_report_pack_reused(void)
{
	struct sim_report_params plain = default_params, tabled;
	struct sim_host *hosts = calloc(POPULATION, sizeof(*hosts));
	struct sim_buf out = { NULL, 0, 0 };
	struct sim_arena arena;

	CHECK(hosts != NULL);
	for (uint32_t i = 0; i < POPULATION; i++)
		CHECK_EQ(sim_host_generate(plain.seed, i, &hosts[i]), 0);
	sim_arena_init(&arena);
	for (uint64_t n = 0; n < 60; n++) {
		const struct sim_host *h = &hosts[(n * 617) % POPULATION];
		uint8_t *buf;
		size_t len;

		/* every fifth report is large: 40 KB and more of arena */
		plain.events_per_report = n % 5 == 4 ? 80 : 10;
		plain.connections_per_report = n % 5 == 4 ? 200 : 20;
		tabled = plain;
		tabled.peers = hosts;
		CHECK_EQ(sim_report_encode(&plain, h, 900 + n, n, NOW_MS, &buf,
		    &len), 0);
		CHECK_EQ(sim_report_pack(&tabled, h, 900 + n, n, NOW_MS,
		    &arena, &out), 0);
		CHECK_EQ(out.len, len);
		CHECK(memcmp(out.data, buf, len) == 0);
		free(buf);
	}
	sim_buf_fini(&out);
	sim_arena_fini(&arena);
	free(hosts);
}

/* sim_format() against snprintf() for the conversions it has. */
#define CHECK_FORMAT(size, ...)                                               \
	do {                                                                  \
		char got_[160], want_[160];                                   \
		size_t n_;                                                    \
		int m_;                                                       \
                                                                              \
		memset(got_, 'x', sizeof(got_));                              \
		memset(want_, 'x', sizeof(want_));                            \
		n_ = sim_format(got_, (size), __VA_ARGS__);                   \
		m_ = snprintf(want_, (size), __VA_ARGS__);                    \
		CHECK_EQ(n_, m_);                                             \
		CHECK(memcmp(got_, want_, sizeof(got_)) == 0);                \
	} while (0)

static void
test_format_like_snprintf(void)
{
	static const unsigned long long edges[] = { 0, 1, 9, 10, 99, 255,
		4096, 65535, 65536, 0xffffffffULL, 0x100000000ULL,
		0xffffffffffffULL, ~0ULL };
	struct sim_rng rng;

	sim_rng_init(&rng, 7, 1, 2);
	for (size_t i = 0; i < 13 + 2000; i++) {
		unsigned long long v = i < 13 ? edges[i] : sim_rng_next(&rng) >>
		    sim_rng_below(&rng, 64);
		unsigned int u = (unsigned int)v;
		int d = (int)u;

		CHECK_FORMAT(160, "%u|%03u|%d|%+d|%lld|%llu|%zu", u, u, d, d,
		    (long long)v, v, (size_t)v);
		CHECK_FORMAT(160, "%016llx%012llX-%04X-%06X-%08X-%02x-%x", v,
		    v & 0xffffffffffffULL, u & 0xffff, u & 0xffffff, u,
		    u & 0xff, u);
		CHECK_FORMAT(160, "%s %% '%s' to %s:%u/%s.", "Intrusion",
		    "", "192.168.10.211", u & 0xffff, "TCP");
	}
	CHECK_FORMAT(160, "%lld %+d %d", (long long)INT64_MIN, INT32_MIN, 0);
	/* truncation: the whole length, what fits, always a NUL */
	for (size_t size = 0; size < 40; size++) {
		/* a size the compiler cannot see, or it warns of truncation */
		volatile size_t cut = size;

		CHECK_FORMAT(cut, "Scan %s found %u threats in %llx", "Full",
		    12345u, 0xabcdefULL);
	}
}

/* The fixed writers against the snprintf formats they replaced. */
static void
test_format_writers(void)
{
	struct sim_rng rng;

	sim_rng_init(&rng, 8, 1, 2);
	for (int i = 0; i < 2000; i++) {
		uint64_t hi = sim_rng_next(&rng), lo = sim_rng_next(&rng);
		uint32_t a = sim_rng_below(&rng, 256), b = sim_rng_below(&rng,
		    256), c = sim_rng_below(&rng, 256), d = sim_rng_below(&rng,
		    256), oui = (uint32_t)hi & 0xffffff, nic = (uint32_t)lo &
		    0xffffff;
		char got[64], want[64];

		sim_fmt_ipv4(got, a, b, c, d);
		(void)snprintf(want, sizeof(want), "%u.%u.%u.%u", a, b, c, d);
		CHECK(strcmp(got, want) == 0);
		sim_fmt_mac(got, oui, nic);
		(void)snprintf(want, sizeof(want),
		    "%02x:%02x:%02x:%02x:%02x:%02x", oui >> 16,
		    (oui >> 8) & 0xff, oui & 0xff, nic >> 16,
		    (nic >> 8) & 0xff, nic & 0xff);
		CHECK(strcmp(got, want) == 0);
		sim_uuid_format(hi, lo, got);
		hi = (hi & ~0xf000ULL) | 0x4000ULL;
		lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
		(void)snprintf(want, sizeof(want),
		    "%08x-%04x-%04x-%04x-%012llx", (unsigned int)(hi >> 32),
		    (unsigned int)((hi >> 16) & 0xffff),
		    (unsigned int)(hi & 0xffff), (unsigned int)(lo >> 48),
		    (unsigned long long)(lo & 0xffffffffffffULL));
		CHECK(strcmp(got, want) == 0);
		CHECK_EQ(strlen(got), SIM_UUID_LEN - 1);
	}
}

static void
test_sequences_increasing(void)
{
	struct sim_buf out = { NULL, 0, 0 };
	struct sim_arena arena;
	struct sim_host h;
	uint64_t number = 0, last = 0, seq = 0;

	CHECK_EQ(sim_host_generate(42, 3, &h), 0);
	sim_arena_init(&arena);
	for (int i = 0; i < 50; i++) {
		Kics__Epp__V1__AgentReport *r;

		CHECK_EQ(sim_report_next(&default_params, &h, 1, &number,
		    NOW_MS + i, &arena, &out, &seq), 0);
		r = kics__epp__v1__agent_report__unpack(NULL, out.len,
		    out.data);
		CHECK(r != NULL);
		CHECK_EQ(r->sequence, seq);
		CHECK(r->sequence > 0 && r->sequence > last);
		last = r->sequence;
		kics__epp__v1__agent_report__free_unpacked(r, NULL);
	}
	sim_buf_fini(&out);
	sim_arena_fini(&arena);
	CHECK_EQ(number, 50);
	CHECK_EQ(last, 50);
}

/* Every EPP (not system, not generic) category of conf/event-types.yaml. */
static size_t
conf_epp_categories(char ***ret)
{
	char *path = testutil_source_path("conf/event-types.yaml");
	FILE *f = fopen(path, "r");
	char line[512], cat[128] = "";
	char **v = NULL;
	size_t n = 0;
	bool system = false;

	CHECK(f != NULL);
	/* Entries start with "- "; flush the previous one there and at EOF. */
	for (bool more = true; more;) {
		char *p;

		more = fgets(line, sizeof(line), f) != NULL;
		p = line;
		while (more && *p == ' ')
			p++;
		if (!more || strncmp(p, "- ", 2) == 0) {
			if (cat[0] != '\0' && !system &&
			    strcmp(cat, "\"*\"") != 0) {
				CHECK((v = realloc(v, (n + 1) *
				    sizeof(*v))) != NULL);
				CHECK((v[n++] = strdup(cat)) != NULL);
			}
			cat[0] = '\0';
			system = false;
			if (!more)
				break;
			p += 2;
		}
		if (sscanf(p, "category: %127s", cat) == 1)
			continue;
		if (strncmp(p, "technology: system", 18) == 0)
			system = true;
	}
	(void)fclose(f);
	free(path);
	*ret = v;
	return n;
}

static void
test_events(void)
{
	struct sim_report_params params = default_params;
	size_t cap = POPULATION * 3 * 8, n_ids = 0;
	char **ids = calloc(cap, sizeof(char *));
	size_t seen[64] = { 0 }, sev_unspec = 0;
	char **conf_cats = NULL;
	size_t n_conf;

	CHECK(ids != NULL && sim_event_n_categories < 64);
	params.events_per_report = 3;
	params.connections_per_report = 0;
	for (uint32_t i = 0; i < POPULATION; i++) {
		struct sim_host h;

		CHECK_EQ(sim_host_generate(42, i, &h), 0);
		for (uint64_t n = 0; n < 3; n++) {
			Kics__Epp__V1__AgentReport *r =
			    encode_decode(&params, &h, 100 + n, n);

			CHECK_EQ(r->n_events, 3);
			CHECK_EQ(r->n_connections, 0);
			for (size_t e = 0; e < r->n_events; e++) {
				Kics__Epp__V1__EppEvent *ev = r->events[e];
				bool known = false;

				CHECK(strlen(ev->event_id) == 36);
				CHECK(ev->title[0] != '\0');
				CHECK(ev->description[0] != '\0');
				CHECK(ev->product[0] != '\0');
				CHECK(ev->user_name[0] != '\0');
				CHECK(ev->n_attributes > 0);
				CHECK(ev->occurred_at_ms <= NOW_MS);
				if (ev->severity == 0)
					sev_unspec++;
				for (size_t c = 0; c < sim_event_n_categories;
				    c++) {
					if (strcmp(ev->category,
					    sim_event_categories[c]) == 0) {
						seen[c]++;
						known = true;
					}
				}
				CHECK(known);
				CHECK(n_ids < cap);
				CHECK((ids[n_ids++] = strdup(ev->event_id)) !=
				    NULL);
			}
			kics__epp__v1__agent_report__free_unpacked(r, NULL);
		}
	}
	/* Unique per agent and across all 2,000 agents. */
	check_unique(ids, n_ids);
	for (size_t c = 0; c < sim_event_n_categories; c++)
		CHECK(seen[c] > 0);
	CHECK(sev_unspec > 0 && sev_unspec < n_ids / 4);
	/* The generator covers every EPP category the server knows. */
	n_conf = conf_epp_categories(&conf_cats);
	CHECK(n_conf >= 14);
	for (size_t i = 0; i < n_conf; i++) {
		bool found = false;

		for (size_t c = 0; c < sim_event_n_categories; c++)
			if (strcmp(conf_cats[i], sim_event_categories[c]) == 0)
				found = true;
		if (!found)
			(void)fprintf(stderr, "missing '%s'\n", conf_cats[i]);
		CHECK(found);
		free(conf_cats[i]);
	}
	free(conf_cats);
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
}

static bool
host_has_ip(const struct sim_host *h, const char *ip)
{
	for (size_t k = 0; k < h->n_ifaces; k++)
		if (strcmp(h->ifaces[k].ipv4, ip) == 0)
			return true;
	return false;
}

static void
test_connections(void)
{
	struct sim_report_params params = default_params;
	size_t oneway_out = 0, oneway_in = 0, bidir = 0, with_mac = 0;
	size_t proto[4] = { 0 }, dir[3] = { 0 }, total = 0;
	bool port_seen[65536] = { false };
	static const unsigned int ports[] = { 502, 102, 44818, 443, 445,
		3389, 53, 4840, 13000 };

	params.events_per_report = 0;
	params.connections_per_report = 6;
	for (uint32_t i = 0; i < 300; i++) {
		struct sim_host h;

		CHECK_EQ(sim_host_generate(42, i, &h), 0);
		for (uint64_t n = 0; n < 4; n++) {
			Kics__Epp__V1__AgentReport *r =
			    encode_decode(&params, &h, 1 + n, n);

			CHECK_EQ(r->n_events, 0);
			CHECK_EQ(r->n_connections, 6);
			for (size_t c = 0; c < r->n_connections; c++) {
				Kics__Epp__V1__Connection *x =
				    r->connections[c];

				total++;
				CHECK(host_has_ip(&h, x->local_address));
				CHECK(x->remote_address[0] != '\0');
				CHECK(strcmp(x->remote_address,
				    x->local_address) != 0);
				CHECK(x->process_name[0] != '\0');
				CHECK(x->first_seen_ms <= x->last_seen_ms);
				CHECK(x->last_seen_ms <= NOW_MS);
				CHECK(x->protocol >= 1 && x->protocol <= 3);
				CHECK(x->direction >= 1 && x->direction <= 2);
				proto[x->protocol]++;
				dir[x->direction]++;
				if (x->protocol == 3)
					CHECK(x->local_port == 0 &&
					    x->remote_port == 0);
				else
					CHECK(x->local_port > 0 &&
					    x->remote_port > 0);
				port_seen[x->direction == 1 ? x->remote_port :
				    x->local_port] = true;
				CHECK(x->packets_sent + x->packets_received >
				    0);
				CHECK((x->packets_sent == 0) ==
				    (x->bytes_sent == 0));
				if (x->packets_received == 0)
					oneway_out++;
				else if (x->packets_sent == 0)
					oneway_in++;
				else
					bidir++;
				if (x->remote_mac[0] != '\0') {
					CHECK(valid_mac(x->remote_mac));
					with_mac++;
				}
			}
			kics__epp__v1__agent_report__free_unpacked(r, NULL);
		}
	}
	CHECK(oneway_out > 0 && oneway_in > 0);
	CHECK(bidir > total / 2);
	CHECK(with_mac > 0 && with_mac < total);
	CHECK(proto[1] > 0 && proto[2] > 0 && proto[3] > 0);
	CHECK(dir[1] > 0 && dir[2] > 0);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (!port_seen[ports[i]])
			(void)fprintf(stderr, "port %u never used\n",
			    ports[i]);
		CHECK(port_seen[ports[i]]);
	}
}

static void
test_rates(void)
{
	struct sim_report_params params = default_params;
	size_t events = 0, conns = 0;
	struct sim_host h;

	params.events_per_report = 0.5;
	params.connections_per_report = 2.25;
	params.host_every = 0;
	CHECK_EQ(sim_host_generate(42, 9, &h), 0);
	for (uint64_t n = 0; n < 400; n++) {
		Kics__Epp__V1__AgentReport *r =
		    encode_decode(&params, &h, 1 + n, n);

		/* host_every 0: host information only in the first report. */
		CHECK((r->host != NULL) == (n == 0));
		events += r->n_events;
		conns += r->n_connections;
		CHECK(r->n_connections == 2 || r->n_connections == 3);
		kics__epp__v1__agent_report__free_unpacked(r, NULL);
	}
	CHECK(events > 140 && events < 260);	/* mean 200 */
	CHECK(conns > 850 && conns < 950);	/* mean 900 */
}

static void
test_permute_bijective(void)
{
	uint8_t *seen = calloc(1 << 16, 1);

	CHECK(seen != NULL);
	for (uint64_t x = 0; x < (1 << 16); x++) {
		uint64_t y = sim_permute(x, 16, 0x1234567890abcdefULL);

		CHECK(y < (1 << 16));
		CHECK(!seen[y]);
		seen[y] = 1;
	}
	free(seen);
}

static void
test_stats_percentiles(void)
{
	struct sim_stats *s = calloc(1, sizeof(*s));
	uint64_t p50, p99;

	CHECK(s != NULL);
	CHECK_EQ(sim_stats_percentile(s, 50), 0);
	for (uint64_t ms = 1; ms <= 1000; ms++)
		sim_stats_latency(s, ms * 1000);
	p50 = sim_stats_percentile(s, 50);
	p99 = sim_stats_percentile(s, 99);
	CHECK(p50 >= 490000 && p50 <= 510000);
	CHECK(p99 >= 980000 && p99 <= 1000000);
	CHECK_EQ(sim_stats_percentile(s, 100), 1000000);
	CHECK_EQ(s->lat_count, 1000);
	sim_stats_latency(s, 3);	/* exact below the first power */
	CHECK_EQ(sim_stats_percentile(s, 0), 3);
	free(s);
}

/* The timeline places acks by the second their reports were due. */
static void
test_stats_timeline(void)
{
	struct sim_stats *s = calloc(1, sizeof(*s));
	char *json = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(s != NULL);
	sim_stats_timeline(s, 200000, 5000);		/* second 0 */
	sim_stats_timeline(s, 2100000, 260000);	/* second 2, slow */
	sim_stats_timeline(s, 2900000, 40000);
	sim_stats_timeline(s, -5, 1000);		/* before: second 0 */
	/* far beyond the last second: counted in it */
	sim_stats_timeline(s, (int64_t)SIM_SECONDS * 3000000, 300000);
	CHECK_EQ(s->seconds, SIM_SECONDS);
	CHECK_EQ(s->sec_acked[0], 2);
	CHECK_EQ(s->sec_slow[0], 0);
	CHECK_EQ(s->sec_max_us[0], 5000);
	CHECK_EQ(s->sec_acked[1], 0);
	CHECK_EQ(s->sec_acked[2], 2);
	CHECK_EQ(s->sec_slow[2], 1);
	CHECK_EQ(s->sec_max_us[2], 260000);
	CHECK_EQ(s->sec_slow[SIM_SECONDS - 1], 1);
	/* and in the JSON summary, one [acked, slow, max ms] a second */
	s->seconds = 3;
	CHECK((f = open_memstream(&json, &len)) != NULL);
	sim_stats_print(s, 1.0, true, f);
	CHECK(fclose(f) == 0);
	CHECK(strstr(json, "\"timeline\":[[2,0,5.0],[0,0,0.0],"
	    "[2,1,260.0]]}") != NULL);
	free(json);
	free(s);
}

int
main(void)
{
	RUN(test_host_deterministic);
	RUN(test_host_index_limit);
	RUN(test_host_unique_population);
	RUN(test_report_roundtrip);
	RUN(test_report_deterministic);
	RUN(test_report_pack_reused);
	RUN(test_format_like_snprintf);
	RUN(test_format_writers);
	RUN(test_sequences_increasing);
	RUN(test_events);
	RUN(test_connections);
	RUN(test_rates);
	RUN(test_permute_bijective);
	RUN(test_stats_percentiles);
	RUN(test_stats_timeline);
	return 0;
}
