/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baseline of the traffic-import benchmark (issue 13): a plain libpcap
 * loop that only reads every packet of a file. Prints "packets N seconds S
 * cpu_seconds C": S of the clock, C of the processor (what the machine's
 * other load does not stretch).
 * usage: bench-pcap-read FILE
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct timespec a, b, ca, cb;
	unsigned long long n = 0, sum = 0;
	pcap_t *p;

	if (argc != 2) {
		(void)fprintf(stderr, "usage: bench-pcap-read FILE\n");
		return 2;
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &a);
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	if ((p = pcap_open_offline(argv[1], err)) == NULL) {
		(void)fprintf(stderr, "bench-pcap-read: %s\n", err);
		return 1;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		sum += d[h->caplen - 1];	/* touch the packet */
	}
	pcap_close(p);
	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	(void)clock_gettime(CLOCK_MONOTONIC, &b);
	(void)printf("packets %llu seconds %.3f cpu_seconds %.3f (checksum "
	    "%llu)\n", n,
	    (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
	    (double)(cb.tv_sec - ca.tv_sec) + (cb.tv_nsec - ca.tv_nsec) / 1e9,
	    sum);
	return 0;
}
