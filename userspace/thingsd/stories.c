// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The stories of the trace apps in `stories` and `story_lines`, kept in
 * step with the config: what is there is read, and only what differs is
 * written, in an order that never shows a probe a story without its lines
 * (new lines first, then the stories, then what is gone). A story keeps
 * its number while its destination stays, so a reload that changed one
 * story file rewrites that story alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "prefix.h"
#include "thingsd.h"

struct story_entry {
	struct things_prefix_key dest;
	struct things_story val;
	const struct things_cfg_story *cfg;	/* desired ones: whence */
	const char *app;
};

struct story_set {
	struct story_entry *e;
	size_t n;
};

static int set_add(struct story_set *set, const struct story_entry *e)
{
	struct story_entry *more = realloc(set->e, (set->n + 1) * sizeof(*more));

	if (!more)
		return -ENOMEM;
	set->e = more;
	set->e[set->n++] = *e;
	return 0;
}

static int read_current(struct thingsd *d, struct story_set *cur)
{
	struct things_prefix_key key, next;
	struct story_entry e = { 0 };
	void *prev = NULL;
	int err = 0;

	while (!err && !bpf_map_get_next_key(d->dp.stories_fd, prev, &next)) {
		key = next;
		prev = &key;
		e.dest = key;
		if (bpf_map_lookup_elem(d->dp.stories_fd, &key, &e.val))
			continue;	/* gone meanwhile */
		err = set_add(cur, &e);
	}
	return err;
}

static struct story_entry *find_dest(struct story_set *set, __u32 app_id,
				     const struct things_prefix_key *dest)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->e[i].val.app_id == app_id &&
		    !memcmp(&set->e[i].dest, dest, sizeof(*dest)))
			return &set->e[i];
	return NULL;
}

static bool number_used(const struct story_set *a, const struct story_set *b, __u32 app_id,
			__u16 nr)
{
	const struct story_set *sets[] = { a, b };

	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->n; i++)
			if (sets[s]->e[i].val.app_id == app_id && sets[s]->e[i].val.story == nr)
				return true;
	return false;
}

/* The stories the config wants; a destination keeps its story number. */
static int build_desired(struct thingsd *d, struct story_set *cur, struct story_set *want)
{
	struct story_set fresh = { 0 };
	int err = 0;

	for (int a = 0; a < d->n_apps && !err; a++) {
		const struct app_state *app = &d->apps[a];

		if (app->cfg.kind != THINGS_KIND_TRACE || !app->id)
			continue;
		for (int i = 0; i < app->cfg.n_stories && !err; i++) {
			const struct things_cfg_story *s = &app->cfg.stories[i];
			struct story_entry *old = find_dest(cur, app->id, &s->dest);
			struct story_entry e = {
				.dest = s->dest, .cfg = s, .app = app->cfg.name,
				.val = { .app_id = app->id, .hops = (__u8)s->hops,
					 .bits = (__u8)s->bits },
			};

			if (old) {
				e.val.story = old->val.story;
				err = set_add(want, &e);
			} else {
				err = set_add(&fresh, &e);
			}
		}
	}
	/* New destinations: numbers no story of the app has, now or before. */
	for (size_t i = 0; i < fresh.n && !err; i++) {
		struct story_entry *e = &fresh.e[i];
		__u32 nr = 0;

		while (nr <= 0xffff && number_used(cur, want, e->val.app_id, (__u16)nr))
			nr++;
		if (nr > 0xffff) {
			err = -ENOSPC;
			break;
		}
		e->val.story = (__u16)nr;
		err = set_add(want, e);
	}
	free(fresh.e);
	return err;
}

/* Writes the lines of one story that differ from what is there; returns
 * how many, or -errno. */
static int write_lines(struct thingsd *d, const struct story_entry *e)
{
	unsigned int slots = things_story_slots(e->cfg), changed = 0;

	for (unsigned int i = 0; i < slots; i++) {
		const struct things_story_line_cfg *l = things_story_slot_line(e->cfg, i);
		struct things_story_line_key key = { .app_id = e->val.app_id,
						     .story = e->val.story, .slot = (__u16)i };
		struct things_story_line want = { 0 }, have;

		memcpy(want.addr, &l->addr, sizeof(want.addr));
		strcpy(want.name, l->name);
		if (!bpf_map_lookup_elem(d->dp.story_lines_fd, &key, &have) &&
		    !memcmp(&have, &want, sizeof(want)))
			continue;
		if (bpf_map_update_elem(d->dp.story_lines_fd, &key, &want, BPF_ANY))
			return -errno;
		changed++;
	}
	return (int)changed;
}

