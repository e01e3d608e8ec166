"""thingsd in real network namespaces, with the kernel, iputils ping,
ndisc6 and a real TCP listener as the clients and judges."""
import os
import random
import re
import signal
import subprocess
import textwrap
import time

import pytest

import lab as L
from lab import wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@pytest.fixture
def lan():
    with L.Lab("td") as lab:
        client, router, host = L.lan_topology(lab)
        yield lab, client, router, host


@pytest.fixture
def running(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS)
    yield lab, client, router, host, d


def ping(ns, addr, count=1, wait=2, interval=None):
    args = ["ping", "-6", "-n", "-c", str(count), "-W", str(wait)]
    if interval:
        args += ["-i", str(interval)]
    return ns.run(*args, addr, check=False, timeout=count * wait + 10)


def ping_all(ns, addrs):
    """Pings each address once; returns those that did not answer."""
    return [a for a in addrs if ping(ns, a).returncode != 0]


def app_counter(d, app, action):
    for a in d.ctl_json("app", "list"):
        if a["name"] == app:
            return a["counters"][action]["packets"]
    raise KeyError(app)


def test_onlink_64_ping_and_neighbours(running):
    lab, client, router, host, d = running
    rng = random.Random(64)
    addrs = [L.random_address(L.ONLINK, rng) for _ in range(200)]
    assert ping_all(client, addrs) == []

    # The client's own kernel resolved every one of them through our NA.
    host_mac = host.link_mac("h0")
    neigh = {n["dst"]: n.get("lladdr") for n in client.ip_json("-6", "neigh", "show", "dev", "c0")}
    for a in addrs:
        assert neigh.get(a) == host_mac, a
    assert app_counter(d, "lan", "echo-reply") >= 200
    assert app_counter(d, "lan", "na") >= 200


def test_onlink_64_ndisc6(running):
    lab, client, router, host, d = running
    target = L.random_address(L.ONLINK, random.Random(6))
    out = client.run("ndisc6", "-n", "-r", "3", "-w", "1000", target, "c0").stdout
    assert re.search(r"Target link-layer address:\s*%s" % host.link_mac("h0").upper(), out), out


def test_onlink_64_dad_is_defended(running):
    lab, client, router, host, d = running
    addr = L.random_address(L.ONLINK, random.Random(7))
    client.sysctl("net.ipv6.conf.c0.accept_dad", "1")
    client.sysctl("net.ipv6.conf.c0.dad_transmits", "1")
    client.ip("addr", "add", addr + "/128", "dev", "c0")
    deadline = time.time() + 10
    flags = []
    while time.time() < deadline:
        info = client.ip_json("-6", "addr", "show", "dev", "c0")[0]["addr_info"]
        flags = [a for a in info if a["local"] == addr]
        if flags and flags[0].get("dadfailed"):
            break
        time.sleep(0.2)
    assert flags and flags[0].get("dadfailed"), flags
    assert app_counter(d, "lan", "na-dad") >= 1


def test_routed_48_ping_without_ndp(running):
    lab, client, router, host, d = running
    rng = random.Random(48)
    addrs = [L.random_address(L.ROUTED, rng) for _ in range(100)]
    assert ping_all(client, addrs) == []
    # Routed: the router sends every packet to the host's own address, and
    # never has to resolve an address of the /48 itself.
    for ns in (router, host, client):
        for n in ns.ip_json("-6", "neigh", "show"):
            assert not L.ipaddress.ip_address(n["dst"]) in L.ROUTED, (ns.name, n)
    assert app_counter(d, "routed", "echo-reply") >= 100
    assert app_counter(d, "routed", "na") == 0


