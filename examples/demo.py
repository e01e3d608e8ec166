#!/usr/bin/python3
"""make demo: a client, an upstream router and the IPv6 Things host, in
network namespaces; thingsd with examples/demo.conf; random addresses of a
routed /48 and an on-link /64 answering ping and NDP from the client; the
apps that read the address; and a traceroute that reads a poem, with names
from the reverse zone thingsctl writes and NSD serves.

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

THINGS_PING = os.path.join(L.BUILD, "things-ping")
THINGS_WEB = os.path.join(L.BUILD, "things-web")
WEB_URL = "http://[%s]:8080/" % L.HOST_LAN
BOARD, TREE, CANVAS = "2001:db8:1:b0a::/64", "2001:db8:1:7ee::/80", "2001:db8:1:ca5::/64"
CANVAS_PNG = os.path.join(L.BUILD, "demo-canvas.png")
STORY = "2001:db8:1:5707::/64"


def picture(path):
    """A small picture to paint: a blue disc with a yellow ring on clear
    ground (fully transparent pixels are not sent)."""
    from PIL import Image
    img = Image.new("RGBA", (24, 24), (0, 0, 0, 0))
    for y in range(24):
        for x in range(24):
            r2 = (x - 11.5) ** 2 + (y - 11.5) ** 2
            if r2 < 64:
                img.putpixel((x, y), (40, 90, 220, 255))
            elif r2 < 121:
                img.putpixel((x, y), (250, 210, 40, 255))
    img.save(path)


def trace_demo(lab, client, router, d):
    """A traceroute to a story, with the names NSD serves from the zone that
    thingsctl trace zone writes."""
    say("traceroute stories: thingsctl trace show story")
    print(d.ctl("trace", "show", "story").stdout.rstrip())
    say("the reverse zone (thingsctl trace zone story), served by NSD on the router")
    zone = os.path.join(lab.tmp, "story.zone")
    with open(zone, "w") as f:
        f.write(d.ctl("trace", "zone", "story", "ns", "ns.demo.example").stdout)
    origin = L.reverse_zone(STORY)
    print(L.sh("named-checkzone", origin, zone).stdout.rstrip())
    L.Nsd(lab, router, L.ROUTER_LAN, origin, zone)
    client.resolver(L.ROUTER_LAN)
    show(client, "dig", "+short", "-x", "2001:db8:1:5707::1:1")
    say("traceroute -6 to the poem, and to a haiku the address picks (1, 2, 3)")
    show(client, "traceroute", "-6", "-q", "1", "-w", "2", "-m", "10", "2001:db8:1:5707::1")
    show(client, "traceroute", "-6", "-q", "1", "-w", "2", "-m", "10", "2001:db8:1:5707:1::123")


def say(text):
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def show(ns, *cmd):
    print("%s$ %s" % (ns.name.split("-")[2], " ".join(cmd)), flush=True)
    res = ns.run(*cmd, check=False, timeout=60)
    print(res.stdout.rstrip() or res.stderr.rstrip(), flush=True)
    return res


def start_web(lab, host, pin_dir):
    """things-web on the host's LAN address (and its loopback), stopped
    with the lab."""
    log = open(os.path.join(lab.tmp, "things-web.log"), "w")
    proc = host.popen(THINGS_WEB, "--pin-dir", pin_dir, "--listen", "[%s]:8080" % L.HOST_LAN,
                      "--listen", "[::1]:8080", stdout=log, stderr=log)

    def stop_web():
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        log.close()
    lab.undo.append(stop_web)
    deadline = time.time() + 10
    while host.run("curl", "-sf", "-g", "-o", "/dev/null", "http://[::1]:8080/",
                   check=False).returncode:
        if proc.poll() is not None or time.time() > deadline:
            sys.exit("demo: things-web did not start (exit %s)" % proc.poll())
        time.sleep(0.1)
    return proc


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

            say("the apps that read the address, drawn on with things-ping from the client")
            show(client, THINGS_PING, "board", BOARD, "Awesome!")
            show(client, "ping", "-6", "-n", "-c", "1", "-W", "2",
                 "2001:db8:1:b0a:4869:2066:726f:6d21")
            show(client, THINGS_PING, "tree", TREE, "red")
            show(client, THINGS_PING, "tree", TREE, "green")
            img = os.path.join(lab.tmp, "picture.png")
            picture(img)
            show(client, THINGS_PING, "canvas", CANVAS, img, "--at", "20,20")
            time.sleep(0.2)
            say("thingsctl board show board")
            print(d.ctl("board", "show", "board").stdout.rstrip())
            say("thingsctl tree show tree")
            print(d.ctl("tree", "show", "tree").stdout.rstrip())
            say("thingsctl canvas export canvas %s" % CANVAS_PNG)
            d.ctl("canvas", "export", "canvas", CANVAS_PNG)
            print("wrote %s (%d bytes)" % (CANVAS_PNG, os.path.getsize(CANVAS_PNG)))

            trace_demo(lab, client, router, d)

            say("thingsctl stats")
            print(d.ctl("stats").stdout.rstrip())

            say("things-web: the apps live in a browser, and /metrics")
            web = start_web(lab, host, d.pin_dir)
            print("web view: %s (on the lab's LAN)" % WEB_URL)
            show(client, "curl", "-sS", "-g", "-o", "/dev/null", "-w",
                 "%{http_code} %{content_type} %{size_download} bytes\n", WEB_URL)
            print("   sudo ip netns exec %s curl -g %sapi/apps" % (client.name, WEB_URL))

            say("running for %.0f s more: try it yourself, e.g.\n"
                "   sudo ip netns exec %s ping -6 %s\n"
                "Ctrl-C to stop and tear down" %
                (seconds, client.name, L.random_address(L.ROUTED, rng)))
            deadline = time.time() + seconds
            while time.time() < deadline:
                if d.proc.poll() is not None:
                    print(d.read_log())
                    sys.exit("demo: thingsd exited %d" % d.proc.returncode)
                if web.poll() is not None:
                    sys.exit("demo: things-web exited %d" % web.returncode)
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        say("tearing down")
    print("done: namespaces, pins and routes removed")


if __name__ == "__main__":
    main()
