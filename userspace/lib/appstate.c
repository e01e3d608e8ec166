// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reading app state from the pins. The data plane writes these maps while we
 * read them, without locks, so every copy is checked the way the ABI says
 * before it is believed.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "appstate.h"
#include "appstate_priv.h"
#include "names.h"

/* Entries a batch lookup asks for at once: big enough that a 4096 x 4096
 * canvas takes 256 syscalls, small enough for a modest scratch buffer. */
#define BATCH_ENTRIES 65536U
/* board_log slots compared per pass of appstate_log_read(). */
#define LOG_CHUNK 256U

int appstate_failf(char *why, size_t why_len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return err;
}

int appstate_open_pin(const char *pin_dir, const char *name, bool writable, char *why,
		      size_t why_len)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = writable ? 0 : BPF_F_RDONLY);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		return failf(why, why_len, -errno, "cannot open the pinned map %s%s: %s", path,
			     writable ? " for writing" : "", strerror(errno));
	return fd;
}

/*
 * Opens an array pin and checks that it has the ABI's shape: a map of
 * another version or of somebody else is refused before it is misread.
 */
static int open_array(const char *pin_dir, const char *name, bool writable, __u32 value_size,
		      __u32 entries, struct bpf_map_info *info, char *why, size_t why_len)
{
	__u32 len = sizeof(*info);
	int fd = appstate_open_pin(pin_dir, name, writable, why, why_len), err;

	if (fd < 0)
		return fd;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		err = failf(why, why_len, -errno, "cannot read what %s/%s is: %s", pin_dir, name,
			    strerror(errno));
		goto fail;
	}
	if (info->type != BPF_MAP_TYPE_ARRAY || info->key_size != 4 ||
	    info->value_size != value_size) {
		err = failf(why, why_len, -EPROTO,
			    "%s/%s is not the array of %u-byte values things_abi.h describes (type %u, key %u bytes, value %u bytes)",
			    pin_dir, name, value_size, info->type, info->key_size, info->value_size);
		goto fail;
	}
	if (entries && info->max_entries < entries) {
		err = failf(why, why_len, -EPROTO, "%s/%s has %u entries, fewer than the %u expected",
			    pin_dir, name, info->max_entries, entries);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

/*
 * Copies entries first .. first+count-1 of an array map into values, in
 * batches. keys is scratch room for BATCH_ENTRIES keys.
 */
static int batch_read(int fd, __u32 first, __u32 count, void *values, __u32 value_size,
		      __u32 *keys)
{
	__u32 prev = first - 1, next, done = 0;

	while (done < count) {
		__u32 n = count - done < BATCH_ENTRIES ? count - done : BATCH_ENTRIES;

		/* The batch starts after in_batch, the last key already read. */
		if (bpf_map_lookup_batch(fd, first + done ? &prev : NULL, &next, keys,
					 (char *)values + (size_t)done * value_size, &n, NULL) &&
		    errno != ENOENT)
			return -errno;
		if (!n)
			return -ENODATA;	/* the map ended early */
		done += n;
		prev = next;
	}
	return 0;
}

/* batch_read() with its own scratch keys. */
static int read_range(int fd, __u32 first, __u32 count, void *values, __u32 value_size)
{
	__u32 *keys = malloc(sizeof(*keys) * (count < BATCH_ENTRIES ? count : BATCH_ENTRIES));
	int err;

	if (!keys)
		return -ENOMEM;
	err = batch_read(fd, first, count, values, value_size, keys);
	free(keys);
	return err;
}

/* The first count entries of an array pin, of the ABI's value_size. */
static int read_pin(const char *pin_dir, const char *name, __u32 value_size, __u32 count,
		    void *values, char *why, size_t why_len)
{
	struct bpf_map_info info;
	int fd = open_array(pin_dir, name, false, value_size, count, &info, why, why_len), err;

	if (fd < 0)
		return fd;
	err = read_range(fd, 0, count, values, value_size);
	close(fd);
	if (err)
		failf(why, why_len, err, "cannot read %s/%s: %s", pin_dir, name, strerror(-err));
	return err;
}

int appstate_read_apps(const char *pin_dir, struct appstate_app *apps, char *why,
		       size_t why_len)
{
	struct things_app *raw = calloc(THINGS_MAX_APPS, sizeof(*raw));
	struct things_app_cfg *cfg = calloc(THINGS_MAX_APPS, sizeof(*cfg));
	int err, n = 0;

	if (!raw || !cfg) {
		err = failf(why, why_len, -ENOMEM, "out of memory for the apps");
		goto out;
	}
	err = read_pin(pin_dir, THINGS_PIN_APPS, sizeof(*raw), THINGS_MAX_APPS, raw, why,
		       why_len) ?:
	      read_pin(pin_dir, THINGS_PIN_APP_CFG, sizeof(*cfg), THINGS_MAX_APPS, cfg, why,
		       why_len);
	if (err)
		goto out;
	memset(apps, 0, sizeof(*apps) * THINGS_MAX_APPS);
	/* id 0 is "no app" */
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++) {
		raw[id].name[THINGS_APP_NAME_MAX - 1] = '\0';
		if (!raw[id].name[0])
			continue;
		apps[id] = (struct appstate_app){ .id = id, .app = raw[id], .cfg = cfg[id] };
		n++;
	}
	err = n;
out:
	free(raw);
	free(cfg);
	return err;
}

