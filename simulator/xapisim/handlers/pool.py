"""Pool membership and HA: pool.join, eject, designate_new_master, enable_ha, disable_ha
[xenapi-notes §3.1; xen-api ocaml/xapi/xapi_pool.ml join_common, pre_join_checks, eject_self,
designate_new_master; xapi_ha.ml, xha_statefile.ml].
"""

from .. import membership
from ..call import Call
from ..errors import Failure
from . import session as sessions
from .registry import handles

# Simulated seconds.
JOIN_DURATION = 30.0  # certificates, database records on the coordinator
TOOLSTACK_RESTART = 10.0  # after pool.join returns, the joiner restarts as a member
HOST_BOOT = 120.0  # an ejected or rebooted host is back after this
DESIGNATE_DURATION = 10.0
HA_ENABLE_PER_HOST = 5.0
STATEFILE_SIZE = 4 * 1024 * 1024 + 4096 * 65  # xha_statefile.ml minimum_statefile_size, about
REDO_LOG_SIZE = 4 * 1024 * 1024


def _remote_coordinator(call, address, username, password):
    """Log in to the pool to join as xapi does: an address nothing answers on is
    JOINING_HOST_CONNECTION_FAILED, a member answers HOST_IS_SLAVE, bad credentials are the
    coordinator's SESSION_AUTHENTICATION_FAILED."""
    pool, host = call.world.pool_of_host(address)
    if pool is None:
        raise Failure("JOINING_HOST_CONNECTION_FAILED")
    if pool.master != host:
        raise Failure("HOST_IS_SLAVE", pool.address_of(pool.master))
    remote = Call(call.world, pool, host, None, "session.login_with_password")
    sessions.authenticate(remote, host, username, password)
    return pool, host


def _software(record):
    return record["software_version"]


def _pre_join_checks(call, me, pool, master, force):
    """xapi's pre_join_checks, in its order (those the simulator has state for)."""
    db, remote = call.db, pool.db
    mine, theirs = db.get("host", me), remote.get("host", master)
    if db.get("pool", call.pool.ref)["ha_enabled"]:
        raise Failure("HA_IS_ENABLED")
    if remote.get("pool", pool.ref)["ha_enabled"]:
        raise Failure("HA_IS_ENABLED")
    if theirs["uuid"] == mine["uuid"]:
        raise Failure("OPERATION_NOT_ALLOWED", "Host is already part of a pool" if len(db.refs("host")) > 1
                      else "Host cannot become slave of itself")
    if len(db.refs("host")) > 1:
        raise Failure("JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS")
    vms = db.records("VM")
    if any(vm["power_state"] == "Running" and not vm["is_control_domain"] for vm in vms.values()):
        raise Failure("JOINING_HOST_CANNOT_HAVE_RUNNING_VMS")
    if any(vm["current_operations"] for vm in vms.values()):
        raise Failure("JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS")
    my_sw, their_sw = _software(mine), _software(theirs)

    def compatibility(software):
        return software.get("platform_version"), software.get("product_brand", software.get("platform_name"))

    if compatibility(my_sw) != compatibility(their_sw):
        raise Failure("HOSTS_NOT_COMPATIBLE")

    def homogeneity(software):
        return software.get("xapi", ""), compatibility(software)[1], software.get("git_id", ""), "xs:linux" in software

    if not force and homogeneity(my_sw) != homogeneity(their_sw):
        raise Failure("HOSTS_NOT_HOMOGENEOUS", "Software version differs")
    if not force and mine["cpu_info"].get("vendor") != remote.get("pool", pool.ref)["cpu_info"].get("vendor"):
        raise Failure("HOSTS_NOT_HOMOGENEOUS", "CPUs differ")
    if any(sr["shared"] and not sr["is_tools_sr"] for sr in db.records("SR").values()):
        raise Failure("JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS")
    for cls, code in (("Bond", "POOL_JOINING_HOST_HAS_BONDS"), ("tunnel", "POOL_JOINING_HOST_HAS_TUNNELS"),
                      ("network_sriov", "POOL_JOINING_HOST_HAS_NETWORK_SRIOVS"),
                      ("VLAN", "POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS")):
        if db.refs(cls):
            raise Failure(code)
    if (mine["external_auth_type"] != theirs["external_auth_type"]
            or mine["external_auth_service_name"].lower() != theirs["external_auth_service_name"].lower()):
        raise Failure("POOL_JOINING_EXTERNAL_AUTH_MISMATCH")
    if my_sw.get("network_backend") != their_sw.get("network_backend"):
        raise Failure("OPERATION_NOT_ALLOWED", "Network backends differ")
    my_api = "%d.%d" % (mine["API_version_major"], mine["API_version_minor"])
    their_api = "%d.%d" % (theirs["API_version_major"], theirs["API_version_minor"])
    if my_api != their_api:
        raise Failure("POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION", my_api, their_api)
    my_schema, their_schema = my_sw.get("db_schema", ""), their_sw.get("db_schema", "")
    if not my_schema or not their_schema or my_schema != their_schema:
        raise Failure("POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA", my_schema, their_schema)
    if mine["tls_verification_enabled"] != theirs["tls_verification_enabled"]:
        raise Failure("POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH")


