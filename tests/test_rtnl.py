# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The rtnetlink library (userspace/lib/rtnl.c), driven through
build/rtnl-tool inside a fresh network namespace per test and judged by
iproute2: what the library reports must match `ip -j`, and what it
changes must show up there and work in the kernel.
"""
import errno
import ipaddress
import json
import os
import random
import secrets
import select
import subprocess
import time
from pathlib import Path

import pytest

import lab as L

REPO = Path(__file__).resolve().parent.parent
TOOL = Path(L.BUILD) / "rtnl-tool"
THINGS_RTPROT = "248"
IFF_ALLMULTI = 0x200
IFA_F_NODAD = 0x02
IFA_F_TENTATIVE = 0x40

rng = random.Random(secrets.randbits(64))


@pytest.fixture(scope="module", autouse=True)
def tool():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    proc = subprocess.run(["make", "-C", str(REPO), *L.MAKE_VARS, str(TOOL)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"make {TOOL} failed:\n{proc.stdout}{proc.stderr}")


class Netns:
    def __init__(self, name):
        self.name = name

    def ip(self, *args, check=True):
        proc = subprocess.run(["ip", "-n", self.name, *args], capture_output=True,
                              text=True, timeout=10, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"ip {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def ip_json(self, *args):
        return json.loads(self.ip("-j", *args) or "[]")

    def exec(self, *args, timeout=10):
        return subprocess.run(["ip", "netns", "exec", self.name, *args],
                              capture_output=True, text=True, timeout=timeout, check=False)

    def tool(self, *args):
        return self.exec(str(TOOL), *args)

    def tool_ok(self, *args):
        proc = self.tool(*args)
        assert proc.returncode == 0, f"rtnl-tool {' '.join(args)}: {proc.stderr.strip()}"
        return proc.stdout

    def veth(self):
        """A veth pair, up at both ends; returns the two names."""
        a, b = "rt" + secrets.token_hex(3), "rt" + secrets.token_hex(3)
        self.ip("link", "add", a, "type", "veth", "peer", "name", b)
        return a, b


@pytest.fixture
def ns():
    name = "things-rtnl-" + secrets.token_hex(4)
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        n = Netns(name)
        n.ip("link", "set", "lo", "up")
        yield n
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def random_prefix(plen):
    """A random prefix of length plen inside 2001:db8::/32 (or ::/0)."""
    if plen == 0:
        return ipaddress.ip_network("::/0")
    base = ipaddress.ip_network("2001:db8::/32")
    if plen < base.prefixlen:
        raise ValueError(plen)
    offset = rng.getrandbits(plen - base.prefixlen) << (128 - plen)
    return ipaddress.ip_network((int(base.network_address) + offset, plen))


def random_address(net):
    host_bits = net.max_prefixlen - net.prefixlen
    if host_bits == 0:
        return net.network_address
    return net.network_address + rng.randrange(1, 2 ** host_bits)


def ip_dst(net):
    """How `ip -j route` spells a destination."""
    if net.prefixlen == 0:
        return "default"
    if net.prefixlen == 128:
        return str(net.network_address)
    return str(net)


def local_routes(ns, net):
    return [r for r in ns.ip_json("-6", "route", "show", "table", "local")
            if r.get("dst") == ip_dst(net)]


def assert_fails(proc, err):
    assert proc.returncode == 1, proc
    assert os.strerror(err) in proc.stderr, proc.stderr


@pytest.mark.parametrize("plen", [48, 64, 100, 128, 0])
def test_route_add_and_del(ns, plen):
    net = random_prefix(plen)
    ns.tool_ok("route-add", str(net))

    routes = local_routes(ns, net)
    assert len(routes) == 1, routes
    r = routes[0]
    assert (r["type"], r["protocol"], r["dev"]) == ("local", THINGS_RTPROT, "lo"), r

    # The kernel takes the whole prefix as its own (AnyIP): any address
    # in it answers an echo request.
    target = random_address(net if plen else random_prefix(64))
    ping = ns.exec("ping", "-6", "-c1", "-W1", str(target))
    assert ping.returncode == 0, ping.stdout + ping.stderr

    ns.tool_ok("route-del", str(net))
    assert local_routes(ns, net) == []


def test_route_add_twice_is_eexist(ns):
    net = random_prefix(64)
    ns.tool_ok("route-add", str(net))
    assert_fails(ns.tool("route-add", str(net)), errno.EEXIST)
    assert len(local_routes(ns, net)) == 1


def test_route_add_over_foreign_route_is_eexist(ns):
    net = random_prefix(56)
    ns.ip("-6", "route", "add", "local", str(net), "dev", "lo", "table", "local",
          "proto", "static", "metric", "10")
    assert_fails(ns.tool("route-add", str(net)), errno.EEXIST)
    assert [r["protocol"] for r in local_routes(ns, net)] == ["static"]


def test_route_del_missing_is_enoent(ns):
    assert_fails(ns.tool("route-del", str(random_prefix(64))), errno.ENOENT)


def test_route_del_leaves_foreign_route(ns):
    net = random_prefix(64)
    ns.ip("-6", "route", "add", "local", str(net), "dev", "lo", "table", "local",
          "proto", "static")
    assert_fails(ns.tool("route-del", str(net)), errno.ENOENT)
    assert [r["protocol"] for r in local_routes(ns, net)] == ["static"]


def test_route_del_picks_ours_next_to_foreign(ns):
    """Same prefix twice, at different metrics: only ours goes."""
    net = random_prefix(64)
    ns.tool_ok("route-add", str(net))
    ns.ip("-6", "route", "add", "local", str(net), "dev", "lo", "table", "local",
          "proto", "static", "metric", "2048")
    ns.tool_ok("route-del", str(net))
    assert [r["protocol"] for r in local_routes(ns, net)] == ["static"]
    assert_fails(ns.tool("route-del", str(net)), errno.ENOENT)


def test_routes_lists_only_ours(ns):
    ours = {random_prefix(48), random_prefix(64), random_prefix(128)}
    for net in ours:
        ns.tool_ok("route-add", str(net))
    foreign = ipaddress.ip_network("fd00:%x::/64" % rng.getrandbits(16))
    ns.ip("-6", "route", "add", "local", str(foreign), "dev", "lo", "table", "local",
          "proto", "static")
    # Our protocol, but in main and of type unicast: not one of ours.
    ns.ip("-6", "route", "add", "unreachable", str(random_prefix(64)), "proto",
          THINGS_RTPROT)

    listed = {ipaddress.ip_network(line) for line in ns.tool_ok("routes").split()}
    assert listed == ours


def test_routes_empty(ns):
    assert ns.tool_ok("routes") == ""


def parse_records(text):
    """rtnl-tool output: one record per line of key=value words, after an
    optional leading event tag."""
    records = []
    for line in text.splitlines():
        words = line.split()
        tag = words.pop(0) if words and "=" not in words[0] else None
        rec = dict(w.split("=", 1) for w in words)
        if tag:
            rec["event"] = tag
        records.append(rec)
    return records


def ip_addrs(ns, dev=None):
    args = ["-6", "addr", "show"] + (["dev", dev] if dev else [])
    return {(link["ifindex"], f"{a['local']}/{a['prefixlen']}"): a
            for link in ns.ip_json(*args) for a in link["addr_info"]}


def tool_addrs(ns, dev=None):
    out = ns.tool_ok("addrs", *([dev] if dev else []))
    return {(int(r["ifindex"]), r["addr"]): int(r["flags"], 16) for r in parse_records(out)}


def test_addrs_match_iproute(ns):
    a, b = ns.veth()
    ns.ip("addr", "add", "2001:db8::1/64", "dev", a, "nodad")
    ns.ip("addr", "add", "fd00:1::1/48", "dev", a)
    ns.ip("addr", "add", "2001:db8:5::7/128", "dev", b, "nodad")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", b)

    for dev in (None, a, b):
        theirs = ip_addrs(ns, dev)
        ours = tool_addrs(ns, dev)
        assert set(ours) == set(theirs), dev
        for key, flags in ours.items():
            assert bool(flags & IFA_F_NODAD) == theirs[key].get("nodad", False), key
            assert bool(flags & IFA_F_TENTATIVE) == theirs[key].get("tentative", False), key


def tool_link(ns, dev):
    (rec,) = parse_records(ns.tool_ok("link", dev))
    return rec


def test_link_matches_iproute(ns):
    a, _ = ns.veth()
    mac = "02:00:5e:%02x:%02x:%02x" % tuple(rng.getrandbits(8) for _ in range(3))
    ns.ip("link", "set", a, "address", mac, "mtu", "1400")
    for dev in ("lo", a):
        (theirs,) = ns.ip_json("link", "show", dev)
        ours = tool_link(ns, dev)
        assert ours["name"] == theirs["ifname"]
        assert int(ours["ifindex"]) == theirs["ifindex"]
        assert ours["mac"] == theirs["address"]
        assert int(ours["mtu"]) == theirs["mtu"]
        assert (ours["up"] == "on") == ("UP" in theirs["flags"])
        assert (ours["allmulti"] == "on") == ("ALLMULTI" in theirs["flags"])
    assert tool_link(ns, a)["mac"] == mac


def test_link_missing_is_enodev(ns):
    assert_fails(ns.tool("link", "nosuchlink0"), errno.ENODEV)


def test_allmulti_on_off(ns):
    a, _ = ns.veth()

    def ip_allmulti():
        (link,) = ns.ip_json("link", "show", a)
        return "ALLMULTI" in link["flags"]

    assert not ip_allmulti()
    ns.tool_ok("allmulti", a, "on")
    assert ip_allmulti()
    assert tool_link(ns, a)["allmulti"] == "on"
    assert int(tool_link(ns, a)["flags"], 16) & IFF_ALLMULTI
    # Idempotent: a flag, not a counter.
    ns.tool_ok("allmulti", a, "on")
    ns.tool_ok("allmulti", a, "off")
    assert not ip_allmulti()
    assert tool_link(ns, a)["allmulti"] == "off"


def monitor(ns, seconds, changes):
    """Runs `rtnl-tool monitor`, makes the changes once it is listening,
    and returns the events it printed."""
    mon = subprocess.Popen(["ip", "netns", "exec", ns.name, str(TOOL), "monitor", str(seconds)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Raw reads: a buffered reader could swallow events past the
        # first line, which communicate() would then never see.
        head = b""
        deadline = time.monotonic() + 5
        while b"\n" not in head and time.monotonic() < deadline:
            ready, _, _ = select.select([mon.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(mon.stdout.fileno(), 4096)
                if not chunk:
                    break
                head += chunk
        first, _, rest = head.partition(b"\n")
        assert first == b"monitoring", head
        changes()
        out, err = mon.communicate(timeout=seconds + 10)
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.wait()
    assert mon.returncode == 0, err.decode()
    return parse_records((rest + out).decode())


def test_monitor_sees_address_and_mac_changes(ns):
    a, _ = ns.veth()
    ifindex = ns.ip_json("link", "show", a)[0]["ifindex"]
    new_mac = "02:00:5e:00:53:%02x" % rng.getrandbits(8)

    def changes():
        ns.ip("addr", "add", "2001:db8::5/64", "dev", a)
        ns.ip("link", "set", a, "address", new_mac)

    events = monitor(ns, 2, changes)
    assert any(e["event"] == "addr-new" and e["ifindex"] == str(ifindex)
               and e["addr"] == "2001:db8::5/64" for e in events), events
    assert any(e["event"] == "link-new" and e["ifindex"] == str(ifindex)
               and e["mac"] == new_mac for e in events), events


def test_monitor_sees_address_removal_and_link_deletion(ns):
    a, b = ns.veth()
    ns.ip("addr", "add", "fd00::9/64", "dev", a, "nodad")
    ifindex = ns.ip_json("link", "show", b)[0]["ifindex"]

    def changes():
        ns.ip("addr", "add", "192.0.2.1/24", "dev", a)
        ns.ip("addr", "del", "fd00::9/64", "dev", a)
        ns.ip("link", "del", b)

    events = monitor(ns, 2, changes)
    assert any(e["event"] == "addr-del" and e["addr"] == "fd00::9/64" for e in events), events
    assert any(e["event"] == "link-del" and e["ifindex"] == str(ifindex) for e in events), events
    # IPv4 addresses are not reported (nor subscribed to).
    assert all(":" in e["addr"] for e in events if "addr" in e), events


@pytest.mark.parametrize("args", [[], ["bogus"], ["route-add"], ["route-add", "2001:db8::1/64"],
                                  ["route-add", "192.0.2.0/24"], ["allmulti", "lo", "maybe"],
                                  ["monitor", "x"]])
def test_usage_errors(ns, args):
    assert ns.tool(*args).returncode == 2