const struct appstate_app *appstate_app_by_name(const struct appstate_app *apps,
						 const char *name)
{
	for (__u32 id = 1; id < THINGS_MAX_APPS; id++)
		if (apps[id].id && !strcmp(apps[id].app.name, name))
			return &apps[id];
	return NULL;
}

int appstate_find_app(const char *pin_dir, const char *name, struct appstate_app *app,
		      char *why, size_t why_len)
{
	struct appstate_app *apps = malloc(THINGS_MAX_APPS * sizeof(*apps));
	const struct appstate_app *found;
	int err;

	if (!apps)
		return failf(why, why_len, -ENOMEM, "out of memory for the apps");
	err = appstate_read_apps(pin_dir, apps, why, why_len);
	if (err < 0)
		goto out;
	found = appstate_app_by_name(apps, name);
	if (!found) {
		err = failf(why, why_len, -ENOENT, "no app named '%s'", name);
		goto out;
	}
	*app = *found;
	err = 0;
out:
	free(apps);
	return err;
}

static const char *kind_name(unsigned int kind)
{
	const char *name = things_kind_name(kind);

	return name ? name : "unknown";
}

int appstate_check_kind(const struct appstate_app *app, enum things_app_kind kind, char *why,
			size_t why_len)
{
	if (app->app.kind == kind)
		return 0;
	return failf(why, why_len, -EINVAL, "app '%s' is of kind %s, not %s", app->app.name,
		     kind_name(app->app.kind), kind_name(kind));
}

/* A setting of app_cfg that must be in 1..max: thingsd writes it before the
 * app's prefix goes live, so 0 means no thingsd ever set the app up. */
static int check_setting(const struct appstate_app *app, const char *what, unsigned int v,
			 unsigned int max, char *why, size_t why_len)
{
	if (v >= 1 && v <= max)
		return 0;
	return failf(why, why_len, -ENODATA,
		     "%s '%s' has %s %u in %s, not 1 to %u: thingsd has not set it up",
		     kind_name(app->app.kind), app->app.name, what, v, THINGS_PIN_APP_CFG, max);
}

/* ---- board ---- */

int appstate_board_read(const char *pin_dir, const struct appstate_app *app,
			struct things_board_msg *msgs, unsigned int max, __u64 *posts,
			char *why, size_t why_len)
{
	struct things_board *before = NULL, *after = NULL;
	unsigned int lines = app->cfg.lines, n = 0;
	struct bpf_map_info info;
	int fd, err;

	err = check_setting(app, "lines", lines, THINGS_BOARD_MAX_LINES, why, why_len);
	if (err)
		return err;
	fd = open_array(pin_dir, THINGS_PIN_BOARDS, false, sizeof(*before), app->id + 1, &info,
			why, why_len);
	if (fd < 0)
		return fd;
	before = malloc(sizeof(*before));
	after = malloc(sizeof(*after));
	if (!before || !after) {
		err = failf(why, why_len, -ENOMEM, "out of memory for a board");
		goto out;
	}
	/*
	 * Two copies: a slot's seq in the first is its seq before the message
	 * was copied, in the second its seq after, as the ABI's check wants.
	 */
	if (bpf_map_lookup_elem(fd, &app->id, before) || bpf_map_lookup_elem(fd, &app->id, after)) {
		err = failf(why, why_len, -errno, "cannot read board '%s' in %s/%s: %s",
			    app->app.name, pin_dir, THINGS_PIN_BOARDS, strerror(errno));
		goto out;
	}
	for (__u64 seq = before->posts; seq >= 1 && before->posts - seq < lines && n < max; seq--) {
		const struct things_board_msg *m = &before->msgs[(seq - 1) % lines];
		const struct things_board_msg *again = &after->msgs[(seq - 1) % lines];

		/* empty, being written, or already overwritten */
		if (m->seq != seq || again->seq != seq || memcmp(m, again, sizeof(*m)))
			continue;
		msgs[n++] = *m;
	}
	if (posts)
		*posts = before->posts;
	err = (int)n;
out:
	free(before);
	free(after);
	close(fd);
	return err;
}

