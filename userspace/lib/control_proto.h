/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_CONTROL_PROTO_H
#define THINGS_CONTROL_PROTO_H

/*
 * The thingsd control protocol. One connection per request on an AF_UNIX
 * SOCK_SEQPACKET socket, RUN_DIR/thingsd.sock (mode 0660, group "things").
 * The client sends one message, a JSON object:
 *
 *   {"command": "status"}
 *   {"command": "app-list"}
 *   {"command": "app-show", "name": NAME}
 *   {"command": "app-add", "app": {"name": NAME, "kind": "echo",
 *        "prefix": "2001:db8::/48", "onlink": false, "interface": IFNAME,
 *        "silent": false, "router": false}}
 *   {"command": "app-del", "name": NAME}
 *   {"command": "iface-list"}
 *   {"command": "stats"}
 *   {"command": "reload"}
 *   {"command": "tcp-list"}
 *   {"command": "tcp-register", "name": NAME}   with the server's listening
 *        socket as the message's one SCM_RIGHTS descriptor
 *
 * and reads one message back: {"ok": true, "result": ...} or
 * {"ok": false, "error": "what went wrong"}. Only root and members of the
 * socket's group are answered (checked with SO_PEERCRED).
 */

#define THINGS_CTL_MAX_MSG (1 << 20)

#endif