static const struct story_entry *find_number(const struct story_set *set, __u32 app_id,
					     __u16 nr)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->e[i].val.app_id == app_id && set->e[i].val.story == nr)
			return &set->e[i];
	return NULL;
}

/* Lines no desired story has (a story gone, or shorter than it was). */
static int delete_stale_lines(struct thingsd *d, const struct story_set *want)
{
	struct things_story_line_key key, next, *stale = NULL;
	size_t n_stale = 0;
	void *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(d->dp.story_lines_fd, prev, &next)) {
		const struct story_entry *e = find_number(want, next.app_id, next.story);
		struct things_story_line_key *more;

		key = next;
		prev = &key;
		if (e && key.slot < things_story_slots(e->cfg))
			continue;
		more = realloc(stale, (n_stale + 1) * sizeof(*more));
		if (!more) {
			err = -ENOMEM;
			break;
		}
		stale = more;
		stale[n_stale++] = key;
	}
	/* Deleted after the walk: deleting while walking a hash may restart it. */
	for (size_t i = 0; i < n_stale && !err; i++)
		if (bpf_map_delete_elem(d->dp.story_lines_fd, &stale[i]) && errno != ENOENT)
			err = -errno;
	free(stale);
	return err;
}

int apply_stories(struct thingsd *d)
{
	struct story_set cur = { 0 }, want = { 0 };
	char pfx[THINGS_PREFIX_STRLEN];
	int err;

	err = read_current(d, &cur);
	if (!err)
		err = build_desired(d, &cur, &want);
	for (size_t i = 0; i < want.n && !err; i++) {
		const struct story_entry *e = &want.e[i];
		struct story_entry *old = find_dest(&cur, e->val.app_id, &e->dest);
		int changed = write_lines(d, e);

		if (changed < 0) {
			err = changed;
			break;
		}
		if (changed || !old || memcmp(&old->val, &e->val, sizeof(e->val)))
			pr_info("app '%s': story %s from %s: %u hop(s), %d line slot(s) written\n",
				e->app, things_prefix_format(&e->dest, pfx, sizeof(pfx)),
				e->cfg->file, e->cfg->hops, changed);
	}
	for (size_t i = 0; i < want.n && !err; i++) {
		const struct story_entry *e = &want.e[i];
		struct story_entry *old = find_dest(&cur, e->val.app_id, &e->dest);

		if ((!old || memcmp(&old->val, &e->val, sizeof(e->val))) &&
		    bpf_map_update_elem(d->dp.stories_fd, &e->dest, &e->val, BPF_ANY))
			err = -errno;
	}
	/* The trie is keyed by destination alone: one that another app tells
	 * now was overwritten above, not to be deleted. */
	for (size_t i = 0; i < cur.n && !err; i++) {
		bool kept = false;

		for (size_t j = 0; j < want.n && !kept; j++)
			kept = !memcmp(&want.e[j].dest, &cur.e[i].dest, sizeof(cur.e[i].dest));
		if (!kept && bpf_map_delete_elem(d->dp.stories_fd, &cur.e[i].dest) &&
		    errno != ENOENT)
			err = -errno;
	}
	if (!err)
		err = delete_stale_lines(d, &want);
	free(cur.e);
	free(want.e);
	return err;
}

int apply_err_cfg(struct thingsd *d)
{
	struct things_err_cfg want = { .rate = d->cfg.error_rate, .burst = d->cfg.error_burst },
			      have;
	__u32 zero = 0;

	if (!bpf_map_lookup_elem(d->dp.err_cfg_fd, &zero, &have) &&
	    !memcmp(&have, &want, sizeof(want)))
		return 0;
	return bpf_map_update_elem(d->dp.err_cfg_fd, &zero, &want, BPF_ANY) ? -errno : 0;
}
