// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stddef.h>
#include <string.h>

#include "names.h"

#define NAME_ENTRY(sym, name) name,
#define REASON_NAME(sym, name, act) name,
#define REASON_ACTION(sym, name, act) THINGS_ACT_##act,

static const char *const kind_names[] = { THINGS_KINDS(NAME_ENTRY) };
static const char *const action_names[] = { THINGS_ACTIONS(NAME_ENTRY) };
static const char *const reason_names[] = { THINGS_REASONS(REASON_NAME) };
static const enum things_action reason_actions[] = { THINGS_REASONS(REASON_ACTION) };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(ARRAY_LEN(kind_names) == THINGS_KIND_MAX, "kind names");
_Static_assert(ARRAY_LEN(action_names) == THINGS_ACT_COUNT, "action names");
_Static_assert(ARRAY_LEN(reason_names) == THINGS_R_MAX, "reason names");

const char *things_kind_name(unsigned int kind)
{
	return kind < ARRAY_LEN(kind_names) ? kind_names[kind] : NULL;
}

const char *things_action_name(unsigned int act)
{
	return act < ARRAY_LEN(action_names) ? action_names[act] : NULL;
}

const char *things_reason_name(unsigned int reason)
{
	return reason < ARRAY_LEN(reason_names) ? reason_names[reason] : NULL;
}

int things_reason_action(unsigned int reason)
{
	return reason < ARRAY_LEN(reason_actions) ? (int)reason_actions[reason] : -1;
}

int things_kind_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(kind_names); i++)
		if (!strcmp(name, kind_names[i]))
			return (int)i;
	return -1;
}