def test_tcp_listener_gets_prefix_connections(running):
    lab, client, router, host, d = running
    port = 8080
    server = host.popen("/usr/bin/python3", "-c", textwrap.dedent("""
        import socket
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", %d)); s.listen(8); s.settimeout(20)
        for _ in range(2):
            c, peer = s.accept()
            c.sendall(("hello %%s from %%s\\n" %% (peer[0], c.getsockname()[0])).encode())
            c.close()
        """ % port), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rng = random.Random(80)
        for net in (L.ROUTED, L.ONLINK):
            dst = L.random_address(net, rng)
            for _ in range(50):  # the listener may still be starting
                out = client.run("/usr/bin/python3", "-c", textwrap.dedent("""
                    import socket, sys
                    s = socket.create_connection((sys.argv[1], %d), timeout=3)
                    print(s.recv(200).decode().strip())
                    """ % port), dst, check=False)
                if out.returncode == 0:
                    break
                time.sleep(0.1)
            assert out.stdout.strip() == "hello %s from %s" % (L.CLIENT_LAN, dst), out.stderr
    finally:
        server.kill()
        server.wait()


def xdp_loader(host, *args, check=True):
    L.ensure_bpffs()
    return L.sh("nsenter", "--net=" + host.path, "xdp-loader", *args, check=check)


def test_coexists_with_another_xdp_program(lan):
    lab, client, router, host = lan
    if not L.xdp_multiprog_supported():
        pytest.skip("this kernel refuses freplace programs, so libxdp has no dispatcher")
    xdp_loader(host, "load", "-m", "native", "h0", L.XDP_PASS_OBJ)
    try:
        d = lab.thingsd(host, L.DEMO_APPS)
        status = xdp_loader(host, "status", "h0").stdout
        assert "xdp_pass" in status and "things_xdp" in status, status
        addrs = [L.random_address(L.ROUTED, random.Random(1)) for _ in range(10)]
        assert ping_all(client, addrs) == []
        d.stop()
        status = xdp_loader(host, "status", "h0").stdout
        assert "xdp_pass" in status and "things_xdp" not in status, status
    finally:
        xdp_loader(host, "unload", "-a", "h0", check=False)


def test_never_replaces_a_program_attached_without_dispatcher(lan):
    lab, client, router, host = lan
    if L.xdp_multiprog_supported():
        pytest.skip("libxdp's dispatcher works here: the coexistence test applies")
    xdp_loader(host, "load", "-m", "native", "h0", L.XDP_PASS_OBJ)
    try:
        before = host.ip_json("link", "show", "h0")[0]["xdp"]["prog"]["id"]
        with pytest.raises(RuntimeError) as failed:
            lab.thingsd(host, L.DEMO_APPS)
        assert "'xdp_pass'" in str(failed.value) and "unload it first" in str(failed.value)
        assert host.ip_json("link", "show", "h0")[0]["xdp"]["prog"]["id"] == before
        assert not [r for r in host.ip_json("-6", "route", "show", "table", "local")
                    if r.get("protocol") == "248"]
    finally:
        xdp_loader(host, "unload", "-a", "h0", check=False)


def test_restart_keeps_answering_and_state(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS, args=("--keep",))
    dst = L.random_address(L.ROUTED, random.Random(2))
    assert ping(client, dst).returncode == 0
    before = app_counter(d, "routed", "echo-reply")
    pinger = client.popen("ping", "-6", "-n", "-c", "60", "-i", "0.05", "-W", "1", dst,
                          stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    assert d.stop() == 0
    time.sleep(0.5)  # the daemon is down; the data plane is not
    d.start(args=("--keep",))
    out, _ = pinger.communicate(timeout=30)
    assert " 0% packet loss" in out, out
    assert app_counter(d, "routed", "echo-reply") >= before + 60


def test_sighup_adds_and_removes_an_app(running):
    lab, client, router, host, d = running
    extra = L.ipaddress.ip_network("2001:db8:5::/48")
    router.ip("-6", "route", "add", str(extra), "via", L.HOST_LAN)
    dst = L.random_address(extra, random.Random(5))
    prog_before = L.sh("nsenter", "--net=" + host.path, "ip", "-j", "link", "show", "h0").stdout

    d.write_conf(L.DEMO_APPS + "\n[app extra]\nkind = echo\nprefix = %s\n" % extra)
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: any(a["name"] == "extra" for a in d.ctl_json("app", "list")))
    assert ping(client, dst).returncode == 0
    assert any(r["dst"] == str(extra) for r in host.ip_json("-6", "route", "show", "table", "local"))

    d.write_conf(L.DEMO_APPS)
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: not any(a["name"] == "extra" for a in d.ctl_json("app", "list")))
    assert not any(r["dst"] == str(extra) for r in host.ip_json("-6", "route", "show", "table", "local"))
    assert ping(client, dst, wait=1).returncode != 0
    # Reloads never detach: the same dispatcher program stays on h0.
    prog_after = L.sh("nsenter", "--net=" + host.path, "ip", "-j", "link", "show", "h0").stdout
    assert xdp_prog_id(prog_before) == xdp_prog_id(prog_after)


