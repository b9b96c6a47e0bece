/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains kics-query's main program. The command line, the
 * command table and the commands live in cli.c, commands.c, lookup.c,
 * show.c, admin.c and output.c, where the test of the CLI reaches them.
 */
#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