/* ---- board_log ---- */

int appstate_log_head(int log_fd, __u64 *head, char *why, size_t why_len)
{
	struct things_board_event ev;
	__u32 key = THINGS_BOARD_LOG_SLOTS;

	if (bpf_map_lookup_elem(log_fd, &key, &ev))
		return failf(why, why_len, -errno, "cannot read the head of %s: %s",
			     THINGS_PIN_BOARD_LOG, strerror(errno));
	*head = ev.seq;
	return 0;
}

/* Slot of event seq (1-based). */
static __u32 log_slot(__u64 seq)
{
	return (__u32)((seq - 1) % THINGS_BOARD_LOG_SLOTS);
}

enum event_state { EV_WHOLE, EV_OVERWRITTEN, EV_PENDING };

/* An event is whole when both copies hold it unchanged; a later seq in
 * either means the writer has lapped it; anything else is being written. */
static enum event_state event_state(const struct things_board_event *a,
				    const struct things_board_event *b, __u64 seq)
{
	if (a->seq > seq || b->seq > seq)
		return EV_OVERWRITTEN;
	if (a->seq == seq && b->seq == seq && !memcmp(a, b, sizeof(*a)))
		return EV_WHOLE;
	return EV_PENDING;
}

int appstate_log_read(int log_fd, __u64 *pos, __u32 app_id, struct things_board_event *ev,
		      unsigned int max, __u64 *lost, char *why, size_t why_len)
{
	struct things_board_event *a = NULL, *b = NULL;
	__u32 *keys = NULL;
	unsigned int n = 0;
	bool pending = false;
	__u64 head;
	int err;

	err = appstate_log_head(log_fd, &head, why, why_len);
	if (err)
		return err;
	if (head < *pos)
		*pos = 0;
	if (head - *pos > THINGS_BOARD_LOG_SLOTS) {
		*lost += head - *pos - THINGS_BOARD_LOG_SLOTS;
		*pos = head - THINGS_BOARD_LOG_SLOTS;
	}
	a = calloc(LOG_CHUNK, sizeof(*a));
	b = calloc(LOG_CHUNK, sizeof(*b));
	keys = calloc(LOG_CHUNK, sizeof(*keys));
	if (!a || !b || !keys) {
		err = failf(why, why_len, -ENOMEM, "out of memory for %s", THINGS_PIN_BOARD_LOG);
		goto out;
	}
	while (*pos < head && n < max && !pending) {
		__u32 first = log_slot(*pos + 1), count = LOG_CHUNK;

		/* one pass never wraps round the ring */
		if (count > head - *pos)
			count = (__u32)(head - *pos);
		if (count > THINGS_BOARD_LOG_SLOTS - first)
			count = THINGS_BOARD_LOG_SLOTS - first;
		err = batch_read(log_fd, first, count, a, sizeof(*a), keys) ?:
		      batch_read(log_fd, first, count, b, sizeof(*b), keys);
		if (err) {
			failf(why, why_len, err, "cannot read %s: %s", THINGS_PIN_BOARD_LOG,
			      strerror(-err));
			goto out;
		}
		for (__u32 i = 0; i < count && n < max; i++) {
			enum event_state st = event_state(&a[i], &b[i], *pos + 1);

			if (st == EV_PENDING) {
				pending = true;
				break;
			}
			if (st == EV_OVERWRITTEN)
				(*lost)++;
			else if (!app_id || a[i].app_id == app_id)
				ev[n++] = a[i];
			(*pos)++;
		}
	}
	err = (int)n;
out:
	free(a);
	free(b);
	free(keys);
	return err;
}

/* ---- tree ---- */

int appstate_tree_read(const char *pin_dir, const struct appstate_app *app,
		       struct things_tree *tree, char *why, size_t why_len)
{
	struct bpf_map_info info;
	int fd, err;

