"""The guest side of a running VM: its agent reports OS, drivers and IP addresses after boot.

Guest addresses are loopback addresses (127.100.0.0 and up, one /16 per pool), so nothing a
test does with a guest's address leaves the machine.
"""

from ..values import NULL_REF, now

AGENT_DELAY = 15.0  # simulated seconds from boot until the guest agent reports
DEFAULT_OS = {"name": "Debian GNU/Linux 12 (bookworm)", "distro": "debian", "major": "12", "minor": "5",
              "uname": "6.1.0-18-amd64"}


def guest_address(db, vm):
    """A stable loopback address for the VM's first NIC."""
    state = db.private.setdefault(vm, {})
    if "ip" not in state:
        pool_index = db.counters.get("pool_index", 0)
        number = db.counters["next_guest"] = db.counters.get("next_guest", 0) + 1
        state["ip"] = "127.%d.%d.%d" % (100 + pool_index, (number >> 8) & 255, number & 255)
    return state["ip"]


def agent_report(db, vm):
    """What the agent writes: VM_guest_metrics fields."""
    record = db.get("VM", vm)
    networks = {}
    if record["VIFs"]:
        address = guest_address(db, vm)
        devices = sorted(db.tables["VIF"][vif]["device"] for vif in record["VIFs"] if vif in db.tables["VIF"])
        networks = {"%s/ip" % devices[0]: address, "%s/ipv4/0" % devices[0]: address}
    os_version = dict(db.private.get(vm, {}).get("os_version") or DEFAULT_OS)
    return {
        "os_version": os_version,
        "PV_drivers_version": {"major": "9", "minor": "4", "micro": "0", "build": "1"},
        "PV_drivers_up_to_date": True,
        "PV_drivers_detected": True,
        "networks": networks,
        "other": {"feature-shutdown": "1", "feature-suspend": "1", "feature-poweroff": "1",
                  "feature-reboot": "1", "feature-vcpu-hotplug": "1", "has-vendor-device": "0",
                  "platform-feature-multiprocessor-suspend": "1"},
        "live": True,
        "can_use_hotplug_vbd": "yes",
        "can_use_hotplug_vif": "yes",
        "last_updated": now(),
    }


def report_now(db, vm):
    """The agent reports (at boot end + AGENT_DELAY): create or refresh the metrics."""
    with db.lock:
        if not db.exists("VM", vm) or db.get("VM", vm)["power_state"] != "Running":
            return
        fields = agent_report(db, vm)
        current = db.get("VM", vm)["guest_metrics"]
        if current in db.tables["VM_guest_metrics"]:
            db.update("VM_guest_metrics", current, **fields)
        else:
            db.update("VM", vm, guest_metrics=db.create("VM_guest_metrics", fields))
        db.refresh("VM", vm)


def forget(db, vm):
    """The domain is gone: so is what its agent reported."""
    with db.lock:
        metrics = db.get("VM", vm)["guest_metrics"]
        db.update("VM", vm, guest_metrics=NULL_REF)
        if metrics in db.tables["VM_guest_metrics"]:
            db.delete("VM_guest_metrics", metrics)
