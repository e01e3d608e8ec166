// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The commands. Read-only ones ask thingsd and fall back to the pins; the
 * ones that change something need thingsd, which owns the pins, routes
 * and links and would otherwise undo the change at its next reconcile.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "names.h"
#include "prefix.h"
#include "thingsctl.h"

#define WHY_LEN 512

/* A read-only command: what to ask thingsd, what to read from the pins
 * instead, and how to print it. */
struct query {
	const char *command;		/* in the control protocol */
	bool takes_name;		/* of an app: the one argument */
	json_type type;			/* of the result */
	enum pin_report pins;
	void (*render)(const struct ctl_opts *o, json_object *result);
};

static int no_more_args(const char *cmd, int argc, char **argv)
{
	return argc ? usage_error("unexpected argument '%s' after '%s'", argv[0], cmd) : 0;
}

/* The NAME argument of the app commands, or NULL after a usage error. */
const char *app_name_arg(const char *cmd, int argc, char **argv)
{
	if (argc < 1) {
		usage_error("'%s' needs an app NAME", cmd);
		return NULL;
	}
	if (argc > 1) {
		usage_error("unexpected argument '%s' after '%s %s'", argv[1], cmd, argv[0]);
		return NULL;
	}
	if (!things_app_name_valid(argv[0])) {
		usage_error("app name '%s' must be 1 to %d bytes of letters, digits, '-', '_' and '.'",
			    argv[0], THINGS_APP_NAME_MAX - 1);
		return NULL;
	}
	return argv[0];
}

static json_object *request(const char *command, const char *name)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "command", json_object_new_string(command));
	if (name)
		json_object_object_add(req, "name", json_object_new_string(name));
	return req;
}

static void output(const struct ctl_opts *o, const struct query *q, json_object *result)
{
	if (o->json)
		print_json(o, result);
	else
		q->render(o, result);
}

static int run_query(const struct ctl_opts *o, const struct query *q, const char *name)
{
	char why[WHY_LEN], pins_why[WHY_LEN];
	json_object *req = request(q->command, name), *result = NULL;
	int ret = EXIT_FAILURE;

	switch (client_call(o, req, &result, why, sizeof(why))) {
	case CLIENT_OK:
		if (!json_object_is_type(result, q->type)) {
			ret = fail("thingsd answered '%s' with JSON of type %s, not %s", q->command,
				   json_type_to_name(json_object_get_type(result)),
				   json_type_to_name(q->type));
			goto out;
		}
		/* so that scripts read the same key both ways */
		if (q->pins == PIN_REPORT_STATUS)
			json_object_object_add(result, "running", json_object_new_boolean(1));
		break;
	case CLIENT_FAILED:
		ret = fail("%s", why);
		goto out;
	case CLIENT_DOWN:
		result = pins_report(o, q->pins, name, pins_why, sizeof(pins_why));
		if (!result) {
			ret = fail("thingsd is not running (%s), and %s", why, pins_why);
			goto out;
		}
		if (!o->json)
			fprintf(stderr, "thingsctl: thingsd is not running: reading the pins in %s\n",
				o->pin_dir);
		/* the daemon's answer when it does not know the name */
		if (name && !json_object_array_length(result)) {
			ret = fail("no app named '%s'", name);
			goto out;
		}
		break;
	}
	output(o, q, result);
	ret = EXIT_SUCCESS;
out:
	json_object_put(result);
	json_object_put(req);
	return ret;
}

static int run_change(const struct ctl_opts *o, const char *what, json_object *req)
{
	return run_change_fd(o, what, req, -1);
}

int run_change_fd(const struct ctl_opts *o, const char *what, json_object *req, int pass_fd)
{
	json_object *result = NULL;
	char why[WHY_LEN];
	int ret = EXIT_FAILURE;

	switch (client_call_fd(o, req, pass_fd, &result, why, sizeof(why))) {
	case CLIENT_OK:
		if (o->json)
			print_json(o, result);
		ret = EXIT_SUCCESS;
		break;
	case CLIENT_DOWN:
		ret = fail("thingsd is not running (%s): '%s' needs it", why, what);
		break;
	case CLIENT_FAILED:
		ret = fail("%s", why);
		break;
	}
	json_object_put(result);
	json_object_put(req);
	return ret;
}

