// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The thingsd config: INI, parsed by inih. inih reports neither empty
 * sections nor line numbers to its handler, so lines are fed to it through
 * a reader that counts them and notices section headers itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "names.h"
#include "prefix.h"

enum section_type { SEC_NONE, SEC_DAEMON, SEC_IFACE, SEC_APP, SEC_BAD };

struct parse_state {
	FILE *file;
	struct things_config *cfg;
	struct things_config_error *err;
	int line;
	enum section_type section;
	bool failed;
	bool seen_daemon;
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

static int copy_name(char *dst, size_t size, const char *src)
{
	if (!*src || strlen(src) >= size)
		return -1;
	strcpy(dst, src);
	return 0;
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

/* "[kind name]" or "[daemon]": a header is seen here, before inih, so that
 * a section without keys still counts. */
static void begin_section(struct parse_state *st, char *text)
{
	char kind[32], name[128], extra[2];
	struct things_config *cfg = st->cfg;
	int n = sscanf(text, "%31s %127s %1s", kind, name, extra);

	st->section = SEC_BAD;
	if (n == 1 && !strcmp(kind, "daemon")) {
		if (st->seen_daemon)
			set_error(st, st->line, "duplicate [daemon] section");
		st->seen_daemon = true;
		st->section = SEC_DAEMON;
	} else if (n == 2 && !strcmp(kind, "interface")) {
		struct things_cfg_iface *ifc;

		if (things_config_iface(cfg, name)) {
			set_error(st, st->line, "interface '%s' is declared twice", name);
			return;
		}
		ifc = append_zeroed(&cfg->ifaces, &cfg->n_ifaces, sizeof(*ifc));
		if (!ifc) {
			set_error(st, st->line, "out of memory");
			return;
		}
		if (copy_name(ifc->name, sizeof(ifc->name), name))
			set_error(st, st->line, "interface name '%s' is too long", name);
		ifc->mode = THINGS_XDP_NATIVE;
		ifc->line = st->line;
		st->section = SEC_IFACE;
	} else if (n == 2 && !strcmp(kind, "app")) {
		struct things_cfg_app *app;

		for (int i = 0; i < cfg->n_apps; i++)
			if (!strcmp(cfg->apps[i].name, name)) {
				set_error(st, st->line, "app '%s' is declared twice (first on line %d)",
					  name, cfg->apps[i].line);
				return;
			}
		app = append_zeroed(&cfg->apps, &cfg->n_apps, sizeof(*app));
		if (!app) {
			set_error(st, st->line, "out of memory");
			return;
		}
		if (copy_name(app->name, sizeof(app->name), name))
			set_error(st, st->line, "app name '%s' is longer than %d characters",
				  name, THINGS_APP_NAME_MAX - 1);
		app->kind = -1;
		app->line = st->line;
		st->section = SEC_APP;
	} else {
		set_error(st, st->line,
			  "unknown section [%s]: expected [daemon], [interface NAME] or [app NAME]",
			  text);
	}
}

static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *line = fgets(str, num, st->file), *p, *end;
	size_t len;

	if (!line)
		return NULL;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		st->line++;
	else if (!feof(st->file))
		set_error(st, st->line + 1, "line is longer than %d characters", num - 3);
	else
		st->line++;
	for (p = line; isspace((unsigned char)*p); p++)
		;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end) {
			char header[256];
			size_t n = (size_t)(end - p - 1);

			if (n >= sizeof(header))
				n = sizeof(header) - 1;
			memcpy(header, p + 1, n);
			header[n] = '\0';
			begin_section(st, header);
		}
	}
	return line;
}

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

static void daemon_key(struct parse_state *st, const char *key, const char *value)
{
	struct things_config *cfg = st->cfg;
	char *dst = NULL;
	size_t size = 0;

	if (!strcmp(key, "pin_dir")) {
		dst = cfg->pin_dir;
		size = sizeof(cfg->pin_dir);
	} else if (!strcmp(key, "run_dir")) {
		dst = cfg->run_dir;
		size = sizeof(cfg->run_dir);
	} else if (!strcmp(key, "group")) {
		dst = cfg->group;
		size = sizeof(cfg->group);
	} else {
		set_error(st, st->line, "unknown key '%s' in [daemon] (pin_dir, run_dir, group)", key);
		return;
	}
	if (!strcmp(key, "group") ? copy_name(dst, size, value) :
	    (value[0] != '/' || copy_name(dst, size, value)))
		set_error(st, st->line, "bad %s '%s'%s", key, value,
			  strcmp(key, "group") ? ": must be an absolute path" : "");
}

