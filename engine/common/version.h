/* SPDX-License-Identifier: Apache-2.0 */
/* The version of kics-epp that every program prints for --version. */
#ifndef KICS_VERSION_H
#define KICS_VERSION_H

/* The project version from meson.build, e.g. "0.1.0". Static. */
const char *kics_version(void);

#endif
