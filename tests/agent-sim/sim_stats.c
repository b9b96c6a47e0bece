/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains the counters of a simulator run, a fixed-size
 * latency histogram (log-linear buckets) and the summary printers.
 */
#include <stdio.h>

#include "sim.h"

/*
 * Bucket of a value: values below SIM_HIST_SUB are exact (power 0); above,
 * power p holds [SUB << (p-1), SUB << p) split into SUB linear slots.
 */
static void
bucket_of(uint64_t us, unsigned int *ret_pow, unsigned int *ret_sub)
{
	unsigned int pow = 0;

	while (pow + 1 < SIM_HIST_POW && us >= ((uint64_t)SIM_HIST_SUB << pow))
		pow++;
	if (pow == 0) {
		*ret_pow = 0;
		*ret_sub = (unsigned int)us;
		return;
	}
	*ret_pow = pow;
	*ret_sub = (unsigned int)((us >> (pow - 1)) - SIM_HIST_SUB);
	if (*ret_sub >= SIM_HIST_SUB)
		*ret_sub = SIM_HIST_SUB - 1;	/* beyond the last power */
}

/* The upper edge of a bucket, the value a percentile reports. */
static uint64_t
bucket_value(unsigned int pow, unsigned int sub)
{
	if (pow == 0)
		return sub;
	return ((uint64_t)(SIM_HIST_SUB + sub + 1) << (pow - 1)) - 1;
}

void
sim_stats_latency(struct sim_stats *stats, uint64_t us)
{
	unsigned int pow, sub;

	bucket_of(us, &pow, &sub);
	stats->hist[pow][sub]++;
	stats->lat_count++;
	if (us > stats->lat_max_us)
		stats->lat_max_us = us;
}

void
sim_stats_timeline(struct sim_stats *stats, int64_t since_us, uint64_t us)
{
	int64_t sec = since_us / 1000000;
	unsigned int i = sec < 0 ? 0 : sec >= SIM_SECONDS ? SIM_SECONDS - 1 :
	    (unsigned int)sec;

	stats->sec_acked[i]++;
	if (us > SIM_SLOW_MS * 1000)
		stats->sec_slow[i]++;
	if (us > stats->sec_max_us[i])
		stats->sec_max_us[i] = us;
	if (i + 1 > stats->seconds)
		stats->seconds = i + 1;
}

/* The timeline as a JSON array of [acked, slow, max ms], one a second. */
static void
sim_stats_timeline_json(const struct sim_stats *stats, FILE *file)
{
	(void)fprintf(file, "[");
	for (unsigned int i = 0; i < stats->seconds; i++)
		(void)fprintf(file, "%s[%llu,%llu,%.1f]", i > 0 ? "," : "",
		    (unsigned long long)stats->sec_acked[i],
		    (unsigned long long)stats->sec_slow[i],
		    (double)stats->sec_max_us[i] / 1000.0);
	(void)fprintf(file, "]");
}

uint64_t
sim_stats_percentile(const struct sim_stats *stats, double p)
{
	uint64_t want, seen = 0;

	if (stats->lat_count == 0)
		return 0;
	want = (uint64_t)(p / 100.0 * (double)stats->lat_count + 0.5);
	if (want == 0)
		want = 1;
	for (unsigned int pow = 0; pow < SIM_HIST_POW; pow++) {
		for (unsigned int sub = 0; sub < SIM_HIST_SUB; sub++) {
			seen += stats->hist[pow][sub];
			if (seen >= want) {
				uint64_t v = bucket_value(pow, sub);

				return v < stats->lat_max_us ? v :
				    stats->lat_max_us;
			}
		}
	}
	return stats->lat_max_us;
}

