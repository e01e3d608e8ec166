// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The thingsd config: INI, parsed by inih. inih reports neither empty
 * sections nor line numbers to its handler, so lines are fed to it through
 * a reader that counts them, checks what inih would let through (NUL bytes,
 * unclosed or trailing-junk headers) and notices section headers itself.
 * Reading stops at the first error, and every limit is enforced as
 * sections are read, so a huge file costs no more than its first error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <libgen.h>

#include "config.h"
#include "names.h"
#include "prefix.h"

enum section_type { SEC_NONE, SEC_DAEMON, SEC_IFACE, SEC_APP, SEC_BAD };

enum daemon_key {
	DK_PIN_DIR, DK_RUN_DIR, DK_STATE_DIR, DK_GROUP, DK_USER,
	DK_ERROR_RATE, DK_ERROR_BURST,	/* numbers; the rest are text */
	DK_N
};

struct parse_state {
	FILE *file;
	const char *path;
	struct things_config *cfg;
	struct things_config_error *err;
	bool apps_only;			/* the runtime apps file */
	int line;
	enum section_type section;
	bool failed;
	bool seen_daemon;
	unsigned long story_slots;	/* of all the trace apps so far */
	unsigned long n_stories;
	int daemon_lines[DK_N];
	char *buf;			/* getline's */
	size_t buf_size;
};

static void set_error(struct parse_state *st, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct parse_state *st, int line, const char *fmt, ...)
{
	va_list ap;

	if (st->failed)
		return;	/* the first error is the one worth reading */
	st->failed = true;
	st->err->line = line;
	va_start(ap, fmt);
	vsnprintf(st->err->msg, sizeof(st->err->msg), fmt, ap);
	va_end(ap);
}

/* An error in a story file: FILE:LINE of that file's own line. */
static void set_story_error(struct parse_state *st, const struct things_cfg_story *story,
			    int line, const char *msg)
{
	if (st->failed)
		return;
	set_error(st, line, "%s", msg);
	snprintf(st->err->file, sizeof(st->err->file), "%s", story->file);
}

/* Appends one zeroed element to *array of *count; returns it, or NULL. */
static void *append_zeroed(void *array, int *count, size_t elem)
{
	void **arr = array;
	char *bigger = realloc(*arr, (size_t)(*count + 1) * elem);

	if (!bigger)
		return NULL;
	*arr = bigger;
	memset(bigger + (size_t)*count * elem, 0, elem);
	return bigger + (size_t)(*count)++ * elem;
}

bool things_app_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= THINGS_APP_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

/* As the kernel's dev_valid_name(). */
bool things_ifname_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* ---- section headers ---------------------------------------------------- */

static void begin_iface(struct parse_state *st, const char *name)
{
	struct things_config *cfg = st->cfg;
	const struct things_cfg_iface *old = things_config_iface(cfg, name);
	struct things_cfg_iface *ifc;

	if (!things_ifname_valid(name)) {
		set_error(st, st->line, "'%s' is not a valid interface name", name);
		return;
	}
	if (old) {
		set_error(st, st->line, "interface '%s' is declared twice (first on line %d)", name,
			  old->line);
		return;
	}
	if (cfg->n_ifaces >= THINGS_MAX_IFACES) {
		set_error(st, st->line, "more than %d interfaces", THINGS_MAX_IFACES);
		return;
	}
	ifc = append_zeroed(&cfg->ifaces, &cfg->n_ifaces, sizeof(*ifc));
	if (!ifc) {
		set_error(st, st->line, "out of memory");
		return;
	}
	strcpy(ifc->name, name);
	ifc->mode = THINGS_XDP_NATIVE;
	ifc->line = st->line;
	st->section = SEC_IFACE;
}

static void begin_app(struct parse_state *st, const char *name)
{
	struct things_config *cfg = st->cfg;
	struct things_cfg_app *app;
	const char *why;

	for (int i = 0; i < cfg->n_apps; i++)
		if (!strcmp(cfg->apps[i].name, name)) {
			set_error(st, st->line, "app '%s' is declared twice (first on line %d)",
				  name, cfg->apps[i].line);
			return;
		}
	if (cfg->n_apps >= THINGS_MAX_APPS - 1) {
		set_error(st, st->line, "more than %d apps", THINGS_MAX_APPS - 1);
		return;
	}
	app = append_zeroed(&cfg->apps, &cfg->n_apps, sizeof(*app));
	if (!app) {
		set_error(st, st->line, "out of memory");
		return;
	}
	if (things_cfg_app_init(app, name, &why)) {
		set_error(st, st->line, "%s", why);
		return;
	}
	app->line = st->line;
	st->section = SEC_APP;
}

/* "[kind name]" or "[daemon]": a header is seen here, before inih, so that
 * a section without keys still counts. */
static void begin_section(struct parse_state *st, const char *text)
{
	char kind[32], name[128], extra[2];
	int n = sscanf(text, "%31s %127s %1s", kind, name, extra);

	st->section = SEC_BAD;
	if (n == 1 && !strcmp(kind, "daemon") && !st->apps_only) {
		if (st->seen_daemon)
			set_error(st, st->line, "duplicate [daemon] section");
		st->seen_daemon = true;
		st->section = SEC_DAEMON;
	} else if (n == 2 && !strcmp(kind, "interface") && !st->apps_only) {
		begin_iface(st, name);
	} else if (n == 2 && !strcmp(kind, "app")) {
		begin_app(st, name);
	} else if (st->apps_only) {
		set_error(st, st->line, "unknown section [%s]: expected [app NAME]", text);
	} else {
		set_error(st, st->line,
			  "unknown section [%s]: expected [daemon], [interface NAME] or [app NAME]",
			  text);
	}
}

/* A line that starts with '[' must be "[...]" and then nothing but a
 * comment. Returns false (error set) otherwise. */
