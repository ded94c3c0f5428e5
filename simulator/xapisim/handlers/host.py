"""Host calls that need no pool-wide workflow: memory, time, enable/disable, allowed ops."""

import datetime

from ..values import format_datetime
from . import placement
from .registry import derives, handles


@derives("host")
def allowed_operations(db, record):
    if record["current_operations"]:
        return {"allowed_operations": []}
    metrics = db.tables["host_metrics"].get(record["metrics"])
    if metrics is not None and not metrics["live"]:
        return {"allowed_operations": ["power_on"]}
    if record["enabled"]:
        ops = ["provision", "evacuate", "vm_start", "vm_resume", "vm_migrate"]
    else:
        ops = ["provision", "evacuate", "shutdown", "reboot", "apply_updates", "enable"]
    return {"allowed_operations": ops}


@handles("host.compute_free_memory")
def compute_free_memory(call, host):
    return placement.free_memory(call.db, host)


@handles("host.compute_memory_overhead")
def compute_memory_overhead(call, host):
    return call.db.get("host", host)["memory_overhead"]


@handles("host.get_servertime")
def get_servertime(call, host):
    call.db.get("host", host)
    return format_datetime(datetime.datetime.now(datetime.timezone.utc))


@handles("host.get_server_localtime")
def get_server_localtime(call, host):
    call.db.get("host", host)
    return format_datetime(datetime.datetime.now())


@handles("host.get_management_interface")
def get_management_interface(call, host):
    for pif in call.db.get("host", host)["PIFs"]:
        if call.db.tables["PIF"][pif]["management"]:
            return pif
    return "OpaqueRef:NULL"


@handles("host.disable")
def disable(call, host):
    call.db.get("host", host)
    call.db.update("host", host, enabled=False)


@handles("host.enable")
def enable(call, host):
    call.db.get("host", host)
    call.db.update("host", host, enabled=True)


@handles("host.list_methods")
def list_methods(call):
    from ..dispatch import list_methods as names

    return names(call.model)