	err = check_setting(app, "lights", app->cfg.lights, THINGS_TREE_MAX_LIGHTS, why, why_len);
	if (err)
		return err;
	fd = open_array(pin_dir, THINGS_PIN_TREES, false, sizeof(*tree), app->id + 1, &info, why,
			why_len);
	if (fd < 0)
		return fd;
	/* Each light is one aligned 32-bit store: any copy is a set of whole
	 * lights, so one copy is enough. */
	if (bpf_map_lookup_elem(fd, &app->id, tree))
		err = failf(why, why_len, -errno, "cannot read tree '%s' in %s/%s: %s",
			    app->app.name, pin_dir, THINGS_PIN_TREES, strerror(errno));
	close(fd);
	return err;
}

/* ---- canvas ---- */

/* Opens canvas_<id> after checking that it is app's framebuffer. */
static int open_canvas(const char *pin_dir, const struct appstate_app *app, bool writable,
		       size_t *pixels, __u32 *slots, char *why, size_t why_len)
{
	unsigned int w = app->cfg.width, h = app->cfg.height;
	struct bpf_map_info info;
	char name[32];
	int fd, err;

	err = check_setting(app, "width", w, THINGS_CANVAS_MAX_SIDE, why, why_len) ?:
	      check_setting(app, "height", h, THINGS_CANVAS_MAX_SIDE, why, why_len);
	if (err)
		return err;
	snprintf(name, sizeof(name), THINGS_PIN_CANVAS_FMT, app->id);
	fd = open_array(pin_dir, name, writable, sizeof(struct things_canvas_slot), 0, &info, why,
			why_len);
	if (fd < 0)
		return fd;
	*pixels = (size_t)w * h;
	*slots = THINGS_CANVAS_SLOTS(w, h);
	if (info.max_entries != *slots) {
		close(fd);
		return failf(why, why_len, -EPROTO,
			     "%s/%s holds %u pixel pairs, but canvas '%s' is %ux%u = %zu pixels in %s",
			     pin_dir, name, info.max_entries, app->app.name, w, h, *pixels,
			     THINGS_PIN_APP_CFG);
	}
	if (writable && !(info.map_flags & BPF_F_MMAPABLE)) {
		close(fd);
		return failf(why, why_len, -EPROTO,
			     "%s/%s is not memory-mappable (BPF_F_MMAPABLE), as a framebuffer is",
			     pin_dir, name);
	}
	return fd;
}

int appstate_canvas_read(const char *pin_dir, const struct appstate_app *app, __u32 *pixels,
			 size_t npixels, char *why, size_t why_len)
{
	struct things_canvas_slot *buf = NULL;
	size_t count;
	__u32 slots;
	int fd = open_canvas(pin_dir, app, false, &count, &slots, why, why_len), err;

	if (fd < 0)
		return fd;
	/*
	 * Not mmap: the kernel refuses to map a map opened read-only, and one
	 * lookup per pixel would take millions of syscalls.
	 */
	if (npixels < count)
		err = failf(why, why_len, -ENOSPC, "room for %zu pixels, canvas '%s' has %zu",
			    npixels, app->app.name, count);
	else if (!(buf = malloc((size_t)slots * sizeof(*buf))))
		err = failf(why, why_len, -ENOMEM, "out of memory for canvas '%s'", app->app.name);
	else if ((err = read_range(fd, 0, slots, buf, sizeof(*buf))))
		failf(why, why_len, err, "cannot read the pixels of canvas '%s': %s",
		      app->app.name, strerror(-err));
	else
		/* The pairs, in order, are the pixels in order. */
		memcpy(pixels, buf, count * sizeof(*pixels));
	free(buf);
	close(fd);
	return err;
}

int appstate_canvas_clear(const char *pin_dir, const struct appstate_app *app, char *why,
			  size_t why_len)
{
	size_t count;
	__u32 slots;
	int fd = open_canvas(pin_dir, app, true, &count, &slots, why, why_len), err = 0;
	size_t len;
	void *fb;

	if (fd < 0)
		return fd;
	len = (size_t)slots * sizeof(struct things_canvas_slot);
	fb = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fb == MAP_FAILED) {
		err = failf(why, why_len, -errno, "cannot map canvas '%s' for writing: %s",
			    app->app.name, strerror(errno));
	} else {
		memset(fb, 0, len);
		munmap(fb, len);
	}
	close(fd);
	return err;
}
