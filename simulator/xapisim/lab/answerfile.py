"""The installer's answerfile, fetched and checked as host-installer's answerfile.py does
[xenapi-notes §4.1]. Anything the installer would stop on raises InstallError with its reason;
a good answerfile becomes a plain dict of settings for the install.
"""

import ipaddress
import string
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

FETCH_TIMEOUT = 10.0
NTP_SOURCES = ("dhcp", "default", "manual", "none")
SCRIPT_STAGES = ("installation-start", "packages-installed", "filesystem-populated", "installation-complete")
HOSTNAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-.")
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class InstallError(Exception):
    """The installer stops: the message is its reason."""


def fetch(url, what):
    """The bytes at an http(s):// URL on loopback or a file:// URL."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":
        try:
            with open(urllib.parse.unquote(parsed.path), "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise InstallError("cannot fetch %s %s: %s" % (what, url, exc.strerror)) from None
    if parsed.scheme not in ("http", "https"):
        raise InstallError("cannot fetch %s %s: only http://, https:// and file:// URLs are simulated" % (what, url))
    try:
        host = ipaddress.ip_address(parsed.hostname or "")
    except ValueError:
        host = None
    if host is None or host not in LOOPBACK:
        raise InstallError("cannot fetch %s %s: %s is not a loopback address (the lab network is 127.0.0.0/8)"
                           % (what, url, parsed.hostname))
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # loopback only, checked above
            return response.read()
    except urllib.error.HTTPError as exc:
        raise InstallError("cannot fetch %s %s: HTTP %d %s" % (what, url, exc.code, exc.reason)) from None
    except (urllib.error.URLError, OSError) as exc:
        raise InstallError("cannot fetch %s %s: %s" % (what, url, getattr(exc, "reason", exc))) from None


def _text(element):
    return (element.text or "").strip() if element is not None else ""


def _first(root, *names):
    for name in names:
        found = root.find(name)
        if found is not None:
            return found
    return None


def _all(root, *names):
    found = []
    for name in names:
        found += root.findall(name) + root.findall("guest-disks/" + name)
    return found


def _bool(value, what):
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise InstallError("%s: %r is not a boolean" % (what, value))


def _disk(value, disks, what):
    name = value.strip()
    for prefix in ("/dev/", "disk/by-id/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name not in disks:
        raise InstallError("%s '%s' not found (disks: %s)" % (what, value.strip(), ", ".join(disks)))
    return name


def _ipv4(value, what):
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise InstallError("%s: '%s' is not an IPv4 address" % (what, value)) from None


def _interface(root, machine):
    element = root.find("admin-interface")
    if element is None:
        raise InstallError("no admin interface given (<admin-interface>)")
    name, hwaddr = element.get("name"), element.get("hwaddr")
    nics = machine.nics()
    if name:
        if name not in nics:
            raise InstallError("admin interface '%s' not found (interfaces: %s)" % (name, ", ".join(nics)))
    elif hwaddr:
        matching = [nic for nic, mac in nics.items() if mac == hwaddr.lower()]
        if not matching:
            raise InstallError("admin interface with hwaddr %s not found (interfaces: %s)"
                               % (hwaddr, ", ".join("%s %s" % item for item in nics.items())))
        name = matching[0]
    else:
        raise InstallError("admin interface needs a 'name' or 'hwaddr' attribute")
    proto = element.get("proto")
    if proto is None:
        raise InstallError("admin interface: missing attribute 'proto'")
    if proto not in ("static", "dhcp", "none"):
        raise InstallError("admin interface: proto '%s' is not static, dhcp or none" % proto)
    if proto == "none":
        raise InstallError("admin interface: proto 'none' needs an IPv6 configuration (protov6), which the lab "
                           "network does not have")
    result = {"device": name, "mode": "DHCP" if proto == "dhcp" else "Static", "netmask": "", "gateway": ""}
    if proto == "dhcp":
        result["address"] = machine.address
        result["netmask"] = "255.0.0.0"
        return result
    address, subnet, gateway = (_first(element, "ipaddr", "ip"), _first(element, "subnet", "subnet-mask"),
                                element.find("gateway"))
    if not all(_text(part) for part in (address, subnet, gateway)):
        raise InstallError("admin interface: proto 'static' needs <ipaddr>, <subnet> and <gateway>")
    address = _ipv4(_text(address), "admin interface address")
    try:
        network = ipaddress.IPv4Network("%s/%s" % (address, _text(subnet)), strict=False)
    except ValueError:
        raise InstallError("admin interface: '%s' is not a subnet mask" % _text(subnet)) from None
    gateway = _ipv4(_text(gateway), "admin interface gateway")
    if address not in LOOPBACK:
        raise InstallError("admin interface address %s is not a loopback address (the lab network is 127.0.0.0/8)"
                           % address)
    result.update(address=str(address), netmask=str(network.netmask), gateway=str(gateway))
    return result


def _ntp(root, interface):
    element = root.find("ntp")
    servers = [_text(server) for server in _all(root, "ntp-server", "ntp-servers") if _text(server)]
    if element is not None:
        source = element.get("source", "")
        if source not in NTP_SOURCES:
            raise InstallError("ntp: source '%s' is not one of %s" % (source, ", ".join(NTP_SOURCES)))
    elif servers:
        source = "manual"
    else:
        source = "dhcp" if interface["mode"] == "DHCP" else "default"
    if servers and source != "manual":
        raise InstallError("<ntp-server> is only allowed with <ntp source=\"manual\"/>, not '%s'" % source)
    if source == "manual" and not servers:
        raise InstallError("<ntp source=\"manual\"/> needs at least one <ntp-server>")
    return source, servers


def _scripts(root):
    scripts = []
    for element in root.findall("script"):
        stage, kind = element.get("stage", ""), element.get("type", "url")
        if stage not in SCRIPT_STAGES:
            raise InstallError("script: stage '%s' is not one of %s" % (stage, ", ".join(SCRIPT_STAGES)))
        if kind not in ("url", "nfs"):
            raise InstallError("script: type '%s' is not url or nfs" % kind)
        url = _text(element)
        if kind == "nfs":
            raise InstallError("script %s: nfs is not simulated; use an http:// or file:// URL" % url)
        body = fetch(url, "script")
        if not body.startswith(b"#!"):
            raise InstallError("script %s cannot run: no interpreter line (#!)" % url)
        scripts.append({"stage": stage, "url": url})
    for old, stage in (("post-install-script", "filesystem-populated"), ("install-failed-script", "installation-complete")):
        for element in root.findall(old):
            body = fetch(_text(element), "script")
            if not body.startswith(b"#!"):
                raise InstallError("script %s cannot run: no interpreter line (#!)" % _text(element))
            scripts.append({"stage": stage, "url": _text(element)})
    return scripts


def _root_password(root):
    element = root.find("root-password")
    password = _text(element) if element is not None else ""
    if not password:
        raise InstallError("no root password given (<root-password>)")
    kind = element.get("type", "plaintext")
    if kind not in ("plaintext", "hash"):
        raise InstallError("root password: type '%s' is not plaintext or hash" % kind)
    if kind == "hash" and not password.lstrip("!").startswith("$"):
        raise InstallError("root password: '%s...' is not a crypt hash" % password[:4])
    return kind, password


def _disks(root, machine):
    element = root.find("primary-disk")
    if element is None or not _text(element):
        raise InstallError("no primary disk given (<primary-disk>)")
    if _bool(element.get("swraid", "false"), "primary-disk swraid"):
        raise InstallError("primary disk: software RAID is not simulated")
    primary = _disk(_text(element), machine.disks, "primary disk")
    guest_storage = _bool(element.get("guest-storage", element.get("gueststorage", "true")), "primary-disk guest-storage")
    guests = []
    for guest in _all(root, "guest-disk"):
        name = _disk(_text(guest), machine.disks, "guest disk")
        if name == primary or name in guests:
            raise InstallError("guest disk '%s' is given twice (or is the primary disk)" % name)
        guests.append(name)
    return primary, guest_storage, guests


def parse(body, machine, check_address, source_product):
    """-> the install settings. `check_address(address)` raises InstallError when the address is
    taken; `source_product(url)` is the product of a known installation repository, or None."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise InstallError("the answerfile is not valid XML: %s" % exc) from None
    if root.tag not in ("installation", "upgrade", "restore"):
        raise InstallError("unexpected top level element '%s'" % root.tag)
    mode = "restore" if root.tag == "restore" else root.get("mode", "fresh")
    if mode not in ("fresh", "reinstall"):
        raise InstallError("mode '%s' needs an existing installation to work on; the lab installs fresh only" % mode)
    sr_type = root.get("sr-type", root.get("srtype", "lvm"))
    if sr_type not in ("lvm", "ext"):
        raise InstallError("sr-type '%s' is not lvm or ext" % sr_type)
    primary, guest_storage, guests = _disks(root, machine)
    password_type, password = _root_password(root)
    sources = root.findall("source")
    if not sources:
        raise InstallError("no installation source given (<source>)")
    source = sources[0]
    url = _text(source)
    if source.get("type", "local") != "url":
        raise InstallError("source type '%s' is not available on a network boot; use type=\"url\""
                           % source.get("type", "local"))
    product = source_product(url)
    if product is None:
        raise InstallError("source '%s' is not an installation repository (no .treeinfo there)" % url)
    interface = _interface(root, machine)
    check_address(interface["address"])
    name_servers = [_text(element) for element in _all(root, "name-server", "nameserver") if _text(element)]
    for server in name_servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise InstallError("name server '%s' is not an IP address" % server) from None
    hostname = _text(root.find("hostname")) or "localhost.localdomain"
    if not set(hostname) <= HOSTNAME_CHARACTERS or hostname.startswith(("-", ".")) or len(hostname) > 253:
        raise InstallError("hostname '%s' is not a valid host name" % hostname)
    ntp_source, ntp_servers = _ntp(root, interface)
    return {
        "mode": mode, "sr_type": sr_type, "primary_disk": primary, "guest_storage": guest_storage,
        "guest_disks": guests, "password_type": password_type, "root_password": password,
        "source": url, "product": product, "interface": interface, "name_servers": name_servers,
        "hostname": hostname, "timezone": _text(root.find("timezone")) or "Etc/UTC",
        "keymap": _text(root.find("keymap")) or "us", "ntp_source": ntp_source, "ntp_servers": ntp_servers,
        "scripts": _scripts(root),
    }
