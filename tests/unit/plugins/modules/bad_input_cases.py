"""Generated bad argument sets for every module, each knowing which option it got wrong.

A case starts from a valid base set of the module (its connection options point at the simulator) and gets
ONE thing wrong: an option of the wrong type, an unknown choice, a missing required option, an unknown
option, an option combination the module refuses (from its argument_spec), or a value of the right type
that the module must refuse itself: names that do not exist, malformed uuids, MACs, addresses, sizes, paths,
junk text (unicode, control characters, very long). The option types, choices and required options come
from each module's DOCUMENTATION (which ansible-test sanity keeps equal to its argument_spec), so an option
added to a module is fuzzed for its type at once; the semantic mutations are written per module below.
"""

import copy
import ipaddress
import re

import yaml
from ansible.module_utils.common.validation import check_type_bool, check_type_dict, check_type_float, check_type_int
from hypothesis import strategies as st

from ansible_collections.xapi.xenserver.plugins.doc_fragments.connection import ModuleDocFragment

CONNECTION_OPTIONS = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
TRICKY = ["", " ", "\t", "\x00", "\n\r", "\x1b[31m", "../../../etc/passwd", "'", '"', "\\", "%s%n%d", "{0}{name}",
          "OpaqueRef:NULL", "OpaqueRef:00000000-0000-0000-0000-000000000000", "*", "?", "null", "None", "-1",
          "\u202e\u2066", "\ufeff", "\U0001f4a9" * 3, "a" * 300]


class Case:
    """One generated argument set: the arguments, the options it got wrong (a failure message must name one),
    what kind of mistake it is, whether only xapi can tell (the module may send a call that xapi refuses), and the
    calls the module makes to refresh what it knows before it can tell (a sync of the update list: it changes the
    pool's record of its last sync, nothing else)."""

    def __init__(self, args, culprits, kind, value=None, server=False, refresh=()):
        self.args = args
        self.culprits = frozenset(culprits)
        self.kind = kind
        self.value = value
        self.server = server
        self.refresh = frozenset(refresh)

    def __repr__(self):
        return "Case(%s, culprits=%s, args=%r)" % (self.kind, sorted(self.culprits), self.args)


# ---- values ----------------------------------------------------------------------------------------
# any text YAML or JSON can carry: no lone surrogates (they are not text, no playbook can hold one); built once,
# as a character strategy with exclusions walks every code point
CHARACTERS = st.characters(exclude_categories=("Cs",))
CONTROL = st.characters(max_codepoint=0x1f)
BEYOND_ASCII = st.characters(min_codepoint=0x80, exclude_categories=("Cs",))


def text(**limits):
    return st.text(CHARACTERS, **limits)


def repeated(pair):
    return pair[0] * pair[1]


JUNK = st.one_of(
    text(min_size=1, max_size=30),
    st.text(CONTROL, min_size=1, max_size=8),
    st.text(BEYOND_ASCII, min_size=1, max_size=20),
    st.tuples(text(min_size=1, max_size=4), st.integers(1000, 3000)).map(repeated),
    st.sampled_from(TRICKY))


def junk():
    """Text no option expects: any unicode, control characters only, non-ASCII only, very long, tricky."""
    return JUNK


def rejected_by(check):
    def rejected(value):
        try:
            check(value)
        except (TypeError, ValueError, OverflowError, MemoryError):  # the last two: ansible-core lets them out
            return True
        return False
    return rejected


def not_in(choices):
    return lambda value: value not in choices


def nonexistent(names):
    """Names no object of the pool has (junk, or a plausible name)."""
    plausible = st.builds(lambda word, number: "%s-%d" % (word, number), st.sampled_from(["web", "db", "xs-a", "NFS", "eth"]),
                          st.integers(4, 10 ** 6))
    return st.one_of(junk(), plausible).filter(lambda name: name not in names and name.strip() not in names)


def random_uuids():
    return st.uuids().map(str)


def malformed_uuids():
    return st.one_of(
        random_uuids().map(lambda text: text[:-1]),
        random_uuids().map(lambda text: text.replace("-", "")[:31]),
        random_uuids().map(lambda text: "g" + text[1:]),
        junk().filter(lambda text: text and not re.match(r"^[0-9a-f-]{36}$", text)))


