"""One pool's database: tables of records, relations, generations and change waiting.

Records are copy-on-write: a stored record dict (and every list or dict inside it) is never
changed after it is stored; an update stores a new dict. Readers can therefore take records
out of the lock and encode them while writers go on.
"""

import threading
from collections import OrderedDict

from .errors import Failure, handle_invalid
from .relations import children_by_class, derived_fields
from .values import NULL_REF, new_ref, new_uuid

_CHILDREN = children_by_class()
_DERIVED = derived_fields()


class Database:
    def __init__(self, model):
        self.model = model
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.tables = {name: {} for name in model.classes}
        self.uuids = {name: {} for name in model.classes}
        self.names = {name: {} for name in model.classes}  # name_label -> {ref: None}, for get_by_name_label
        # ref -> (created generation, modified generation), in order of modification
        self.touched = {name: OrderedDict() for name in model.classes}
        self.deleted = {name: [] for name in model.classes}  # (generation, ref, created generation)
        self.generation = 0
        self.message_generation = 0
        self.derivers = {}  # class -> fn(db, record) -> {field: value} recomputed on every write
        # class -> [fn(db, ref, old, new)] run after every write of that class, under the lock
        # (old is None on create, new is None on delete): keeps dependent objects in step
        self.followers = {}
        self.private = {}  # ref -> dict of simulator-only state of that object (passwords, guest state, ...)
        self.counters = {}  # pool-wide simulator state: next domid, next guest address, ...
        self.loading = False  # while a scenario is built: parents' sets grow in place
        self.nfs = None  # the world's NFS servers (xapisim.nfs.NfsStore), where NFS SRs keep their disks

    # ---- reading -------------------------------------------------------------------------
    def get(self, cls, ref):
        record = self.tables[cls].get(ref)
        if record is None:
            raise handle_invalid(cls, ref)
        return record

    def exists(self, cls, ref):
        return ref in self.tables[cls]

    def refs(self, cls):
        return list(self.tables[cls])

    def records(self, cls):
        """A consistent shallow copy of a table: ref -> record."""
        with self.lock:
            return dict(self.tables[cls])

    def by_uuid(self, cls, uuid):
        ref = self.uuids[cls].get(uuid)
        if ref is None:
            raise Failure("UUID_INVALID", cls, uuid)
        return ref

    def by_name(self, cls, name):
        return list(self.names[cls].get(name, ()))

    def _index_name(self, cls, ref, old, new):
        if old is not None and old.get("name_label") is not None:
            refs = self.names[cls].get(old["name_label"])
            if refs is not None:
                refs.pop(ref, None)
        if new is not None and new.get("name_label") is not None:
            self.names[cls].setdefault(new["name_label"], {})[ref] = None

    def find(self, cls, **criteria):
        items = criteria.items()
        return [ref for ref, rec in self.tables[cls].items() if all(rec.get(k) == v for k, v in items)]

    def find_one(self, cls, **criteria):
        found = self.find(cls, **criteria)
        return found[0] if found else None

    # ---- writing -------------------------------------------------------------------------
    def create(self, cls, fields=None, ref=None):
        definition = self.model.classes[cls]
        record = dict(definition.defaults)
        unknown = set(fields or ()) - set(record)
        if unknown:
            raise Failure("INTERNAL_ERROR", "xapisim: no field %s in class %s" % (", ".join(sorted(unknown)), cls))
        record.update(fields or ())
        for name in _DERIVED.get(cls, ()):
            record[name] = list(record[name])
        if "uuid" in record and not record["uuid"]:
            record["uuid"] = new_uuid()
        ref = ref or new_ref()
        with self.lock:
            record.update(self._derive(cls, record))
            generation = self._bump(cls)
            self.tables[cls][ref] = record
            if "uuid" in record:
                self.uuids[cls][record["uuid"]] = ref
            self._index_name(cls, ref, None, record)
            self.touched[cls][ref] = (generation, generation)
            for field, parent, parent_field in _CHILDREN.get(cls, ()):
                self._link(parent, parent_field, record[field], ref, add=True)
            self._follow(cls, ref, None, record)
            self.changed.notify_all()
        return ref

    def update(self, cls, ref, **changes):
        with self.lock:
            old = self.get(cls, ref)
            record = dict(old)
            record.update(changes)
            record.update(self._derive(cls, record))
            self._store(cls, ref, record)
            if old.get("name_label") != record.get("name_label"):
                self._index_name(cls, ref, old, record)
            for field, parent, parent_field in _CHILDREN.get(cls, ()):
                if field in changes and old[field] != record[field]:
                    self._link(parent, parent_field, old[field], ref, add=False)
                    self._link(parent, parent_field, record[field], ref, add=True)
            self._follow(cls, ref, old, record)
            self.changed.notify_all()
            return record

    def relink(self, cls, ref):
        """Put an object into its parents' sets again (after objects were created in any order)."""
        with self.lock:
            record = self.get(cls, ref)
            for field, parent, parent_field in _CHILDREN.get(cls, ()):
                self._link(parent, parent_field, record[field], ref, add=True)

    def touch(self, cls, ref):
        """A mod event without a change (event.inject)."""
        with self.lock:
            self._store(cls, ref, self.get(cls, ref))
            self.changed.notify_all()

    def delete(self, cls, ref):
        with self.lock:
            record = self.get(cls, ref)
            del self.tables[cls][ref]
            if "uuid" in record:
                self.uuids[cls].pop(record["uuid"], None)
            self._index_name(cls, ref, record, None)
            created = self.touched[cls].pop(ref)[0]
            self.deleted[cls].append((self._bump(cls), ref, created))
            for field, parent, parent_field in _CHILDREN.get(cls, ()):
                self._link(parent, parent_field, record[field], ref, add=False)
            self.private.pop(ref, None)
            self._follow(cls, ref, record, None)
            self.changed.notify_all()

    def refresh(self, cls, ref):
        """Recompute derived fields (allowed_operations) after a change they depend on elsewhere;
        an object whose derived fields come out the same is left alone (no event)."""
        with self.lock:
            record = self.tables[cls].get(ref)
            if record is None:
                return
            derived = self._derive(cls, record)
            if any(record[name] != value for name, value in derived.items()):
                self.update(cls, ref)

    def _derive(self, cls, record):
        deriver = self.derivers.get(cls)
        return deriver(self, record) if deriver else {}

    def _follow(self, cls, ref, old, new):
        for follower in self.followers.get(cls, ()):
            follower(self, ref, old, new)

    def _bump(self, cls):
        self.generation += 1
        if cls == "message":
            self.message_generation += 1
        return self.generation

    def _store(self, cls, ref, record):
        created = self.touched[cls].get(ref, (0, 0))[0]
        self.tables[cls][ref] = record
        self.touched[cls][ref] = (created, self._bump(cls))
        self.touched[cls].move_to_end(ref)

    def _link(self, parent, field, parent_ref, child_ref, add):
        if parent_ref == NULL_REF or parent_ref not in self.tables[parent]:
            return
        record = self.tables[parent][parent_ref]
        if self.loading and add:
            record[field].append(child_ref)
            return
        members = [r for r in record[field] if r != child_ref]
        if add:
            members.append(child_ref)
        updated = dict(record)
        updated[field] = members
        self._store(parent, parent_ref, updated)

    # ---- events ----------------------------------------------------------------------------
    def token(self):
        return "%020d,%020d" % (self.generation, self.message_generation)

    def changes_since(self, generation, classes, objects=None):
        """Events after `generation` for the classes (and single objects) subscribed to,
        oldest first: (id, class, operation, ref, snapshot or None)."""
        events = []
        for cls in classes:
            touched = self.touched[cls]
            table = self.tables[cls]
            wanted = objects.get(cls) if objects else None
            # a few objects: look each up; a whole class: walk back through the recent changes
            candidates = (ref for ref in wanted if ref in touched) if wanted is not None else reversed(touched)
            for ref in candidates:
                created, modified = touched[ref]
                if modified <= generation:
                    if wanted is None:
                        break
                    continue
                operation = "add" if created > generation else "mod"
                events.append((modified, cls, operation, ref, table[ref]))
            for when, ref, created in reversed(self.deleted[cls]):
                if when <= generation:
                    break
                if created <= generation and (wanted is None or ref in wanted):
                    events.append((when, cls, "del", ref, None))
        events.sort(key=lambda event: event[0])
        return events

    def wait(self, generation, deadline_seconds, stop_event=None):
        """Block until the database moves past `generation` or the time is up."""
        with self.changed:
            return self.changed.wait_for(
                lambda: self.generation > generation or (stop_event is not None and stop_event.is_set()),
                timeout=max(0.0, deadline_seconds))
