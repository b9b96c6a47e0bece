/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains how the map looks: the shape of each device category
 * and the colours of security state, EPP badge, authorization and edge
 * width, shared by map render and map export --format dot so that the two
 * always agree (and agree with kics-query(1)).
 */
#include <math.h>
#include <string.h>

#include "query-private.h"

/* Shapes by category; a category not listed (set by hand) gets octagon. */
static const struct {
	const char	*category;
	const char	*shape;
} shapes[] = {
	{ "server",		"box3d" },
	{ "workstation",	"box" },
	{ "network_device",	"hexagon" },
	{ "unknown",		"ellipse" },
};

static bool
is(const char *v, const char *want)
{
	return v != NULL && strcmp(v, want) == 0;
}

void
map_look_node(const char *category, const char *status, const char *epp,
    const char *security, struct map_look *ret_look)
{
	struct map_look l = { .shape = "octagon", .border = MAP_COLOUR_OK,
	    .fill = MAP_COLOUR_PLAIN, .badge = NULL };

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (is(category, shapes[i].category))
			l.shape = shapes[i].shape;
	l.router = is(category, "network_device");
	if (is(security, "critical"))
		l.border = MAP_COLOUR_CRITICAL;
	else if (is(security, "warning"))
		l.border = MAP_COLOUR_WARNING;
	if (is(status, "unauthorized"))
		l.fill = MAP_COLOUR_UNAUTHORIZED;
	else if (is(status, "archived"))
		l.fill = MAP_COLOUR_ARCHIVED;
	if (is(epp, "connected"))
		l.badge = MAP_COLOUR_CONNECTED;
	else if (is(epp, "disconnected"))
		l.badge = MAP_COLOUR_DISCONNECTED;
	*ret_look = l;
}

double
map_look_width(int64_t bytes)
{
	/* 1 below 1 KB, +1 per factor of 10 above it, at most 6 */
	double w = bytes > 1000 ? 1.0 + log10((double)bytes / 1000.0) : 1.0;

	return w > 6.0 ? 6.0 : w;
}

/* Appends s with the characters of HTML-like labels escaped. */
static void
html_text(struct strbuf *b, const char *s)
{
	char one[2] = { 0, 0 };

	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': (void)strbuf_append(b, "&amp;"); break;
		case '<': (void)strbuf_append(b, "&lt;"); break;
		case '>': (void)strbuf_append(b, "&gt;"); break;
		case '"': (void)strbuf_append(b, "&quot;"); break;
		default:
			one[0] = (unsigned char)*s < 0x20 ? ' ' : *s;
			(void)strbuf_append(b, one);
		}
	}
}

void
map_look_label(struct strbuf *b, const char *name, const char *ip,
    const struct map_look *l)
{
	strbuf_reset(b);
	(void)strbuf_append(b, "<TABLE BORDER=\"0\" CELLBORDER=\"0\" "
	    "CELLSPACING=\"2\" CELLPADDING=\"1\"><TR><TD>");
	html_text(b, name);
	(void)strbuf_append(b, "</TD>");
	if (l->badge != NULL)
		(void)strbuf_printf(b, "<TD BGCOLOR=\"%s\"><FONT COLOR=\"white\" "
		    "POINT-SIZE=\"8\"> EPP </FONT></TD>", l->badge);
	(void)strbuf_append(b, "</TR>");
	/* a device known only by its address is named by it already */
	if (ip == NULL || name == NULL || strcmp(ip, name) != 0) {
		(void)strbuf_printf(b, "<TR><TD COLSPAN=\"%d\"><FONT "
		    "POINT-SIZE=\"9\">", l->badge != NULL ? 2 : 1);
		html_text(b, ip != NULL ? ip : "no IP");
		(void)strbuf_append(b, "</FONT></TD></TR>");
	}
	if (l->router)
		(void)strbuf_printf(b, "<TR><TD COLSPAN=\"%d\"><FONT "
		    "POINT-SIZE=\"8\">router</FONT></TD></TR>",
		    l->badge != NULL ? 2 : 1);
	(void)strbuf_append(b, "</TABLE>");
}