static bool header_line(struct parse_state *st, char *p)
{
	char *end = strchr(p, ']'), *rest;
	char header[256];
	size_t n;

	if (!end) {
		set_error(st, st->line, "section header has no closing ']'");
		return false;
	}
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		set_error(st, st->line, "unexpected text after the section header");
		return false;
	}
	n = (size_t)(end - p - 1);
	if (n >= sizeof(header)) {
		set_error(st, st->line, "section header is too long");
		return false;
	}
	memcpy(header, p + 1, n);
	header[n] = '\0';
	begin_section(st, header);
	return true;
}

/* inih's reader: one line into str (num bytes), or NULL to stop. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	ssize_t len;
	char *p;

	if (st->failed)
		return NULL;
	len = getline(&st->buf, &st->buf_size, st->file);
	if (len < 0)
		return NULL;
	st->line++;
	p = st->buf;
	/* A UTF-8 byte order mark, as some editors write: not content. */
	if (st->line == 1 && len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) {
		p += 3;
		len -= 3;
	}
	if (memchr(p, '\0', (size_t)len)) {
		set_error(st, st->line, "line contains a NUL byte");
		return NULL;
	}
	if (len >= num - 1) {
		set_error(st, st->line, "line is longer than %d bytes", num - 3);
		return NULL;
	}
	memcpy(str, p, (size_t)len + 1);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[' && !header_line(st, p))
		return NULL;
	return str;
}

/* ---- keys ---------------------------------------------------------------- */

static int parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(value, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(value, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Decimal digits only, no sign, no spaces: strtoul takes both. */
static int parse_uint(const char *value, __u32 max, __u32 *out)
{
	unsigned long long v = 0;
	const char *p = value;

	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > max)
			return -1;
	}
	if (p == value || *p)
		return -1;
	*out = (__u32)v;
	return 0;
}

static const char *const daemon_keys[DK_N] = {
	[DK_PIN_DIR] = "pin_dir", [DK_RUN_DIR] = "run_dir", [DK_STATE_DIR] = "state_dir",
	[DK_GROUP] = "group", [DK_USER] = "user", [DK_ERROR_RATE] = "error_rate",
	[DK_ERROR_BURST] = "error_burst",
};

/* error_rate, error_burst: the host's ICMPv6 errors a second, and their
 * bucket's depth. */
static void daemon_number(struct parse_state *st, enum daemon_key k, const char *value)
{
	__u32 *dst = k == DK_ERROR_RATE ? &st->cfg->error_rate : &st->cfg->error_burst;
	__u32 min = k == DK_ERROR_RATE ? 0 : 1;

	if (parse_uint(value, 100000000, dst) || *dst < min)
		set_error(st, st->line, "%s must be a whole number from %u to 100000000, not '%.32s'",
			  daemon_keys[k], min, value);
}

static void daemon_key(struct parse_state *st, const char *key, const char *value)
{
	struct things_config *cfg = st->cfg;
	char *dst[DK_N] = { cfg->pin_dir, cfg->run_dir, cfg->state_dir, cfg->group, cfg->user };
	size_t size[DK_N] = { sizeof(cfg->pin_dir), sizeof(cfg->run_dir), sizeof(cfg->state_dir),
			      sizeof(cfg->group), sizeof(cfg->user) };
	int *lines[DK_N] = { &cfg->pin_dir_line, &cfg->run_dir_line, &cfg->state_dir_line, NULL,
			     &cfg->user_line };
	int k;

	for (k = 0; k < DK_N && strcmp(key, daemon_keys[k]); k++)
		;
	if (k == DK_N) {
		set_error(st, st->line,
			  "unknown key '%s' in [daemon] (pin_dir, run_dir, state_dir, group, "
			  "user, error_rate, error_burst)", key);
		return;
	}
	if (st->daemon_lines[k]) {
		set_error(st, st->line, "duplicate key '%s' (first on line %d)", key,
			  st->daemon_lines[k]);
		return;
	}
	st->daemon_lines[k] = st->line;
	if (k == DK_ERROR_RATE || k == DK_ERROR_BURST) {
		daemon_number(st, k, value);
		return;
	}
	if (lines[k])
		*lines[k] = st->line;
	if (strlen(value) >= size[k]) {
		set_error(st, st->line, "%s is longer than %zu bytes", key, size[k] - 1);
		return;
	}
	if (k == DK_GROUP || k == DK_USER) {
		/* A name as useradd(8) accepts it. */
		bool ok = *value && *value != '-';

		for (const char *p = value; *p; p++)
			ok &= isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.';
		if (!ok) {
			set_error(st, st->line, "bad %s '%s': not a %s name", key, value,
				  k == DK_GROUP ? "group" : "user");
			return;
		}
	} else if (value[0] != '/' || strstr(value, "/../") || strstr(value, "/./") ||
		   !strcmp(value + strlen(value) - (strlen(value) >= 3 ? 3 : 0), "/..")) {
		set_error(st, st->line, "bad %s '%s': must be an absolute path without . or ..",
			  key, value);
		return;
	}
	strcpy(dst[k], value);
	/* Trailing slashes would make two spellings of one directory. */
	for (size_t n = strlen(dst[k]); n > 1 && dst[k][n - 1] == '/'; n--)
		dst[k][n - 1] = '\0';
}

static void iface_key(struct parse_state *st, const char *key, const char *value)
{
	struct things_cfg_iface *ifc = &st->cfg->ifaces[st->cfg->n_ifaces - 1];

	if (strcmp(key, "mode")) {
		set_error(st, st->line, "unknown key '%s' in [interface %s] (mode)", key, ifc->name);
		return;
	}
	if (ifc->mode_line) {
		set_error(st, st->line, "duplicate key 'mode' (first on line %d)", ifc->mode_line);
		return;
	}
	ifc->mode_line = st->line;
	if (!strcmp(value, "native"))
		ifc->mode = THINGS_XDP_NATIVE;
	else if (!strcmp(value, "generic"))
		ifc->mode = THINGS_XDP_GENERIC;
	else
		set_error(st, st->line, "mode must be native or generic, not '%s'", value);
}

