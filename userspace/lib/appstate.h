/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_APPSTATE_H
#define THINGS_APPSTATE_H

/*
 * The state of the apps that read the address (board, tree, canvas), read
 * from the maps thingsd pins (maps/things_abi.h). For thingsctl and for the
 * app processes: everything works while thingsd is down, every reader opens
 * the pins read-only, and nothing here keeps state between calls (a log
 * reader keeps its own position).
 *
 * Functions return 0 (or a count) on success and -errno on failure, with a
 * message in why (of why_len bytes; APPSTATE_WHY_LEN is plenty) that says
 * what failed and why.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "things_abi.h"

#define APPSTATE_WHY_LEN 512

/* An app as `apps` and `app_cfg` describe it. */
struct appstate_app {
	__u32 id;
	struct things_app app;		/* name (NUL-terminated), prefix, kind, flags */
	struct things_app_cfg cfg;
};

/*
 * Opens PIN_DIR/NAME: read-only (BPF_F_RDONLY), or read-write for the few
 * callers that change state. Returns the fd or -errno.
 */
int appstate_open_pin(const char *pin_dir, const char *name, bool writable, char *why,
		      size_t why_len);

/*
 * Every app at once: apps[id] for id < THINGS_MAX_APPS, with id 0 (and
 * .app.name "") where no app is. Returns how many apps there are.
 */
int appstate_read_apps(const char *pin_dir, struct appstate_app *apps, char *why,
		       size_t why_len);

/* The app called name in an appstate_read_apps() table, or NULL. */
const struct appstate_app *appstate_app_by_name(const struct appstate_app *apps,
						 const char *name);

/* The app called name: -ENOENT (and why says "no app named 'NAME'") if
 * there is none. */
int appstate_find_app(const char *pin_dir, const char *name, struct appstate_app *app,
		      char *why, size_t why_len);

/* 0 if app is of kind, else -EINVAL: "app 'NAME' is a tree, not a board". */
int appstate_check_kind(const struct appstate_app *app, enum things_app_kind kind, char *why,
			size_t why_len);

/*
 * Board: up to max of the board's messages, newest first, only whole ones
 * (a slot whose seq is not the same before and after the copy, or is not the
 * post the slot should hold, is skipped) and only of the last cfg.lines
 * posts. *posts (may be NULL): the board's post count. Returns how many
 * were stored in msgs.
 */
int appstate_board_read(const char *pin_dir, const struct appstate_app *app,
			struct things_board_msg *msgs, unsigned int max, __u64 *posts,
			char *why, size_t why_len);

/*
 * board_log, on an fd from appstate_open_pin(pin_dir, THINGS_PIN_BOARD_LOG,
 * false, ...). A position is the seq of the last event consumed (0: none).
 */
/* The number of events ever logged: a reader that starts here sees only
 * what comes next. */
int appstate_log_head(int log_fd, __u64 *head, char *why, size_t why_len);
/*
 * Reads the events after *pos, up to the head or until max events of app_id
 * (0: of every app) are stored in ev, and moves *pos past what it read. An
 * event still being written ends the read (the next call gets it). *lost
 * grows by the events the writer overwrote before they could be read (of
 * any app: their slots are gone). A log made anew (head behind *pos) is read
 * from its start. Returns how many events were stored: fewer than max means
 * the reader has caught up.
 */
int appstate_log_read(int log_fd, __u64 *pos, __u32 app_id, struct things_board_event *ev,
		      unsigned int max, __u64 *lost, char *why, size_t why_len);

/* Tree: the tree of app (a tree), whose first cfg.lights lights count. */
int appstate_tree_read(const char *pin_dir, const struct appstate_app *app,
		       struct things_tree *tree, char *why, size_t why_len);

/*
 * Canvas: the framebuffer canvas_<id> of app (a canvas), whose size is
 * cfg.width x cfg.height; its map must hold exactly that many pixels.
 * Reads it into pixels (room for npixels, at least width * height) in
 * batches, without a syscall per pixel and without write access.
 */
