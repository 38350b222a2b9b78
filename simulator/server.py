"""Run a simulator on its own loopback port, in a thread (tests, benchmarks) or alone."""
import argparse
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .api import PAGE_CAP, TEAM_SIZE
from .demo import demo_client, demo_tenants
from .provider import CXoneSimulator, SimUser


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class RunningSimulator:
    """A simulator bound to 127.0.0.1:port (or to `listen`, e.g. 0.0.0.0 in a container, while its
    issuer keeps naming `host`). `stop()` and `start()` take it down and up on
    the same port with the same state (an OP that blinks). `team_size` (agents per tenant),
    `page_cap` (the largest `top` its APIs honour) and `clock` (the APIs' world runs on it)
    set up a simulator it builds; a simulator passed in keeps its own."""

    def __init__(self, simulator=None, *, port=0, host="127.0.0.1", listen=None, team_size=TEAM_SIZE, page_cap=PAGE_CAP,
                 clock=None, **options):
        self.host = host
        self.listen = listen or host
        self.port = port
        self.server = None
        self._thread = None
        self._bind()
        issuer = f"http://{host}:{self.port}"
        if simulator is None:
            simulator = CXoneSimulator(issuer, demo_tenants(), [demo_client()], **options)
            simulator.api.team_size, simulator.api.page_cap = team_size, page_cap
            if clock is not None:
                simulator.api.clock = clock
        self.simulator = simulator
        self.server.set_app(self.simulator)
        self._serve()

    @property
    def issuer(self):
        return self.simulator.issuer

    def _bind(self):
        self.server = make_server(self.listen, self.port, None, _ThreadingWSGIServer, _QuietHandler)
        self.port = self.server.server_port

    def _serve(self):
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def start(self):
        if self.server is None:
            self._bind()
            self.server.set_app(self.simulator)
            self._serve()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(5)
            self.server = None


def main():
    parser = argparse.ArgumentParser(description="Run the CXone simulator on its own port.")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--listen", default="127.0.0.1", metavar="ADDRESS",
                        help="address to bind (0.0.0.0 in a container whose port is published); the issuer stays "
                             "http://127.0.0.1:PORT")
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every server-to-server call")
    parser.add_argument("--userinfo-email", action="store_true", help="add an e-mail to userinfo (stock baseline only)")
    parser.add_argument("--supervisors", type=int, default=0, help="extra Manager users in the first demo tenant (benchmarks)")
    parser.add_argument("--agents", type=int, default=TEAM_SIZE, help="agents per tenant (its users among them)")
    parser.add_argument("--page-cap", type=int, default=PAGE_CAP, help="the largest `top` the APIs honour")
    args = parser.parse_args()
    running = RunningSimulator(port=args.port, listen=args.listen, token_ttl=args.token_ttl, team_size=args.agents, page_cap=args.page_cap)
    first = next(iter(running.simulator.tenants.values()))
    for n in range(args.supervisors):
        first.users.append(SimUser(f"supervisor{n}@{first.slug}.example", "Super", f"Visor{n}", "Manager", agent_id=9000 + n))
    running.simulator.latency = args.latency_ms / 1000
    running.simulator.userinfo_email = args.userinfo_email
    print(f"CXone simulator: issuer {running.issuer}, listening on {running.listen}:{running.port}  (Ctrl-C stops it)",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.stop()


if __name__ == "__main__":
    main()
