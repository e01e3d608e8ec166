// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Reading a control request (control_proto.h) into what the commands act
 * on: the parts of the protocol that take untrusted bytes, apart from the
 * daemon so that a fuzzer can run them alone. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "control_parse.h"

/* One JSON object and nothing after it but white space. */
json_object *control_parse_request(const char *buf, size_t n, const char **why)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *req;
	size_t end;

	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	req = json_tokener_parse_ex(tok, buf, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (!req || json_tokener_get_error(tok) != json_tokener_success) {
		*why = "the request is not JSON";
		json_object_put(req);
		req = NULL;
	} else if (strspn(buf + end, " \t\r\n") != n - end) {
		*why = "the request has bytes after its JSON object";
		json_object_put(req);
		req = NULL;
	} else if (!json_object_is_type(req, json_type_object)) {
		*why = "the request is not a JSON object";
		json_object_put(req);
		req = NULL;
	}
	json_tokener_free(tok);
	return req;
}

/* Only the fields listed (NULL-terminated) may be in o. */
const char *control_unknown_field(json_object *o, const char *const *allowed)
{
	json_object_object_foreach(o, key, val) {
		bool ok = false;

		(void)val;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(key, *a);
		if (!ok)
			return key;
	}
	return NULL;
}

/* A string field: 0 (absent: *out NULL), or -1 if it is not a string. */
int control_get_str(json_object *o, const char *key, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	return 0;
}

/* A JSON value as the config file would spell it, if its type is the one
 * the key takes. */
static int value_text(json_object *v, int type, char *buf, size_t len)
{
	switch (type) {
	case THINGS_CFG_STRING:
		if (!json_object_is_type(v, json_type_string))
			return -1;
		snprintf(buf, len, "%s", json_object_get_string(v));
		return strlen(json_object_get_string(v)) < len ? 0 : -1;
	case THINGS_CFG_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return -1;
		snprintf(buf, len, "%s", json_object_get_boolean(v) ? "yes" : "no");
		return 0;
	case THINGS_CFG_UINT:
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			return -1;
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
		return 0;
	}
	return -1;
}

static const char *const type_words[] = {
	[THINGS_CFG_STRING] = "a string",
	[THINGS_CFG_BOOL] = "true or false",
	[THINGS_CFG_UINT] = "a whole number",
};

/* Builds a config app from a request, with the config's own rules. */
const char *control_parse_app(json_object *j, struct things_cfg_app *app)
{
	static char msg[320];
	const char *name, *why;
	bool has_kind = false;
	int key;

	if (!json_object_is_type(j, json_type_object))
		return "\"app\" must be an object";
	if (control_get_str(j, "name", &name) || !name)
		return "app needs a \"name\" string";
	if (things_cfg_app_init(app, name, &why))
		return why;
	json_object_object_foreach(j, k, v) {
		int type = things_cfg_app_key_type(k);
		char text[THINGS_TCP_EXEC_MAX];

		if (!strcmp(k, "name"))
			continue;
		/* Stories are files the config names and SIGHUP reads again: a
		 * trace app lives in the config file. */
		if (!strcmp(k, "story") || (!strcmp(k, "kind") &&
		    json_object_is_type(v, json_type_string) &&
		    !strcmp(json_object_get_string(v), "trace")))
			return "trace apps are added in the config file, not at run time: their "
			       "stories are files that thingsd reads again on reload";
		if (type < 0) {
			snprintf(msg, sizeof(msg), "unknown field \"%.40s\" in \"app\"", k);
			return msg;
		}
		if (value_text(v, type, text, sizeof(text))) {
			snprintf(msg, sizeof(msg), "field \"%s\" must be %s", k, type_words[type]);
			return msg;
		}
		if (things_cfg_app_set(app, k, text, &why)) {
			snprintf(msg, sizeof(msg), "field \"%s\": %s", k, why);
			return msg;
		}
		has_kind |= !strcmp(k, "kind");
	}
	if (!has_kind)
		things_cfg_app_set(app, "kind", "echo", &why);
	if (things_cfg_app_finish(app, &key, &why)) {
		snprintf(msg, sizeof(msg), "%s%s%s", key >= 0 ? things_cfg_app_key_name(key) : "",
			 key >= 0 ? ": " : "", why);
		return msg;
	}
	return NULL;
}
