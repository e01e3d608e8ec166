/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_NAMES_H
#define THINGS_NAMES_H

#include "things_abi.h"

/* Names for humans and JSON, built from the X-macros in things_abi.h.
 * Each returns NULL for a value that has no name. */
const char *things_kind_name(unsigned int kind);
const char *things_action_name(unsigned int act);
const char *things_reason_name(unsigned int reason);

/* What a reason means for the app the packet matched (enum
 * things_action), or -1 for a value that is no reason. */
int things_reason_action(unsigned int reason);

/* Returns the kind named, or -1. */
int things_kind_parse(const char *name);

#endif