static int app_key_index(const char *key);

static void app_key(struct parse_state *st, const char *key, const char *value)
{
	struct things_cfg_app *app = &st->cfg->apps[st->cfg->n_apps - 1];
	int k = app_key_index(key);
	const char *why;

	if (k >= 0 && k != THINGS_CFG_APP_STORY && app->key_line[k]) {
		set_error(st, st->line, "duplicate key '%s' (first on line %d)", key,
			  app->key_line[k]);
		return;
	}
	if (things_cfg_app_set(app, key, value, &why)) {
		set_error(st, st->line, "%s", why);
		return;
	}
	app->key_line[k] = st->line;
	if (k == THINGS_CFG_APP_STORY)
		app->stories[app->n_stories - 1].key_line = st->line;
}

static int handle_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;

	(void)section;
	switch (st->section) {
	case SEC_DAEMON:
		daemon_key(st, key, value);
		break;
	case SEC_IFACE:
		iface_key(st, key, value);
		break;
	case SEC_APP:
		app_key(st, key, value);
		break;
	case SEC_NONE:
		set_error(st, st->line, "'%s' is outside any section", key);
		break;
	case SEC_BAD:
		break;	/* the header was reported */
	}
	return 1;
}

/* ---- the whole file ------------------------------------------------------ */

/* A story file path as read: relative to the config file's folder. */
static void story_file(struct parse_state *st, struct things_cfg_story *s)
{
	char *copy;

	if (s->path[0] == '/' || !strchr(st->path, '/'))
		return;
	copy = strdup(st->path);
	if (!copy) {
		set_error(st, s->key_line, "out of memory");
		return;
	}
	if ((size_t)snprintf(s->file, sizeof(s->file), "%s/%s", dirname(copy), s->path) >=
	    sizeof(s->file))
		set_error(st, s->key_line, "story file path is too long");
	free(copy);
}

/* The addresses of all of an app's stories: each has one name, since the
 * reverse zone can give it only one. */
static void check_story_names(struct parse_state *st, const struct things_cfg_app *app, int i)
{
	const struct things_cfg_story *s = &app->stories[i];
	char a[INET6_ADDRSTRLEN];

	for (unsigned int l = 0; l < s->n_lines && !st->failed; l++)
		for (int j = 0; j < i && !st->failed; j++)
			for (unsigned int m = 0; m < app->stories[j].n_lines; m++) {
				const struct things_story_line_cfg *x = &s->lines[l],
								   *y = &app->stories[j].lines[m];
				char msg[sizeof(st->err->msg)];

				if (memcmp(&x->addr, &y->addr, 16) || !strcmp(x->name, y->name))
					continue;
				snprintf(msg, sizeof(msg),
					 "%s is named '%.40s' in %.100s:%d: an address has one name",
					 inet_ntop(AF_INET6, &x->addr, a, sizeof(a)), y->name,
					 app->stories[j].path, y->line);
				set_story_error(st, s, x->line, msg);
				break;
			}
}

/* Reads a trace app's story files and checks them against their
 * destinations and each other. */
static void load_stories(struct parse_state *st, struct things_cfg_app *app)
{
	char msg[sizeof(st->err->msg)], pfx[THINGS_PREFIX_STRLEN];
	unsigned long slots = 0;

	for (int i = 0; i < app->n_stories && !st->failed; i++) {
		struct things_cfg_story *s = &app->stories[i];
		int line;

		story_file(st, s);
		if (st->failed)
			return;
		if (things_story_load(s, &line, msg, sizeof(msg))) {
			set_story_error(st, s, line, msg);
			return;
		}
		if (s->bits && s->hops * s->bits > 128 - s->dest.prefixlen) {
			set_error(st, s->key_line,
				  "app '%s': story %s: %u field(s) of %u bits do not fit in the %u bits "
				  "after the destination's prefix", app->name,
				  things_prefix_format(&s->dest, pfx, sizeof(pfx)), s->hops, s->bits,
				  128 - s->dest.prefixlen);
			return;
		}
		check_story_names(st, app, i);
		slots += things_story_slots(s);
	}
	st->story_slots += slots;
	st->n_stories += (unsigned long)app->n_stories;
	if (!st->failed && st->n_stories > THINGS_MAX_STORIES)
		set_error(st, app->line, "app '%s': more than %d stories in all", app->name,
			  THINGS_MAX_STORIES);
	if (!st->failed && st->story_slots > THINGS_STORY_LINES)
		set_error(st, app->line, "app '%s': the stories need more than the %d slots there are",
			  app->name, THINGS_STORY_LINES);
}

/* What no single line can show: missing keys, links between sections. */
static void check_whole(struct parse_state *st)
{
	struct things_config *cfg = st->cfg;
	size_t sock = strlen(cfg->run_dir) + 1 + strlen(THINGS_SOCKET_NAME);

	/* sun_path holds 108 bytes with the NUL. */
	if (sock >= 108)
		set_error(st, cfg->run_dir_line,
			  "run_dir is too long: the control socket's path would be %zu bytes, "
			  "the most a socket path can be is 107", sock);
	for (int i = 0; i < cfg->n_apps && !st->failed; i++) {
		struct things_cfg_app *app = &cfg->apps[i];
		const char *why;
		int key;

		if (things_cfg_app_finish(app, &key, &why)) {
			set_error(st, key >= 0 && app->key_line[key] > 0 ? app->key_line[key] : app->line,
				  "app '%s': %s", app->name, why);
			break;
		}
		if (app->kind == THINGS_KIND_TRACE && st->apps_only) {
			set_error(st, app->line, "app '%s': trace apps belong in the config file",
				  app->name);
			break;
		}
		if (app->kind == THINGS_KIND_TRACE)
			load_stories(st, app);
		if (app->iface[0] && !st->apps_only && !things_config_iface(cfg, app->iface))
			set_error(st, app->key_line[THINGS_CFG_APP_INTERFACE],
				  "app '%s': interface '%s' has no [interface %s] section",
				  app->name, app->iface, app->iface);
		/* At most 255 apps: quadratic is fine. tcp apps may share a
		 * prefix (on other ports, or for other clients). */
		for (int j = 0; j < i; j++)
			if (!memcmp(&cfg->apps[j].prefix, &app->prefix, sizeof(app->prefix)) &&
			    !(app->kind == THINGS_KIND_TCP && cfg->apps[j].kind == THINGS_KIND_TCP))
				set_error(st, app->key_line[THINGS_CFG_APP_PREFIX],
					  "app '%s' has the same prefix as app '%s' (line %d)",
					  app->name, cfg->apps[j].name, cfg->apps[j].line);
	}
}

