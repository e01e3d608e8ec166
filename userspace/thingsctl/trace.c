// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trace show: a trace app's stories as the data plane tells them, read from
 * the pins. The text is built from the JSON -j prints; names reach the
 * terminal (and the JSON) only escaped.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "prefix.h"
#include "table.h"
#include "text.h"
#include "thingsctl.h"

static json_object *line_json(const struct things_story_line *l, unsigned int hop, int field)
{
	json_object *j = json_object_new_object();
	char addr[INET6_ADDRSTRLEN], *name = things_escape_dup(l->name);

	json_object_object_add(j, "hop", json_object_new_int((int)hop));
	if (field >= 0)
		json_object_object_add(j, "field", json_object_new_int(field));
	json_object_object_add(j, "address",
			       json_object_new_string(inet_ntop(AF_INET6, l->addr, addr,
								sizeof(addr))));
	json_object_object_add(j, "name", json_object_new_string(name ? name : ""));
	free(name);
	return j;
}

/* One story: an address story's tables list each line once (the slots
 * past a table's length repeat it). */
static json_object *story_json(const struct appstate_story *s)
{
	json_object *j = json_object_new_object(), *lines = json_object_new_array();
	char pfx[THINGS_PREFIX_STRLEN];

	json_object_object_add(j, "destination",
			       json_object_new_string(things_prefix_format(&s->dest, pfx,
									   sizeof(pfx))));
	json_object_object_add(j, "hops", json_object_new_int(s->story.hops));
	json_object_object_add(j, "bits", json_object_new_int(s->story.bits));
	json_object_object_add(j, "missing", json_object_new_int((int)s->missing));
	for (unsigned int h = 0; h < s->story.hops; h++) {
		unsigned int n = s->story.bits ? appstate_story_table_len(s, h) : 1;

		for (unsigned int v = 0; v < n; v++) {
			unsigned int slot = s->story.bits ? h << s->story.bits | v : h;

			json_object_array_add(lines, line_json(&s->slots[slot], h + 1,
							       s->story.bits ? (int)v : -1));
		}
	}
	json_object_object_add(j, "lines", lines);
	return j;
}

static const char *text_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void print_story(json_object *story)
{
	json_object *lines = json_object_object_get(story, "lines");
	int bits = json_object_get_int(json_object_object_get(story, "bits"));
	int missing = json_object_get_int(json_object_object_get(story, "missing"));
	struct table *t;

	printf("story %s: %s hop(s)", text_of(story, "destination"), text_of(story, "hops"));
	if (bits)
		printf(", each picked by a %d-bit field of the address", bits);
	if (missing)
		printf(" (%d line slot(s) missing: being rewritten?)", missing);
	putchar('\n');
	t = bits ? table_new("rrll", (const char *const[]){ "HOP", "FIELD", "ADDRESS", "NAME" })
		 : table_new("rll", (const char *const[]){ "HOP", "ADDRESS", "NAME" });
	for (size_t i = 0; i < json_object_array_length(lines); i++) {
		json_object *l = json_object_array_get_idx(lines, i);

		if (bits)
			table_row(t, text_of(l, "hop"), text_of(l, "field"), text_of(l, "address"),
				  text_of(l, "name"));
		else
			table_row(t, text_of(l, "hop"), text_of(l, "address"), text_of(l, "name"));
	}
	table_print(t, stdout);
}

int cmd_trace_show(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	struct appstate_story *stories;
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	json_object *arr;
	int n, ret = view_find_app(o, cmd, argc, argv, 1, "NAME", THINGS_KIND_TRACE, &app);

	if (ret)
		return ret;
	n = appstate_stories_read(o->pin_dir, &app, &stories, why, sizeof(why));
	if (n < 0)
		return fail("%s", why);
	arr = json_object_new_array();
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, story_json(&stories[i]));
	appstate_stories_free(stories, n);
	if (o->json) {
		print_json(o, arr);
	} else if (!n) {
		printf("trace app '%s' tells no story\n", app.app.name);
	} else {
		for (int i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			print_story(json_object_array_get_idx(arr, i));
		}
	}
	json_object_put(arr);
	return EXIT_SUCCESS;
}
