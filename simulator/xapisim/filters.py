"""xapi's filter expressions for get_all_records_where [xenapi-notes §2.1], exactly as
xen-api ocaml/database/db_filter_lex.mll and db_filter_parse.mly read them:

    expr  := value "=" value | expr "and" expr | expr "or" expr | "not" expr
           | "true" | "false" | "(" expr ")"
    value := "<literal>" | field "<db field name>"

Keywords are lower case; blanks are space, tab and newline. "and" and "or" have the same
precedence and group to the left (`a or b and c` is `(a or b) and c`); "not" has the
lowest, so it takes everything after it (`not a and b` is `not (a and b)`).
Database field names use "__" where the wire uses "_" between namespaces (name__label);
values compare as the database stores them: refs, ints, "true"/"false", sets as
('a' 'b'), maps as (('k' 'v')).

An error is INVALID_VALUE [expr, printed OCaml exception]: 'Failure("lexing: empty token")'
for a character the lexer does not know, 'Stdlib.Parsing.Parse_error' for bad syntax.
"""

import re

from .errors import Failure

_TOKEN = re.compile(r'[ \t\n]*(?:(?P<tok>=|true|false|\(|\)|field|and|or|not)|(?P<lit>"[^"]*")|(?P<eof>\Z))')
_LEX_ERROR = 'Failure("lexing: empty token")'
_PARSE_ERROR = "Stdlib.Parsing.Parse_error"


class _Error(Exception):
    pass


class _Lexer:
    """Tokens on demand, as ocamlyacc pulls them: a lexing error shows only when reached."""

    def __init__(self, text):
        self.text = text
        self.position = 0
        self.current = None

    def peek(self):
        if self.current is None:
            match = _TOKEN.match(self.text, self.position)
            if match is None:
                raise _Error(_LEX_ERROR)
            self.position = match.end()
            if match.group("tok"):
                self.current = match.group("tok")
            elif match.group("lit") is not None:
                self.current = ("literal", match.group("lit")[1:-1])
            else:
                self.current = ("eof",)
        return self.current

    def take(self, expected=None):
        token = self.peek()
        if expected is not None and token != expected:
            raise _Error(_PARSE_ERROR)
        self.current = None
        return token


def _expr(lexer):
    left = _operand(lexer)
    while lexer.peek() in ("and", "or"):
        operator = lexer.take()
        right = _operand(lexer)
        left = _both(left, right) if operator == "and" else _either(left, right)
    return left


def _both(first, second):
    return lambda rec: first(rec) and second(rec)


def _either(first, second):
    return lambda rec: first(rec) or second(rec)


def _constant(value):
    return lambda rec: value


def _column(column, name):
    return lambda rec: _field(rec, column, name)


def _operand(lexer):
    token = lexer.peek()
    if token == "not":
        lexer.take()
        inner = _expr(lexer)
        return lambda rec: not inner(rec)
    if token == "(":
        lexer.take()
        inner = _expr(lexer)
        lexer.take(")")
        return inner
    if token in ("true", "false"):
        lexer.take()
        return _constant(token == "true")
    left = _value(lexer)
    lexer.take("=")
    right = _value(lexer)
    return lambda rec: left(rec) == right(rec)


def _value(lexer):
    token = lexer.take()
    if token == "field":
        name = lexer.take()
        if not isinstance(name, tuple) or name[0] != "literal":
            raise _Error(_PARSE_ERROR)
        return _column(name[1].replace("__", "_"), name[1])
    if isinstance(token, tuple) and token[0] == "literal":
        literal = token[1]
        return lambda rec: literal
    raise _Error(_PARSE_ERROR)


def _field(record, column, name):
    if column not in record:  # Db_exn.DBCache_NotFound ("missing field", name, "")
        raise Failure("INTERNAL_ERROR", "missing field", name, "")
    return db_string(record[column])


def _sexpr_string(text):
    return "'%s'" % str(text).replace("\\", "\\\\").replace("'", "\\'")


def db_string(value):
    """A field value as xapi's database holds it (Schema.Value.marshal)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "%.18g" % value
    if isinstance(value, list):
        return "(%s)" % " ".join(_sexpr_string(db_string(item)) for item in value)
    if isinstance(value, dict):
        return "(%s)" % " ".join("(%s %s)" % (_sexpr_string(key), _sexpr_string(db_string(item)))
                                 for key, item in value.items())
    return str(value)


def compile_filter(text):
    """Expression text -> predicate on a record; INVALID_VALUE [expr, exception] when it cannot parse."""
    lexer = _Lexer(text)
    try:
        predicate = _expr(lexer)
        lexer.take(("eof",))
    except _Error as exc:
        raise Failure("INVALID_VALUE", text, str(exc)) from None
    return predicate
