"""Network-namespace labs for IPv6 Things: the integration tests and
`make demo` build their topologies and run thingsd through this module.

Every namespace name carries a random suffix, so labs never collide, and
Lab.close() removes everything the lab made, in reverse order, even after a
failure half way through setting it up.
"""
import configparser
import ipaddress
import json
import os
import random
import secrets
import signal
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, "build")
THINGSD = os.path.join(BUILD, "thingsd")
THINGSCTL = os.path.join(BUILD, "thingsctl")
XDP_PASS_OBJ = os.path.join(BUILD, "xdp_pass.bpf.o")
BPFFS = "/sys/fs/bpf"

# The demo and test addressing plan (documentation prefixes only).
LAN = ipaddress.ip_network("2001:db8:ff::/64")
ROUTER_LAN = "2001:db8:ff::1"
HOST_LAN = "2001:db8:ff::2"
CLIENT_LAN = "2001:db8:ff::100"
ROUTED = ipaddress.ip_network("2001:db8:1::/48")
ONLINK = ipaddress.ip_network("2001:db8:2:3::/64")


def sh(*args, check=True, capture=True, timeout=30):
    """Runs a command; raises with its stderr if it fails and check is set."""
    res = subprocess.run(args, capture_output=capture, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), res.returncode,
                                                 (res.stderr or "").strip()))
    return res


def random_address(net, rng):
    """A random address inside net, never the subnet-router anycast one."""
    host_bits = net.max_prefixlen - net.prefixlen
    return str(net.network_address + rng.randrange(1, 2 ** host_bits))


def ensure_bpffs():
    if sh("stat", "-f", "-c", "%T", BPFFS).stdout.strip() != "bpf_fs":
        sh("mount", "-t", "bpf", "bpf", BPFFS)


_multiprog = None


def xdp_multiprog_supported():
    """Can libxdp run two programs on one interface here? Its dispatcher
    needs freplace (BPF_PROG_TYPE_EXT) programs, which some kernels refuse;
    libxdp then attaches a single program directly."""
    global _multiprog
    if _multiprog is None:
        with Lab("mp") as lab:
            ns = lab.netns("probe")
            ns.ip("link", "add", "mpa", "type", "veth", "peer", "name", "mpb")
            ensure_bpffs()
            loader = ("nsenter", "--net=" + ns.path, "xdp-loader", "load", "-m", "skb", "mpa",
                      XDP_PASS_OBJ)
            sh(*loader)
            _multiprog = sh(*loader, check=False).returncode == 0
    return _multiprog


