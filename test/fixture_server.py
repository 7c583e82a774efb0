#!/usr/bin/env python3
"""
fixture_server.py: the HTTP server the gtfs_fdw tests download feeds from.

Standard library only.  Listens on 127.0.0.1, serves the files under --root
(and, with --root-alias NAME=DIR, the files under DIR as NAME/...), and has
routes that misbehave in controlled ways.  HTTP/1.1 with keep-alive; every
response carries Content-Length except 304s and /big-chunked/.  One log line
per request goes to stderr.

    python3 test/fixture_server.py --root test/data [--root-alias NAME=DIR ...]
                                   --port 0 --port-file PORTFILE

--port 0 picks a free port.  Once the server listens, the port number (digits,
no newline) is written to PORTFILE through a temporary file and a rename, so a
reader never sees a partial file; on exit the file is removed again if it
still holds this server's port.  The server runs until killed; SIGTERM and
SIGINT stop it cleanly with status 0.

PATH below is a file path relative to the root, percent-decoded; a first
segment naming an alias maps into that alias's directory; ".." is refused
with 400.  Missing files give 404.

  GET /files/PATH              the file; ETag "<sha1 hex>", Last-Modified (the
                               mtime); If-None-Match (one tag, a list, or *)
                               gives 304, else If-Modified-Since gives 304 when
                               the file is not newer
  GET /noetag/PATH             the same bytes, no validators, never 304
  GET /lastmod/PATH            Last-Modified only; honours If-Modified-Since
  GET /status/CODE/PATH        status CODE, body "fixture error CODE"
  GET /truncate/NBYTES/PATH    headers as /files/ (full Content-Length), then
                               only NBYTES bytes of body, then the connection
                               is closed; conditional headers are ignored
  GET /slow/MS/PATH            as /files/, but the body goes out in 1024-byte
                               chunks, each preceded by an MS ms pause; stops
                               quietly when the client goes away
  GET /stall/PATH              headers as /files/, then no body for up to
                               120 s; stops when the client goes away
  GET /redirect/N/PATH         302 to /redirect/N-1/PATH, N=0: to /files/PATH
                               (the query string is kept)
  GET /slow-redirect/MS/N/PATH as /redirect/N/PATH, each hop answering after MS
                               milliseconds
  GET /redirect-loop/PATH      302 to itself
  GET /redirect-other-host/PATH
                               302 to http://localhost:PORT/echo-headers
  GET /versioned/NAME          the file registered for NAME, ETag "NAME-<gen>";
                               If-None-Match with that tag gives 304
  GET /control/set-version?name=NAME&path=PATH[&fault=FAULT]
                               register PATH for NAME, bump its generation; "ok".
                               Without path the last one stays.  FAULT makes
                               /versioned/NAME misbehave instead of serving:
                               status:CODE, truncate:NBYTES or stall
  GET /echo-status/CODE        status CODE, body: the JSON of /echo-headers
  GET /control/last-echo       the JSON /echo-headers sent last (or {})
  GET /auth/PATH               as /files/, given header X-Api-Key:
                               sekret-key-123, query key=sekret-key-123 or
                               basic auth alice:wonderland; else a 401 with a
                               JSON error body
  GET /echo-headers            JSON object of the request headers (lower-case
                               names) plus "_query": the raw query string
  GET /gzip/PATH               Content-Encoding: gzip when Accept-Encoding
                               allows gzip, else plain; no validators
  GET /big/NBYTES              NBYTES zero bytes
  GET /big-chunked/NBYTES      the same, Transfer-Encoding: chunked
  GET /stats                   JSON {path: {requests, conditional, not_modified,
                               full}} for every path requested (query string
                               left off, percent-decoded)
  GET /stats?path=P            just that path's object (zeros if never seen)
  GET /stats/reset             clear the counters; "ok"

"conditional" counts requests carrying If-None-Match or If-Modified-Since,
"not_modified" the 304s sent, "full" the 200s to GET that started a non-empty
body (so /truncate/, /slow/ and /stall/ count too).  /stats and /control are
not counted.  HEAD works on every route (headers only).  Anything else is 404.
"""

