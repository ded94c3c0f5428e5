"""xapi's filter expressions for get_all_records_where [xenapi-notes §2.1].

    expr  := value "=" value | value "<>" value | expr "and" expr | expr "or" expr
           | "not" expr | "true" | "false" | "(" expr ")"
    value := "<literal>" | field "<db field name>"

Database field names use "__" where the wire uses "_" between namespaces (name__label);
values compare as their string forms (refs, ints, bools: "true"/"false").
"""

import re

from .errors import Failure

_TOKEN = re.compile(r'\s*(?:(?P<lit>"[^"]*")|(?P<op><>|=|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_]*))')


def _tokens(text):
    position, tokens = 0, []
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError("unexpected text at %d" % position)
        tokens.append(match.group(match.lastgroup) if match.lastgroup != "word" else match.group("word").lower()
                      if match.group("word").lower() in ("and", "or", "not", "true", "false", "field")
                      else match.group("word"))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.index = 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError("expected %s, found %s" % (expected or "more", token))
        self.index += 1
        return token

    def expr(self):
        left = self.conjunction()
        while self.peek() == "or":
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda rec: a(rec) or b(rec))(left, right)
        return left

    def conjunction(self):
        left = self.unary()
        while self.peek() == "and":
            self.take()
            right = self.unary()
            left = (lambda a, b: lambda rec: a(rec) and b(rec))(left, right)
        return left

    def unary(self):
        token = self.peek()
        if token == "not":
            self.take()
            inner = self.unary()
            return lambda rec: not inner(rec)
        if token == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        if token in ("true", "false"):
            self.take()
            return (lambda value: lambda rec: value)(token == "true")
        left = self.value()
        operator = self.take()
        if operator not in ("=", "<>"):
            raise ValueError("expected = or <>, found %s" % operator)
        right = self.value()
        if operator == "=":
            return lambda rec: left(rec) == right(rec)
        return lambda rec: left(rec) != right(rec)

    def value(self):
        token = self.take()
        if token == "field":
            name = self.take()
            if name.startswith('"'):
                name = name[1:-1]
            name = name.replace("__", "_")
            return lambda rec: _as_string(rec.get(name, ""))
        if token.startswith('"'):
            literal = token[1:-1]
            return lambda rec: literal
        raise ValueError("expected a value, found %s" % token)


def _as_string(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return str(value)
    return str(value)


def compile_filter(text):
    """Expression text -> predicate on a record; INVALID_VALUE [expr, reason] when it cannot parse."""
    try:
        parser = _Parser(_tokens(text))
        predicate = parser.expr()
        if parser.peek() is not None:
            raise ValueError("unexpected %s" % parser.peek())
    except ValueError as exc:
        raise Failure("INVALID_VALUE", text, str(exc)) from None
    return predicate
