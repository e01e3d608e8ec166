/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_DNSNAME_H
#define THINGS_DNSNAME_H

#include <stddef.h>

/*
 * Text from anywhere (a story line) as an absolute DNS name that no zone
 * file or tinydns-data line can misread: labels are what lies between
 * dots (empty ones dropped), a label longer than 63 bytes becomes several,
 * labels past the 255 bytes a name has on the wire are dropped, and every
 * byte but letters, digits, '-' and '_' is escaped: \DDD (decimal) in zone
 * files, \NNN (octal) for tinydns-data.
 */
enum things_dns_style { THINGS_DNS_ZONE, THINGS_DNS_TINYDNS };

/* Room for any name in either style, with its NUL. */
#define THINGS_DNS_NAME_LEN (4 * 255 + 2)

/* Returns the length written into out (THINGS_DNS_NAME_LEN bytes); 0 for
 * text with no label, which is written as the root ("."; "" for tinydns). */
size_t things_dns_name(const char *text, enum things_dns_style style, char *out);

/* The reverse (ip6.arpa) name of an address's first nibbles (all 32 for
 * a host), nibble format, absolute: room for 74 bytes. */
#define THINGS_ARPA_NAME_LEN 74
void things_arpa_name(const unsigned char addr[16], unsigned int nibbles, char *out);

#endif
