import os

from xapisim import coverage
from xapisim.dispatch import resolve
from xapisim.model import load_model

HERE = os.path.dirname(__file__)


def test_coverage_table_is_current():
    with open(os.path.join(HERE, "..", "COVERAGE.md"), encoding="utf-8") as handle:
        assert handle.read() == coverage.render(), "run: python -m xapisim.coverage > simulator/COVERAGE.md"


def test_every_implicit_message_of_a_current_field_is_generated():
    model = load_model()
    for cls in model.classes.values():
        for message in cls.messages.values():
            if message.implicit and message.name.startswith(("get_", "set_", "add_", "remove_")):
                assert resolve(model, message.wire_name).handler is not None, message.wire_name
