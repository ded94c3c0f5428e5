"""Network boot entries as the firmware's boot loader reads them from the TFTP root
[xenapi-notes §4.3]: pxelinux + mboot.c32 (BIOS) or grub2 multiboot2/module2 (UEFI).

    pxelinux.cfg/01-52-54-00-00-00-01          (BIOS: "01-" = Ethernet, the MAC with dashes)
    EFI/xenserver/grub.cfg-01-52-54-00-00-00-01 (UEFI)

Both must boot Xen, the dom0 kernel with `answerfile=URL` (and the conventional `install`),
and the installer image. The answer is the answerfile URL or BadEntry with the reason.
"""

import os


class BadEntry(ValueError):
    """The boot loader cannot boot this entry; the message says why."""


def entry_path(tftp_root, firmware, mac):
    name = "01-" + mac.lower().replace(":", "-")
    if firmware == "uefi":
        return os.path.join(tftp_root, "EFI", "xenserver", "grub.cfg-" + name)
    return os.path.join(tftp_root, "pxelinux.cfg", name)


def _answerfile(words, where):
    found = [word.split("=", maxsplit=1)[1] for word in words if word.startswith(("answerfile=", "rt_answerfile="))]
    if not found or not found[0]:
        raise BadEntry("no answerfile= on the dom0 kernel line (%s)" % where)
    return found[0]


def _check_file(word, suffix, what):
    if not word.endswith(suffix):
        raise BadEntry("%s: expected %s, got %r" % (what, suffix, word))


def _lines(text):
    """Non-comment lines, each as a list of words."""
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            result.append(line.split())
    return result


def parse_pxelinux(text):
    """kernel mboot.c32 / append xen.gz ... --- vmlinuz ... answerfile=URL ... --- install.img"""
    kernel = append = None
    for words in _lines(text):
        keyword = words[0].lower()
        if keyword == "kernel" and kernel is None:
            kernel = words[1:]
        elif keyword == "append" and append is None and kernel is not None:
            append = words[1:]
    if not kernel:
        raise BadEntry("no 'kernel' line")
    if os.path.basename(kernel[0]) != "mboot.c32":
        raise BadEntry("kernel is %r, not mboot.c32 (Xen needs the multiboot loader)" % kernel[0])
    if not append:
        raise BadEntry("no 'append' line after 'kernel mboot.c32'")
    modules, current = [], []
    for word in append:
        if word == "---":
            modules.append(current)
            current = []
        else:
            current.append(word)
    modules.append(current)
    if len(modules) != 3 or not all(modules):
        raise BadEntry("'append' needs three modules separated by '---' (xen.gz, vmlinuz, install.img), got %d"
                       % len([module for module in modules if module]))
    _check_file(modules[0][0], "xen.gz", "first module")
    _check_file(modules[1][0], "vmlinuz", "second module")
    _check_file(modules[2][0], "install.img", "third module")
    return _answerfile(modules[1][1:], "second module")


def parse_grub(text):
    """multiboot2 .../xen.gz ... / module2 .../vmlinuz ... answerfile=URL install / module2 .../install.img"""
    multiboot, modules = None, []
    for words in _lines(text):
        keyword = words[0]
        if keyword in ("multiboot2", "xen_hypervisor") and multiboot is None:
            multiboot = words[1:]
        elif keyword in ("module2", "xen_module") and multiboot is not None:
            modules.append(words[1:])
    if not multiboot:
        raise BadEntry("no 'multiboot2' line")
    _check_file(multiboot[0], "xen.gz", "multiboot2")
    if len(modules) != 2 or not all(modules):
        raise BadEntry("needs two 'module2' lines after multiboot2 (vmlinuz, install.img), got %d" % len(modules))
    _check_file(modules[0][0], "vmlinuz", "first module2")
    _check_file(modules[1][0], "install.img", "second module2")
    return _answerfile(modules[0][1:], "first module2")


def read(tftp_root, firmware, mac):
    """-> (path, answerfile URL); None when there is no entry; BadEntry when it cannot boot."""
    path = entry_path(tftp_root, firmware, mac)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    return path, parse_grub(text) if firmware == "uefi" else parse_pxelinux(text)
