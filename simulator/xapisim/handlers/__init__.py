"""Behaviour: generic handlers made from the model, and hand-written ones where xapi has rules."""

import importlib

from .generic import generic_handler
from .registry import DERIVERS, FOLLOWERS, HANDLERS

# Each module registers its handlers with @handles when imported.
BEHAVIOUR_MODULES = ("bond", "devices", "event", "host", "network", "session", "sr", "storage", "task", "vbd", "vdi", "vif", "vm_clone",
                     "vm_config", "vm_lifecycle", "vm_operations", "vm_settings", "vm_snapshot",
                     "evacuation", "migrate_receive", "vdi_migrate", "vm_migrate", "vm_migrate_send",
                     "auth", "external_auth", "external_login", "role", "subject", "repository", "updates",
                     "nfs_sr")
for _name in BEHAVIOUR_MODULES:
    importlib.import_module("." + _name, __name__)


def lookup(message):
    """The handler of a message: hand-written if there is one, generic for implicit messages."""
    handler = HANDLERS.get(message.wire_name)
    if handler is None and message.implicit:
        handler = generic_handler(message)
    return handler


def install_derivers(db):
    db.derivers.update(DERIVERS)
    for cls, followers in FOLLOWERS.items():
        db.followers[cls] = list(followers)


def implemented(message):
    """'explicit', 'generic' or None: for the coverage table."""
    if message.wire_name in HANDLERS:
        return "explicit"
    if message.implicit and generic_handler(message) is not None:
        return "generic"
    return None
