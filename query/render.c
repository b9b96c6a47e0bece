/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file contains map render: the filtered map as a Graphviz graph
 * built with cgraph, laid out and drawn with gvc (never by running the dot
 * program), written to a temporary file beside the target and renamed.
 */
#include <errno.h>
#include <gvc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "query-private.h"

#define LABEL_PROTOCOLS	4	/* protocol/port items an edge label shows */
#define PNG_SIZE	"40,40"	/* inches at 96 dpi: at most 3840 pixels */
#define GV_ERR_LEN	256

/*
 * Graphviz reports errors through a process-wide callback without a
 * context pointer, so the last one is kept here for the message.
 */
static char gv_err[GV_ERR_LEN];

/*
 * One Graphviz context for the process, made on first use and kept: with
 * Graphviz 2.43 (Debian 12) a second context after gvFreeContext() reads
 * the text-size cache the first one freed (a use-after-free in
 * textspan_size(), found by ASan), so contexts are never freed.
 */
static GVC_t *gv_context;

static GVC_t *
gv_get(void)
{
	if (gv_context == NULL)
		gv_context = gvContext();
	return gv_context;
}

static int
gv_error(char *msg)
{
	size_t l = strlen(gv_err);

	if (l + 1 < sizeof(gv_err))
		(void)snprintf(gv_err + l, sizeof(gv_err) - l, "%s", msg);
	return 0;
}

