// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The JSON lines of xdp-testrun --json. A differential test compares them
 * with a model of the program, so they report everything a frame may
 * change, not only what it should: every counter that moved, and every
 * slot of a board, tree, board log or framebuffer whose bytes differ from
 * before the frame (timestamps aside, which no model can know).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "names.h"
#include "xdp_testrun.h"

enum wkind { W_BOARD, W_TREE, W_CANVAS };

struct watched {
	__u32 app_id;
	enum wkind kind;
	struct things_app_cfg cfg;
	union {
		struct things_board board;
		struct things_tree tree;
	} prev;
	int fb_fd;
	__u32 *fb;		/* mapped framebuffer */
	__u32 *fb_prev;
	size_t fb_len;		/* bytes */
};

struct jwatch {
	int stats_fd, boards_fd, trees_fd, log_fd;
	struct watched *w;
	size_t n;
	__u32 n_slots;		/* stats slots read: apps 0..max_app */
	int ncpu;
	__u32 *keys;
	struct things_counter *vals, *prev, *cur;
	__u64 log_seq;
};

static void print_hex(const void *p, size_t len)
{
	const unsigned char *b = p;

	putchar('"');
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	putchar('"');
}

/* Sums the first n_slots stats slots over CPUs into out, in one call. */
static int stats_read(struct jwatch *j, struct things_counter *out)
{
	__u32 count = j->n_slots, out_batch;

	if (bpf_map_lookup_batch(j->stats_fd, NULL, &out_batch, j->keys, j->vals, &count, NULL) &&
	    errno != ENOENT) {
		pr_err("reading %s: %s\n", THINGS_PIN_STATS, strerror(errno));
		return -1;
	}
	memset(out, 0, sizeof(*out) * j->n_slots);
	for (__u32 i = 0; i < count; i++)
		for (int cpu = 0; cpu < j->ncpu; cpu++)
			out[j->keys[i]].packets += j->vals[(size_t)i * j->ncpu + cpu].packets;
	return 0;
}

static int fb_map(struct bpf_object *obj, struct watched *w)
{
	int outer = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_CANVASES);
	__u32 id, slots = THINGS_CANVAS_SLOTS(w->cfg.width, w->cfg.height);

	if (outer < 0 || bpf_map_lookup_elem(outer, &w->app_id, &id)) {
		pr_err("app %u has no framebuffer\n", w->app_id);
		return -1;
	}
	w->fb_fd = bpf_map_get_fd_by_id(id);
	if (w->fb_fd < 0) {
		pr_err("opening app %u's framebuffer: %s\n", w->app_id, strerror(errno));
		return -1;
	}
	w->fb_len = (size_t)slots * sizeof(struct things_canvas_slot);
	w->fb = mmap(NULL, w->fb_len, PROT_READ, MAP_SHARED, w->fb_fd, 0);
	if (w->fb == MAP_FAILED) {
		w->fb = NULL;
		pr_err("mapping app %u's framebuffer: %s\n", w->app_id, strerror(errno));
		return -1;
	}
	w->fb_prev = calloc(1, w->fb_len);
	return w->fb_prev ? 0 : -1;
}

static int watched_read(struct jwatch *j, struct watched *w, void *into)
{
	int fd = w->kind == W_BOARD ? j->boards_fd : j->trees_fd;

	if (bpf_map_lookup_elem(fd, &w->app_id, into)) {
		pr_err("reading app %u's state: %s\n", w->app_id, strerror(errno));
		return -1;
	}
	return 0;
}

