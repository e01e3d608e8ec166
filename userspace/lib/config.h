/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_CONFIG_H
#define THINGS_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include "story.h"
#include "things_abi.h"
#include "tcprules.h"

#define THINGS_DEFAULT_CONFIG	"/etc/things/thingsd.conf"
#define THINGS_DEFAULT_RUN_DIR	"/run/things"
#define THINGS_DEFAULT_STATE_DIR "/var/lib/things"
#define THINGS_DEFAULT_GROUP	"things"
#define THINGS_SOCKET_NAME	"thingsd.sock"
#define THINGS_LOCK_NAME	"thingsd.lock"
/* Apps added at run time, in the config's own [app NAME] syntax. */
#define THINGS_STATE_APPS_NAME	"runtime-apps.conf"

enum things_xdp_mode {
	THINGS_XDP_NATIVE,	/* driver mode; falls back to generic, logged */
	THINGS_XDP_GENERIC,
};

/* Defaults and bounds of the inetd: and relay: keys. */
#define THINGS_TCP_DEF_CHILDREN		64
#define THINGS_TCP_MAX_CHILDREN		4096
#define THINGS_TCP_DEF_CONNECTIONS	1024
#define THINGS_TCP_MAX_CONNECTIONS	65536
#define THINGS_TCP_DEF_CONNECT_S	5
#define THINGS_TCP_DEF_IDLE_S		3600
#define THINGS_TCP_MAX_SECONDS		604800	/* a week */

struct things_cfg_iface {
	char name[IF_NAMESIZE];
	enum things_xdp_mode mode;
	int line;
	int mode_line;
};

/* The keys of an [app NAME] section; also the fields of a runtime app
 * added over the control socket. */
#define THINGS_CFG_APP_KEYS(X)						\
	X(KIND, "kind", STRING)						\
	X(PREFIX, "prefix", STRING)					\
	X(ONLINK, "onlink", BOOL)					\
	X(INTERFACE, "interface", STRING)				\
	X(SILENT, "silent", BOOL)					\
	X(ROUTER, "router", BOOL)					\
	X(ALLOW_WIDE, "allow_wide", BOOL)				\
	X(RATE, "rate", UINT)						\
	X(BURST, "burst", UINT)						\
	X(RATE_PREFIX, "rate_prefix", UINT)				\
	X(LINES, "lines", UINT)						\
	X(LIGHTS, "lights", UINT)					\
	X(WIDTH, "width", UINT)						\
	X(HEIGHT, "height", UINT)					\
	/* story: repeatable, the one key that is */		\
	X(STORY, "story", STRING)					\
	X(PORTS, "ports", STRING)					\
	X(TARGET, "target", STRING)					\
	X(FROM, "from", STRING)						\
	X(EXEC, "exec", STRING)						\
	X(USER, "user", STRING)						\
	X(GROUP, "group", STRING)					\
	X(MAX_CHILDREN, "max_children", UINT)				\
	X(TIMEOUT, "timeout", UINT)					\
	X(MAX_CONNECTIONS, "max_connections", UINT)			\
	X(CONNECT_TIMEOUT, "connect_timeout", UINT)			\
	X(IDLE_TIMEOUT, "idle_timeout", UINT)				\
	X(PROXY_PROTOCOL, "proxy_protocol", STRING)

#define THINGS_CFG_KEY_ENUM(sym, name, type) THINGS_CFG_APP_##sym,
enum things_cfg_app_key { THINGS_CFG_APP_KEYS(THINGS_CFG_KEY_ENUM) THINGS_CFG_APP_N_KEYS };

enum things_cfg_type { THINGS_CFG_STRING, THINGS_CFG_BOOL, THINGS_CFG_UINT };

