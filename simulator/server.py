"""Run a simulator on its own loopback port, in a thread (tests, benchmarks) or alone."""
import argparse
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from .api import PAGE_CAP, TEAM_SIZE
from .demo import demo_client, demo_tenants
from .provider import CXoneSimulator, SimUser


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _HTTP11Handler(ServerHandler):
    http_version = "1.1"

    def cleanup_headers(self):
        super().cleanup_headers()  # a single-piece answer gets its Content-Length here
        handler = self.request_handler
        if handler.command != "GET" or "Content-Length" not in self.headers or handler.close_connection:
            self.headers["Connection"] = "close"
            handler.close_connection = True


class _KeepAliveHandler(_QuietHandler):
    """HTTP/1.1 with kept-alive connections, as CXone's own front door keeps them (wsgiref's
    handler answers one request per connection: every call a new TCP connection and a new
    thread, a cost no client of CXone pays). A GET whose answer has a length keeps the
    connection; anything else closes it (a request body the app left unread never leaks into
    the next request). Benchmarks only: a stopped simulator's kept connections would go on
    answering, so the tests' blinking OP keeps one request per connection."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms wait on a delayed ACK

    def handle(self):
        self.close_connection = True
        self._handle_one()
        while not self.close_connection:
            self._handle_one()

    def _handle_one(self):
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or len(self.raw_requestline) > 65536:
            self.close_connection = True
            return
        if not self.parse_request():  # an error answer was sent
            self.close_connection = True
            return
        handler = _HTTP11Handler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())  # its cleanup_headers decides whether the connection stays


class RunningSimulator:
    """A simulator bound to 127.0.0.1:port (or to `listen`, e.g. 0.0.0.0 in a container, while its
    issuer keeps naming `host`). `stop()` and `start()` take it down and up on
    the same port with the same state (an OP that blinks). `team_size` (agents per tenant),
    `page_cap` (the largest `top` its APIs honour) and `clock` (the APIs' world runs on it)
    set up a simulator it builds; a simulator passed in keeps its own."""

    def __init__(self, simulator=None, *, port=0, host="127.0.0.1", listen=None, team_size=TEAM_SIZE, page_cap=PAGE_CAP,
                 clock=None, keep_alive=False, **options):
        self.host = host
        self.handler = _KeepAliveHandler if keep_alive else _QuietHandler
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
        self.server = make_server(self.listen, self.port, None, _ThreadingWSGIServer, self.handler)
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
    parser.add_argument("--keep-alive", action="store_true", help="HTTP/1.1 kept-alive connections, as CXone keeps them (benchmarks)")
    args = parser.parse_args()
    running = RunningSimulator(port=args.port, listen=args.listen, token_ttl=args.token_ttl, team_size=args.agents, page_cap=args.page_cap,
                               keep_alive=args.keep_alive)
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