struct jwatch *jwatch_open(struct bpf_object *obj, const struct jwatch_app *apps, size_t n,
			   __u32 max_app)
{
	struct jwatch *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->stats_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_STATS);
	j->boards_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_BOARDS);
	j->trees_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_TREES);
	j->log_fd = bpf_object__find_map_fd_by_name(obj, THINGS_PIN_BOARD_LOG);
	j->ncpu = libbpf_num_possible_cpus();
	j->n_slots = (max_app + 1) * THINGS_REASON_SLOTS;
	if (j->stats_fd < 0 || j->boards_fd < 0 || j->trees_fd < 0 || j->log_fd < 0 ||
	    j->ncpu < 1) {
		pr_err("the object lacks a map --json reads\n");
		goto fail;
	}
	j->keys = calloc(j->n_slots, sizeof(*j->keys));
	j->vals = calloc((size_t)j->n_slots * j->ncpu, sizeof(*j->vals));
	j->prev = calloc(j->n_slots, sizeof(*j->prev));
	j->cur = calloc(j->n_slots, sizeof(*j->cur));
	j->w = calloc(n ? n : 1, sizeof(*j->w));
	if (!j->keys || !j->vals || !j->prev || !j->cur || !j->w)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct watched *w = &j->w[j->n];

		w->app_id = apps[i].app_id;
		w->cfg = apps[i].cfg;
		w->fb_fd = -1;
		if (w->cfg.lines)
			w->kind = W_BOARD;
		else if (w->cfg.lights)
			w->kind = W_TREE;
		else if (w->cfg.width && w->cfg.height)
			w->kind = W_CANVAS;
		else
			continue;
		j->n++;
		if (w->kind == W_CANVAS ? fb_map(obj, w) : watched_read(j, w, &w->prev))
			goto fail;
		if (w->kind == W_CANVAS)
			memcpy(w->fb_prev, w->fb, w->fb_len);
	}
	if (stats_read(j, j->prev))
		goto fail;
	return j;
fail:
	jwatch_close(j);
	return NULL;
}

void jwatch_close(struct jwatch *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		if (j->w[i].fb)
			munmap(j->w[i].fb, j->w[i].fb_len);
		if (j->w[i].fb_fd >= 0)
			close(j->w[i].fb_fd);
		free(j->w[i].fb_prev);
	}
	free(j->w);
	free(j->keys);
	free(j->vals);
	free(j->prev);
	free(j->cur);
	free(j);
}

static void print_msg(const struct things_board_msg *m)
{
	printf("{\"seq\":%llu,\"text\":", (unsigned long long)m->seq);
	print_hex(m->text, sizeof(m->text));
	printf(",\"src\":");
	print_hex(m->src, sizeof(m->src));
	putchar('}');
}

/* A board's change: its counters and every message slot that differs. */
static void board_delta(const struct things_board *old, const struct things_board *now)
{
	int first = 1;

	printf("{\"posts\":%llu,\"last\":", (unsigned long long)now->posts);
	print_hex(now->last, sizeof(now->last));
	printf(",\"slots\":{");
	for (int s = 0; s < THINGS_BOARD_MAX_LINES; s++) {
		const struct things_board_msg *a = &old->msgs[s], *b = &now->msgs[s];

		if (a->seq == b->seq && !memcmp(a->src, b->src, sizeof(a->src)) &&
		    !memcmp(a->text, b->text, sizeof(a->text)))
			continue;
		printf("%s\"%d\":", first ? "" : ",", s);
		print_msg(b);
		first = 0;
	}
	printf("}}");
}

static void tree_delta(const struct things_tree *old, const struct things_tree *now)
{
	int first = 1;

	printf("{\"lit\":%llu,\"lights\":{", (unsigned long long)now->lit);
	for (int s = 0; s < THINGS_TREE_MAX_LIGHTS; s++) {
		if (old->light[s] == now->light[s])
			continue;
		printf("%s\"%d\":%u", first ? "" : ",", s, now->light[s]);
		first = 0;
	}
	printf("}}");
}

static void canvas_delta(const __u32 *old, const __u32 *now, size_t len)
{
	int first = 1;

	putchar('{');
	for (size_t i = 0; i < len / sizeof(__u32); i++) {
		if (old[i] == now[i])
			continue;
		printf("%s\"%zu\":%u", first ? "" : ",", i, now[i]);
		first = 0;
	}
	putchar('}');
}

