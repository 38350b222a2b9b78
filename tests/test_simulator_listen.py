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


def test_keep_alive_serves_gets_on_one_connection_and_closes_after_anything_else():
    """Benchmarks' simulator (--keep-alive) keeps connections as CXone's front door does; a POST
    (its body perhaps unread) and an answer without a length close the connection."""
    import http.client

    op = RunningSimulator(keep_alive=True)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", op.port, timeout=10)
        for _ in range(3):
            connection.request("GET", "/.well-known/openid-configuration")
            answer = connection.getresponse()
            assert answer.status == 200 and answer.version == 11 and not answer.will_close
            assert answer.read()
        connection.request("POST", "/token", body="grant_type=nothing", headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        answer.read()
        assert answer.will_close and answer.getheader("Connection") == "close"
        connection.close()
    finally:
        op.stop()