def malformed_macs():
    return st.one_of(
        st.sampled_from(["00:11:22:33:44", "00:11:22:33:44:55:66", "zz:11:22:33:44:55", "0011.2233.4455", "00-11-22-33-44",
                         "::::::", "00:11:22:33:44:5g"]),
        junk().filter(lambda text: text and not MAC.match(text.strip())))  # "": a MAC of xapi's choice


def unreachable():
    """Servers no storage driver reaches: addresses that are not this machine's loopback, names that do not resolve."""
    def far(text):
        try:
            return not ipaddress.ip_address(text.strip()).is_loopback
        except ValueError:
            return text.strip() not in ("", "localhost")
    return st.one_of(st.sampled_from(["192.0.2.1", "10.1.2.3", "fe80::1", "nfs.example.invalid"]), junk().filter(far))


def not_ipv4():
    def bad(text):
        try:
            ipaddress.IPv4Address(text.strip())
        except ValueError:
            return True
        return False
    return st.one_of(st.sampled_from(["256.1.1.1", "1.2.3", "1.2.3.4.5", "::1", "10.0.0.1/24", "0x7f.1", "localhost"]),
                     junk().filter(bad))


def not_ipv6_interface():
    def bad(text):
        try:
            ipaddress.IPv6Interface(text.strip())
        except ValueError:
            return True
        return "/" not in text
    return st.one_of(st.sampled_from(["fe80::1", "fe80::1/129", "gg::1/64", "10.0.0.1/24", "::1/-1"]), junk().filter(bad))


def not_ipv6():
    def bad(text):
        try:
            ipaddress.IPv6Address(text.strip())
        except ValueError:
            return True
        return False
    return st.one_of(st.sampled_from(["fe80::1/64", "gg::1", "10.0.0.1", ":::"]), junk().filter(bad))


def not_netmask():
    def bad(text):
        text = text.strip()
        try:
            ipaddress.IPv4Network("0.0.0.0/%s" % text)
        except ValueError:
            return True
        return False
    return st.one_of(st.sampled_from(["33", "-1", "255.0.255.0", "255.255.255.256", "1.2.3.4"]), junk().filter(bad))


def bad_sizes():
    return st.one_of(
        st.sampled_from(["0", "0GiB", "-1", "-1GiB", "10XB", "1.5.5G", "GiB", "1e3", "ten", "1 2 GiB", "0.0MiB", "--5"]),
        st.integers(max_value=0), st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(text(max_size=3), st.integers(), max_size=2),
        junk().filter(lambda text: not SIZE.match(text)))


# ---- wrong shapes from an option's documentation ---------------------------------------------------
def wrong_shape(doc):
    """Values Ansible's type checks refuse for an option documented as `doc`, or None if any value passes."""
    kind = doc.get("type", "str")
    choices = doc.get("choices")
    some_list = st.lists(st.integers(), min_size=1, max_size=3)
    some_dict = st.dictionaries(text(min_size=1, max_size=5), st.integers(), min_size=1, max_size=3)
    if kind == "bool":
        return st.one_of(junk().filter(rejected_by(check_type_bool)), st.integers().filter(not_in((0, 1))), some_list, some_dict)
    if kind == "int":
        return st.one_of(junk().filter(rejected_by(check_type_int)),
                         st.sampled_from(["inf", "-Infinity", float("inf"), "1e999999999999999999", [10 ** 30, -10 ** 30, 7]]),
                         st.floats(allow_nan=False, allow_infinity=False).filter(lambda number: not number.is_integer()),
                         some_list, some_dict)
    if kind == "float":
        return st.one_of(junk().filter(rejected_by(check_type_float)), some_list, some_dict)
    if kind == "list":
        options = [some_dict]
        if doc.get("elements") == "dict":
            options.append(st.lists(st.one_of(st.integers(), some_list), min_size=1, max_size=3))
        elif choices:
            options.append(st.lists(junk().filter(not_in(choices)), min_size=1, max_size=3))
        return st.one_of(options)
    if kind == "dict":
        return st.one_of(some_list, junk().filter(rejected_by(check_type_dict)))
    if choices:
        return junk().filter(not_in(choices))
    return None


