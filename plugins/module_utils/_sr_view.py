# Copyright (c) xapi.xenserver contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SRs as sr_info and sr return them: by name and uuid, sizes as ints, device_config without secrets."""

MASK = "********"
SECRET_KEYS = ("password", "chappassword", "incoming_chappassword", "cifspassword", "secret")


def is_secret(key):
    return any(secret in str(key).lower() for secret in SECRET_KEYS)


def public(device_config):
    """device_config with the values of secret keys (passwords, CHAP secrets) masked."""
    return {key: (MASK if is_secret(key) else value) for key, value in (device_config or {}).items()}


def secret_values(device_config):
    """The values of device_config that must never appear in output."""
    return [str(value) for key, value in (device_config or {}).items() if is_secret(key) and value not in (None, "")]


def shape(ref, sr, pool, pbds, hosts):
    """One SR record -> its view; pool, pbds and hosts are the records (by ref) it refers to."""
    attached = [pbds[pbd] for pbd in sr["PBDs"] if pbd in pbds]
    return {
        "uuid": sr["uuid"], "name": sr["name_label"], "description": sr["name_description"], "type": sr["type"],
        "content_type": sr["content_type"], "shared": sr["shared"], "default": ref == pool["default_SR"],
        "size": sr["physical_size"], "used": sr["physical_utilisation"],
        "free": sr["physical_size"] - sr["physical_utilisation"], "allocated": sr["virtual_allocation"],
        "disks": len(sr["VDIs"]),
        "hosts": sorted(({"host": hosts.get(pbd["host"], {}).get("name_label"), "attached": pbd["currently_attached"],
                          "device_config": public(pbd["device_config"])} for pbd in attached),
                        key=lambda item: item["host"] or ""),
    }


def view_srs(client, srs):
    """{ref: SR record} -> their views, sorted by name then uuid."""
    pool = next(iter(client.call("pool.get_all_records").values()))
    pbds = client.call("PBD.get_all_records") if srs else {}
    hosts = client.call("host.get_all_records") if srs else {}
    result = [shape(ref, sr, pool, pbds, hosts) for ref, sr in srs.items()]
    return sorted(result, key=lambda sr: (sr["name"], sr["uuid"]))


def view_sr(client, ref):
    """One SR by ref -> its view (None for no SR)."""
    if ref is None:
        return None
    return view_srs(client, {ref: client.call("SR.get_record", ref)})[0]
