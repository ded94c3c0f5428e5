"""A pool's database as xapi dumps it to XML, and back [xen-api ocaml/database/db_xml.ml,
xml_spaces.ml, string_marshall_helper.ml, libs/sexpr/sExpr.ml]:

    <?xml version="1.0" encoding="UTF-8"?><database><manifest><pair key="schema_major_vsn" value="5"/>
    <pair key="schema_minor_vsn" value="780"/><pair key="generation_count" value="N"/></manifest>
    <table name="VM"><row __mtime=".." __ctime=".." ref="OpaqueRef:.." uuid=".." name_label=".." .../></table>...

Every class is a table; tables xapi does not persist (sessions, tasks, events, ...) are written
without rows. Every field is an attribute holding its string form: ints and floats in decimal,
bools true/false, datetimes as stored, sets `('a' 'b')` and maps `(('k' 'v'))` as S-expressions
with \\ and ' escaped, then spaces, tabs, newlines, carriage returns and % protected as %. %t %n
%r %% (Xml_spaces.protect). Secrets are in it, as in xapi's. Difference kept: attribute names are
the API's field names (name_label), not xapi's namespaced column names (name__label).

Reading follows Db_xml.From: a tag other than database, manifest, pair, table or row, a row
without ref, a column the table lacks, or an early end is Unmarshall_error; XML that does not
parse is Xmlm's error. Both reach a client as INTERNAL_ERROR [the exception's text].
"""

import xml.etree.ElementTree as ET

from .errors import Failure
from .values import DateTime

NOT_PERSISTED = frozenset({"session", "task", "event", "data_source", "message", "user", "auth"})
_PROTECT = {" ": "%.", "\t": "%t", "\n": "%n", "\r": "%r", "%": "%%"}
_UNPROTECT = {".": " ", "_": " ", "t": "\t", "n": "\n", "r": "\r", "%": "%"}


def schema_version(db, host):
    """(major, minor) of the database schema this host's xapi writes (software_version db_schema)."""
    text = db.get("host", host)["software_version"].get("db_schema", "5.780")
    major, dummy, minor = text.partition(".")
    return int(major), int(minor or 0)


# ---- strings -------------------------------------------------------------------------------------
def protect(text):
    return "".join(_PROTECT.get(char, char) for char in text)


def unprotect(text):
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == "%" and index + 1 < len(text) and text[index + 1] in _UNPROTECT:
            out.append(_UNPROTECT[text[index + 1]])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _sexpr_string(text):
    return "'%s'" % text.replace("\\", "\\\\").replace("'", "\\'")


def _sexpr_parse(text):
    """SExprParser: nested lists of strings."""
    stack, current, index = [], None, 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
        elif char == "(":
            stack.append(current)
            current = []
            index += 1
        elif char == ")":
            if not stack:
                raise ValueError("unbalanced )")
            done, current = current, stack.pop()
            if current is None:
                return done
            current.append(done)
            index += 1
        elif char in "'\"":
            end, chars = index + 1, []
            while end < len(text) and text[end] != char:
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                chars.append(text[end])
                end += 1
            if end >= len(text) or current is None:
                raise ValueError("bad string in %r" % text)
            current.append("".join(chars))
            index = end + 1
        else:
            raise ValueError("unexpected %r" % char)
    raise ValueError("unterminated S-expression %r" % text)


# ---- values ------------------------------------------------------------------------------------
def marshal(xtype, value):
    kind = xtype.kind
    if kind == "bool":
        return "true" if value else "false"
    if kind == "float":
        return repr(float(value))
    if kind == "set":
        return "(%s)" % " ".join(_sexpr_string(marshal(xtype.args[0], item)) for item in value)
    if kind == "map":
        return "(%s)" % " ".join("(%s %s)" % (_sexpr_string(marshal(xtype.args[0], key)),
                                              _sexpr_string(marshal(xtype.args[1], item)))
                                 for key, item in value.items())
    if kind == "option":
        return "" if value is None else marshal(xtype.args[0], value)
    return str(value)


def unmarshal(model, xtype, text):
    kind = xtype.kind
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "datetime":
        return DateTime(text)
    if kind == "enum" and text not in model.enums.get(xtype.of, [text]):
        raise ValueError("%r is not a %s" % (text, xtype.of))
    if kind == "set":
        return [unmarshal(model, xtype.args[0], item) for item in _sexpr_parse(text)]
    if kind == "map":
        return {unmarshal(model, xtype.args[0], key): unmarshal(model, xtype.args[1], item)
                for key, item in _sexpr_parse(text)}
    if kind == "option":
        return None if text == "" else unmarshal(model, xtype.args[0], text)
    return text