# ---- building cases ---------------------------------------------------------------------------------
def placed(base, path, value, drop=False, overrides=None):
    """base with `value` at path (option, or option/index/suboption...); drop removes it instead."""
    args = copy.deepcopy(base)
    for name, replacement in (overrides or {}).items():  # None: the option left out
        if replacement is None:
            args.pop(name, None)
        else:
            args[name] = copy.deepcopy(replacement)
    target = args
    for step in path[:-1]:
        target = target[step]
    if drop:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return args


def option_names(path):
    return {step for step in path if isinstance(step, str)}


def shaped(base, samples, options, path=()):
    """Cases of wrong shapes, missing required options and unknown options for these documented options."""
    strategies = []
    holder = base
    for step in path:
        holder = holder[step]
    for name, doc in sorted(options.items()):
        where = path + (name,)
        wrong = wrong_shape(doc)
        if wrong is not None:
            strategies.append(wrong.map(lambda value, where=where: Case(placed(base, where, value), option_names(where),
                                                                        "type of %s" % "/".join(map(str, where)), value)))
        if doc.get("required") and name in holder:
            strategies.append(st.just(Case(placed(base, where, None, drop=True), option_names(where),
                                           "missing %s" % "/".join(map(str, where)))))
        suboptions = doc.get("suboptions")
        if suboptions:
            sample = samples[name] if not path else holder.get(name)
            if sample is None:
                raise AssertionError("bad_input_cases: no sample value for %s" % "/".join(map(str, where)))
            with_sample = placed(base, where, copy.deepcopy(sample))
            sub_path = where + (0,) if doc.get("type") == "list" else where
            strategies += shaped(with_sample, samples, suboptions, sub_path)
    known = set(options)
    for doc in options.values():
        known.update(doc.get("aliases", []))
    unknown = st.one_of(junk(), st.sampled_from(["colour", "vm_name", "hostnames", "passwords", "Name"]))
    unknown = unknown.filter(lambda key: key not in known and not key.startswith("_"))
    strategies.append(unknown.map(lambda key: Case(placed(base, path + (key,), "x"), {key} | option_names(path),
                                                   "unknown option in %s" % ("/".join(map(str, path)) or "the module"))))
    return strategies


def bad(base, path, values, culprits=None, overrides=None, server=False, kind=None, refresh=()):
    """Cases from a strategy of wrong values for one option (path), with other options changed first (overrides)."""
    names = set(culprits) if culprits is not None else option_names(path)
    label = kind or "value of %s" % "/".join(map(str, path))
    return values.map(lambda value: Case(placed(base, path, value, overrides=overrides), names, label, value, server, refresh))


def combo(base, args, culprits, kind, drop=()):
    """One fixed wrong combination (mutually exclusive, required together, ...)."""
    merged = placed(base, ("_",), None, overrides=args)
    del merged["_"]
    for name in drop:
        merged.pop(name, None)
    return st.just(Case(merged, culprits, kind))


# ---- the connection options, for every module built on XenServerModule ------------------------------
def connection_cases(base, ctx):
    """One branch of a module's cases (the connection options are the same code in every module)."""
    return st.one_of([
        bad(base, ("hostname",), st.one_of(
            st.sampled_from(["", "   ", "ftp://127.0.10.1", "http://", "https://:443", "://127.0.10.1", "file:///etc/passwd",
                             "https://[::1", "https://127.0.10.1:99999"]),
            junk().map(lambda text: "gopher://" + text))),
        bad(base, ("username",), nonexistent(ctx["names"]).filter(lambda name: name != "root"), server=True),
        bad(base, ("password",), junk().filter(lambda text: text != ctx["password"]), server=True),
        bad(base, ("request_timeout",), st.one_of(st.sampled_from([0, 0.0, -1, -0.5, "nan", "inf", "-inf"]),
                                                  st.floats(max_value=0))),
        bad(base, ("ca_path",), st.one_of(st.sampled_from(["/nonexistent/ca.pem", "/etc", "/dev/null", "/etc/hostname"]),
                                          junk().filter(lambda text: "\x00" not in text and text.strip()).map(
                                              lambda text: "/nonexistent/" + text))),
    ])