import argparse
import base64
import email.utils
import gzip
import hashlib
import http.server
import json
import mimetypes
import os
import re
import select
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from datetime import timezone

API_KEY = "sekret-key-123"
BASIC_USER = "alice"
BASIC_PASSWORD = "wonderland"
AUTH_ERROR_BODY = (b'{"code":401001,"type":"Invalid Auth","message":'
                   b'"The method requires authentication but it was not '
                   b'presented or is invalid."}')

SLOW_CHUNK = 1024
STALL_SECONDS = 120.0
POLL_SECONDS = 0.2
BIG_PIECE = 64 * 1024
MAX_REQUEST_BODY = 1024 * 1024

LOG_LOCK = threading.Lock()


def log(line):
    with LOG_LOCK:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class BadPath(Exception):
    """A request path that tries to leave the served directories."""


class FixtureState:
    """What the handlers share: directories, counters, versioned names."""

    def __init__(self, root, aliases):
        self.root = os.path.realpath(root)
        self.aliases = {name: os.path.realpath(d) for name, d in aliases.items()}
        self.lock = threading.Lock()
        self.stats = {}
        self.versions = {}          # name -> (relative path, generation, fault)
        self.last_echo = None       # headers /echo-headers saw last
        self.generations = {}       # name -> last generation handed out

    def resolve(self, relpath):
        """The file a PATH names, None if there is none; BadPath on '..'."""
        parts = relpath.split("/")
        if any(p == ".." or "\x00" in p for p in parts):
            raise BadPath(relpath)
        parts = [p for p in parts if p not in ("", ".")]
        if not parts:
            return None
        base = self.root
        if parts[0] in self.aliases:
            base = self.aliases[parts[0]]
            parts = parts[1:]
        real = os.path.realpath(os.path.join(base, *parts))
        if os.path.commonpath([real, base]) != base:
            raise BadPath(relpath)
        return real if os.path.isfile(real) else None

    @staticmethod
    def zero_counts():
        return {"requests": 0, "conditional": 0, "not_modified": 0, "full": 0}

    def count(self, path, *keys):
        with self.lock:
            entry = self.stats.setdefault(path, self.zero_counts())
            for key in keys:
                entry[key] += 1

    def stats_snapshot(self, path=None):
        with self.lock:
            if path is not None:
                return dict(self.stats.get(path, self.zero_counts()))
            return {p: dict(c) for p, c in self.stats.items()}

    def reset_stats(self):
        with self.lock:
            self.stats.clear()

    def set_version(self, name, relpath, fault=None):
        with self.lock:
            generation = self.generations.get(name, 0) + 1
            self.generations[name] = generation
            if not relpath and name in self.versions:
                relpath = self.versions[name][0]
            self.versions[name] = (relpath, generation, fault)
            return generation

    def get_version(self, name):
        with self.lock:
            return self.versions.get(name)


def etag_matches(header, etag):
    """If-None-Match evaluation (weak comparison) against our etag."""
    header = header.strip()
    if header == "*":
        return True
    tags = re.findall(r'(?:W/)?"[^"]*"', header)
    if not tags:
        tags = [t.strip() for t in header.split(",")]
    want = etag[2:] if etag.startswith("W/") else etag
    for tag in tags:
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == want:
            return True
    return False


def http_date(timestamp):
    return email.utils.formatdate(timestamp, usegmt=True)


def parse_http_date(value):
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def content_type(path):
    if path.endswith(".zip"):
        return "application/zip"
    if path.endswith((".txt", ".csv")):
        return "text/plain; charset=utf-8"
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def redact(text):
    return re.sub(r"(key=)[^&\s]*", r"\1REDACTED", text)


class FixtureHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gtfs-fixture-server/1.0"
    timeout = 120               # idle keep-alive connections go away

    # --- plumbing ---------------------------------------------------------

    def version_string(self):
        return self.server_version

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            pass

    def log_request(self, code="-", size="-"):
        pass                    # one line per request comes from log_done

    def log_message(self, format, *args):
        log('%s "%s" %s' % (time.strftime("%H:%M:%S"),
                            redact(getattr(self, "requestline", "") or "-"),
                            redact(format % args)))

    def log_done(self):
        ms = (time.monotonic() - self.started) * 1000.0
        log('%s "%s %s" %s %d %.0fms%s'
            % (time.strftime("%H:%M:%S"), self.command, redact(self.path),
               self.status if self.status is not None else "-",
               self.sent, ms, (" " + self.note) if self.note else ""))

    @property
    def state(self):
        return self.server.state

    def do_GET(self):
        self.serve(head=False)

    def do_HEAD(self):
        self.serve(head=True)

    def refuse_method(self):
        self.started = time.monotonic()
        self.status, self.sent, self.note = None, 0, ""
        self.head = False
        self.counted = False
        self.discard_request_body()
        self.close_connection = True
        self.send_text(405, "fixture error 405", [("Allow", "GET, HEAD")])
        self.log_done()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse_method

    def discard_request_body(self):
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
            self.close_connection = True
        if length > MAX_REQUEST_BODY:
            self.close_connection = True
        elif length > 0:
            self.rfile.read(length)

    def start(self, code, headers=(), length=None):
        """Status line and headers; length None means no Content-Length."""
        self.status = code
        if self.counted:
            if code == 304:
                self.state.count(self.url_path, "not_modified")
            elif (code == 200 and not self.head
                  and (length is None or length > 0)):
                self.state.count(self.url_path, "full")
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def write(self, data):
        if self.head or not data:
            return
        self.wfile.write(data)
        self.sent += len(data)

    def send_body(self, code, body, ctype, headers=()):
        self.start(code, [("Content-Type", ctype)] + list(headers), len(body))
        self.write(body)

    def send_text(self, code, text, headers=()):
        if code in (204, 304) or code < 200:
            self.start(code, headers)
        else:
            self.send_body(code, text.encode(), "text/plain; charset=utf-8",
                           headers)

    def send_json(self, obj, code=200):
        body = (json.dumps(obj, sort_keys=True) + "\n").encode()
        self.send_body(code, body, "application/json")

    def not_found(self, what="no such file"):
        self.send_text(404, "fixture error 404: " + what)

    def client_gone(self, timeout):
        """Wait up to timeout seconds; True if the client closed meanwhile."""
        try:
            readable, _, _ = select.select([self.connection], [], [], timeout)
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        try:
            data = self.connection.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        if not data:
            return True
        time.sleep(timeout)     # a pipelined request, not a close
        return False

    def wait_or_gone(self, seconds):
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.client_gone(min(POLL_SECONDS, left)):
                return True

    # --- request entry ----------------------------------------------------

    def serve(self, head):
        self.started = time.monotonic()
        self.status, self.sent, self.note = None, 0, ""
        self.head = head
        split = urllib.parse.urlsplit(self.path)
        self.raw_path = split.path
        self.query = split.query
        self.url_path = urllib.parse.unquote(split.path)
        self.discard_request_body()
        self.counted = not any(
            self.url_path == p or self.url_path.startswith(p + "/")
            for p in ("/stats", "/control"))
        if self.counted:
            conditional = ("If-None-Match" in self.headers
                           or "If-Modified-Since" in self.headers)
            if conditional:
                self.state.count(self.url_path, "requests", "conditional")
            else:
                self.state.count(self.url_path, "requests")
        try:
            self.route()
        except BadPath:
            self.send_text(400, "fixture error 400: bad path")
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            self.note = "client disconnected"
        finally:
            self.log_done()

    ROUTES = [
        (re.compile(r"/files/(?P<path>.+)"), "route_files"),
        (re.compile(r"/noetag/(?P<path>.+)"), "route_noetag"),
        (re.compile(r"/lastmod/(?P<path>.+)"), "route_lastmod"),
        (re.compile(r"/status/(?P<code>\d{3})(?:/(?P<path>.*))?"), "route_status"),
        (re.compile(r"/truncate/(?P<n>\d+)/(?P<path>.+)"), "route_truncate"),
        (re.compile(r"/slow/(?P<ms>\d+)/(?P<path>.+)"), "route_slow"),
        (re.compile(r"/stall/(?P<path>.+)"), "route_stall"),
        (re.compile(r"/redirect/(?P<n>\d+)/(?P<path>.+)"), "route_redirect"),
        (re.compile(r"/slow-redirect/(?P<ms>\d+)/(?P<n>\d+)/(?P<path>.+)"),
         "route_slow_redirect"),
        (re.compile(r"/redirect-loop/(?P<path>.+)"), "route_redirect_loop"),
        (re.compile(r"/redirect-other-host/(?P<path>.*)"), "route_redirect_other"),
        (re.compile(r"/versioned/(?P<name>[^/]+)"), "route_versioned"),
        (re.compile(r"/control/set-version"), "route_set_version"),
        (re.compile(r"/control/last-echo"), "route_last_echo"),
        (re.compile(r"/echo-status/(?P<code>\d{3})"), "route_echo_status"),
        (re.compile(r"/auth/(?P<path>.+)"), "route_auth"),
        (re.compile(r"/echo-headers"), "route_echo_headers"),
        (re.compile(r"/gzip/(?P<path>.+)"), "route_gzip"),
        (re.compile(r"/big/(?P<n>\d+)"), "route_big"),
        (re.compile(r"/big-chunked/(?P<n>\d+)"), "route_big_chunked"),
        (re.compile(r"/stats"), "route_stats"),
        (re.compile(r"/stats/reset"), "route_stats_reset"),
    ]

    def route(self):
        for pattern, method in self.ROUTES:
            match = pattern.fullmatch(self.url_path)
            if match:
                return getattr(self, method)(**match.groupdict())
        return self.not_found("no such route")

    # --- helpers for file routes ------------------------------------------

    def load(self, relpath):
        """(path, bytes, mtime) of a PATH, or None after sending a 404."""
        path = self.state.resolve(relpath)
        if path is None:
            self.not_found()
            return None
        with open(path, "rb") as f:
            data = f.read()
            mtime = os.fstat(f.fileno()).st_mtime
        return path, data, mtime

    def not_modified(self, etag, mtime):
        """Whether the request's conditional headers allow a 304."""
        inm = self.headers.get_all("If-None-Match")
        if inm:
            header = ", ".join(inm)
            if header.strip() == "*":
                return True
            return etag is not None and etag_matches(header, etag)
        ims = self.headers.get("If-Modified-Since")
        if ims and mtime is not None:
            since = parse_http_date(ims)
            return since is not None and int(mtime) <= since
        return False

    def file_headers(self, path, data, mtime, etag=True, lastmod=True):
        validators = []
        if etag:
            validators.append(("ETag",
                               '"%s"' % hashlib.sha1(data).hexdigest()))
        if lastmod:
            validators.append(("Last-Modified", http_date(mtime)))
        return validators

    def serve_file(self, relpath, etag=True, lastmod=True, conditional=True,
                   slow_ms=None):
        loaded = self.load(relpath)
        if loaded is None:
            return
        path, data, mtime = loaded
        validators = self.file_headers(path, data, mtime, etag, lastmod)
        if conditional and (etag or lastmod):
            tag = validators[0][1] if etag else None
            if self.not_modified(tag, mtime if lastmod else None):
                self.start(304, validators)
                return
        headers = [("Content-Type", content_type(path))] + validators
        self.start(200, headers, len(data))
        if slow_ms is None:
            self.write(data)
            return
        if self.head:
            return
        for offset in range(0, len(data), SLOW_CHUNK):
            if self.wait_or_gone(slow_ms / 1000.0):
                self.close_connection = True
                self.note = "client disconnected"
                return
            self.write(data[offset:offset + SLOW_CHUNK])

    # --- routes -----------------------------------------------------------

    def route_files(self, path):
        self.serve_file(path)

    def route_noetag(self, path):
        self.serve_file(path, etag=False, lastmod=False, conditional=False)

    def route_lastmod(self, path):
        self.serve_file(path, etag=False)

    def route_status(self, code, path=None):
        code = int(code)
        if not 200 <= code <= 599:
            return self.not_found("no such route")
        self.send_text(code, "fixture error %d" % code)

    def start_whole_file(self, path):
        """Send the headers of a 200 for the whole file; its bytes, or None
        when there is no such file (a 404 went out)."""
        loaded = self.load(path)
        if loaded is None:
            return None
        path, data, mtime = loaded
        headers = ([("Content-Type", content_type(path))]
                   + self.file_headers(path, data, mtime))
        self.start(200, headers, len(data))
        return data

    def route_truncate(self, n, path):
        data = self.start_whole_file(path)
        if data is None:
            return
        self.write(data[:int(n)])
        self.close_connection = True
        if int(n) < len(data) and not self.head:
            self.note = "truncated"

    def route_slow(self, ms, path):
        self.serve_file(path, slow_ms=int(ms))

    def route_stall(self, path):
        if self.start_whole_file(path) is None:
            return
        if self.head:
            return
        self.close_connection = True
        if self.wait_or_gone(STALL_SECONDS):
            self.note = "client disconnected"
        else:
            self.note = "stall ended"

    def redirect(self, location):
        self.send_text(302, "redirecting to %s" % location,
                       [("Location", location)])

    def route_redirect(self, n, path):
        n = int(n)
        quoted = urllib.parse.quote(path, safe="/")
        if n > 0:
            location = "/redirect/%d/%s" % (n - 1, quoted)
        else:
            location = "/files/%s" % quoted
        if self.query:
            location += "?" + self.query
        self.redirect(location)

    def route_slow_redirect(self, ms, n, path):
        if self.wait_or_gone(int(ms) / 1000.0):
            self.note = "client disconnected"
            return
        n = int(n)
        quoted = urllib.parse.quote(path, safe="/")
        if n > 0:
            self.redirect("/slow-redirect/%s/%d/%s" % (ms, n - 1, quoted))
        else:
            self.redirect("/files/%s" % quoted)

    def route_redirect_loop(self, path):
        location = self.raw_path + ("?" + self.query if self.query else "")
        self.redirect(location)

    def route_redirect_other(self, path):
        self.redirect("http://localhost:%d/echo-headers"
                      % self.server.server_address[1])

    def route_versioned(self, name):
        entry = self.state.get_version(name)
        if entry is None:
            return self.not_found("no version registered for %s" % name)
        relpath, generation, fault = entry
        if fault:
            return self.versioned_fault(fault, relpath)
        loaded = self.load(relpath)
        if loaded is None:
            return
        path, data, _ = loaded
        etag = '"%s-%d"' % (name, generation)
        inm = self.headers.get_all("If-None-Match")
        if inm and etag_matches(", ".join(inm), etag):
            self.start(304, [("ETag", etag)])
            return
        self.send_body(200, data, content_type(path), [("ETag", etag)])

    def versioned_fault(self, fault, relpath):
        kind, _, arg = fault.partition(":")
        if kind == "status":
            return self.route_status(arg)
        if kind == "truncate":
            return self.route_truncate(arg, relpath)
        if kind == "stall":
            return self.route_stall(relpath)
        return self.send_text(500, "fixture error 500: unknown fault %s" % fault)

    def route_set_version(self):
        params = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        name = params.get("name", [""])[0]
        relpath = params.get("path", [""])[0]
        fault = params.get("fault", [""])[0] or None
        if not name or "/" in name or not (relpath or fault):
            return self.send_text(400, "fixture error 400: need name and path")
        if relpath and self.state.resolve(relpath) is None:
            return self.not_found()
        generation = self.state.set_version(name, relpath, fault)
        self.note = "%s -> %s (generation %d%s)" % (
            name, relpath, generation, ", fault " + fault if fault else "")
        self.send_text(200, "ok")

    def route_last_echo(self):
        self.send_json(self.state.last_echo or {})

    def route_echo_status(self, code):
        code = int(code)
        if not 200 <= code <= 599:
            return self.not_found("no such route")
        self.send_body(code, json.dumps(self.echoed()).encode(), "application/json")

    def authorized(self):
        if self.headers.get("X-Api-Key") == API_KEY:
            return True
        params = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        if API_KEY in params.get("key", []):
            return True
        auth = self.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(),
                                           validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return False
            return decoded == "%s:%s" % (BASIC_USER, BASIC_PASSWORD)
        return False

    def route_auth(self, path):
        if not self.authorized():
            self.send_body(401, AUTH_ERROR_BODY, "application/json",
                           [("WWW-Authenticate", 'Basic realm="gtfs fixture"')])
            return
        self.serve_file(path)

    def echoed(self):
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = (headers[name] + ", " + value
                             if name in headers else value)
        headers["_query"] = self.query
        return headers

    def route_echo_headers(self):
        headers = self.echoed()
        self.state.last_echo = headers
        self.send_json(headers)

    def accepts_gzip(self):
        for item in ", ".join(self.headers.get_all("Accept-Encoding") or []).split(","):
            token, _, params = item.partition(";")
            if token.strip().lower() not in ("gzip", "x-gzip"):
                continue
            qvalue = re.search(r"q\s*=\s*([0-9.]+)", params)
            try:
                if qvalue and float(qvalue.group(1)) == 0:
                    continue
            except ValueError:
                continue
            return True
        return False

    def route_gzip(self, path):
        loaded = self.load(path)
        if loaded is None:
            return
        path, data, _ = loaded
        headers = [("Vary", "Accept-Encoding")]
        if self.accepts_gzip():
            data = gzip.compress(data, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        self.send_body(200, data, content_type(path), headers)

    def route_big(self, n):
        n = int(n)
        self.start(200, [("Content-Type", "application/octet-stream")], n)
        piece = bytes(BIG_PIECE)
        while n > 0 and not self.head:
            self.write(piece[:min(n, BIG_PIECE)])
            n -= BIG_PIECE

    def route_big_chunked(self, n):
        n = int(n)
        self.start(200, [("Content-Type", "application/octet-stream"),
                         ("Transfer-Encoding", "chunked")])
        if self.head:
            return
        piece = bytes(BIG_PIECE)
        while n > 0:
            size = min(n, BIG_PIECE)
            self.write(b"%x\r\n" % size + piece[:size] + b"\r\n")
            n -= size
        self.write(b"0\r\n\r\n")

    def route_stats(self):
        params = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        if "path" in params:
            self.send_json(self.state.stats_snapshot(params["path"][0]))
        else:
            self.send_json(self.state.stats_snapshot())

    def route_stats_reset(self):
        self.state.reset_stats()
        self.send_text(200, "ok")


class FixtureServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def server_bind(self):
        # skip HTTPServer's reverse DNS lookup of the address
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def write_port_file(path, port):
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path),
                                                  os.getpid()))
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, path)


