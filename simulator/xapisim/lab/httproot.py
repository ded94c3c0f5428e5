"""The lab's HTTP root served over plain HTTP on its own loopback address (like the web server
of a PXE lab), and the installation repositories in it: one folder per product with a
`.treeinfo` naming it, the layout of the ISO (boot/xen.gz, boot/vmlinuz, install.img, EFI/...).
"""

import configparser
import functools
import http.server
import logging
import os
import threading

from .. import install

LOG = logging.getLogger("xapisim")
# folder under the HTTP root -> product of xapisim.install.PRODUCTS
SOURCES = {"xenserver-8.4": "xenserver", "xcp-ng-8.3": "xcp-ng"}
ISO_FILES = ("boot/xen.gz", "boot/vmlinuz", "install.img", "boot/pxelinux/pxelinux.0", "boot/pxelinux/mboot.c32",
             "EFI/xenserver/grubx64.efi", "EFI/xenserver/xen.gz", "EFI/xenserver/vmlinuz")
TREEINFO = """[general]
family = {brand}
name = {brand}
version = {version}
arch = x86_64
platforms = x86_64

[images-x86_64]
kernel = boot/vmlinuz
xen = boot/xen.gz
install = install.img
"""


def make_sources(http_root):
    """The repositories' folders with their .treeinfo and (tiny, fake) boot files."""
    for folder, product in SOURCES.items():
        base = os.path.join(http_root, folder)
        details = install.PRODUCTS[product]
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, ".treeinfo"), "w", encoding="utf-8") as handle:
            handle.write(TREEINFO.format(brand=details["product_brand"], version=details["product_version"]))
        for name in ISO_FILES:
            path = os.path.join(base, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.exists(path):
                with open(path, "wb") as handle:
                    handle.write(("xapisim stand-in for %s/%s\n" % (folder, name)).encode("utf-8"))


def treeinfo_product(folder):
    """The product of the repository in `folder` (its .treeinfo), or None."""
    parser = configparser.ConfigParser()
    try:
        if not parser.read(os.path.join(folder, ".treeinfo"), encoding="utf-8"):
            return None
    except configparser.Error:
        return None
    family, version = parser.get("general", "family", fallback=""), parser.get("general", "version", fallback="")
    for product, details in install.PRODUCTS.items():
        if (family, version) == (details["product_brand"], details["product_version"]):
            return product
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        LOG.debug("lab http %s", args[0] % args[1:])


class HttpRoot:
    """A threaded static file server of `directory` on address:port (the port 0: any)."""

    def __init__(self, directory, address, port):
        handler = functools.partial(_Quiet, directory=directory)
        try:
            self.server = http.server.ThreadingHTTPServer((address, port), handler)
        except OSError:
            self.server = http.server.ThreadingHTTPServer((address, 0), handler)
        self.server.daemon_threads = True
        self.address, self.port = self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="xapisim-lab-http", daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "http://%s:%d/" % (self.address, self.port)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