# ---- the modules --------------------------------------------------------------------------------------
NET0 = "Pool-wide network associated with eth0"
NET1 = "Pool-wide network associated with eth1"


def vm_cases(conn, ctx):
    base = dict(conn, name="build-01", description="set by a bad-input case")
    samples = {"disks": [{"size": "10GiB"}], "cdrom": {"iso": "Rocky-9.4-x86_64-minimal.iso"}, "networks": [{"network": NET0}],
               "cloud_init": {"user_data": "#cloud-config\n"}}
    names = ctx["names"]
    new = {"name": "bad-input-new-vm", "template": "Debian Bookworm 12"}
    return base, samples, [
        bad(base, ("uuid",), st.one_of(random_uuids(), malformed_uuids()), overrides={"name": None}),
        bad(base, ("template",), nonexistent(names), overrides=new),
        bad(base, ("sr",), nonexistent(names), overrides=new),
        bad(base, ("sr",), nonexistent(names), overrides={"disks": [{"size": "10GiB"}, {"size": "1GiB"}]}),
        bad(base, ("name",), nonexistent(names), culprits={"name", "template"}),
        bad(base, ("vcpus",), st.integers(max_value=0)),
        bad(base, ("vcpus_max",), st.integers(max_value=0)),
        bad(base, ("vcpus",), st.integers(5, 64), overrides={"vcpus_max": 4}, culprits={"vcpus", "vcpus_max"}),
        bad(base, ("memory",), bad_sizes()),
        bad(base, ("memory_min",), bad_sizes()),
        bad(base, ("memory_min",), st.sampled_from(["8GiB", "16GiB"]), overrides={"memory": "4GiB"},
            culprits={"memory", "memory_min"}),
        bad(base, ("disks", 0, "size"), bad_sizes(), overrides={"disks": [{"size": "10GiB"}]}),
        bad(base, ("disks", 0, "size"), st.sampled_from(["1MiB", "2MiB", "1GiB"]), overrides={"disks": [{"size": "10GiB"}]}),
        bad(base, ("disks", 1, "sr"), nonexistent(names), overrides={"disks": [{"size": "10GiB"}, {"size": "1GiB"}]}),
        bad(base, ("disks", 1, "size"), st.none(), overrides={"disks": [{"size": "10GiB"}, {"name": "extra"}]}),
        bad(base, ("cdrom", "iso"), nonexistent(names), overrides={"cdrom": {"iso": ""}}),
        bad(base, ("networks", 0, "network"), nonexistent(names), overrides={"networks": [{"network": NET0}]}),
        bad(base, ("networks", 0, "mac"), malformed_macs(), overrides={"networks": [{"network": NET0}]}),
        bad(base, ("affinity",), nonexistent(names)),
        bad(base, ("state",), st.just("suspended")),
        combo(base, {"name": None}, {"name", "uuid"}, "neither name nor uuid"),
    ]


def vm_snapshot_cases(conn, ctx):
    base = dict(conn, vm="web-01", name="bad-input snapshot")
    return base, {}, [
        bad(base, ("vm",), nonexistent(ctx["names"])),
        bad(base, ("vm",), st.sampled_from(["Debian Bookworm 12", "Rocky Linux 9"])),
        bad(base, ("vm",), st.one_of(random_uuids(), malformed_uuids())),
        bad(base, ("name",), nonexistent(ctx["names"]), overrides={"state": "reverted"}, culprits={"name"}),
        combo(base, {"state": "absent"}, {"name"}, "absent without a name", drop=("name",)),
        combo(base, {"state": "reverted"}, {"name"}, "reverted without a name", drop=("name",)),
    ]


