"""What the drill helpers (`replicas_load.py`, `outage_load.py`) share: a keep-alive
HTTP client for the server and the small subcommands their shell drivers call (free
ports, a status probe, a token). Standard library only."""
import http.client
import json
import socket
import sys
import urllib.parse


def split_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80, u.path.rstrip("/")


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects after an error."""

    def __init__(self, base, token=None, timeout=40.0):
        self.host, self.port, self.prefix = split_url(base)
        self.token = token
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, bearer=None):
        """(status, body bytes, headers); raises on a transport error (after closing)."""
        h = {"Accept": "application/json"}
        tok = bearer if bearer is not None else self.token
        if tok:
            h["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, self.prefix + path, body=data, headers=h)
            resp = self.conn.getresponse()
            payload = resp.read()
            if resp.will_close:
                self.close()
            return resp.status, payload, resp.headers
        except Exception:
            self.close()
            raise


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def cmd_ports(args):
    socks = []
    for _ in range(args.n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def cmd_status(args):
    host, port, path = split_url(args.url)
    try:
        conn = http.client.HTTPConnection(host, port, timeout=2)
        conn.request("GET", path or "/")
        print(conn.getresponse().status)
        conn.close()
    except Exception:
        print("000")


def cmd_token(args):
    c = Client(args.url)
    status, body, _ = c.request(
        "POST",
        "/api/v1/auth/token",
        {"grant_type": "password", "username": args.user, "password": args.password},
    )
    if status != 200:
        die("token request answered %d: %s" % (status, body[:500].decode(errors="replace")))
    print(json.loads(body)["access_token"])
