"""XenAPI failures as the simulator raises them.

Every code must exist in errors.json: a code the model does not know is a bug in the
simulator, so it turns into INTERNAL_ERROR instead of reaching a client.
"""

from .model import load_model


class Failure(Exception):
    """A XenAPI failure: ErrorDescription = [code, *params], params sent as strings."""

    def __init__(self, code, *params):
        if not load_model().error_known(code):
            params = ("xapisim raised an unknown error code %s" % code,)
            code = "INTERNAL_ERROR"
        self.code = code
        self.params = [str(p) for p in params]
        super().__init__(code, *self.params)

    @classmethod
    def raw(cls, code, *params):
        """A failure outside the error catalogue, as xapi sends for a few wire faults."""
        failure = cls("INTERNAL_ERROR")
        failure.code, failure.params = code, [str(p) for p in params]
        failure.args = (code, *failure.params)
        return failure

    @property
    def description(self):
        return [self.code] + self.params


class DropConnection(Exception):
    """Injected fault: close the client's connection without an answer."""


def handle_invalid(cls, ref):
    return Failure("HANDLE_INVALID", cls, ref)