def vm_migrate_cases(conn, ctx):
    base = dict(conn, vm="web-01", host="xs-a3")
    names = ctx["names"]
    return base, {"remote": {"hostname": ctx["url"]}}, [
        bad(base, ("vm",), nonexistent(names)),
        bad(base, ("vm",), st.one_of(random_uuids(), malformed_uuids())),
        bad(base, ("host",), nonexistent(names)),
        bad(base, ("away_from",), nonexistent(names), overrides={"host": None}),
        bad(base, ("sr",), nonexistent(names)),
        bad(base, ("disk_map",), st.dictionaries(nonexistent(names), st.just("NFS storage"), min_size=1, max_size=2)),
        bad(base, ("disk_map",), st.dictionaries(st.just("0"), nonexistent(names), min_size=1, max_size=1)),
        combo(base, {"away_from": "xs-a1"}, {"host", "away_from"}, "host with away_from"),
        combo(base, {"away_from": "xs-a1", "remote": {"hostname": ctx["url"]}, "host": None}, {"remote", "away_from"},
              "remote with away_from"),
    ]


def host_cases(conn, ctx):
    base = dict(conn, name="xs-a2", description="set by a bad-input case")
    names = ctx["names"]
    return base, {}, [
        bad(base, ("name",), nonexistent(names)),
        bad(base, ("uuid",), st.one_of(random_uuids(), malformed_uuids()), overrides={"name": None}),
        bad(base, ("power_on_mode",), junk().filter(lambda text: not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", text)
                                                    and text.lower() not in ("", "wake-on-lan", "ilo", "drac", "ipmi"))),
        bad(base, ("dns_servers",), st.lists(not_ipv4(), min_size=1, max_size=2)),
        bad(base, ("ntp_servers",), st.lists(st.sampled_from(["", " ", "\t"]), min_size=1, max_size=2)),
        bad(base, ("other_config",), st.dictionaries(junk(), st.none(), min_size=1, max_size=2)),
        bad(base, ("logging",), st.dictionaries(junk(), st.none(), min_size=1, max_size=2)),
        bad(base, ("power_on_config",), st.dictionaries(junk(), st.none(), min_size=1, max_size=2)),
        combo(base, {"uuid": ctx["uuids"]["xs-a2"]}, {"name", "uuid"}, "name with uuid"),
        combo(base, {}, {"name", "uuid"}, "neither name nor uuid", drop=("name",)),
    ]


def host_info_cases(conn, ctx):
    base = dict(conn, name="xs-a1")
    return base, {}, [
        bad(base, ("name",), nonexistent(ctx["names"]).filter(bool)),  # "" is no name: all hosts
        bad(base, ("uuid",), st.one_of(random_uuids(), malformed_uuids()), overrides={"name": None}),
        combo(base, {"uuid": ctx["uuids"]["xs-a1"]}, {"name", "uuid"}, "name with uuid"),
    ]


def host_update_cases(conn, ctx):
    # no sync before the checks: a sync is the module's refresh of the update list (any run older than
    # sync_max_age does it, whatever its input), not an effect of the bad input
    base = dict(conn, host="xs-a1", reboot="never", sync_max_age=10 ** 9)
    return base, {}, [
        bad(base, ("host",), nonexistent(ctx["names"])),
        # an update name the pool does not know: the module syncs the pool with its repository first (as documented)
        bad(base, ("updates",), st.lists(nonexistent(ctx["names"]), min_size=1, max_size=2),
            refresh=("Async.pool.sync_updates", "task.destroy")),
        bad(base, ("updates",), st.lists(junk(), min_size=1, max_size=2).map(lambda names: ["all"] + names)),
    ]


def host_install_wait_cases(dummy, ctx):
    machine = {"name": "xs-a1", "address": "127.0.10.1"}
    base = {"machines": [machine], "password": ctx["password"], "ca_path": ctx["ca_path"], "port": str(ctx["port"]),
            "timeout": 0}
    return base, {"machines": [machine]}, [
        bad(base, ("timeout",), st.integers(max_value=-1)),
        bad(base, ("machines",), st.just([machine, dict(machine)]), culprits={"machines", "name"}),
        bad(base, ("machines", 0, "address"), st.one_of(st.sampled_from(["", " ", "ftp://x", "https://", "[::1"]),
                                                        junk().map(lambda text: "gopher://" + text))),
        bad(base, ("port",), st.one_of(junk().filter(lambda text: text and not re.match(r"^[0-9]+$", text.strip())),
                                       st.sampled_from(["0", "65536", "99999"]))),
        bad(base, ("password",), junk().filter(lambda text: text != ctx["password"]), server=True),
        bad(base, ("product_version",), st.sampled_from(["7.1", "9", "nope"])),
        bad(base, ("request_timeout",), st.one_of(st.sampled_from([0, -1, "nan", "-inf"]), st.floats(max_value=0))),
    ]


