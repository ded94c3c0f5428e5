"""Unit tests run the client and the modules against a real simulator (threaded, HTTPS)."""

import pytest

from xapisim import Simulator


@pytest.fixture
def sim():
    simulator = Simulator("pool3", speed=500, password="unit-secret").serve()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim_factory():
    started = []

    def start(scenario="pool3", **options):
        options.setdefault("speed", 500)
        options.setdefault("password", "unit-secret")
        simulator = Simulator(scenario, **options).serve()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()
