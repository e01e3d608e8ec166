// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The stories of trace apps, read from the pins without write access. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "appstate.h"
#include "appstate_priv.h"

/* A pin of the shape things_abi.h gives it, or -EPROTO. */
static int open_checked(const char *pin_dir, const char *name, __u32 type, __u32 key_size,
			__u32 value_size, char *why, size_t why_len)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = appstate_open_pin(pin_dir, name, false, why, why_len);

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != type ||
	    info.key_size != key_size || info.value_size != value_size) {
		close(fd);
		return failf(why, why_len, -EPROTO,
			     "%s/%s is not the map things_abi.h describes", pin_dir, name);
	}
	return fd;
}

static int by_dest(const void *a, const void *b)
{
	const struct appstate_story *x = a, *y = b;
	int c = memcmp(x->dest.addr, y->dest.addr, sizeof(x->dest.addr));

	return c ? c : (int)x->dest.prefixlen - (int)y->dest.prefixlen;
}

static int read_slots(int lines_fd, struct appstate_story *s)
{
	struct things_story_line_key key = { .app_id = s->story.app_id, .story = s->story.story };

	s->n_slots = s->story.bits ? (unsigned int)s->story.hops << s->story.bits : s->story.hops;
	s->slots = calloc(s->n_slots ? s->n_slots : 1, sizeof(*s->slots));
	if (!s->slots)
		return -ENOMEM;
	for (unsigned int i = 0; i < s->n_slots; i++) {
		key.slot = (__u16)i;
		if (bpf_map_lookup_elem(lines_fd, &key, &s->slots[i])) {
			memset(&s->slots[i], 0, sizeof(s->slots[i]));
			s->missing++;
		}
		s->slots[i].name[THINGS_STORY_NAME_MAX - 1] = '\0';
	}
	return 0;
}

int appstate_stories_read(const char *pin_dir, const struct appstate_app *app,
			  struct appstate_story **out, char *why, size_t why_len)
{
	struct things_prefix_key key, next;
	struct appstate_story *all = NULL, *more;
	int stories_fd, lines_fd = -1, n = 0, err = 0;
	void *prev = NULL;

	stories_fd = open_checked(pin_dir, THINGS_PIN_STORIES, BPF_MAP_TYPE_LPM_TRIE, sizeof(key),
				  sizeof(struct things_story), why, why_len);
	if (stories_fd < 0)
		return stories_fd;
	lines_fd = open_checked(pin_dir, THINGS_PIN_STORY_LINES, BPF_MAP_TYPE_HASH,
				sizeof(struct things_story_line_key),
				sizeof(struct things_story_line), why, why_len);
	if (lines_fd < 0) {
		err = lines_fd;
		goto out;
	}
	while (!bpf_map_get_next_key(stories_fd, prev, &next)) {
		struct appstate_story s = { .dest = next };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(stories_fd, &key, &s.story) || s.story.app_id != app->id)
			continue;
		more = realloc(all, (size_t)(n + 1) * sizeof(*more));
		if (!more || read_slots(lines_fd, &s)) {
			if (more)
				all = more;
			err = failf(why, why_len, -ENOMEM, "out of memory for the stories");
			goto out;
		}
		all = more;
		all[n++] = s;
	}
	qsort(all, (size_t)n, sizeof(*all), by_dest);
out:
	if (lines_fd >= 0)
		close(lines_fd);
	close(stories_fd);
	if (err) {
		appstate_stories_free(all, n);
		return err;
	}
	*out = all;
	return n;
}

void appstate_stories_free(struct appstate_story *stories, int n)
{
	for (int i = 0; i < n && stories; i++)
		free(stories[i].slots);
	free(stories);
}

unsigned int appstate_story_table_len(const struct appstate_story *s, unsigned int hop)
{
	unsigned int size = 1U << s->story.bits;
	const struct things_story_line *t = &s->slots[hop * size];

	for (unsigned int n = 1; n < size; n++) {
		unsigned int v = n;

		while (v < size && !memcmp(&t[v], &t[v % n], sizeof(*t)))
			v++;
		if (v == size)
			return n;
	}
	return size;
}