def network_cases(conn, ctx):
    base = dict(conn, name="bad-input network", description="made by a bad-input case")
    samples = {"vlan": {"tag": 10, "device": "eth1"}, "bond": {"devices": ["eth0", "eth1"]}}
    return base, samples, [
        bad(base, ("mtu",), st.one_of(st.integers(max_value=67), st.integers(min_value=9217))),
        bad(base, ("vlan", "tag"), st.one_of(st.integers(max_value=-1), st.integers(min_value=4095)), overrides={"vlan": samples["vlan"]}),
        bad(base, ("vlan", "device"), nonexistent(ctx["names"]), overrides={"vlan": samples["vlan"]}),
        bad(base, ("bond", "devices"), st.lists(nonexistent(ctx["names"]), min_size=2, max_size=3, unique=True),
            overrides={"bond": samples["bond"]}),
        bad(base, ("bond", "devices"), st.sampled_from([["eth0"], ["eth1", "eth1"], []]), overrides={"bond": samples["bond"]}),
        combo(base, samples, {"vlan", "bond"}, "vlan with bond"),
        combo(base, {}, {"name"}, "no name", drop=("name",)),
    ]


def pif_cases(conn, ctx):
    base = dict(conn, host="xs-a2", device="eth1", mode="static", ip="127.0.20.2", netmask="255.0.0.0")
    ipv6 = {"ipv6": {"mode": "static", "address": "2001:db8::10/64"}}
    return base, {"ipv6": {"mode": "autoconf"}}, [
        bad(base, ("host",), nonexistent(ctx["names"])),
        bad(base, ("device",), nonexistent(ctx["names"])),
        bad(base, ("ip",), not_ipv4()),
        bad(base, ("netmask",), not_netmask()),
        bad(base, ("gateway",), not_ipv4().filter(bool)),  # "": no gateway
        bad(base, ("dns",), st.lists(not_ipv4(), min_size=1, max_size=2)),
        bad(base, ("ipv6", "address"), not_ipv6_interface(), overrides=ipv6),
        bad(base, ("ipv6", "gateway"), not_ipv6(), overrides=ipv6),
        combo(base, {"mode": "dhcp"}, {"ip", "netmask", "mode"}, "ip with dhcp"),
        combo(base, {"mode": "none", "ip": None, "netmask": None, "gateway": "192.0.2.1"}, {"gateway", "mode"}, "gateway with none"),
        combo(base, {}, {"ip", "mode"}, "static without ip", drop=("ip",)),
        combo(base, {"ipv6": {"mode": "static"}}, {"address", "ipv6"}, "static ipv6 without address"),
        combo(base, {"ipv6": {"mode": "dhcp", "address": "2001:db8::10/64"}}, {"address", "ipv6"}, "ipv6 address with dhcp"),
        combo(base, {"device": "eth0", "mode": "none", "ip": None, "netmask": None}, {"mode"}, "management without address"),
        combo(base, {"device": "eth0", "management": False, "mode": None, "ip": None, "netmask": None}, {"management"},
              "management off"),
    ]


def pool_cases(conn, ctx):
    base = dict(conn, name="bad-input pool", description="set by a bad-input case")
    names = ctx["names"]
    return base, {"ha": {"enabled": False}}, [
        bad(base, ("default_sr",), nonexistent(names)),
        bad(base, ("suspend_image_sr",), nonexistent(names)),
        bad(base, ("crash_dump_sr",), nonexistent(names)),
        bad(base, ("master",), nonexistent(names)),
        bad(base, ("ha", "heartbeat_srs"), st.lists(nonexistent(names), min_size=1, max_size=2),
            overrides={"ha": {"enabled": True}}),
        bad(base, ("ha", "heartbeat_srs"), st.just(["ISO library"]), overrides={"ha": {"enabled": True}}),
        bad(base, ("ha", "failures_to_tolerate"), st.integers(max_value=-1),
            overrides={"ha": {"enabled": True, "heartbeat_srs": ["NFS storage"]}}),
        bad(base, ("other_config",), st.dictionaries(junk(), st.none(), min_size=1, max_size=2)),
        combo(base, {"ha": {"enabled": True}}, {"heartbeat_srs", "ha"}, "HA without heartbeat SRs"),
    ]


