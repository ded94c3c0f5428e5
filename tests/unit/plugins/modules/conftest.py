import json

import pytest
from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with these arguments; its JSON result."""

    def run(module, args):
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        return json.loads(capsys.readouterr().out)

    return run


@pytest.fixture
def connection(sim):
    return {"hostname": sim.url("127.0.10.2"), "password": sim.password, "ca_path": sim.ca_path}
