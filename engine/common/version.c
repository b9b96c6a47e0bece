/* SPDX-License-Identifier: Apache-2.0 */
/* This file contains the project version, set by the build (KICS_VERSION). */
#include "version.h"

#ifndef KICS_VERSION
#error "KICS_VERSION is set by engine/common/meson.build"
#endif

const char *
kics_version(void)
{
	return KICS_VERSION;
}