class Netns:
    def __init__(self, lab, role):
        self.name = "things-%s-%s-%s" % (lab.tag, role, lab.suffix)
        self.lab = lab
        sh("ip", "netns", "add", self.name)
        lab.undo.append(lambda: sh("ip", "netns", "del", self.name, check=False))
        self.run("ip", "link", "set", "lo", "up")
        self.sysctl("net.ipv6.conf.all.accept_dad", "0")
        self.sysctl("net.ipv6.conf.default.accept_dad", "0")

    @property
    def path(self):
        return "/run/netns/" + self.name

    def run(self, *args, check=True, timeout=30):
        return sh("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout)

    def ip(self, *args, check=True):
        return sh("ip", "-n", self.name, *args, check=check)

    def ip_json(self, *args):
        return json.loads(sh("ip", "-n", self.name, "-j", *args).stdout or "[]")

    def sysctl(self, key, value):
        self.run("sysctl", "-qw", "%s=%s" % (key, value))

    def popen(self, *args, **kw):
        """A process in this namespace's network, in the caller's mount
        namespace: `ip netns exec` would remount /sys and hide bpffs."""
        return subprocess.Popen(("nsenter", "--net=" + self.path) + args, **kw)

    def link_mac(self, dev):
        return self.ip_json("link", "show", dev)[0]["address"]


class Thingsd:
    """thingsd running in a namespace, with its own pins and run dir."""

    def __init__(self, lab, ns, conf_text=None, conf_file=None, args=()):
        self.lab, self.ns = lab, ns
        self.log_path = os.path.join(lab.tmp, "thingsd.log")
        self.proc = None
        if conf_file:
            # Run a given config as it is: its [daemon] section says where.
            parser = configparser.ConfigParser(strict=False, interpolation=None)
            parser.read(conf_file)
            daemon = parser["daemon"] if parser.has_section("daemon") else {}
            self.pin_dir = daemon.get("pin_dir", BPFFS + "/things")
            self.run_dir = daemon.get("run_dir", "/run/things")
            self.state_dir = daemon.get("state_dir", "/var/lib/things")
            self.conf = conf_file
        else:
            self.pin_dir = "%s/things-%s-%s" % (BPFFS, lab.tag, lab.suffix)
            self.run_dir = os.path.join(lab.tmp, "run")
            self.state_dir = os.path.join(lab.tmp, "state")
            self.conf = os.path.join(lab.tmp, "thingsd.conf")
            self.write_conf(conf_text)
        lab.undo.append(self.cleanup)
        self.start(args)

    def write_conf(self, body):
        with open(self.conf, "w") as f:
            f.write("[daemon]\npin_dir = %s\nrun_dir = %s\nstate_dir = %s\n\n%s" %
                    (self.pin_dir, self.run_dir, self.state_dir, body))

    def start(self, args=(), wait=True):
        ensure_bpffs()
        self.log = open(self.log_path, "a")
        self.proc = self.ns.popen(THINGSD, "-c", self.conf, "-v", *args,
                                  stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=10):
        sock = os.path.join(self.run_dir, "thingsd.sock")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("thingsd exited %d:\n%s" % (self.proc.returncode, self.read_log()))
            # A killed daemon leaves its socket file: only the daemon's
            # own answer says this one is up.
            if os.path.exists(sock):
                res = self.ctl("-j", "status", check=False)
                if res.returncode == 0 and json.loads(res.stdout).get("running"):
                    return
            time.sleep(0.05)
        raise RuntimeError("thingsd not ready after %ss:\n%s" % (timeout, self.read_log()))

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def ctl(self, *args, check=True):
        return sh("nsenter", "--net=" + self.ns.path, THINGSCTL, "--run-dir", self.run_dir,
                  "--pin-dir", self.pin_dir, *args, check=check)

    def ctl_json(self, *args):
        return json.loads(self.ctl("-j", *args).stdout)

    def read_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        # Interfaces go with the namespaces; pins are ours alone to remove.
        sh("rm", "-rf", self.pin_dir, check=False)


class Lab:
    """A set of namespaces and processes that close() takes down again."""

    def __init__(self, tag="lab"):
        self.tag = tag
        self.suffix = secrets.token_hex(3)
        self.undo = []
        self.tmp = tempfile.mkdtemp(prefix="things-%s-" % tag)
        self.undo.append(lambda: sh("rm", "-rf", self.tmp, check=False))

    def netns(self, role):
        return Netns(self, role)

    def veth(self, ns_a, dev_a, ns_b, dev_b):
        sh("ip", "link", "add", dev_a, "netns", ns_a.name, "type", "veth",
           "peer", "name", dev_b, "netns", ns_b.name)
        ns_a.ip("link", "set", dev_a, "up")
        ns_b.ip("link", "set", dev_b, "up")

    def xdp_pass(self, ns, dev):
        """Lets native XDP_TX from the peer reach dev."""
        ns.ip("link", "set", "dev", dev, "xdpdrv", "obj", XDP_PASS_OBJ, "sec", "xdp")

    def thingsd(self, ns, conf_text=None, conf_file=None, args=()):
        return Thingsd(self, ns, conf_text, conf_file, args)

    def close(self):
        while self.undo:
            fn = self.undo.pop()
            try:
                fn()
            except Exception as e:  # keep undoing the rest
                print("lab cleanup: %s" % e)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def lan_topology(lab):
    """client and host on one LAN (a bridge in the router namespace), the
    router being the client's way to the routed /48 on the host.

        client c0 --- rc0 [br0 router 2001:db8:ff::1] rh0 --- h0 host
    """
    client, router, host = lab.netns("client"), lab.netns("router"), lab.netns("host")
    lab.veth(client, "c0", router, "rc0")
    lab.veth(host, "h0", router, "rh0")
    router.ip("link", "add", "br0", "type", "bridge")
    for port in ("rc0", "rh0"):
        router.ip("link", "set", port, "master", "br0")
    router.ip("link", "set", "br0", "up")
    router.sysctl("net.ipv6.conf.all.forwarding", "1")
    # Replies sent with XDP_TX by the host arrive through rh0.
    lab.xdp_pass(router, "rh0")

    router.ip("addr", "add", ROUTER_LAN + "/64", "dev", "br0", "nodad")
    host.ip("addr", "add", HOST_LAN + "/64", "dev", "h0", "nodad")
    client.ip("addr", "add", CLIENT_LAN + "/64", "dev", "c0", "nodad")
    host.ip("-6", "route", "add", "default", "via", ROUTER_LAN)
    client.ip("-6", "route", "add", "default", "via", ROUTER_LAN)
    router.ip("-6", "route", "add", str(ROUTED), "via", HOST_LAN)
    # The on-link /64 is on the LAN: its neighbours resolve it with NDP.
    client.ip("-6", "route", "add", str(ONLINK), "dev", "c0")
    router.ip("-6", "route", "add", str(ONLINK), "dev", "br0")
    return client, router, host


def tcp_app(name, prefix, target, ports="80", **keys):
    """The [app NAME] section of a tcp app."""
    lines = ["", "[app %s]" % name, "kind = tcp", "prefix = %s" % prefix, "ports = %s" % ports,
             "target = %s" % target] + ["%s = %s" % kv for kv in keys.items()]
    return "\n".join(lines) + "\n"


DEMO_APPS = """[interface h0]

[app routed]
kind = echo
prefix = %s

[app lan]
kind = echo
prefix = %s
onlink = yes
interface = h0
""" % (ROUTED, ONLINK)