int appstate_canvas_read(const char *pin_dir, const struct appstate_app *app, __u32 *pixels,
			 size_t npixels, char *why, size_t why_len);
/* Paints the whole canvas black. Needs write access to the pin (root). */
int appstate_canvas_clear(const char *pin_dir, const struct appstate_app *app, char *why,
			  size_t why_len);

/*
 * PNG of a framebuffer (0x00RRGGBB pixels, row after row), 8 bits a
 * channel; RGBA is opaque. To a stream (flushed, not closed), or to memory
 * the caller frees.
 */
enum appstate_png_format { APPSTATE_PNG_RGB, APPSTATE_PNG_RGBA };
int appstate_png_write(FILE *out, const __u32 *pixels, unsigned int width, unsigned int height,
		       enum appstate_png_format fmt, char *why, size_t why_len);
int appstate_png_encode(const __u32 *pixels, unsigned int width, unsigned int height,
			enum appstate_png_format fmt, void **png, size_t *png_len, char *why,
			size_t why_len);
/*
 * The same for pictures made many times a second (a live view): one row
 * filter and zlib's fastest, run-length compression instead of libpng's
 * defaults. A 1024 x 1024 canvas encodes about 4 to 10 times as fast, and
 * flat areas compress about as well (random pixels do not compress at all).
 */
int appstate_png_encode_fast(const __u32 *pixels, unsigned int width, unsigned int height,
			     enum appstate_png_format fmt, void **png, size_t *png_len,
			     char *why, size_t why_len);

/* Wall-clock time of a CLOCK_MONOTONIC timestamp (the data plane's clock
 * for board messages, see things_abi.h). */
int appstate_mono_to_realtime(__u64 mono_ns, struct timespec *ts);
/* "2024-02-29T12:00:00.250Z": ISO 8601, UTC, milliseconds. */
#define APPSTATE_TIME_LEN 32
int appstate_format_time(__u64 mono_ns, char *buf, size_t len);

/*
 * Board text for printing: printable ASCII as is, anything else (and the
 * backslash, so that the output reads back unambiguously) as \xNN; the NUL
 * padding at the end is dropped.
 */
#define APPSTATE_TEXT_LEN (4 * THINGS_BOARD_TEXT + 1)
char *appstate_escape_text(const char text[THINGS_BOARD_TEXT], char *buf, size_t len);

/*
 * Trace: the stories of app (a trace app), from `stories` and
 * `story_lines`, sorted by destination. Each has its slots in order
 * (hops of a list, hops << bits of an address story); a slot that is not
 * in the map (being rewritten) is all zeros and counted in missing.
 * Returns how many stories, with *out to free with appstate_stories_free().
 */
struct appstate_story {
	struct things_prefix_key dest;
	struct things_story story;
	unsigned int n_slots;
	struct things_story_line *slots;
	unsigned int missing;
};
int appstate_stories_read(const char *pin_dir, const struct appstate_app *app,
			  struct appstate_story **out, char *why, size_t why_len);
void appstate_stories_free(struct appstate_story *stories, int n);
/* Of an address story's hop (0-based), how many lines its table has: the
 * slots repeat with that period. */
unsigned int appstate_story_table_len(const struct appstate_story *s, unsigned int hop);

/*
 * JSON, the same for every program that shows app state.
 * A message: {"seq": 7, "time": "2024-...Z", "source": "2001:db8::1",
 * "text": "Awesome!"} (time null if the clock cannot be read).
 * A tree: [{"index": 0, "colour": "#ff0000"}, {"index": 1, "colour": null}]
 * (null: dark), its first lights lights.
 */
json_object *appstate_msg_json(const struct things_board_msg *msg);
json_object *appstate_tree_json(const struct things_tree *tree, unsigned int lights);

#endif
