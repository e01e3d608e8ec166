/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_REPORT_H
#define THINGS_REPORT_H

#include <json-c/json.h>

/*
 * JSON descriptions of the pinned state. thingsd answers with them and
 * thingsctl builds the same ones from the pins when the daemon is down, so
 * both paths print identically. Each returns a new object, or NULL with
 * errno set.
 */

/* Array of apps: id, name, kind, prefix, onlink, silent, router, ifindex,
 * and per-action counters. name == NULL: every app; else only that one. */
json_object *things_report_apps(int apps_fd, int stats_fd, const char *name);
/* Adds to each app of a things_report_apps() array its "settings" from the
 * app_cfg map: rate, burst, rate_prefix (when rate-limited), and lines,
 * lights or width and height, as its kind has them. */
void things_report_app_settings(json_object *apps, int app_cfg_fd);
/* Adds "interface" to each on-link app of a things_report_apps() array:
 * the name of its ifindex, if that link still exists. thingsd names it from
 * its config; a reader of the pins has only the ifindex. */
void things_report_name_interfaces(json_object *apps);
/* {"reasons": {...}, "apps": [...], "total": {...}}: where every packet went. */
json_object *things_report_stats(int stats_fd, int apps_fd);
/* Array of interfaces in the ifaces map: ifindex, name, mac, allmulti_set. */
json_object *things_report_ifaces(int ifaces_fd);

/*
 * Array of tcp apps (kind tcp in the apps map): id, name, prefix, whether
 * a listening socket is in the steering map ("socket"), the raw counters
 * of tcp_stats ("counters", by THINGS_TCP_COUNTERS name) and the four a
 * rule is read by: accepted, passed, refused, failed. Those depend on the
 * app's target (targets[id], enum things_tcp_target; -1 unknown: then
 * socketbox if thingsd ever accepted for it).
 */
json_object *things_report_tcp(int apps_fd, int tcp_stats_fd, int socks_fd, const int *targets);

#endif
