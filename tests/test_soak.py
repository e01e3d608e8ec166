# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The soak's short run (tests/soak.py; `soak.py --seconds 1800` is the
long one): mixed load with reloads, restarts and a web reader, and then
nothing lost, nothing leaked."""

import os

import soak

SECONDS = float(os.environ.get("THINGS_SOAK_SECONDS", "120"))


def test_mixed_load_loses_nothing_and_leaks_nothing():
    res = soak.soak(SECONDS)
    assert not res["faults"], res
    assert res["hups"] >= 1 and res["restarts"] >= 1, res
    assert res["sent"]["posts"] == res["cycles"] >= 10, res


def test_reloads_and_status_requests_leak_no_descriptor():
    """libxdp 1.3 leaked a program descriptor each time thingsd asked it
    what runs on an interface: at every reload and status request."""
    import signal
    import time
    import lab as L
    with L.Lab("fds") as lab:
        client, _, host = L.lan_topology(lab)
        d = lab.thingsd(host, L.DEMO_APPS)

        def fds():
            out = {}
            for fd in os.listdir("/proc/%d/fd" % d.proc.pid):
                try:
                    out[fd] = os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd))
                except OSError:
                    pass
            return out

        def reload():
            d.send_signal(signal.SIGHUP)
            time.sleep(0.2)
            d.wait_ready()
            d.ctl("iface", "list")
        reload()
        before = fds()
        for _ in range(5):
            reload()
        # The control connection of the last request may still be open
        # for a moment after its reply: a leak is what does not go away.
        L.wait_for(lambda: len(fds()) <= len(before),
                   what=lambda: sorted(set(fds().items()) ^ set(before.items())))