/* tcp apps whose rules cannot be ordered, as a whole. */
static void check_tcp(struct parse_state *st)
{
	struct things_config *cfg = st->cfg;
	struct things_tcp_rule *rules = calloc((size_t)cfg->n_apps + 1, sizeof(*rules));
	int *index = calloc((size_t)cfg->n_apps + 1, sizeof(*index));
	int n = 0, bad = 0;
	const char *why;

	if (!rules || !index) {
		set_error(st, 0, "out of memory");
		goto out;
	}
	for (int i = 0; i < cfg->n_apps; i++)
		if (cfg->apps[i].kind == THINGS_KIND_TCP) {
			index[n] = i;
			rules[n++] = things_cfg_app_tcp_rule(&cfg->apps[i], (__u32)i + 1);
		}
	if (things_tcp_build(rules, n, NULL, NULL, &bad, &why) < 0) {
		const struct things_cfg_app *app = &cfg->apps[index[bad]];

		set_error(st, app->key_line[THINGS_CFG_APP_PORTS] > 0 ?
			  app->key_line[THINGS_CFG_APP_PORTS] : app->line, "app '%s': %s", app->name, why);
	}
out:
	free(rules);
	free(index);
}

static int load(const char *path, struct things_config *cfg, struct things_config_error *err,
		bool apps_only)
{
	struct parse_state st = { .cfg = cfg, .err = err, .apps_only = apps_only, .path = path };
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	memset(err, 0, sizeof(*err));
	strcpy(cfg->pin_dir, THINGS_PIN_DIR);
	strcpy(cfg->run_dir, THINGS_DEFAULT_RUN_DIR);
	strcpy(cfg->state_dir, THINGS_DEFAULT_STATE_DIR);
	strcpy(cfg->group, THINGS_DEFAULT_GROUP);
	cfg->error_rate = THINGS_ERROR_DEF_RATE;
	cfg->error_burst = THINGS_ERROR_DEF_BURST;

	/* One meaning per line: no continuation lines (they would read as a
	 * repeated key), and "# ..." after a value is a comment, as it is at
	 * the start of a line. */
	ini_allow_multiline = false;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = ";#";

	st.file = fopen(path, "re");
	if (!st.file) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return ret;
	}
	ret = ini_parse_stream(read_line, &st, handle_key, &st);
	if (!st.failed && ferror(st.file))
		set_error(&st, 0, "cannot read: %s", strerror(errno));
	fclose(st.file);
	free(st.buf);
	if (ret > 0)
		set_error(&st, ret, "not a section header or a key = value line");
	else if (ret < 0)
		set_error(&st, 0, "cannot parse: out of memory");
	if (!st.failed)
		check_whole(&st);
	if (!st.failed)
		check_tcp(&st);
	if (st.failed) {
		things_config_free(cfg);
		return -EINVAL;
	}
	return 0;
}

int things_config_load(const char *path, struct things_config *cfg,
		       struct things_config_error *err)
{
	return load(path, cfg, err, false);
}

int things_config_load_apps(const char *path, struct things_config *cfg,
			    struct things_config_error *err)
{
	return load(path, cfg, err, true);
}

void things_config_free(struct things_config *cfg)
{
	for (int i = 0; i < cfg->n_apps; i++) {
		struct things_cfg_app *app = &cfg->apps[i];

		for (int j = 0; j < app->n_stories; j++)
			things_story_free(&app->stories[j]);
		free(app->stories);
	}
	free(cfg->ifaces);
	free(cfg->apps);
	cfg->ifaces = NULL;
	cfg->apps = NULL;
	cfg->n_ifaces = cfg->n_apps = 0;
}