static void iface_key(struct parse_state *st, const char *key, const char *value)
{
	struct things_cfg_iface *ifc = &st->cfg->ifaces[st->cfg->n_ifaces - 1];

	if (strcmp(key, "mode")) {
		set_error(st, st->line, "unknown key '%s' in [interface %s] (mode)", key, ifc->name);
		return;
	}
	if (!strcmp(value, "native"))
		ifc->mode = THINGS_XDP_NATIVE;
	else if (!strcmp(value, "generic"))
		ifc->mode = THINGS_XDP_GENERIC;
	else
		set_error(st, st->line, "mode must be native or generic, not '%s'", value);
}

static void app_bool(struct parse_state *st, const char *key, const char *value, bool *out)
{
	if (parse_bool(value, out))
		set_error(st, st->line, "%s must be yes or no, not '%s'", key, value);
}

static void app_key(struct parse_state *st, const char *key, const char *value)
{
	struct things_cfg_app *app = &st->cfg->apps[st->cfg->n_apps - 1];
	const char *why;

	if (!strcmp(key, "kind")) {
		app->kind = things_kind_parse(value);
		if (app->kind != THINGS_KIND_ECHO)
			set_error(st, st->line, "kind '%s' is not one this version serves (echo)",
				  value);
	} else if (!strcmp(key, "prefix")) {
		if (things_prefix_parse(value, &app->prefix, 0, &why))
			set_error(st, st->line, "prefix '%s': %s", value, why);
		app->has_prefix = true;
	} else if (!strcmp(key, "onlink")) {
		app_bool(st, key, value, &app->onlink);
	} else if (!strcmp(key, "silent")) {
		app_bool(st, key, value, &app->silent);
	} else if (!strcmp(key, "router")) {
		app_bool(st, key, value, &app->router);
	} else if (!strcmp(key, "interface")) {
		if (copy_name(app->iface, sizeof(app->iface), value))
			set_error(st, st->line, "interface name '%s' is not valid", value);
	} else {
		set_error(st, st->line,
			  "unknown key '%s' in [app %s] (kind, prefix, onlink, interface, silent, router)",
			  key, app->name);
	}
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

/* What no single line can show: missing keys, links between sections. */
static void check_whole(struct parse_state *st)
{
	struct things_config *cfg = st->cfg;

	if (cfg->n_apps > THINGS_MAX_APPS - 1)
		set_error(st, cfg->apps[THINGS_MAX_APPS - 1].line, "more than %d apps",
			  THINGS_MAX_APPS - 1);
	for (int i = 0; i < cfg->n_apps; i++) {
		struct things_cfg_app *app = &cfg->apps[i];

		if (app->kind < 0)
			set_error(st, app->line, "app '%s' has no kind", app->name);
		if (!app->has_prefix)
			set_error(st, app->line, "app '%s' has no prefix", app->name);
		if (app->onlink && !app->iface[0])
			set_error(st, app->line, "on-link app '%s' needs interface = NAME",
				  app->name);
		if (!app->onlink && app->iface[0])
			set_error(st, app->line,
				  "app '%s' names an interface but is not onlink: routed apps answer on every interface",
				  app->name);
		if (app->iface[0] && !things_config_iface(cfg, app->iface))
			set_error(st, app->line, "app '%s': interface '%s' has no [interface %s] section",
				  app->name, app->iface, app->iface);
		for (int j = 0; j < i; j++)
			if (cfg->apps[j].has_prefix && app->has_prefix &&
			    !memcmp(&cfg->apps[j].prefix, &app->prefix, sizeof(app->prefix)))
				set_error(st, app->line, "app '%s' has the same prefix as app '%s' (line %d)",
					  app->name, cfg->apps[j].name, cfg->apps[j].line);
	}
}

int things_config_load(const char *path, struct things_config *cfg,
		       struct things_config_error *err)
{
	struct parse_state st = { .cfg = cfg, .err = err };
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	memset(err, 0, sizeof(*err));
	strcpy(cfg->pin_dir, THINGS_PIN_DIR);
	strcpy(cfg->run_dir, THINGS_DEFAULT_RUN_DIR);
	strcpy(cfg->group, THINGS_DEFAULT_GROUP);

	st.file = fopen(path, "r");
	if (!st.file) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return ret;
	}
	ret = ini_parse_stream(read_line, &st, handle_key, &st);
	fclose(st.file);
	if (ret > 0)
		set_error(&st, ret, "not a section header or a key = value line");
	else if (ret < 0)
		set_error(&st, 0, "cannot parse: out of memory");
	check_whole(&st);
	if (st.failed) {
		things_config_free(cfg);
		return -EINVAL;
	}
	return 0;
}

void things_config_free(struct things_config *cfg)
{
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

__u16 things_cfg_app_flags(const struct things_cfg_app *app)
{
	return (app->onlink ? THINGS_PF_ONLINK : 0) | (app->silent ? THINGS_PF_SILENT : 0) |
	       (app->router ? THINGS_PF_ROUTER : 0);
}