def _join(call, master_address, master_username, master_password, force):
    world = call.world
    me = call.host
    pool, master = _remote_coordinator(call, master_address, master_username, master_password)
    _pre_join_checks(call, me, pool, master, force)  # join_force skips only the homogeneity checks
    state = call.db.private.setdefault(call.pool.ref, {})
    if state.get("joining"):
        raise Failure("OTHER_OPERATION_IN_PROGRESS", "pool", call.pool.ref, "join", state["joining"])
    state["joining"] = call.current_task()
    try:
        call.spend(JOIN_DURATION)
    except BaseException:
        state.pop("joining", None)
        raise
    source = call.pool
    membership.move_host(world, source, me, pool)
    world.clock.later(TOOLSTACK_RESTART, lambda: membership.switch_address(world, source, me, pool))


@handles("pool.join")
def join(call, master_address, master_username, master_password):
    _join(call, master_address, master_username, master_password, False)


@handles("pool.join_force")
def join_force(call, master_address, master_username, master_password):
    _join(call, master_address, master_username, master_password, True)


@handles("pool.eject")
def eject(call, host):
    db = call.db
    db.get("host", host)
    pool_ref = call.pool.ref
    with call.operation("pool", pool_ref, "eject"):
        if db.get("pool", pool_ref)["ha_enabled"]:
            raise Failure("HA_IS_ENABLED")
        if host == call.pool.master:
            raise Failure("INTERNAL_ERROR", "Xapi_pool.Cannot_eject_master")
        for vm in db.get("host", host)["resident_VMs"]:
            record = db.get("VM", vm)
            if not record["is_control_domain"] and record["power_state"] != "Halted":
                raise Failure("OPERATION_NOT_ALLOWED", "VM resident on host")
        spec = membership.host_spec(db, host)
        membership.remove_host(db, host)
    world = call.world
    world.unregister_host(spec["address"])
    world.hosts_changed()
    world.clock.later(HOST_BOOT, lambda: membership.install_standalone(world, spec))


@handles("pool.designate_new_master")
def designate_new_master(call, host):
    db = call.db
    db.get("host", host)
    pool_ref = call.pool.ref
    if host == call.pool.master:
        return
    with call.operation("pool", pool_ref, "designate_new_master"):
        if db.get("pool", pool_ref)["ha_enabled"]:
            raise Failure("HA_IS_ENABLED")
        call.spend(DESIGNATE_DURATION)
        db.update("pool", pool_ref, master=host)


# ---- HA ----------------------------------------------------------------------------------------

def _assert_sr_can_host_statefile(db, sr, size):
    """xha_statefile.ml check_sr_can_host_statefile, then ha_fits_sr."""
    record = db.get("SR", sr)
    hosts = {db.get("PBD", pbd)["host"] for pbd in record["PBDs"]}
    if len(hosts) < len(db.refs("host")):
        raise Failure("SR_HAS_NO_PBDS", sr)
    if not all(db.get("PBD", pbd)["currently_attached"] for pbd in record["PBDs"]):
        raise Failure("SR_HAS_NO_PBDS", sr)
    sm = db.find_one("SM", type=record["type"])
    features = db.get("SM", sm)["features"] if sm else {}
    if "VDI_GENERATE_CONFIG" not in features and "VDI_ATTACH_OFFLINE" not in features:
        raise Failure("SR_OPERATION_NOT_SUPPORTED", sr)
    if record["physical_size"] - record["physical_utilisation"] < size:
        raise Failure("SR_SOURCE_SPACE_INSUFFICIENT", sr)