/* cgraph takes char * for names and values it only reads. */
static void
set(void *obj, const char *name, const char *value)
{
	(void)agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

static void
set_html(Agraph_t *g, void *obj, const char *name, const char *html)
{
	char *s = agstrdup_html(g, (char *)html);

	(void)agsafeset(obj, (char *)name, s, (char *)"");
	(void)agstrfree(g, s);
}

static Agnode_t *
add_node(Agraph_t *g, const struct map_node *n, struct strbuf *b)
{
	struct map_look l;
	char name[32];
	Agnode_t *v;

	map_look_node(n->category, n->status, n->epp, n->security, &l);
	(void)snprintf(name, sizeof(name), "d%lld", (long long)n->id);
	if ((v = agnode(g, name, 1)) == NULL)
		return NULL;
	map_look_label(b, n->name, n->ip, &l);
	if (b->error < 0)
		return NULL;
	set_html(g, v, "label", strbuf_str(b));
	set(v, "shape", l.shape);
	set(v, "color", l.border);
	set(v, "fillcolor", l.fill);
	set(v, "peripheries", l.router ? "2" : "1");
	set(v, "penwidth", strcmp(l.border, MAP_COLOUR_CRITICAL) == 0 ?
	    "3.5" : "2.5");
	(void)snprintf(name, sizeof(name), "device-%lld", (long long)n->id);
	set(v, "id", name);
	strbuf_reset(b);
	(void)strbuf_printf(b, "device epp-%s security-%s status-%s%s",
	    n->epp != NULL ? n->epp : "none",
	    n->security != NULL ? n->security : "ok",
	    n->status != NULL ? n->status : "unknown",
	    l.router ? " router" : "");
	set(v, "class", strbuf_str(b));
	return v;
}

/* "tcp/445, tcp/502, udp/161, udp/162 +3", then "\nModbus, S7Comm" */
static void
edge_label(struct strbuf *b, const struct map_pair *p)
{
	const char *s = p->protocols;

	strbuf_reset(b);
	for (size_t i = 0; i < p->nprotocols && i < LABEL_PROTOCOLS; i++) {
		size_t l = strcspn(s, ",");

		if (i > 0)
			(void)strbuf_append(b, ", ");
		(void)strbuf_printf(b, "%.*s", (int)l, s);
		s += l + (s[l] == ',');
	}
	if (p->nprotocols > LABEL_PROTOCOLS)
		(void)strbuf_printf(b, " +%zu", p->nprotocols -
		    LABEL_PROTOCOLS);
	/* the application protocols nDPI named, on a line of their own */
	s = p->apps;
	for (size_t i = 0; i < p->napps; i++) {
		size_t l = strcspn(s, ",");

		(void)strbuf_printf(b, "%s%.*s", i == 0 ? "\\n" : ", ",
		    (int)l, s);
		s += l + (s[l] == ',');
	}
}

static int
add_edge(Agraph_t *g, Agnode_t *a, Agnode_t *b, const struct map_pair *p,
    struct strbuf *buf)
{
	char v[64];
	Agedge_t *e;

	if ((e = agedge(g, a, b, NULL, 1)) == NULL)
		return -ENOMEM;
	edge_label(buf, p);
	set(e, "label", strbuf_str(buf));
	set(e, "style", p->traffic ? "solid" : "dashed");
	set(e, "color", p->traffic ? MAP_COLOUR_TRAFFIC : MAP_COLOUR_EPP);
	(void)snprintf(v, sizeof(v), "%.2f", map_look_width(p->bytes));
	set(e, "penwidth", v);
	set(e, "dir", p->forward && p->back ? "both" : p->forward ?
	    "forward" : p->back ? "back" : "none");
	(void)snprintf(v, sizeof(v), "pair-%lld-%lld", (long long)p->a,
	    (long long)p->b);
	set(e, "id", v);
	set(e, "class", p->traffic ? "pair traffic" : "pair epp");
	(void)snprintf(v, sizeof(v), "%lld interaction%s, %lld bytes",
	    (long long)p->interactions, p->interactions == 1 ? "" : "s",
	    (long long)p->bytes);
	set(e, "tooltip", v);
	return 0;
}

static const char legend_html[] =
    "<TABLE BORDER=\"1\" COLOR=\"#9e9e9e\" CELLBORDER=\"0\" "
    "CELLSPACING=\"3\" CELLPADDING=\"2\" BGCOLOR=\"white\">"
    "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><B>kics-epp map</B></TD></TR>"
    "<TR><TD BGCOLOR=\"" MAP_COLOUR_CONNECTED "\"><FONT COLOR=\"white\" "
    "POINT-SIZE=\"8\"> EPP </FONT></TD><TD ALIGN=\"LEFT\">EPP agent "
    "connected</TD></TR>"
    "<TR><TD BGCOLOR=\"" MAP_COLOUR_DISCONNECTED "\"><FONT COLOR=\"white\" "
    "POINT-SIZE=\"8\"> EPP </FONT></TD><TD ALIGN=\"LEFT\">EPP agent "
    "disconnected (no badge: no EPP)</TD></TR>"
    "<TR><TD BORDER=\"3\" COLOR=\"" MAP_COLOUR_OK "\"> </TD>"
    "<TD ALIGN=\"LEFT\">border: security ok</TD></TR>"
    "<TR><TD BORDER=\"3\" COLOR=\"" MAP_COLOUR_WARNING "\"> </TD>"
    "<TD ALIGN=\"LEFT\">border: warning in the last 24 h</TD></TR>"
    "<TR><TD BORDER=\"3\" COLOR=\"" MAP_COLOUR_CRITICAL "\"> </TD>"
    "<TD ALIGN=\"LEFT\">border: critical in the last 24 h</TD></TR>"
    "<TR><TD BGCOLOR=\"" MAP_COLOUR_UNAUTHORIZED "\"> </TD>"
    "<TD ALIGN=\"LEFT\">unauthorized device</TD></TR>"
    "<TR><TD>router</TD><TD ALIGN=\"LEFT\">network device: hexagon, "
    "double border</TD></TR>"
    "<TR><TD><FONT COLOR=\"" MAP_COLOUR_TRAFFIC "\">&#8212;&#8212;</FONT>"
    "</TD><TD ALIGN=\"LEFT\">solid: traffic data</TD></TR>"
    "<TR><TD><FONT COLOR=\"" MAP_COLOUR_EPP "\">- - -</FONT></TD>"
    "<TD ALIGN=\"LEFT\">dashed: EPP data only</TD></TR>"
    "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">shapes: 3-D box server, box "
    "workstation, ellipse unknown;<BR ALIGN=\"LEFT\"/>edges: one per "
    "device pair, protocol/port, wider with more bytes</TD></TR>"
    "</TABLE>";

static void
graph_attrs(Agraph_t *g, bool png, bool sfdp)
{
	set(g, "fontname", "Helvetica");
	set(g, "fontsize", "10");
	set(g, "bgcolor", "white");
	set(g, "outputorder", "edgesfirst");
	set(g, "labelloc", "b");
	set(g, "labeljust", "l");
	set_html(g, g, "label", legend_html);
	set(g, "id", "kics-map");
	if (sfdp) {
		/* straight edges: splines for thousands of pairs cost minutes */
		set(g, "overlap", "prism");
		set(g, "splines", "false");
		set(g, "sep", "+6");
	} else {
		set(g, "overlap", "false");
		set(g, "rankdir", "LR");
		set(g, "nodesep", "0.3");
	}
	if (png) {
		set(g, "size", PNG_SIZE);
		set(g, "dpi", "96");
	}
	(void)agattr(g, AGNODE, (char *)"fontname", (char *)"Helvetica");
	(void)agattr(g, AGNODE, (char *)"fontsize", (char *)"10");
	(void)agattr(g, AGNODE, (char *)"style", (char *)"filled");
	(void)agattr(g, AGNODE, (char *)"margin", (char *)"0.05,0.03");
	(void)agattr(g, AGEDGE, (char *)"fontname", (char *)"Helvetica");
	(void)agattr(g, AGEDGE, (char *)"fontsize", (char *)"8");
}

/* Builds the cgraph of m; returns NULL when out of memory. */
static Agraph_t *
build_graph(const struct map_graph *m, bool png, bool sfdp)
{
	Agraph_t *g = agopen((char *)"kics_map", Agundirected, NULL);
	Agnode_t **v = NULL;
	struct strbuf b;
	bool ok = g != NULL;

	strbuf_init(&b);
	if (ok && (v = calloc(m->nnodes + 1, sizeof(*v))) == NULL)
		ok = false;
	if (ok)
		graph_attrs(g, png, sfdp);
	for (size_t i = 0; ok && i < m->nnodes; i++)
		ok = (v[i] = add_node(g, &m->nodes[i], &b)) != NULL;
	for (size_t i = 0; ok && i < m->npairs; i++)
		ok = add_edge(g, v[map_graph_index(m, m->pairs[i].a)],
		    v[map_graph_index(m, m->pairs[i].b)], &m->pairs[i],
		    &b) == 0;
	if (b.error < 0)
		ok = false;
	strbuf_fini(&b);
	free(v);
	if (!ok && g != NULL) {
		(void)agclose(g);
		g = NULL;
	}
	return g;
}

/* The Graphviz format of file's extension, or NULL. */
static const char *
format_of(const char *file)
{
	const char *dot = strrchr(file, '.');

	if (dot == NULL || strchr(dot, '/') != NULL)
		return NULL;
	if (strcasecmp(dot, ".svg") == 0)
		return "svg";
	if (strcasecmp(dot, ".png") == 0)
		return "png";
	return NULL;
}

/*
 * Opens a temporary file beside file (same directory, so that rename is
 * atomic) with the mode a new file would get. Returns the stream and its
 * name in *ret_tmp (freed with free()), or NULL with db->errmsg set.
 */
static FILE *
open_beside(struct query_db *db, const char *file, char **ret_tmp)
{
	size_t l = strlen(file);
	char *tmp = malloc(l + 8);
	mode_t mask;
	FILE *f;
	int fd;

	if (tmp == NULL) {
		(void)qdb_fail(db, -ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(tmp, file, l);
	memcpy(tmp + l, ".XXXXXX", 8);
	if ((fd = mkstemp(tmp)) < 0) {
		(void)qdb_fail(db, -EIO, "cannot write '%s': %s", file,
		    strerror(errno));
		free(tmp);
		return NULL;
	}
	mask = umask(0);
	(void)umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	if ((f = fdopen(fd, "wb")) == NULL) {
		(void)qdb_fail(db, -EIO, "cannot write '%s': %s", file,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		free(tmp);
		return NULL;
	}
	*ret_tmp = tmp;
	return f;
}

/* Draws g into file through a temporary file; db->errmsg on failure. */
static int
write_picture(struct query_db *db, GVC_t *gvc, Agraph_t *g,
    const char *format, const char *file)
{
	char *tmp = NULL;
	FILE *f;
	int r = -EIO;

	if ((f = open_beside(db, file, &tmp)) == NULL)
		return -EIO;
	gv_err[0] = '\0';
	if (gvRender(gvc, g, format, f) != 0) {
		(void)qdb_fail(db, -EIO, "Graphviz cannot draw %s: %s", format,
		    gv_err[0] != '\0' ? gv_err : "no renderer");
		goto out;
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		(void)qdb_fail(db, -EIO, "cannot write '%s': %s", file,
		    strerror(errno));
		goto out;
	}
	r = fclose(f);
	f = NULL;
	if (r != 0 || rename(tmp, file) != 0) {
		r = qdb_fail(db, -EIO, "cannot write '%s': %s", file,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (f != NULL)
		(void)fclose(f);
	if (r < 0)
		(void)unlink(tmp);
	free(tmp);
	return r;
}

static double
since_s(int64_t t0_us)
{
	return (double)(clock_mono_us() - t0_us) / 1e6;
}

/* Lays out and draws m; fills the layout and render times of st. */
static int
render_graph(struct query_db *db, const struct map_graph *m,
    const char *format, const char *file, struct query_render_stats *st)
{
	bool png = strcmp(format, "png") == 0;
	GVC_t *gvc = NULL;
	Agraph_t *g = NULL;
	int64_t t0;
	int r = -ENOMEM;

	st->layout = m->nnodes <= QUERY_MAP_DOT_MAX &&
	    m->npairs <= QUERY_MAP_DOT_MAX_PAIRS ? "dot" : "sfdp";
	(void)agseterr(AGERR);
	(void)agseterrf(gv_error);
	gv_err[0] = '\0';
	if ((gvc = gv_get()) == NULL ||
	    (g = build_graph(m, png, strcmp(st->layout, "sfdp") == 0)) ==
	    NULL) {
		r = qdb_fail(db, -ENOMEM, "out of memory");
		goto out;
	}
	t0 = clock_mono_us();
	if (gvLayout(gvc, g, st->layout) != 0) {
		r = qdb_fail(db, -EIO, "Graphviz layout %s failed: %s",
		    st->layout, gv_err[0] != '\0' ? gv_err : "no layout plugin");
		goto out;
	}
	st->layout_s = since_s(t0);
	t0 = clock_mono_us();
	r = write_picture(db, gvc, g, format, file);
	st->render_s = since_s(t0);
	(void)gvFreeLayout(gvc, g);
out:
	if (g != NULL)
		(void)agclose(g);
	return r;
}

int
query_map_render(struct query_db *db, const struct query_map_filter *f,
    const char *file, struct query_render_stats *ret_stats)
{
	struct query_render_stats st = { 0 };
	const char *format = format_of(file);
	struct map_graph m;
	int64_t t0 = clock_mono_us();
	int r;

	if (format == NULL)
		return qdb_fail(db, -EINVAL, "cannot tell the picture format "
		    "of '%s' (use a name ending in .svg or .png)", file);
	if ((r = map_graph_load(db, f, &m)) < 0)
		goto out;
	st.load_s = since_s(t0);
	if (m.nnodes == 0) {
		r = qdb_fail(db, -ENOENT, "no devices match");
		goto out;
	}
	st.nodes = m.nnodes;
	st.pairs = m.npairs;
	if ((r = render_graph(db, &m, format, file, &st)) == 0 &&
	    ret_stats != NULL)
		*ret_stats = st;
out:
	map_graph_fini(&m);
	return r;
}
