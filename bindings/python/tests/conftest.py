"""Every test that takes `mod` runs twice: against the standard sqlite3 module (the oracle) and
against brisk, so each expectation is checked against the real module."""

import importlib

import pytest


@pytest.fixture(params=["sqlite3", "brisk"])
def mod(request):
    return importlib.import_module(request.param)


@pytest.fixture
def con(mod):
    c = mod.connect(":memory:")
    yield c
    c.close()


@pytest.fixture
def brisk():
    return importlib.import_module("brisk")
