#!/usr/bin/python3
"""Both ends of a byte stream whose every byte can be checked.

  bulk.py sink ADDR PORT [REPLY_BYTES]
      A server: for each connection, reads to the end of the stream, then
      answers one line "BYTES SHA256" of what it read, followed by
      REPLY_BYTES bytes of the pattern, and closes. It can only answer once
      the client's shutdown(SHUT_WR) has reached it.
  bulk.py send ADDR PORT BYTES [REPLY_BYTES]
      A client: sends BYTES bytes of the pattern, shuts its write side down,
      reads the answer to its end; prints JSON: what it sent and its digest,
      what the server said it got, and whether the reply's pattern bytes all
      arrived intact.
  bulk.py hold ADDR PORT [BACKLOG]
      A server that never accepts (its queue full, SYNs go unanswered).

The pattern: 1 MiB blocks of SHAKE-256 output, each starting with its own
8-byte index, so a lost, repeated or reordered block changes the digest.
"""
import hashlib
import json
import socket
import sys
import threading
import time

BLOCK = 1 << 20
_BASE = hashlib.shake_256(b"ipv6-things relay").digest(BLOCK)


def block(i):
    b = bytearray(_BASE)
    b[:8] = i.to_bytes(8, "big")
    return b


def pattern(n):
    """The first n bytes of the pattern, a block at a time."""
    i = 0
    while n > 0:
        b = block(i)
        yield memoryview(b)[:min(n, BLOCK)]
        n -= BLOCK
        i += 1


def read_all(conn):
    h, total = hashlib.sha256(), 0
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    while True:
        n = conn.recv_into(buf)
        if not n:
            return total, h.hexdigest()
        h.update(view[:n])
        total += n


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sink(addr, port, reply):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(128)
    print("ready", flush=True)

    def serve(c):
        with c:
            total, digest = read_all(c)
            c.sendall(("%d %s\n" % (total, digest)).encode())
            for chunk in pattern(reply):
                c.sendall(chunk)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def send(addr, port, count, reply):
    c = socket.create_connection((addr, port), timeout=60)
    h = hashlib.sha256()
    start = time.monotonic()
    for chunk in pattern(count):
        h.update(chunk)
        c.sendall(chunk)
    c.shutdown(socket.SHUT_WR)
    data = bytearray()
    while True:
        got = c.recv(BLOCK)
        if not got:
            break
        data += got
    seconds = time.monotonic() - start
    c.close()
    line, _, rest = bytes(data).partition(b"\n")
    got_bytes, got_digest = line.decode().split()
    print(json.dumps({
        "sent": count, "sha256": h.hexdigest(),
        "server_got": int(got_bytes), "server_sha256": got_digest,
        "reply_bytes": len(rest), "reply_ok": rest == b"".join(bytes(x) for x in pattern(reply)),
        "seconds": seconds,
    }))


def hold(addr, port, backlog):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.bind((addr, port))
    ls.listen(backlog)
    # Fill the queue: further SYNs are dropped, so connects hang.
    fillers = []
    for _ in range(backlog + 2):
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((addr, port))
        except BlockingIOError:
            pass
        fillers.append(s)
    time.sleep(0.5)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    extra = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    if mode == "sink":
        sink(addr, port, extra)
    elif mode == "send":
        send(addr, port, extra, int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif mode == "hold":
        hold(addr, port, extra)
    else:
        sys.exit("usage: bulk.py sink|send|hold ADDR PORT [N [N]]")


if __name__ == "__main__":
    main()