const struct things_cfg_iface *things_config_iface(const struct things_config *cfg,
						   const char *name)
{
	for (int i = 0; i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			return &cfg->ifaces[i];
	return NULL;
}

/* ---- one app ------------------------------------------------------------- */

#define KEY_NAME(sym, name, type) name,
#define KEY_TYPE(sym, name, type) THINGS_CFG_##type,
static const char *const app_key_names[] = { THINGS_CFG_APP_KEYS(KEY_NAME) };
static const enum things_cfg_type app_key_types[] = { THINGS_CFG_APP_KEYS(KEY_TYPE) };

const char *things_cfg_app_key_name(enum things_cfg_app_key key)
{
	return key < THINGS_CFG_APP_N_KEYS ? app_key_names[key] : NULL;
}

static int app_key_index(const char *key)
{
	for (int k = 0; k < THINGS_CFG_APP_N_KEYS; k++)
		if (!strcmp(key, app_key_names[k]))
			return k;
	return -1;
}

int things_cfg_app_key_type(const char *key)
{
	int k = app_key_index(key);

	return k < 0 ? -1 : (int)app_key_types[k];
}

int things_cfg_app_init(struct things_cfg_app *app, const char *name, const char **why)
{
	memset(app, 0, sizeof(*app));
	app->kind = -1;
	if (!things_app_name_valid(name)) {
		*why = "an app name is 1 to 31 bytes of letters, digits, '-', '_' and '.'";
		return -EINVAL;
	}
	strcpy(app->name, name);
	return 0;
}

/* The kinds this version serves. */
static bool kind_served(int kind)
{
	return kind == THINGS_KIND_ECHO || kind == THINGS_KIND_BOARD ||
	       kind == THINGS_KIND_TREE || kind == THINGS_KIND_CANVAS || kind == THINGS_KIND_TRACE ||
	       kind == THINGS_KIND_TCP;
}

/* "DESTINATION FILE": an address or a sub-prefix of the app, and the
 * story file (read with the whole config). */
static int story_key(struct things_cfg_app *app, const char *value, char *msg, size_t len)
{
	struct things_cfg_story *more, *story;
	size_t n = strcspn(value, " \t");
	const char *file = value + n + strspn(value + n, " \t"), *why;
	char dest[64];

	if (!n || !*file) {
		snprintf(msg, len, "story must be 'DESTINATION FILE', not '%.60s'", value);
		return -EINVAL;
	}
	if (n >= sizeof(dest) || strlen(file) >= sizeof(story->path)) {
		snprintf(msg, len, "story '%.60s': too long", value);
		return -EINVAL;
	}
	if (app->n_stories >= 0xffff) {
		snprintf(msg, len, "more than %d stories", 0xffff);
		return -EINVAL;
	}
	memcpy(dest, value, n);
	dest[n] = '\0';
	more = realloc(app->stories, (size_t)(app->n_stories + 1) * sizeof(*more));
	if (!more) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	app->stories = more;
	story = memset(&more[app->n_stories], 0, sizeof(*story));
	if (things_prefix_parse(dest, &story->dest, 0, &why)) {
		snprintf(msg, len, "story destination '%s': %s", dest, why);
		return -EINVAL;
	}
	strcpy(story->path, file);
	strcpy(story->file, file);
	app->n_stories++;
	return 0;
}

/* A user or group name as useradd(8) accepts it. */
static bool id_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= THINGS_TCP_ID_MAX || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

/* The keys of one tcp target only; -1 for keys of every tcp app. */
static int tcp_key_target(int k)
{
	switch (k) {
	case THINGS_CFG_APP_MAX_CHILDREN:
	case THINGS_CFG_APP_TIMEOUT:
		return THINGS_TCP_INETD;
	case THINGS_CFG_APP_MAX_CONNECTIONS:
	case THINGS_CFG_APP_CONNECT_TIMEOUT:
	case THINGS_CFG_APP_IDLE_TIMEOUT:
	case THINGS_CFG_APP_PROXY_PROTOCOL:
		return THINGS_TCP_RELAY;
	}
	return -1;
}

static bool tcp_only_key(int k)
{
	return k == THINGS_CFG_APP_PORTS || k == THINGS_CFG_APP_TARGET ||
	       k == THINGS_CFG_APP_FROM || k == THINGS_CFG_APP_EXEC ||
	       k == THINGS_CFG_APP_USER || k == THINGS_CFG_APP_GROUP || tcp_key_target(k) >= 0;
}

/* A command the runtime apps file reads back the same: no control
 * characters, no inline comment. */
static bool exec_writable(const char *cmd)
{
	for (const char *p = cmd; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    ((*p == '#' || *p == ';') && p > cmd && isspace((unsigned char)p[-1])))
			return false;
	return true;
}

/* The keys of tcp apps; 0 or -EINVAL with msg set. */
static int tcp_key(struct things_cfg_app *app, int k, const char *value, char *msg, size_t len)
{
	char words[THINGS_TCP_EXEC_MAX];
	char *argv[THINGS_TCP_EXEC_ARGS + 1];
	const char *why = "not valid";

	switch (k) {
	case THINGS_CFG_APP_PORTS:
		if (things_tcp_ports_parse(value, app->ports, &app->n_ports, &why))
			break;
		return 0;
	case THINGS_CFG_APP_TARGET:
		if (things_tcp_target_parse(value, &app->target, app->arg, &app->backend, &why))
			break;
		if (app->target == THINGS_TCP_INETD && !exec_writable(app->arg)) {
			why = "a command has no control characters, and no ' #' or ' ;' (they start "
			      "a comment in the config)";
			break;
		}
		return 0;
	case THINGS_CFG_APP_PROXY_PROTOCOL:
		if (!strcmp(value, "none"))
			app->proxy = THINGS_PROXY_NONE;
		else if (!strcmp(value, "v1"))
			app->proxy = THINGS_PROXY_V1;
		else if (!strcmp(value, "v2"))
			app->proxy = THINGS_PROXY_V2;
		else {
			why = "proxy_protocol is v1, v2 or none";
			break;
		}
		return 0;
	case THINGS_CFG_APP_FROM:
		if (things_prefix_parse(value, &app->from, 0, &why))
			break;
		return 0;
	case THINGS_CFG_APP_EXEC:
		if (strlen(value) >= sizeof(app->exec)) {
			why = "a command is at most 511 bytes";
			break;
		}
		if (things_cmd_split(value, words, argv, &why) < 0)
			break;
		if (!exec_writable(value)) {
			why = "a command has no control characters, and no ' #' or ' ;' (they start "
			      "a comment in the config)";
			break;
		}
		strcpy(app->exec, value);
		return 0;
	case THINGS_CFG_APP_USER:
	case THINGS_CFG_APP_GROUP:
		if (!id_name_valid(value)) {
			why = "not a user or group name (letters, digits, '-', '_', '.'; at most 32)";
			break;
		}
		strcpy(k == THINGS_CFG_APP_USER ? app->user : app->group, value);
		return 0;
	}
	snprintf(msg, len, "%s '%.60s': %s", app_key_names[k], value, why);
	return -EINVAL;
}

int things_cfg_app_set(struct things_cfg_app *app, const char *key, const char *value,
		       const char **why)
{
	static char msg[384];
	/* Upper bounds of the numeric keys; 0 is refused where it means nothing. */
	static const struct { int key; __u32 min, max; __u32 off; } nums[] = {
		{ THINGS_CFG_APP_RATE, 0, 100000000,
		  __builtin_offsetof(struct things_cfg_app, rate) },
		{ THINGS_CFG_APP_BURST, 1, 100000000,
		  __builtin_offsetof(struct things_cfg_app, burst) },
		{ THINGS_CFG_APP_RATE_PREFIX, 0, 128,
		  __builtin_offsetof(struct things_cfg_app, rate_prefix) },
		{ THINGS_CFG_APP_LINES, 1, THINGS_BOARD_MAX_LINES,
		  __builtin_offsetof(struct things_cfg_app, lines) },
		{ THINGS_CFG_APP_LIGHTS, 1, THINGS_TREE_MAX_LIGHTS,
		  __builtin_offsetof(struct things_cfg_app, lights) },
		{ THINGS_CFG_APP_WIDTH, 1, THINGS_CANVAS_MAX_SIDE,
		  __builtin_offsetof(struct things_cfg_app, width) },
		{ THINGS_CFG_APP_HEIGHT, 1, THINGS_CANVAS_MAX_SIDE,
		  __builtin_offsetof(struct things_cfg_app, height) },
		{ THINGS_CFG_APP_MAX_CHILDREN, 1, THINGS_TCP_MAX_CHILDREN,
		  __builtin_offsetof(struct things_cfg_app, max_children) },
		{ THINGS_CFG_APP_TIMEOUT, 0, THINGS_TCP_MAX_SECONDS,
		  __builtin_offsetof(struct things_cfg_app, timeout) },
		{ THINGS_CFG_APP_MAX_CONNECTIONS, 1, THINGS_TCP_MAX_CONNECTIONS,
		  __builtin_offsetof(struct things_cfg_app, max_connections) },
		{ THINGS_CFG_APP_CONNECT_TIMEOUT, 1, 3600,
		  __builtin_offsetof(struct things_cfg_app, connect_timeout) },
		{ THINGS_CFG_APP_IDLE_TIMEOUT, 0, THINGS_TCP_MAX_SECONDS,
		  __builtin_offsetof(struct things_cfg_app, idle_timeout) },
	};
	int k = app_key_index(key);
	bool *flag = NULL;

	*why = msg;
	switch (k) {
	case THINGS_CFG_APP_KIND:
		app->kind = things_kind_parse(value);
		if (!kind_served(app->kind)) {
			snprintf(msg, sizeof(msg),
				 "kind '%.32s' is not one this version serves (echo, board, tree, canvas, "
				 "trace, tcp)", value);
			return -EINVAL;
		}
		break;
	case THINGS_CFG_APP_PREFIX: {
		const char *pwhy;

		if (things_prefix_parse(value, &app->prefix, 0, &pwhy)) {
			snprintf(msg, sizeof(msg), "prefix '%.50s': %s", value, pwhy);
			return -EINVAL;
		}
		break;
	}
	case THINGS_CFG_APP_STORY:
		if (story_key(app, value, msg, sizeof(msg)))
			return -EINVAL;
		break;
	case THINGS_CFG_APP_INTERFACE:
		if (!things_ifname_valid(value)) {
			snprintf(msg, sizeof(msg), "'%.32s' is not a valid interface name", value);
			return -EINVAL;
		}
		strcpy(app->iface, value);
		break;
	case THINGS_CFG_APP_ONLINK:
		flag = &app->onlink;
		break;
	case THINGS_CFG_APP_SILENT:
		flag = &app->silent;
		break;
	case THINGS_CFG_APP_ROUTER:
		flag = &app->router;
		break;
	case THINGS_CFG_APP_ALLOW_WIDE:
		flag = &app->allow_wide;
		break;
	case -1:
		snprintf(msg, sizeof(msg),
			 "unknown key '%.32s' in [app %s] (kind, prefix, onlink, interface, silent, "
			 "router, allow_wide, rate, burst, rate_prefix, lines, lights, width, height, "
			 "story, ports, target, from, exec, user, group, max_children, timeout, "
			 "max_connections, connect_timeout, idle_timeout, proxy_protocol)",
			 key, app->name);
		return -ENOENT;
	default:
		if (tcp_only_key(k) && app_key_types[k] == THINGS_CFG_STRING) {
			if (tcp_key(app, k, value, msg, sizeof(msg)))
				return -EINVAL;
			break;
		}
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			if (nums[i].key != k)
				continue;
			if (parse_uint(value, nums[i].max, (__u32 *)((char *)app + nums[i].off)) ||
			    *(__u32 *)((char *)app + nums[i].off) < nums[i].min) {
				snprintf(msg, sizeof(msg), "%s must be a whole number from %u to %u, not '%.32s'",
					 key, nums[i].min, nums[i].max, value);
				return -EINVAL;
			}
		}
		break;
	}
	if (flag && parse_bool(value, flag)) {
		snprintf(msg, sizeof(msg), "%s must be yes or no, not '%.32s'", key, value);
		return -EINVAL;
	}
	app->key_line[k] = app->key_line[k] ? app->key_line[k] : -1;
	return 0;
}