def pool_member_cases(conn, ctx):
    base = dict(conn, host="127.0.10.2")
    return base, {}, [
        bad(base, ("host",), st.one_of(st.sampled_from(["", " ", "a b", "http://x", "[::1", "127.0.10.2:99999", "::1", "a/b", "-x"]),
                                       junk().filter(lambda text: not re.match(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$", text)))),
        combo(base, {"state": "absent"}, {"allow_data_loss", "state"}, "eject without allow_data_loss"),
        combo(base, {}, {"host"}, "no host", drop=("host",)),
    ]


def pool_backup_cases(conn, ctx):
    base = dict(conn, dest=ctx["backup_dest"], name="bad-input")
    return base, {}, [
        bad(base, ("keep",), st.integers(max_value=-1)),
        bad(base, ("dest",), st.sampled_from([ctx["plain_file"], "/proc/version", "/dev/null"])),
        bad(base, ("dest",), st.sampled_from(["/proc/bad-input", "/proc/self/bad-input/x", ctx["plain_file"] + "/below"])),
        bad(base, ("dest",), junk().filter(lambda text: "\x00" in text or len(text) > 300).map(lambda text: ctx["tmp"] + "/" + text)),
        bad(base, ("vms",), st.lists(nonexistent(ctx["names"]), min_size=1, max_size=2)),
        bad(base, ("vms",), st.just(["Debian Bookworm 12"])),
    ]


def pool_restore_cases(conn, ctx):
    base = dict(conn, src=ctx["backup_src"], vms=["web-01"])
    return base, {}, [
        bad(base, ("src",), st.sampled_from([ctx["plain_file"], ctx["tmp"] + "/nothing-here", "/proc/version", "/dev/null",
                                             ctx["tmp"], ctx["bad_manifest"]])),
        bad(base, ("src",), junk().map(lambda text: ctx["tmp"] + "/" + text)),
        bad(base, ("name",), nonexistent(ctx["names"]).filter(bool)),  # "" is no name: the newest backup
        bad(base, ("vms",), st.lists(nonexistent(ctx["names"]), min_size=1, max_size=2)),
        combo(base, {"src": ctx["backup_database"]}, {"vms", "src"}, "vms from a bare database"),
    ]


def sr_cases(conn, ctx):
    base = dict(conn, name="bad-input SR", type="nfs", device_config={"server": "127.0.100.1", "serverpath": "/export/bad-input"})
    return base, {}, [
        bad(base, ("host",), nonexistent(ctx["names"])),
        bad(base, ("device_config",), st.sampled_from([{}, {"server": "127.0.100.1"}, {"serverpath": "/export/x"},
                                                       {"server": "", "serverpath": "/export/x"}])),
        bad(base, ("device_config", "server"), unreachable(), server=True),
        combo(base, {}, {"type"}, "new SR without a type", drop=("type",)),
        combo(base, {"name": "NFS storage", "type": "iso"}, {"type"}, "type of an existing SR"),
        combo(base, {"name": "NFS storage", "state": "absent"}, {"forget", "destroy", "state"}, "absent without forget or destroy"),
        combo(base, {"name": "NFS storage", "state": "absent", "forget": True, "destroy": True}, {"forget", "destroy"},
              "forget and destroy"),
        combo(base, {"forget": True}, {"forget", "destroy", "state"}, "forget with present"),
        combo(base, {"name": "NFS storage", "state": "absent", "destroy": True}, {"destroy"}, "destroy of an SR with disks"),
    ]


def sr_info_cases(conn, ctx):
    base = dict(conn, name="NFS storage")
    return base, {}, [
        bad(base, ("uuid",), st.one_of(random_uuids(), malformed_uuids()), overrides={"name": None}),
        combo(base, {"uuid": ctx["uuids"]["NFS storage"]}, {"name", "uuid"}, "name with uuid"),
    ]


def vm_info_cases(conn, ctx):
    base = dict(conn, name="web-01")
    return base, {}, [
        bad(base, ("uuid",), st.one_of(random_uuids(), malformed_uuids()), overrides={"name": None}),
        combo(base, {"uuid": ctx["uuids"]["web-01"]}, {"name", "uuid"}, "name with uuid"),
    ]


def subject_cases(conn, ctx):
    base = dict(conn, name="EXAMPLE\\alice", roles=["vm-operator"])
    return base, {"subjects": [{"name": "EXAMPLE\\bob", "roles": ["read-only"]}]}, [
        bad(base, ("name",), nonexistent(ctx["names"]).filter(lambda name: name.strip()), server=True),
        bad(base, ("subjects", 0, "name"), nonexistent(ctx["names"]).filter(lambda name: name.strip()),
            overrides={"name": None, "roles": None, "subjects": [{"name": "EXAMPLE\\bob", "roles": ["read-only"]}]}, server=True),
        combo(base, {"roles": None}, {"roles"}, "new subject without roles"),
        combo(base, {"subjects": [{"name": "EXAMPLE\\bob", "roles": ["read-only"]}]}, {"name", "subjects"}, "name with subjects"),
        combo(base, {"name": None, "roles": None}, {"name", "subjects"}, "neither name nor subjects"),
    ]


def external_auth_cases(conn, ctx):
    base = dict(conn, domain="example.test", domain_username="Administrator", domain_password="Passw0rd!x")
    return base, {}, [
        bad(base, ("domain_password",), junk().filter(lambda text: text != "Passw0rd!x"), server=True,
            culprits={"domain_password", "password"}),
        bad(base, ("domain_username",), nonexistent(ctx["names"]).filter(lambda name: name.strip() and name != "Administrator"),
            server=True, culprits={"domain_username", "username"}),
        bad(base, ("domain_username",), st.sampled_from(["alice", "bob", "dave"]), server=True, culprits={"domain_username", "username"}),
        bad(base, ("domain",), nonexistent(ctx["names"]).filter(lambda name: name.strip()), server=True),
        bad(base, ("ou",), st.sampled_from(["OU=Nowhere", "OU=Servers,OU=Gone", "not an ou"]), server=True),
        combo(base, {}, {"domain_password"}, "join without a password", drop=("domain_password",)),
        combo(base, {}, {"domain_username"}, "join without a user", drop=("domain_username",)),
        combo(base, {}, {"domain"}, "join without a domain", drop=("domain",)),
        combo(base, {"state": "absent", "disable_machine_account": True}, {"domain_username", "domain_password"},
              "leave with the machine account, without credentials", drop=("domain_username", "domain_password")),
    ]


def plain_cases(conn, dummy):
    return dict(conn), {}, []


BUILDERS = {
    "auth_info": plain_cases, "external_auth": external_auth_cases, "host": host_cases, "host_info": host_info_cases,
    "host_install_wait": host_install_wait_cases, "host_update": host_update_cases, "network": network_cases,
    "pif": pif_cases, "pool": pool_cases, "pool_backup": pool_backup_cases, "pool_info": plain_cases,
    "pool_member": pool_member_cases, "pool_restore": pool_restore_cases, "sr": sr_cases, "sr_info": sr_info_cases,
    "subject": subject_cases, "vm": vm_cases, "vm_info": vm_info_cases, "vm_migrate": vm_migrate_cases,
    "vm_snapshot": vm_snapshot_cases,
}


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc.get("options") or {})
    if "xapi.xenserver.connection" in (doc.get("extends_documentation_fragment") or []):
        options.update(CONNECTION_OPTIONS)
    return options, "xapi.xenserver.connection" in (doc.get("extends_documentation_fragment") or [])


def cases(name, module, ctx):
    """The strategy of bad cases of module `name`: (strategy, the valid base set)."""
    options, connected = documented_options(module)
    conn = {"hostname": ctx["url"], "password": ctx["password"], "ca_path": ctx["ca_path"]}
    base, samples, semantic = BUILDERS[name](conn, ctx)
    strategies = shaped(base, samples, options) + semantic
    if connected:
        strategies.append(connection_cases(base, ctx))
    return st.one_of(strategies), base
