#!/usr/bin/python3
"""make demo: a client, an upstream router and the IPv6 Things host, in
network namespaces; thingsd with examples/demo.conf; random addresses of a
routed /48 and an on-link /64 answering ping and NDP from the client.

Ctrl-C, or the timeout (DEMO_SECONDS, default 60), tears everything down.
"""
import os
import random
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
import lab as L  # noqa: E402


def say(text):
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def show(ns, *cmd):
    print("%s$ %s" % (ns.name.split("-")[2], " ".join(cmd)), flush=True)
    res = ns.run(*cmd, check=False, timeout=60)
    print(res.stdout.rstrip() or res.stderr.rstrip(), flush=True)
    return res


def stop(signum, frame):
    raise KeyboardInterrupt


def main():
    if os.geteuid() != 0:
        sys.exit("demo: needs root (network namespaces, XDP)")
    seconds = float(os.environ.get("DEMO_SECONDS", "60"))
    signal.signal(signal.SIGTERM, stop)
    rng = random.Random()
    with L.Lab("demo") as lab:
        try:
            say("topology: client and host on a LAN behind router br0")
            client, router, host = L.lan_topology(lab)
            print("  client %s  router %s  host %s (h0, MAC %s)" %
                  (L.CLIENT_LAN, L.ROUTER_LAN, L.HOST_LAN, host.link_mac("h0")))
            print("  routed %s -> via the host;  on-link %s on the LAN" % (L.ROUTED, L.ONLINK))

            say("thingsd -c examples/demo.conf")
            d = lab.thingsd(host, conf_file=os.path.join(HERE, "demo.conf"))
            print(d.ctl("status").stdout.rstrip())

            say("ping random addresses of the routed /48 from the client")
            for _ in range(4):
                show(client, "ping", "-6", "-n", "-c", "1", "-W", "2",
                     L.random_address(L.ROUTED, rng))

            say("ping random addresses of the on-link /64: the client resolves each by NDP")
            targets = [L.random_address(L.ONLINK, rng) for _ in range(4)]
            for t in targets:
                show(client, "ping", "-6", "-n", "-c", "1", "-W", "2", t)
            show(client, "ip", "-6", "neigh", "show", "dev", "c0")

            say("ndisc6: a Neighbor Solicitation for a random target, answered by XDP")
            show(client, "ndisc6", "-n", "-r", "2", L.random_address(L.ONLINK, rng), "c0")

            say("thingsctl stats")
            print(d.ctl("stats").stdout.rstrip())

            say("running for %.0f s more: try it yourself, e.g.\n"
                "   sudo ip netns exec %s ping -6 %s\n"
                "Ctrl-C to stop and tear down" %
                (seconds, client.name, L.random_address(L.ROUTED, rng)))
            deadline = time.time() + seconds
            while time.time() < deadline:
                if d.proc.poll() is not None:
                    print(d.read_log())
                    sys.exit("demo: thingsd exited %d" % d.proc.returncode)
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        say("tearing down")
    print("done: namespaces, pins and routes removed")


if __name__ == "__main__":
    main()
