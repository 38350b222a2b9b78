import pytest
import requests

from .canned import CannedServer


@pytest.fixture
def canned():
    server = CannedServer()
    yield server
    server.stop()


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session