const struct query query_status = {
	"status", false, json_type_object, PIN_REPORT_STATUS, render_status
};
const struct query query_app_list = {
	"app-list", false, json_type_array, PIN_REPORT_APPS, render_app_list
};
const struct query query_app_show = {
	"app-show", true, json_type_array, PIN_REPORT_APPS, render_app_show
};
const struct query query_iface_list = {
	"iface-list", false, json_type_array, PIN_REPORT_IFACES, render_ifaces
};
const struct query query_stats = {
	"stats", false, json_type_object, PIN_REPORT_STATS, render_stats
};

const struct query query_tcp_list = {
	"tcp-list", false, json_type_array, PIN_REPORT_TCP, render_tcp_list
};
const struct query query_tcp_stats = {
	"tcp-list", false, json_type_array, PIN_REPORT_TCP, render_tcp_stats
};

int cmd_query(const struct ctl_opts *o, const char *cmd, const struct query *q, int argc,
	      char **argv)
{
	const char *name = NULL;

	if (q->takes_name) {
		name = app_name_arg(cmd, argc, argv);
		if (!name)
			return EXIT_USAGE;
	} else if (argc) {
		return no_more_args(cmd, argc, argv);
	}
	return run_query(o, q, name);
}

int cmd_reload(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	return no_more_args(cmd, argc, argv) ?: run_change(o, cmd, request("reload", NULL));
}

int cmd_app_del(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	const char *name = app_name_arg(cmd, argc, argv);

	return name ? run_change(o, cmd, request("app-del", name)) : EXIT_USAGE;
}

/* ---- app add: keyword arguments, as `ip` takes them ---- */

enum kw_type { KW_KIND, KW_PREFIX, KW_LINK, KW_FLAG, KW_UINT, KW_STRING };

static const struct keyword {
	const char *word;
	enum kw_type type;
	const char *value;	/* what follows the word; NULL for a flag */
	bool required;
} add_keywords[] = {
	{ "kind", KW_KIND, "KIND", true },
	{ "prefix", KW_PREFIX, "PREFIX", true },
	{ "onlink", KW_LINK, "IFNAME", false },
	/* a flag, or followed by yes or no */
	{ "silent", KW_FLAG, NULL, false },
	{ "router", KW_FLAG, NULL, false },
	{ "allow_wide", KW_FLAG, NULL, false },
	{ "rate", KW_UINT, "N", false },
	{ "burst", KW_UINT, "N", false },
	{ "rate_prefix", KW_UINT, "LEN", false },
	{ "ports", KW_STRING, "PORTS", false },
	{ "target", KW_STRING, "TARGET", false },
	{ "from", KW_STRING, "PREFIX", false },
	{ "exec", KW_STRING, "COMMAND", false },
	{ "user", KW_STRING, "USER", false },
	{ "group", KW_STRING, "GROUP", false },
	{ "lines", KW_UINT, "N", false },
	{ "lights", KW_UINT, "N", false },
	{ "width", KW_UINT, "N", false },
	{ "height", KW_UINT, "N", false },
};
#define N_ADD_KEYWORDS (sizeof(add_keywords) / sizeof(add_keywords[0]))

/* "echo, board, ...": the kinds an app may have (not the host's own). */
static void kind_list(char *buf, size_t len)
{
	const char *name;

	buf[0] = '\0';
	for (unsigned int k = 0; (name = things_kind_name(k)); k++)
		if (k != THINGS_KIND_HOST)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 name);
}

