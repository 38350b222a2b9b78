"""A loopback HTTP server that answers every request with a canned status, headers and
body: a hostile or broken OpenID Provider, for the protocol layer's unit tests."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CannedServer:
    def __init__(self):
        self.status, self.body, self.headers, self.delay = 200, b"{}", {"Content-Type": "application/json"}, 0.0
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                        "body": self.rfile.read(length).decode("utf-8", "replace")})
                if server.delay:
                    threading.Event().wait(server.delay)
                body = server.body() if callable(server.body) else server.body
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                if isinstance(body, (bytes, bytearray)):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:  # an iterable of chunks, no length: read until the server stops
                    self.end_headers()
                    try:
                        for chunk in body:
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def answer(self, status=200, body=b"{}", content_type="application/json", **headers):
        self.status, self.body = status, body
        self.headers = {"Content-Type": content_type, **headers}

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
