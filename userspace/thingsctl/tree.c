// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tree show: the lights in order. On a terminal that shows colour they are
 * blocks of their colour; elsewhere (a pipe, TERM=dumb, NO_COLOR) #rrggbb,
 * so that a script or a log gets text and no escape codes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"
#include "thingsctl.h"

#define LIGHTS_PER_ROW 20

/* https://no-color.org: a NO_COLOR that is set and not empty. */
static bool colour_terminal(void)
{
	const char *term = getenv("TERM"), *no_colour = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb") &&
	       !(no_colour && *no_colour);
}

/* The light's "#rrggbb", or NULL when dark. */
static const char *colour_of(json_object *light)
{
	json_object *v;

	return json_object_object_get_ex(light, "colour", &v) && v ? json_object_get_string(v) :
								     NULL;
}

static void print_blocks(json_object *lights)
{
	size_t n = json_object_array_length(lights);

	for (size_t i = 0; i < n; i++) {
		const char *c = colour_of(json_object_array_get_idx(lights, i));
		unsigned long rgb = c ? strtoul(c + 1, NULL, 16) : 0;

		if (c)
			printf("\033[48;2;%lu;%lu;%lum  \033[0m", rgb >> 16, (rgb >> 8) & 0xff,
			       rgb & 0xff);
		else
			fputs("..", stdout);	/* dark */
		putchar((i + 1) % LIGHTS_PER_ROW && i + 1 < n ? ' ' : '\n');
	}
}

static void print_list(json_object *lights)
{
	struct table *t = table_new("rl", (const char *const[]){ "LIGHT", "COLOUR" });

	for (size_t i = 0; i < json_object_array_length(lights); i++) {
		json_object *light = json_object_array_get_idx(lights, i);
		const char *c = colour_of(light);

		table_row(t, json_object_get_string(json_object_object_get(light, "index")),
			  c ? c : "dark");
	}
	table_print(t, stdout);
}

int cmd_tree_show(const struct ctl_opts *o, const char *cmd, int argc, char **argv)
{
	char why[APPSTATE_WHY_LEN];
	struct appstate_app app;
	struct things_tree *tree;
	json_object *lights;
	int ret = view_find_app(o, cmd, argc, argv, 1, "NAME", THINGS_KIND_TREE, &app);

	if (ret)
		return ret;
	tree = malloc(sizeof(*tree));
	if (!tree)
		return fail("out of memory for a tree");
	if (appstate_tree_read(o->pin_dir, &app, tree, why, sizeof(why))) {
		free(tree);
		return fail("%s", why);
	}
	lights = appstate_tree_json(tree, app.cfg.lights);
	free(tree);
	if (o->json)
		print_json(o, lights);
	else if (colour_terminal())
		print_blocks(lights);
	else
		print_list(lights);
	json_object_put(lights);
	return EXIT_SUCCESS;
}