def remove_port_file(path, port):
    """Remove the port file, unless another server has rewritten it since."""
    try:
        with open(path) as f:
            if f.read().strip() == str(port):
                os.unlink(path)
    except OSError:
        pass


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="HTTP fixture server for the gtfs_fdw tests (127.0.0.1 only)")
    parser.add_argument("--root", required=True,
                        help="directory that /files/PATH and friends serve")
    parser.add_argument("--root-alias", action="append", default=[],
                        metavar="NAME=DIR",
                        help="serve DIR under the first path segment NAME")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on; 0 picks a free one")
    parser.add_argument("--port-file",
                        help="file to write the port number to once listening")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.root):
        parser.error("--root %s is not a directory" % args.root)
    aliases = {}
    for item in args.root_alias:
        name, sep, directory = item.partition("=")
        if not sep or not name or "/" in name or not os.path.isdir(directory):
            parser.error("--root-alias wants NAME=DIR with an existing DIR: %s"
                         % item)
        aliases[name] = directory
    args.aliases = aliases
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.port_file and os.path.exists(args.port_file):
        os.unlink(args.port_file)

    server = FixtureServer(("127.0.0.1", args.port), FixtureHandler)
    server.state = FixtureState(args.root, args.aliases)
    port = server.server_address[1]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.port_file:
        write_port_file(args.port_file, port)
    log("fixture server listening on 127.0.0.1:%d (pid %d)" % (port, os.getpid()))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.port_file:
            remove_port_file(args.port_file, port)
        log("fixture server on port %d stopped" % port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
