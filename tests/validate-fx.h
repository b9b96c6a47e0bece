/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fixture of the validation tests: one valid report with every part
 * present, in caller-owned storage, that each test breaks in one place.
 */
#ifndef KICS_VALIDATE_FX_H
#define KICS_VALIDATE_FX_H

#include <stddef.h>

#include "epp_agent.pb-c.h"
#include "validate.h"

/* protobuf-c fields are char *; the tests never write through them. */
#define S(x) ((char *)(x))

#define NIF	2
#define NADDR	2
#define NEV	4
#define NCONN	2

/* A valid report with every part present, in caller-owned storage. */
struct fixture {
	Kics__Epp__V1__AgentReport r;
	Kics__Epp__V1__HostInfo host;
	Kics__Epp__V1__NetworkInterface nif[NIF];
	Kics__Epp__V1__NetworkInterface *nifp[NIF];
	char *addrs[NADDR];
	Kics__Epp__V1__EppApplication app;
	Kics__Epp__V1__EppApplication *appp[1];
	Kics__Epp__V1__EppEvent ev[NEV];
	Kics__Epp__V1__EppEvent *evp[NEV];
	Kics__Epp__V1__EppEvent__AttributesEntry attr;
	Kics__Epp__V1__EppEvent__AttributesEntry *attrp[1];
	Kics__Epp__V1__Connection conn[NCONN];
	Kics__Epp__V1__Connection *connp[NCONN];
	char reason[VALIDATE_REASON_LEN];
};

/* Fills f with the valid report. */
void fixture_init(struct fixture *f);
/*
 * Validates f->r and checks the code and, on failure, the exact reason
 * (want NULL: must pass and leave the reason untouched).
 */
void expect(struct fixture *f, const char *want);
/* A heap string of n copies of c; caller frees. */
char *repeat(char c, size_t n);

#endif