/* Prints ,"APP":{...} for each watched app whose state changed. */
static int state_deltas(struct jwatch *j)
{
	static union {
		struct things_board board;
		struct things_tree tree;
	} now;

	for (size_t i = 0; i < j->n; i++) {
		struct watched *w = &j->w[i];

		if (w->kind == W_CANVAS) {
			if (!memcmp(w->fb_prev, w->fb, w->fb_len))
				continue;
			printf(",\"%u\":", w->app_id);
			canvas_delta(w->fb_prev, w->fb, w->fb_len);
			memcpy(w->fb_prev, w->fb, w->fb_len);
			continue;
		}
		if (watched_read(j, w, &now))
			return -1;
		if (w->kind == W_BOARD) {
			/* The post's time is the kernel's to choose. */
			for (int s = 0; s < THINGS_BOARD_MAX_LINES; s++)
				now.board.msgs[s].time_ns = 0;
			if (!memcmp(&now.board, &w->prev.board, sizeof(now.board)))
				continue;
			printf(",\"%u\":", w->app_id);
			board_delta(&w->prev.board, &now.board);
			w->prev.board = now.board;
		} else {
			if (!memcmp(&now.tree, &w->prev.tree, sizeof(now.tree)))
				continue;
			printf(",\"%u\":", w->app_id);
			tree_delta(&w->prev.tree, &now.tree);
			w->prev.tree = now.tree;
		}
	}
	return 0;
}

/* ,"log":{...} when the board log grew: its count and newest event. */
static int log_delta(struct jwatch *j)
{
	struct things_board_event ev;
	__u32 key = THINGS_BOARD_LOG_SLOTS;

	if (bpf_map_lookup_elem(j->log_fd, &key, &ev))
		return -1;
	if (ev.seq == j->log_seq)
		return 0;
	j->log_seq = ev.seq;
	key = (__u32)(ev.seq - 1) & (THINGS_BOARD_LOG_SLOTS - 1);
	if (bpf_map_lookup_elem(j->log_fd, &key, &ev))
		return -1;
	printf(",\"log\":{\"count\":%llu,\"app\":%u,\"msg\":", (unsigned long long)j->log_seq,
	       ev.app_id);
	print_msg(&ev.msg);
	putchar('}');
	return 0;
}

static const char *verdict_name(__u32 v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v < sizeof(names) / sizeof(names[0]) ? names[v] : "XDP_UNKNOWN";
}

int jwatch_frame(struct jwatch *j, int err, __u32 retval, const unsigned char *out, __u32 len)
{
	int first = 1;

	if (err) {
		printf("{\"error\":\"%s\"}\n", strerror(err));
		return 0;
	}
	printf("{\"verdict\":\"%s\",\"out\":", verdict_name(retval));
	print_hex(out, len);
	if (stats_read(j, j->cur))
		return -1;
	printf(",\"counted\":[");
	for (__u32 i = 0; i < j->n_slots; i++) {
		__u64 d = j->cur[i].packets - j->prev[i].packets;

		if (!d)
			continue;
		printf("%s[%u,\"%s\",%llu]", first ? "" : ",", i / THINGS_REASON_SLOTS,
		       things_reason_name(i % THINGS_REASON_SLOTS) ?: "?", (unsigned long long)d);
		first = 0;
	}
	memcpy(j->prev, j->cur, sizeof(*j->cur) * j->n_slots);
	printf("],\"state\":{\"_\":0");
	if (state_deltas(j) || log_delta(j))
		return -1;
	printf("}}\n");
	return 0;
}

int jwatch_final(struct jwatch *j)
{
	printf("{\"final\":{\"_\":0");
	for (size_t i = 0; i < j->n; i++) {
		const struct watched *w = &j->w[i];

		printf(",\"%u\":", w->app_id);
		if (w->kind == W_BOARD) {
			printf("{\"posts\":%llu,\"msgs\":[", (unsigned long long)w->prev.board.posts);
			for (int s = 0; s < w->cfg.lines && s < THINGS_BOARD_MAX_LINES; s++) {
				printf("%s", s ? "," : "");
				print_msg(&w->prev.board.msgs[s]);
			}
			printf("]}");
		} else if (w->kind == W_TREE) {
			printf("{\"lit\":%llu,\"lights\":[", (unsigned long long)w->prev.tree.lit);
			for (int s = 0; s < w->cfg.lights && s < THINGS_TREE_MAX_LIGHTS; s++)
				printf("%s%u", s ? "," : "", w->prev.tree.light[s]);
			printf("]}");
		} else {
			putchar('[');
			for (size_t p = 0; p < w->fb_len / sizeof(__u32); p++)
				printf("%s%u", p ? "," : "", w->fb[p]);
			putchar(']');
		}
	}
	printf("}}\n");
	return fflush(stdout) ? -1 : 0;
}