def _find_or_create_vdi(db, sr, kind, size, name, description):
    """xha_statefile.ml / xha_metadata_vdi.ml find_or_create: an SR's VDI of that type and at least
    that size is used again (HA enabled a second time makes no new ones); else a new one."""
    for vdi in db.get("SR", sr)["VDIs"]:
        record = db.get("VDI", vdi)
        if record["type"] == kind and record["virtual_size"] >= size:
            return vdi
    return db.create("VDI", {"name_label": name, "name_description": description, "SR": sr, "virtual_size": size,
                             "physical_utilisation": size, "type": kind, "sharable": True, "managed": True,
                             "sm_config": {"type": "raw"}})


@handles("pool.enable_ha")
def enable_ha(call, heartbeat_srs, configuration):
    db = call.db
    pool_ref = call.pool.ref
    with call.operation("pool", pool_ref, "ha_enable"):
        if db.get("pool", pool_ref)["ha_enabled"]:
            raise Failure("HA_IS_ENABLED")
        for host in db.refs("host"):
            metrics = db.tables["host_metrics"].get(db.get("host", host)["metrics"])
            if not metrics or not metrics["live"]:
                raise Failure("HOST_OFFLINE", host)
        for sr in heartbeat_srs:
            db.get("SR", sr)
        candidates = list(heartbeat_srs)
        if not candidates:
            for sr in db.refs("SR"):
                try:
                    _assert_sr_can_host_statefile(db, sr, STATEFILE_SIZE + REDO_LOG_SIZE)
                except Failure:
                    continue
                candidates.append(sr)
            if not candidates:
                raise Failure("CANNOT_CREATE_STATE_FILE")
        sr = candidates[0]
        _assert_sr_can_host_statefile(db, sr, STATEFILE_SIZE + REDO_LOG_SIZE)
        call.spend(HA_ENABLE_PER_HOST * len(db.refs("host")))
        with db.lock:
            statefile = _find_or_create_vdi(db, sr, "ha_statefile", STATEFILE_SIZE, "Statefile for HA", "Used for storage heartbeating")
            _find_or_create_vdi(db, sr, "redo_log", REDO_LOG_SIZE, "Metadata for HA", "Used for master failover")
            tolerate = db.get("pool", pool_ref)["ha_host_failures_to_tolerate"]
            db.update("pool", pool_ref, ha_enabled=True, ha_statefiles=[statefile], ha_configuration=dict(configuration),
                      ha_cluster_stack="xhad", ha_plan_exists_for=tolerate, ha_overcommitted=False)
            for host in db.refs("host"):
                db.update("host", host, ha_statefiles=[db.get("VDI", statefile)["uuid"]], ha_network_peers=[])


@handles("pool.disable_ha")
def disable_ha(call):
    db = call.db
    pool_ref = call.pool.ref
    with call.operation("pool", pool_ref, "ha_disable"):
        if not db.get("pool", pool_ref)["ha_enabled"]:
            raise Failure("HA_NOT_ENABLED")
        call.spend(HA_ENABLE_PER_HOST)
        db.update("pool", pool_ref, ha_enabled=False, ha_plan_exists_for=0, ha_statefiles=[], ha_cluster_stack="")
        for host in db.refs("host"):
            db.update("host", host, ha_statefiles=[])


def ha_tolerable(db):
    """Host failures a plan can cover: the simulator's plan needs a live enabled host more than that."""
    hosts = [h for h in db.refs("host") if db.get("host", h)["enabled"]]
    return max(0, len(hosts) - 1)


@handles("pool.set_ha_host_failures_to_tolerate")
def set_ha_host_failures_to_tolerate(call, self, value):
    db = call.db
    db.get("pool", self)
    if value < 0:
        raise Failure("INVALID_VALUE", "ha_host_failures_to_tolerate", value)
    record = db.get("pool", self)
    if record["ha_enabled"] and value > ha_tolerable(db):
        raise Failure("HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN")
    changes = {"ha_host_failures_to_tolerate": value}
    if record["ha_enabled"]:
        changes["ha_plan_exists_for"] = value
    db.update("pool", self, **changes)