static int add_keyword(json_object *app, const struct keyword *kw, const char *value)
{
	char kinds[128];
	const char *why;
	struct things_prefix_key key;
	int kind;

	switch (kw->type) {
	case KW_KIND:
		kind = things_kind_parse(value);
		if (kind < 0 || kind == THINGS_KIND_HOST) {
			kind_list(kinds, sizeof(kinds));
			return usage_error("unknown kind '%s' (%s)", value, kinds);
		}
		json_object_object_add(app, "kind", json_object_new_string(value));
		break;
	case KW_PREFIX:
		if (things_prefix_parse(value, &key, 0, &why))
			return usage_error("prefix '%s': %s", value, why);
		json_object_object_add(app, "prefix", json_object_new_string(value));
		break;
	case KW_LINK:
		if (!things_ifname_valid(value))
			return usage_error("'%s' is not a valid interface name", value);
		json_object_object_add(app, "onlink", json_object_new_boolean(1));
		json_object_object_add(app, "interface", json_object_new_string(value));
		break;
	case KW_FLAG:
		json_object_object_add(app, kw->word, json_object_new_boolean(!value ||
									       !strcmp(value, "yes")));
		break;
	case KW_STRING:
		/* The daemon checks it, with the config's own rules. */
		json_object_object_add(app, kw->word, json_object_new_string(value));
		break;
	case KW_UINT: {
		char *end;
		long long v = strtoll(value, &end, 10);

		/* The daemon checks the range, with the config's own rules. */
		if (end == value || *end || value[0] < '0' || value[0] > '9' || v > 0xffffffffLL)
			return usage_error("'%s' wants a whole number, not '%s'", kw->word, value);
		json_object_object_add(app, kw->word, json_object_new_int64(v));
		break;
	}
	}
	return 0;
}

static void keyword_list(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < N_ADD_KEYWORDS; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "",
			 add_keywords[i].word);
}

static const struct keyword *find_keyword(const char *word)
{
	for (size_t i = 0; i < N_ADD_KEYWORDS; i++)
		if (!strcmp(word, add_keywords[i].word))
			return &add_keywords[i];
	return NULL;
}

/* Fills app from the words after NAME; exit status on a bad one. */
static int parse_add_args(int argc, char **argv, json_object *app)
{
	bool seen[N_ADD_KEYWORDS] = { false };
	const struct keyword *kw;
	char words[128];
	int i, err;

	for (i = 0; i < argc; i++) {
		kw = find_keyword(argv[i]);
		if (!kw) {
			keyword_list(words, sizeof(words));
			return usage_error("unknown word '%s' in 'app add' (%s)", argv[i], words);
		}
		if (seen[kw - add_keywords])
			return usage_error("'%s' is given twice", kw->word);
		seen[kw - add_keywords] = true;
		if (kw->value && i + 1 >= argc)
			return usage_error("'%s' needs a value: %s %s", kw->word, kw->word, kw->value);
		/* A flag may say yes or no outright: `silent no`. */
		if (kw->type == KW_FLAG && i + 1 < argc &&
		    (!strcmp(argv[i + 1], "yes") || !strcmp(argv[i + 1], "no")))
			err = add_keyword(app, kw, argv[++i]);
		else
			err = add_keyword(app, kw, kw->value ? argv[++i] : NULL);
		if (err)
			return err;
	}
	for (size_t k = 0; k < N_ADD_KEYWORDS; k++)
		if (add_keywords[k].required && !seen[k])
			return usage_error("'app add' needs '%s %s'", add_keywords[k].word,
					   add_keywords[k].value);
	return 0;
}

int cmd_app_add(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	json_object *req, *app;
	const char *name;
	int err;

	if (argc && find_keyword(argv[0]))
		return usage_error("'%s' needs the app NAME before '%s'", cmd, argv[0]);
	name = app_name_arg(cmd, argc ? 1 : 0, argv);
	if (!name)
		return EXIT_USAGE;
	app = json_object_new_object();
	json_object_object_add(app, "name", json_object_new_string(name));
	err = parse_add_args(argc - 1, argv + 1, app);
	if (err) {
		json_object_put(app);
		return err;
	}
	req = request("app-add", NULL);
	json_object_object_add(req, "app", app);
	return run_change(o, cmd, req);
}