/* The keys each kind reads beyond the common ones. */
static bool key_fits_kind(int key, int kind)
{
	switch (key) {
	case THINGS_CFG_APP_LINES:
		return kind == THINGS_KIND_BOARD;
	case THINGS_CFG_APP_LIGHTS:
		return kind == THINGS_KIND_TREE;
	case THINGS_CFG_APP_WIDTH:
	case THINGS_CFG_APP_HEIGHT:
		return kind == THINGS_KIND_CANVAS;
	case THINGS_CFG_APP_RATE:
	case THINGS_CFG_APP_BURST:
	case THINGS_CFG_APP_RATE_PREFIX:
		return kind == THINGS_KIND_BOARD || kind == THINGS_KIND_TREE ||
		       kind == THINGS_KIND_CANVAS || kind == THINGS_KIND_TRACE;
	case THINGS_CFG_APP_STORY:
		return kind == THINGS_KIND_TRACE;
	}
	return !tcp_only_key(key) || kind == THINGS_KIND_TCP;
}

/* The longest prefix a kind's address layout leaves room for. */
static unsigned int kind_max_prefixlen(int kind)
{
	switch (kind) {
	case THINGS_KIND_BOARD:
	case THINGS_KIND_CANVAS:
		return 64;	/* the whole interface ID */
	case THINGS_KIND_TREE:
		return 80;	/* ::RR:GG:BB, three groups */
	}
	return 128;
}