struct things_cfg_app {
	char name[THINGS_APP_NAME_MAX];
	int kind;			/* enum things_app_kind, -1 unset */
	struct things_prefix_key prefix;
	bool onlink;
	bool silent;			/* see things_cfg_app_flags() for the default */
	bool router;
	bool allow_wide;
	char iface[IF_NAMESIZE];	/* on-link apps only */
	/* Only what the kind reads is kept; see things_cfg_app_params(). */
	__u32 rate, burst, rate_prefix, lines, lights, width, height;
	/* Kind trace: its stories, owned by the config they were read from
	 * (copies of the app share them). */
	struct things_cfg_story *stories;
	int n_stories;
	/* tcp: the rule (tcprules.h) and its target */
	struct things_port_range ports[THINGS_TCP_MAX_RANGES];
	int n_ports;
	struct things_prefix_key from;	/* prefixlen 0: any client */
	int target;			/* enum things_tcp_target */
	/* socketbox: the receiver's path, with tokens; inetd: the command;
	 * relay: HOST:PORT as written, resolved into backend at load */
	char arg[THINGS_TCP_ARG_MAX];
	struct sockaddr_in6 backend;
	char exec[THINGS_TCP_EXEC_MAX];	/* listen: the server thingsd runs; "" none */
	char user[THINGS_TCP_ID_MAX], group[THINGS_TCP_ID_MAX];
	/* inetd: children at once, and seconds one may run (0: no end) */
	__u32 max_children, timeout;
	/* relay: connections at once; seconds to connect, and of silence
	 * both ways before a connection is closed (0: none) */
	__u32 max_connections, connect_timeout, idle_timeout;
	int proxy;			/* enum things_proxy_protocol */
	int line;			/* of the section header; 0 at run time */
	int key_line[THINGS_CFG_APP_N_KEYS];	/* 0: not given */
};

struct things_config {
	char pin_dir[PATH_MAX];
	char run_dir[PATH_MAX];		/* control socket and lock file */
	char state_dir[PATH_MAX];	/* what must outlive a reboot */
	char group[64];			/* may read through the control socket */
	char user[64];			/* thingsd's own once set up; "": root */
	int pin_dir_line, run_dir_line, state_dir_line, user_line;	/* 0: the default */
	/* The host's limit on the ICMPv6 errors it sends (err_cfg). */
	__u32 error_rate, error_burst;
	struct things_cfg_iface *ifaces;
	int n_ifaces;
	struct things_cfg_app *apps;
	int n_apps;
};

struct things_config_error {
	char file[PATH_MAX];		/* "": the config file; else a story file */
	int line;			/* 0: not about one line */
	char msg[256];
};

/* Defaults: traceroute sends three probes a hop, up to 16 at once. */
#define THINGS_TRACE_DEF_RATE		100
#define THINGS_ERROR_DEF_RATE		10000
#define THINGS_ERROR_DEF_BURST		1000

/*
 * Reads and validates a whole config file, and the story files of its
 * trace apps (relative paths are from the config file's folder). Nothing
 * is applied here, so a bad file can never half-apply. Returns 0, or -EINVAL (err says where and
 * why), or -errno if the file cannot be read.
 */
int things_config_load(const char *path, struct things_config *cfg,
		       struct things_config_error *err);
/* The same for a file of [app NAME] sections only (the runtime apps),
 * which holds no trace apps. */
int things_config_load_apps(const char *path, struct things_config *cfg,
			    struct things_config_error *err);
void things_config_free(struct things_config *cfg);

/* The [interface] section called name, or NULL. */
const struct things_cfg_iface *things_config_iface(const struct things_config *cfg,
						   const char *name);

/*
 * One app, field by field, with the config file's rules: the file parser
 * and the control socket's app-add both go through these, so an app is
 * valid in one exactly when it is valid in the other. Each returns 0 or
 * -EINVAL (-ENOENT for an unknown key) with *why saying what is wrong.
 */
int things_cfg_app_init(struct things_cfg_app *app, const char *name, const char **why);
int things_cfg_app_set(struct things_cfg_app *app, const char *key, const char *value,
		       const char **why);
/* The type a key's value has, for callers that get typed values (JSON);
 * -1 for an unknown key. */
int things_cfg_app_key_type(const char *key);
const char *things_cfg_app_key_name(enum things_cfg_app_key key);
/* The checks that need the whole app. *key: the key the error is about,
 * or -1 for the app as a whole. */
int things_cfg_app_finish(struct things_cfg_app *app, int *key, const char **why);
/* Writes the app as an [app NAME] section that reads back the same (story
 * files by the paths they were read from). */
int things_cfg_app_write(const struct things_cfg_app *app, FILE *out);

/* The prefix-table flags an app's settings map to. */
__u16 things_cfg_app_flags(const struct things_cfg_app *app);
/* The steering rule of a tcp app. */
struct things_tcp_rule things_cfg_app_tcp_rule(const struct things_cfg_app *app, __u32 app_id);
/* The app_cfg slot the data plane reads for it. */
struct things_app_cfg things_cfg_app_params(const struct things_cfg_app *app);

/* App names: 1 to THINGS_APP_NAME_MAX - 1 bytes of letters, digits, '-',
 * '_' and '.'. Interface names: what the kernel accepts. */
bool things_app_name_valid(const char *name);
bool things_ifname_valid(const char *name);

#endif
