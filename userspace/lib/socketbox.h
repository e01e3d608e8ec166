/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef THINGS_SOCKETBOX_H
#define THINGS_SOCKETBOX_H

/*
 * socketbox's "A" protocol: a connected socket travels as the one
 * SCM_RIGHTS descriptor of a 1-byte datagram ("\0") sent to an AF_UNIX
 * SOCK_DGRAM socket. This is both ends of it; a server needs only
 * things_socketbox_bind() and things_socketbox_recv():
 *
 *	int box = things_socketbox_bind("/run/www.sock", 0660);
 *	for (;;) {
 *		int conn = things_socketbox_recv(box, 0);
 *		if (conn >= 0) { serve(conn); close(conn); }
 *	}
 *
 * Each returns -errno on failure. Descriptors received are close-on-exec.
 */

/* An AF_UNIX SOCK_DGRAM socket bound at path (a stale socket file there is
 * replaced; any other file is not), with the file's mode set. */
int things_socketbox_bind(const char *path, unsigned int mode);

/*
 * Receives one datagram and returns the first descriptor it carried.
 * Every other descriptor that came with it is closed, as is everything of
 * a message whose control data was cut short; a datagram without one is
 * -EBADMSG. flags: MSG_DONTWAIT or 0 (MSG_CMSG_CLOEXEC is always added).
 */
int things_socketbox_recv(int sock, int flags);

/* Sends fd to the receiver bound at path, from an unbound AF_UNIX
 * SOCK_DGRAM socket, never waiting: -EAGAIN when its queue is full,
 * -ECONNREFUSED or -ENOENT when nobody receives there. */
int things_socketbox_send(int sock, const char *path, int fd);

#endif