/* A trace app's stories, as far as the config alone tells: each inside
 * the app's prefix, no two for one destination. */
static int things_cfg_trace_finish(struct things_cfg_app *app, int *key, char *msg, size_t len)
{
	char pfx[THINGS_PREFIX_STRLEN];

	*key = THINGS_CFG_APP_STORY;
	if (!app->n_stories) {
		snprintf(msg, len, "a trace app needs story = DESTINATION FILE");
		return -EINVAL;
	}
	for (int i = 0; i < app->n_stories; i++) {
		const struct things_cfg_story *s = &app->stories[i];

		if (s->dest.prefixlen < app->prefix.prefixlen ||
		    !things_prefix_contains(&app->prefix, s->dest.addr)) {
			snprintf(msg, len, "story destination %s is not inside the app's prefix",
				 things_prefix_format(&s->dest, pfx, sizeof(pfx)));
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (!memcmp(&app->stories[j].dest, &s->dest, sizeof(s->dest))) {
				snprintf(msg, len, "two stories for %s",
					 things_prefix_format(&s->dest, pfx, sizeof(pfx)));
				return -EINVAL;
			}
	}
	return 0;
}

int things_cfg_app_finish(struct things_cfg_app *app, int *key, const char **why)
{
	static char msg[200];
	const char *pwhy;

	*why = msg;
	*key = -1;
	if (app->kind < 0) {
		snprintf(msg, sizeof(msg), "no kind");
		return -EINVAL;
	}
	if (!app->key_line[THINGS_CFG_APP_PREFIX]) {
		snprintf(msg, sizeof(msg), "no prefix");
		return -EINVAL;
	}
	for (int k = 0; k < THINGS_CFG_APP_N_KEYS; k++)
		if (app->key_line[k] && !key_fits_kind(k, app->kind)) {
			*key = k;
			snprintf(msg, sizeof(msg), "%s does not apply to kind %s", app_key_names[k],
				 things_kind_name((unsigned int)app->kind));
			return -EINVAL;
		}
	*key = THINGS_CFG_APP_PREFIX;
	if (things_prefix_policy(&app->prefix, app->allow_wide, &pwhy)) {
		snprintf(msg, sizeof(msg), "%s", pwhy);
		return -EINVAL;
	}
	if (app->prefix.prefixlen > kind_max_prefixlen(app->kind)) {
		snprintf(msg, sizeof(msg),
			 "a %s reads the low %u bits of the address: its prefix must be /%u or shorter",
			 things_kind_name((unsigned int)app->kind), 128 - kind_max_prefixlen(app->kind),
			 kind_max_prefixlen(app->kind));
		return -EINVAL;
	}
	*key = -1;
	if (app->onlink && !app->iface[0]) {
		snprintf(msg, sizeof(msg), "an on-link app needs interface = NAME");
		return -EINVAL;
	}
	if (!app->onlink && app->iface[0]) {
		*key = THINGS_CFG_APP_INTERFACE;
		snprintf(msg, sizeof(msg),
			 "names an interface but is not onlink: routed apps answer on every interface");
		return -EINVAL;
	}
	/* Every ICMPv6 error is rate-limited (RFC 4443 2.4 f) unless the
	 * operator says rate = 0. */
	if (app->kind == THINGS_KIND_TRACE && !app->key_line[THINGS_CFG_APP_RATE])
		app->rate = THINGS_TRACE_DEF_RATE;
	if (!app->rate && (app->key_line[THINGS_CFG_APP_BURST] ||
			   app->key_line[THINGS_CFG_APP_RATE_PREFIX])) {
		*key = app->key_line[THINGS_CFG_APP_BURST] ? THINGS_CFG_APP_BURST
							   : THINGS_CFG_APP_RATE_PREFIX;
		snprintf(msg, sizeof(msg), "%s needs rate = N (requests per second)",
			 app_key_names[*key]);
		return -EINVAL;
	}
	if (app->kind == THINGS_KIND_TRACE && things_cfg_trace_finish(app, key, msg, sizeof(msg)))
		return -EINVAL;
	if (app->kind == THINGS_KIND_TCP) {
		static const int need[] = { THINGS_CFG_APP_PORTS, THINGS_CFG_APP_TARGET };

		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (!app->key_line[need[i]]) {
				snprintf(msg, sizeof(msg), "a tcp app needs %s", app_key_names[need[i]]);
				return -EINVAL;
			}
		if (app->exec[0] && app->target != THINGS_TCP_LISTEN) {
			*key = THINGS_CFG_APP_EXEC;
			snprintf(msg, sizeof(msg), "exec runs a server for target = listen only");
			return -EINVAL;
		}
		if ((app->user[0] || app->group[0]) && !app->exec[0] &&
		    app->target != THINGS_TCP_INETD) {
			*key = app->user[0] ? THINGS_CFG_APP_USER : THINGS_CFG_APP_GROUP;
			snprintf(msg, sizeof(msg),
				 "%s is who runs a command: it needs exec = COMMAND or an inetd: target",
				 app_key_names[*key]);
			return -EINVAL;
		}
		for (int k = 0; k < THINGS_CFG_APP_N_KEYS; k++)
			if (app->key_line[k] && tcp_key_target(k) >= 0 &&
			    tcp_key_target(k) != app->target) {
				*key = k;
				snprintf(msg, sizeof(msg), "%s applies to %s targets only",
					 app_key_names[k],
					 tcp_key_target(k) == THINGS_TCP_INETD ? "inetd:" : "relay:");
				return -EINVAL;
			}
		if (app->target == THINGS_TCP_INETD && !app->max_children)
			app->max_children = THINGS_TCP_DEF_CHILDREN;
		if (app->target == THINGS_TCP_RELAY) {
			if (!app->max_connections)
				app->max_connections = THINGS_TCP_DEF_CONNECTIONS;
			if (!app->connect_timeout)
				app->connect_timeout = THINGS_TCP_DEF_CONNECT_S;
			if (!app->key_line[THINGS_CFG_APP_IDLE_TIMEOUT])
				app->idle_timeout = THINGS_TCP_DEF_IDLE_S;
		}
	}
	/* Defaults, so that what is kept is what runs. */
	if (!app->key_line[THINGS_CFG_APP_SILENT])
		app->silent = app->kind == THINGS_KIND_CANVAS;
	if (app->rate && !app->key_line[THINGS_CFG_APP_BURST])
		app->burst = app->rate;
	if (app->rate && !app->key_line[THINGS_CFG_APP_RATE_PREFIX])
		app->rate_prefix = THINGS_RATE_DEF_PREFIX;
	if (app->kind == THINGS_KIND_BOARD && !app->lines)
		app->lines = THINGS_BOARD_DEF_LINES;
	if (app->kind == THINGS_KIND_TREE && !app->lights)
		app->lights = THINGS_TREE_DEF_LIGHTS;
	if (app->kind == THINGS_KIND_CANVAS && !app->width)
		app->width = THINGS_CANVAS_DEF_SIDE;
	if (app->kind == THINGS_KIND_CANVAS && !app->height)
		app->height = THINGS_CANVAS_DEF_SIDE;
	return 0;
}

int things_cfg_app_write(const struct things_cfg_app *app, FILE *out)
{
	char pfx[THINGS_PREFIX_STRLEN];

	fprintf(out, "[app %s]\nkind = %s\nprefix = %s\n", app->name,
		things_kind_name((unsigned int)app->kind),
		things_prefix_format(&app->prefix, pfx, sizeof(pfx)));
	if (app->onlink)
		fprintf(out, "onlink = yes\ninterface = %s\n", app->iface);
	fprintf(out, "silent = %s\n", app->silent ? "yes" : "no");
	if (app->router)
		fprintf(out, "router = yes\n");
	if (app->allow_wide)
		fprintf(out, "allow_wide = yes\n");
	if (app->rate)
		fprintf(out, "rate = %u\nburst = %u\nrate_prefix = %u\n", app->rate, app->burst,
			app->rate_prefix);
	if (app->kind == THINGS_KIND_BOARD)
		fprintf(out, "lines = %u\n", app->lines);
	if (app->kind == THINGS_KIND_TREE)
		fprintf(out, "lights = %u\n", app->lights);
	if (app->kind == THINGS_KIND_CANVAS)
		fprintf(out, "width = %u\nheight = %u\n", app->width, app->height);
	for (int i = 0; i < app->n_stories; i++)
		fprintf(out, "story = %s %s\n",
			things_prefix_format(&app->stories[i].dest, pfx, sizeof(pfx)),
			app->stories[i].file);
	if (app->kind == THINGS_KIND_TCP) {
		char ports[16 * 12];
		char target[THINGS_TCP_ARG_MAX + 16];
		static const char *const proxy[] = { "none", "v1", "v2" };

		things_tcp_ports_format(app->ports, app->n_ports, ports, sizeof(ports));
		things_tcp_target_format(app->target, app->arg, target, sizeof(target));
		fprintf(out, "ports = %s\ntarget = %s\n", ports, target);
		if (app->target == THINGS_TCP_INETD)
			fprintf(out, "max_children = %u\ntimeout = %u\n", app->max_children,
				app->timeout);
		if (app->target == THINGS_TCP_RELAY)
			fprintf(out, "max_connections = %u\nconnect_timeout = %u\nidle_timeout = %u\n"
				"proxy_protocol = %s\n", app->max_connections, app->connect_timeout,
				app->idle_timeout, proxy[app->proxy]);
		if (app->from.prefixlen)
			fprintf(out, "from = %s\n", things_prefix_format(&app->from, pfx, sizeof(pfx)));
		if (app->exec[0])
			fprintf(out, "exec = %s\n", app->exec);
		if (app->user[0])
			fprintf(out, "user = %s\n", app->user);
		if (app->group[0])
			fprintf(out, "group = %s\n", app->group);
	}
	return fprintf(out, "\n") < 0 ? -EIO : 0;
}

__u16 things_cfg_app_flags(const struct things_cfg_app *app)
{
	return (app->onlink ? THINGS_PF_ONLINK : 0) | (app->silent ? THINGS_PF_SILENT : 0) |
	       (app->router ? THINGS_PF_ROUTER : 0);
}

struct things_tcp_rule things_cfg_app_tcp_rule(const struct things_cfg_app *app, __u32 app_id)
{
	return (struct things_tcp_rule){
		.app_id = app_id,
		.prefix = app->prefix,
		.from = app->from,
		.ports = app->ports,
		.n_ports = app->n_ports,
	};
}

struct things_app_cfg things_cfg_app_params(const struct things_cfg_app *app)
{
	struct things_app_cfg c = {
		.rate = app->rate,
		.burst = app->burst,
		.rate_prefix = (__u8)app->rate_prefix,
	};

	if (app->kind == THINGS_KIND_BOARD)
		c.lines = (__u16)app->lines;
	if (app->kind == THINGS_KIND_TREE)
		c.lights = (__u16)app->lights;
	if (app->kind == THINGS_KIND_CANVAS) {
		c.width = (__u16)app->width;
		c.height = (__u16)app->height;
	}
	return c;
}
