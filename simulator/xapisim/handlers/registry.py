"""Where hand-written behaviour registers itself: handlers by wire name, derived fields by class,
followers (what must change elsewhere when an object of a class changes) by class."""

HANDLERS = {}
DERIVERS = {}
FOLLOWERS = {}


def handles(*wire_names):
    """Register a function as the handler of explicit (or overridden implicit) messages."""

    def register(function):
        for name in wire_names:
            assert name not in HANDLERS, "two handlers for " + name
            HANDLERS[name] = function
        return function

    return register


def derives(cls):
    """Register fn(db, record) -> {field: value}, recomputed on every write of `cls`."""

    def register(function):
        DERIVERS[cls] = function
        return function

    return register


def follows(cls):
    """Register fn(db, ref, old, new), run under the lock after every create (old None),
    update or delete (new None) of `cls`."""

    def register(function):
        FOLLOWERS.setdefault(cls, []).append(function)
        return function

    return register