void
sim_stats_print(const struct sim_stats *stats, double elapsed_s, bool json,
    FILE *file)
{
	double rate = elapsed_s > 0 ? (double)stats->acked / elapsed_s : 0;
	double p50 = (double)sim_stats_percentile(stats, 50) / 1000.0;
	double p95 = (double)sim_stats_percentile(stats, 95) / 1000.0;
	double p99 = (double)sim_stats_percentile(stats, 99) / 1000.0;
	double max = (double)stats->lat_max_us / 1000.0;

	if (json && stats->datagrams > 0) {
		(void)fprintf(file, "{\"elapsed_s\":%.3f,\"sent\":%llu,"
		    "\"errors\":%llu,\"bytes_sent\":%llu,\"datagrams\":%llu,"
		    "\"dropped\":%llu,\"duplicated\":%llu,\"reordered\":%llu,"
		    "\"reports_per_s\":%.1f}\n", elapsed_s,
		    (unsigned long long)stats->sent,
		    (unsigned long long)stats->errors,
		    (unsigned long long)stats->bytes_sent,
		    (unsigned long long)stats->datagrams,
		    (unsigned long long)stats->dgram_dropped,
		    (unsigned long long)stats->dgram_duplicated,
		    (unsigned long long)stats->dgram_reordered,
		    elapsed_s > 0 ? (double)stats->sent / elapsed_s : 0);
		return;
	}
	if (stats->datagrams > 0) {
		(void)fprintf(file,
		    "elapsed     %.1f s\n"
		    "sent        %llu reports (%llu bytes) over UDP, no acks\n"
		    "datagrams   %llu sent, %llu dropped, %llu duplicated, "
		    "%llu reordered\n"
		    "errors      %llu\n",
		    elapsed_s, (unsigned long long)stats->sent,
		    (unsigned long long)stats->bytes_sent,
		    (unsigned long long)stats->datagrams,
		    (unsigned long long)stats->dgram_dropped,
		    (unsigned long long)stats->dgram_duplicated,
		    (unsigned long long)stats->dgram_reordered,
		    (unsigned long long)stats->errors);
		return;
	}
	if (json) {
		(void)fprintf(file, "{\"elapsed_s\":%.3f,\"sent\":%llu,"
		    "\"acked\":%llu,\"refused\":%llu,\"busy\":%llu,"
		    "\"errors\":%llu,\"tls_errors\":%llu,\"bytes_sent\":%llu,"
		    "\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
		    "\"max\":%.3f},\"reports_per_s\":%.1f,"
		    "\"offered_per_s\":%.1f,\"open_loop\":%s,\"unsent\":%llu,"
		    "\"warmup_acked\":%llu,\"timeline\":",
		    elapsed_s,
		    (unsigned long long)stats->sent,
		    (unsigned long long)stats->acked,
		    (unsigned long long)stats->refused,
		    (unsigned long long)stats->busy,
		    (unsigned long long)stats->errors,
		    (unsigned long long)stats->tls_errors,
		    (unsigned long long)stats->bytes_sent, p50, p95, p99, max,
		    rate, stats->offered_per_s,
		    stats->open_loop ? "true" : "false",
		    (unsigned long long)stats->unsent,
		    (unsigned long long)stats->warmup_acked);
		sim_stats_timeline_json(stats, file);
		(void)fprintf(file, "}\n");
		return;
	}
	(void)fprintf(file,
	    "elapsed     %.1f s\n"
	    "sent        %llu (%llu bytes of reports)\n"
	    "acked       %llu\n"
	    "refused     %llu (403 agent_limit)\n"
	    "busy        %llu (503, retried with backoff)\n"
	    "errors      %llu (%llu TLS)\n"
	    "latency     p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n"
	    "throughput  %.1f reports/s acked\n",
	    elapsed_s, (unsigned long long)stats->sent,
	    (unsigned long long)stats->bytes_sent,
	    (unsigned long long)stats->acked,
	    (unsigned long long)stats->refused,
	    (unsigned long long)stats->busy,
	    (unsigned long long)stats->errors,
	    (unsigned long long)stats->tls_errors, p50, p95, p99, max, rate);
	if (stats->warmup_acked > 0)
		(void)fprintf(file, "warmup      %llu acked, not counted above\n",
		    (unsigned long long)stats->warmup_acked);
	if (stats->open_loop)
		(void)fprintf(file,
		    "open loop   %.1f reports/s offered, latency from the "
		    "scheduled time, %llu due but unsent at the end\n",
		    stats->offered_per_s, (unsigned long long)stats->unsent);
}

void
sim_stats_progress(const struct sim_stats *stats, double elapsed_s,
    double rate)
{
	(void)fprintf(stderr, "\r%6.1fs  sent %llu  acked %llu  refused %llu"
	    "  busy %llu  errors %llu  %.0f/s   ", elapsed_s,
	    (unsigned long long)stats->sent,
	    (unsigned long long)stats->acked,
	    (unsigned long long)stats->refused,
	    (unsigned long long)stats->busy,
	    (unsigned long long)stats->errors, rate);
	(void)fflush(stderr);
}
