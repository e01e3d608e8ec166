/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGSD_CONTROL_PARSE_H
#define THINGSD_CONTROL_PARSE_H

#include <stddef.h>
#include <json-c/json.h>

#include "config.h"

/* The request in buf[0..n): one JSON object and nothing after it but white
 * space; NULL with *why if it is not. */
json_object *control_parse_request(const char *buf, size_t n, const char **why);
/* The first field of o that allowed (NULL-terminated) does not name. */
const char *control_unknown_field(json_object *o, const char *const *allowed);
/* A string field: 0 (absent: *out NULL), or -1 if it is not a string. */
int control_get_str(json_object *o, const char *key, const char **out);
/* Builds a config app from app-add's "app" object, with the config's own
 * rules: NULL, or what is wrong. */
const char *control_parse_app(json_object *j, struct things_cfg_app *app);

#endif