def xdp_prog_id(link_json):
    import json
    return json.loads(link_json)[0]["xdp"]["prog"]["id"]


def test_allmulti_set_and_restored(lan):
    lab, client, router, host = lan
    assert "ALLMULTI" not in host.ip_json("link", "show", "h0")[0]["flags"]
    d = lab.thingsd(host, L.DEMO_APPS)
    assert "ALLMULTI" in host.ip_json("link", "show", "h0")[0]["flags"]
    assert d.stop() == 0
    assert "ALLMULTI" not in host.ip_json("link", "show", "h0")[0]["flags"]


def test_routes_ours_only(lan):
    lab, client, router, host = lan
    # Someone else's local route for the same /48, and one of theirs alone.
    host.ip("-6", "route", "add", "local", str(L.ROUTED), "dev", "lo", "table", "local",
            "proto", "static")
    host.ip("-6", "route", "add", "local", "2001:db8:9::/48", "dev", "lo", "table", "local")
    d = lab.thingsd(host, L.DEMO_APPS)
    local = host.ip_json("-6", "route", "show", "table", "local")
    ours = [r for r in local if r.get("protocol") == "248"]
    assert [r["dst"] for r in ours] == [str(L.ONLINK)], local
    assert d.stop() == 0
    local = {r["dst"]: r for r in host.ip_json("-6", "route", "show", "table", "local")}
    assert str(L.ONLINK) not in local
    assert local[str(L.ROUTED)]["protocol"] == "static"
    assert "2001:db8:9::/48" in local


