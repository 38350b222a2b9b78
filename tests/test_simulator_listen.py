"""The simulator's standalone server binds the address it is told (compose publishes its port, so it
binds 0.0.0.0 there) while its issuer keeps naming loopback."""
import re
import subprocess
import sys
import threading

import requests

from simulator.server import RunningSimulator

from . import procs


def test_the_default_binds_loopback_and_listen_binds_every_address():
    loopback = RunningSimulator()
    anywhere = RunningSimulator(listen="0.0.0.0")
    try:
        assert loopback.server.server_address[0] == "127.0.0.1"
        assert anywhere.server.server_address[0] == "0.0.0.0"
        assert anywhere.issuer == f"http://127.0.0.1:{anywhere.port}"
        answer = requests.get(f"{anywhere.issuer}/.well-known/openid-configuration", timeout=10)
        assert answer.status_code == 200 and answer.json()["issuer"] == anywhere.issuer
    finally:
        loopback.stop()
        anywhere.stop()


def test_the_command_line_listen_option():
    process = subprocess.Popen([sys.executable, "-m", "simulator", "--listen", "0.0.0.0", "--port", "0"], cwd=procs.ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
    reader.start()
    try:
        reader.join(60)  # a deadline on the condition, not a sleep
        assert first and first[0], process.stderr.read() if process.poll() is not None else "no output"
        found = re.search(r"issuer (http://127\.0\.0\.1:(\d+)), listening on 0\.0\.0\.0:(\d+)", first[0])
        assert found, first[0]
        issuer, port, bound = found.groups()
        assert port == bound
        answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
        assert answer.status_code == 200 and answer.json()["issuer"] == issuer
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
        process.stderr.close()
