"""xapisim: a XenAPI server that behaves on the wire like a XenServer 8 pool."""

from .errors import Failure
from .scenario import ScenarioError, builtin_names
from .simulator import Simulator

__all__ = ["Failure", "ScenarioError", "Simulator", "builtin_names"]
