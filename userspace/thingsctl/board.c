// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * board show: a board's messages, newest first. The text is built from the
 * same JSON -j prints, and the board's bytes reach the terminal only escaped.
 */
#include <stdlib.h>

#include "table.h"
#include "thingsctl.h"

static const char *field(json_object *msg, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(msg, key, &v) && v ? json_object_get_string(v) : "-";
}

void board_print_line(const struct ctl_opts *o, json_object *msg)
{
	if (o->json)
		print_json(o, msg);
	else
		printf("%s  %s  %s  %s\n", field(msg, "seq"), field(msg, "time"),
		       field(msg, "source"), field(msg, "text"));
}

/* An array of the board's messages, newest first; NULL after printing why. */
json_object *board_messages(const struct ctl_opts *o, const struct appstate_app *app,
			    unsigned int max)
{
	struct things_board_msg msgs[THINGS_BOARD_MAX_LINES];
	char why[APPSTATE_WHY_LEN];
	json_object *arr;
	int n;

	n = appstate_board_read(o->pin_dir, app, msgs, max, NULL, why, sizeof(why));
	if (n < 0) {
		fail("%s", why);
		return NULL;
	}
	arr = json_object_new_array();
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, appstate_msg_json(&msgs[i]));
	return arr;
}

int cmd_board_show(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	struct appstate_app app;
	struct table *t;
	json_object *msgs;
	int ret = view_find_app(o, cmd, argc, argv, 1, "NAME", THINGS_KIND_BOARD, &app);

	if (ret)
		return ret;
	msgs = board_messages(o, &app, THINGS_BOARD_MAX_LINES);
	if (!msgs)
		return EXIT_FAILURE;
	if (o->json) {
		print_json(o, msgs);
	} else if (!json_object_array_length(msgs)) {
		printf("board '%s' has no messages\n", app.app.name);
	} else {
		t = table_new("rlll", (const char *const[]){ "SEQ", "TIME", "SOURCE", "TEXT" });
		for (size_t i = 0; i < json_object_array_length(msgs); i++) {
			json_object *m = json_object_array_get_idx(msgs, i);

			table_row(t, field(m, "seq"), field(m, "time"), field(m, "source"),
				  field(m, "text"));
		}
		table_print(t, stdout);
	}
	json_object_put(msgs);
	return EXIT_SUCCESS;
}