BAD_CONFIGS = {
    "unknown-key": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\ncolour = red\n", 4, "unknown key"),
    "bad-prefix": ("[app a]\nkind = echo\nprefix = 2001:db8::zz/48\n", 3, "prefix"),
    "host-bits": ("[app a]\nkind = echo\nprefix = 2001:db8::1/48\n", 3, "bits set past"),
    "bad-length": ("[app a]\nkind = echo\nprefix = 2001:db8::/129\n", 3, "prefix length"),
    "bad-kind": ("[app a]\nkind = teapot\nprefix = 2001:db8::/48\n", 2, "kind"),
    "no-prefix": ("\n[app a]\nkind = echo\n", 2, "no prefix"),
    "no-kind": ("[app a]\nprefix = 2001:db8::/48\n", 1, "no kind"),
    "onlink-no-iface": ("[app a]\nkind = echo\nprefix = 2001:db8::/64\nonlink = yes\n", 1,
                        "needs interface"),
    "iface-undeclared": ("[app a]\nkind = echo\nprefix = 2001:db8::/64\nonlink = yes\n"
                         "interface = h9\n", 5, "no [interface h9]"),
    "bad-bool": ("[app a]\nkind = echo\nprefix = 2001:db8::/64\nsilent = maybe\n", 4, "yes or no"),
    "bad-mode": ("[interface h0]\nmode = turbo\n", 2, "native or generic"),
    "dup-app": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\n[app a]\nkind = echo\n"
                "prefix = 2001:db8:1::/48\n", 4, "declared twice"),
    "dup-prefix": ("[app a]\nkind = echo\nprefix = 2001:db8::/48\n\n[app b]\nkind = echo\n"
                   "prefix = 2001:db8::/48\n", 7, "same prefix"),
    "bad-section": ("[frobnicator]\n", 1, "unknown section"),
    "key-outside": ("kind = echo\n", 1, "outside any section"),
    "garbage": ("[app a]\nthis is not ini\n", 2, "not a section header"),
    "relative-pin-dir": ("[daemon]\npin_dir = things\n", 2, "absolute path"),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_names_line_and_applies_nothing(lan, name):
    lab, client, router, host = lan
    body, line, why = BAD_CONFIGS[name]
    path = os.path.join(lab.tmp, name + ".conf")
    with open(path, "w") as f:
        f.write(body)
    res = L.sh(L.THINGSD, "--check", path, check=False)
    assert res.returncode == 2, res
    assert res.stderr.startswith("%s:%d: " % (path, line)), res.stderr
    assert why in res.stderr, res.stderr

    # Started with it for real, it touches nothing.
    pins = "%s/things-bad-%s" % (L.BPFFS, lab.suffix)
    with open(path, "w") as f:
        f.write("[daemon]\npin_dir = %s\nrun_dir = %s/run\n[interface h0]\n" % (pins, lab.tmp)
                if name != "relative-pin-dir" else "")
        f.write(body)
    proc = host.popen(L.THINGSD, "-c", path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.wait(10) == 2
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "xdp" not in host.ip_json("link", "show", "h0")[0]
    assert not [r for r in host.ip_json("-6", "route", "show", "table", "local")
                if r.get("protocol") == "248"]
    assert not os.path.exists(pins)


def test_interface_dropped_while_down_is_restored(lan):
    lab, client, router, host = lan
    d = lab.thingsd(host, L.DEMO_APPS, args=("--keep",))
    assert d.stop() == 0
    assert "ALLMULTI" in host.ip_json("link", "show", "h0")[0]["flags"]
    d.write_conf("")  # no interfaces, no apps
    d.start()
    assert "xdp" not in host.ip_json("link", "show", "h0")[0]
    assert "ALLMULTI" not in host.ip_json("link", "show", "h0")[0]["flags"]
    assert d.ctl_json("iface", "list") == []


def test_host_address_added_at_run_time_is_left_to_the_kernel(running):
    lab, client, router, host, d = running
    own = L.random_address(L.ONLINK, random.Random(11))
    before = d.ctl_json("stats")["reasons"]["pass-host"]["packets"]
    # The kernel must answer NDP for its own address: thingsd learns of it
    # from a notification and enters it as a /128 pass entry.
    host.ip("addr", "add", own + "/128", "dev", "h0", "nodad")
    wait_for(lambda: ping(client, own, wait=1).returncode == 0, timeout=10)
    assert d.ctl_json("stats")["reasons"]["pass-host"]["packets"] > before
    host.ip("addr", "del", own + "/128", "dev", "h0")
    # Gone again: the prefix's app answers for it once more.
    replies = app_counter(d, "lan", "echo-reply")
    wait_for(lambda: ping(client, own, wait=1).returncode == 0 and
             app_counter(d, "lan", "echo-reply") > replies, timeout=10)


def test_second_instance_is_refused(running):
    lab, client, router, host, d = running
    second = host.popen(L.THINGSD, "-c", d.conf, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    out, err = second.communicate(timeout=10)
    assert second.returncode == 1
    assert "another thingsd holds" in err and "(pid %d)" % d.proc.pid in err, err
    assert d.proc.poll() is None


def test_control_socket_is_for_root_and_group_only(running):
    lab, client, router, host, d = running
    sock = os.path.join(d.run_dir, "thingsd.sock")
    assert oct(os.stat(sock).st_mode & 0o777) == "0o660"
    os.chmod(d.run_dir, 0o755)
    os.chmod(lab.tmp, 0o755)
    # A process that reaches the socket but is neither root nor in the
    # group is refused by SO_PEERCRED, not only by the file mode.
    os.chmod(sock, 0o666)
    res = L.sh("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               L.THINGSCTL, "--run-dir", d.run_dir, "--pin-dir", "/nonexistent", "status",
               check=False)
    assert res.returncode == 1
    assert "permission denied" in res.stderr, res.stderr