# ---- the document ------------------------------------------------------------------------------
def dump(db, schema):
    """The database as bytes; `schema` is (major, minor)."""
    model = db.model
    with db.lock:
        tables = {cls: dict(table) for cls, table in db.tables.items()}
        touched = {cls: dict(times) for cls, times in db.touched.items()}
        generation = db.generation
    out = ['<?xml version="1.0" encoding="UTF-8"?><database><manifest>',
           '<pair key="schema_major_vsn" value="%d"/><pair key="schema_minor_vsn" value="%d"/>' % schema,
           '<pair key="generation_count" value="%d"/></manifest>' % generation]
    for cls in sorted(model.classes):
        out.append('<table name="%s">' % cls)
        if cls not in NOT_PERSISTED:
            fields = model.classes[cls].fields
            for ref, record in tables.get(cls, {}).items():
                created, modified = touched[cls].get(ref, (0, 0))
                attributes = ['__mtime="%d"' % modified, '__ctime="%d"' % created, 'ref=%s' % _quote(ref)]
                attributes += ["%s=%s" % (name, _quote(protect(marshal(fields[name].type, value))))
                               for name, value in record.items() if name in fields]
                out.append("<row %s/>" % " ".join(attributes))
        out.append("</table>")
    out.append("</database>")
    return "".join(out).encode("utf-8")


def _quote(text):
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return '"%s"' % escaped


def _unmarshall_error(message):
    return Failure("INTERNAL_ERROR", 'Xapi_database.Db_xml.Unmarshall_error("%s")' % message)


class Dump:
    """A parsed dump: manifest pairs and class -> ref -> record (fields as read, typed)."""

    def __init__(self, manifest, tables):
        self.manifest = manifest
        self.tables = tables

    @property
    def schema(self):
        return int(self.manifest["schema_major_vsn"]), int(self.manifest["schema_minor_vsn"])


def parse(model, body):
    """bytes -> Dump, or Failure(INTERNAL_ERROR) as xapi's reader fails."""
    if b"<!ENTITY" in body or b"<!DOCTYPE" in body:  # Xmlm expands no entities of its own
        raise Failure("INTERNAL_ERROR", "Xmlm.Error((1, 1), Unknown entity reference)")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        line, column = exc.position
        reason = "Unexpected end of input" if "no element found" in str(exc) or "unclosed" in str(exc) \
            else str(exc).split(":", maxsplit=1)[0].capitalize()
        raise Failure("INTERNAL_ERROR", "Xmlm.Error((%d, %d), %s)" % (line, column + 1, reason)) from None
    if root.tag != "database":
        raise _unmarshall_error("Unexpected tag: %s" % root.tag)
    manifest, tables = {}, {}
    for element in root:
        if element.tag == "manifest":
            for pair in element:
                if pair.tag != "pair" or set(pair.attrib) != {"key", "value"}:
                    raise _unmarshall_error("Unexpected tag: %s" % pair.tag)
                manifest[pair.attrib["key"]] = pair.attrib["value"]
        elif element.tag == "table":
            tables[element.attrib.get("name", "")] = _table(model, element)
        else:
            raise _unmarshall_error("Unexpected tag: %s" % element.tag)
    if "generation_count" not in manifest or "schema_major_vsn" not in manifest or "schema_minor_vsn" not in manifest:
        raise Failure("INTERNAL_ERROR", "Not_found")
    try:
        int(manifest["generation_count"]), int(manifest["schema_major_vsn"]), int(manifest["schema_minor_vsn"])
    except ValueError as exc:
        raise Failure("INTERNAL_ERROR", "Failure(\"int_of_string\") %s" % exc) from None
    return Dump(manifest, tables)


def _table(model, element):
    name = element.attrib.get("name", "")
    definition = model.classes.get(name)
    rows = {}
    for row in element:
        if row.tag != "row":
            raise _unmarshall_error("Unexpected tag: %s" % row.tag)
        attributes = dict(row.attrib)
        ref = attributes.pop("ref", None)
        if ref is None:
            raise _unmarshall_error("Row does not have ref attribute")
        attributes.pop("__mtime", None)
        attributes.pop("__ctime", None)
        if definition is None:
            raise Failure("INTERNAL_ERROR", "Not_found (table %s)" % name)
        record = {}
        for key, text in attributes.items():
            field = definition.fields.get(key)
            if field is None:
                raise _unmarshall_error("Unexpected column in table %s: %s" % (name, key))
            if not field.current:  # removed from the model: xapi does not load it
                continue
            try:
                record[key] = unmarshal(model, field.type, unprotect(text))
            except (ValueError, TypeError) as exc:
                raise Failure("INTERNAL_ERROR", "Failure(\"%s.%s: %s\")" % (name, key, exc)) from None
        rows[ref] = record
    return rows
