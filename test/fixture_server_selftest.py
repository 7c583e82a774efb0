#!/usr/bin/env python3
"""
fixture_server_selftest.py: exercise every route of fixture_server.py.

Starts the server (beside this file) on a free port over a scratch directory,
checks each route, stops it with SIGTERM and prints
"fixture server self-test: N passed, M failed".  Exits 1 if anything failed.
Standard library only.

    python3 test/fixture_server_selftest.py [-v]
"""

import base64
import email.utils
import gzip
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fixture_server.py")
VERBOSE = "-v" in sys.argv[1:]

# 3000 bytes: three 1024-byte chunks on /slow/
A_BIN = bytes((i * 7 + 3) % 256 for i in range(3000))
A_SHA1 = '"%s"' % hashlib.sha1(A_BIN).hexdigest()
A_MTIME = 1704067200            # 2024-01-01 00:00:00 UTC
B_TXT = b"version two\n"
C_TXT = b"from the alias directory\n"
AUTH_ERROR = (b'{"code":401001,"type":"Invalid Auth","message":"The method '
              b'requires authentication but it was not presented or is '
              b'invalid."}')


class Fixture:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="fixture-selftest-")
        self.root = os.path.join(self.tmp, "root")
        self.alias = os.path.join(self.tmp, "alias")
        os.makedirs(os.path.join(self.root, "sub"))
        os.makedirs(self.alias)
        self.put(os.path.join(self.root, "a.bin"), A_BIN, A_MTIME)
        self.put(os.path.join(self.root, "b.txt"), B_TXT)
        self.put(os.path.join(self.root, "sub", "a b.txt"), B_TXT)
        self.put(os.path.join(self.alias, "c.txt"), C_TXT)
        self.put(os.path.join(self.tmp, "secret.txt"), b"outside\n")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--root", self.root,
             "--root-alias", "shared=" + self.alias,
             "--port", "0", "--port-file", self.port_file],
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fixture server did not start:\n"
                                   + self.log_text())
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port_text = f.read()
        self.port = int(self.port_text)

    @staticmethod
    def put(path, data, mtime=None):
        with open(path, "wb") as f:
            f.write(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, needle, seconds=3.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if needle in self.log_text():
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- clients ----------------------------------------------------------

    def get(self, path, headers=None, method="GET", host="127.0.0.1"):
        """(status, headers message, body) on a fresh connection."""
        conn = http.client.HTTPConnection(host, self.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, resp.headers, body
        finally:
            conn.close()

    def raw(self, request, wait=5.0):
        """Send raw bytes, read until EOF or timeout; (bytes, saw_eof)."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=wait)
        try:
            sock.sendall(request)
            data = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    return data, False
                if not chunk:
                    return data, True
                data += chunk
        finally:
            sock.close()

    def raw_get(self, path, extra=b""):
        return self.raw(b"GET " + path.encode() + b" HTTP/1.1\r\n"
                        b"Host: 127.0.0.1\r\n" + extra + b"\r\n")

    def stats(self, path):
        status, _, body = self.get("/stats?path=" + path)
        assert status == 200, status
        return json.loads(body)


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


# --- the checks ---------------------------------------------------------------

def t_port_file(fx):
    expect(fx.port_text.isdigit(), "port file holds only digits: %r"
           % fx.port_text)
    expect(1 <= fx.port <= 65535, "port in range")
    leftovers = [n for n in os.listdir(fx.tmp) if n.endswith(".tmp")]
    expect_eq(leftovers, [], "no temporary port file left behind")


def t_files(fx):
    status, headers, body = fx.get("/files/a.bin")
    expect_eq(status, 200, "status")
    expect_eq(body, A_BIN, "body")
    expect_eq(headers["ETag"], A_SHA1, "ETag is the sha1 of the content")
    expect_eq(headers["Last-Modified"],
              email.utils.formatdate(A_MTIME, usegmt=True), "Last-Modified")
    expect_eq(headers["Content-Length"], "3000", "Content-Length")
    status, headers, body = fx.get("/files/sub/a%20b.txt")
    expect_eq((status, body), (200, B_TXT), "percent-encoded path")


def t_files_if_none_match(fx):
    for value in (A_SHA1, '"nope", ' + A_SHA1, "*", "W/" + A_SHA1):
        status, headers, body = fx.get("/files/a.bin",
                                       {"If-None-Match": value})
        expect_eq(status, 304, "If-None-Match %s" % value)
        expect_eq(body, b"", "304 has no body")
        expect_eq(headers["ETag"], A_SHA1, "304 repeats the ETag")
    status, _, body = fx.get("/files/a.bin", {"If-None-Match": '"other"'})
    expect_eq((status, body), (200, A_BIN), "mismatching etag gives 200")
    status, _, _ = fx.get("/files/a.bin", {"If-None-Match": A_SHA1[1:-1]})
    expect_eq(status, 200, "an unquoted etag does not match")
    # If-None-Match wins over If-Modified-Since
    status, _, _ = fx.get("/files/a.bin", {
        "If-None-Match": '"other"',
        "If-Modified-Since": email.utils.formatdate(A_MTIME + 10, usegmt=True)})
    expect_eq(status, 200, "If-None-Match takes precedence")


def t_files_if_modified_since(fx):
    same = email.utils.formatdate(A_MTIME, usegmt=True)
    older = email.utils.formatdate(A_MTIME - 3600, usegmt=True)
    status, _, body = fx.get("/files/a.bin", {"If-Modified-Since": same})
    expect_eq((status, body), (304, b""), "not newer gives 304")
    status, _, body = fx.get("/files/a.bin", {"If-Modified-Since": older})
    expect_eq((status, body), (200, A_BIN), "newer gives 200")
    status, _, _ = fx.get("/files/a.bin", {"If-Modified-Since": "garbage"})
    expect_eq(status, 200, "unparsable date is ignored")


def t_files_errors(fx):
    expect_eq(fx.get("/files/missing.zip")[0], 404, "missing file")
    expect_eq(fx.get("/files/sub")[0], 404, "a directory is not a file")
    expect_eq(fx.get("/files/../secret.txt")[0], 400, "..")
    expect_eq(fx.get("/files/sub/%2e%2e/%2e%2e/secret.txt")[0], 400,
              "encoded ..")
    expect_eq(fx.get("/files/shared/../../secret.txt")[0], 400, ".. via alias")


def t_alias(fx):
    status, _, body = fx.get("/files/shared/c.txt")
    expect_eq((status, body), (200, C_TXT), "alias maps into its directory")
    expect_eq(fx.get("/files/c.txt")[0], 404, "alias file not in root")


def t_head(fx):
    status, headers, body = fx.get("/files/a.bin", method="HEAD")
    expect_eq((status, body), (200, b""), "HEAD has no body")
    expect_eq(headers["Content-Length"], "3000", "HEAD Content-Length")


def t_keep_alive(fx):
    conn = http.client.HTTPConnection("127.0.0.1", fx.port, timeout=10)
    try:
        for path in ("/files/a.bin", "/status/503/x", "/files/b.txt",
                     "/redirect/0/b.txt", "/big-chunked/5000", "/big/7"):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            expect(not resp.will_close, "connection kept open after " + path)
        conn.request("GET", "/files/a.bin", headers={"If-None-Match": A_SHA1})
        resp = conn.getresponse()
        expect_eq((resp.status, resp.read()), (304, b""), "304 on keep-alive")
        conn.request("GET", "/files/b.txt")
        expect_eq(conn.getresponse().read(), B_TXT, "after a 304")
    finally:
        conn.close()


def t_noetag(fx):
    status, headers, body = fx.get("/noetag/a.bin", {"If-None-Match": "*"})
    expect_eq((status, body), (200, A_BIN), "always 200")
    expect("ETag" not in headers, "no ETag")
    expect("Last-Modified" not in headers, "no Last-Modified")
    expect_eq(headers["Content-Length"], "3000", "Content-Length")


def t_lastmod(fx):
    status, headers, body = fx.get("/lastmod/a.bin")
    expect_eq((status, body), (200, A_BIN), "200")
    expect("ETag" not in headers, "no ETag")
    expect("Last-Modified" in headers, "Last-Modified")
    status, _, body = fx.get("/lastmod/a.bin",
                             {"If-Modified-Since": headers["Last-Modified"]})
    expect_eq((status, body), (304, b""), "If-Modified-Since honoured")


def t_status(fx):
    for code in (500, 503, 429, 403, 404):
        status, headers, body = fx.get("/status/%d/feed.zip" % code)
        expect_eq(status, code, "status")
        expect_eq(body, b"fixture error %d" % code, "body")
        expect_eq(headers["Content-Length"], str(len(body)), "Content-Length")
    status, _, body = fx.get("/status/204/feed.zip")
    expect_eq((status, body), (204, b""), "204 has no body")


def t_truncate(fx):
    data, eof = fx.raw_get("/truncate/10/a.bin")
    status, headers, body = split_response(data)
    expect_eq(status, 200, "status")
    expect_eq(headers["content-length"], "3000", "full Content-Length")
    expect_eq(body, A_BIN[:10], "only the first 10 bytes")
    expect(eof, "connection closed")
    try:
        fx.get("/truncate/100/a.bin")
        raise AssertionError("http.client accepted a truncated body")
    except http.client.IncompleteRead as e:
        expect_eq(len(e.partial), 100, "partial length")


def t_slow(fx):
    started = time.monotonic()
    status, _, body = fx.get("/slow/100/a.bin")
    took = time.monotonic() - started
    expect_eq((status, body), (200, A_BIN), "complete body")
    expect(took >= 0.29, "three 100 ms pauses, took %.3f s" % took)
    status, _, _ = fx.get("/slow/100/a.bin", {"If-None-Match": A_SHA1})
    expect_eq(status, 304, "conditional on /slow/")


def t_slow_does_not_block(fx):
    result = {}

    def slow():
        result["slow"] = fx.get("/slow/400/a.bin")

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    status, _, body = fx.get("/files/b.txt")
    took = time.monotonic() - started
    expect_eq((status, body), (200, B_TXT), "other request")
    expect(took < 0.5, "other request not blocked (%.3f s)" % took)
    thread.join(10)
    expect_eq(result.get("slow", (None, None, None))[2], A_BIN, "slow body")


def t_slow_disconnect(fx):
    sock = socket.create_connection(("127.0.0.1", fx.port), timeout=5)
    sock.sendall(b"GET /slow/300/a.bin?disconnect=1 HTTP/1.1\r\n"
                 b"Host: x\r\n\r\n")
    expect(sock.recv(10).startswith(b"HTTP/1.1 2"), "headers")
    sock.close()
    expect(fx.wait_log("/slow/300/a.bin?disconnect=1\" 200"),
           "server noticed the disconnect")


def t_stall(fx):
    sock = socket.create_connection(("127.0.0.1", fx.port), timeout=5)
    try:
        sock.sendall(b"GET /stall/a.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
        status, headers, body = split_response(data)
        expect_eq(status, 200, "status")
        expect_eq(headers["content-length"], "3000", "Content-Length")
        sock.settimeout(0.6)
        try:
            more = sock.recv(4096)
        except socket.timeout:
            more = b""
        expect_eq(body + more, b"", "no body")
    finally:
        sock.close()
    expect(fx.wait_log('"GET /stall/a.bin" 200 0'),
           "server noticed the disconnect within 3 s")


def t_redirect(fx):
    status, headers, _ = fx.get("/redirect/2/a.bin")
    expect_eq(status, 302, "status")
    expect_eq(headers["Location"], "/redirect/1/a.bin", "Location")
    status, headers, _ = fx.get("/redirect/0/a.bin?x=1")
    expect_eq(headers["Location"], "/files/a.bin?x=1", "Location at 0")
    path, hops = "/redirect/3/a.bin", 0
    while True:
        status, headers, body = fx.get(path)
        if status != 302:
            break
        path, hops = headers["Location"], hops + 1
    expect_eq((status, body, hops), (200, A_BIN, 4), "chain ends at /files/")


def t_redirect_loop(fx):
    status, headers, _ = fx.get("/redirect-loop/a.bin")
    expect_eq((status, headers["Location"]), (302, "/redirect-loop/a.bin"),
              "302 to itself")


def t_redirect_other_host(fx):
    status, headers, _ = fx.get("/redirect-other-host/a.bin")
    want = "http://localhost:%d/echo-headers" % fx.port
    expect_eq((status, headers["Location"]), (302, want), "Location")
    status, _, body = fx.get("/echo-headers", host="127.0.0.1")
    expect_eq(status, 200, "target answers")


def t_versioned(fx):
    expect_eq(fx.get("/versioned/feedq")[0], 404, "unregistered name")
    status, _, body = fx.get("/control/set-version?name=feedq&path=a.bin")
    expect_eq((status, body), (200, b"ok"), "set-version")
    status, headers, body = fx.get("/versioned/feedq")
    expect_eq((status, body, headers["ETag"]), (200, A_BIN, '"feedq-1"'),
              "generation 1")
    status, _, body = fx.get("/versioned/feedq", {"If-None-Match": '"feedq-1"'})
    expect_eq((status, body), (304, b""), "304 for the current generation")
    fx.get("/control/set-version?name=feedq&path=shared/c.txt")
    status, headers, body = fx.get("/versioned/feedq",
                                   {"If-None-Match": '"feedq-1"'})
    expect_eq((status, body, headers["ETag"]), (200, C_TXT, '"feedq-2"'),
              "generation 2")
    expect_eq(fx.get("/control/set-version?name=feedq&path=nope.zip")[0], 404,
              "set-version to a missing file")
    expect_eq(fx.get("/control/set-version?name=feedq")[0], 400,
              "set-version without a path")


def t_auth(fx):
    status, headers, body = fx.get("/auth/a.bin")
    expect_eq((status, body), (401, AUTH_ERROR), "401 body")
    expect_eq(headers["Content-Type"], "application/json", "JSON")
    json.loads(body)
    status, _, body = fx.get("/auth/a.bin", {"X-Api-Key": "sekret-key-123"})
    expect_eq((status, body), (200, A_BIN), "header key")
    status, _, body = fx.get("/auth/a.bin?key=sekret-key-123")
    expect_eq((status, body), (200, A_BIN), "query key")
    good = base64.b64encode(b"alice:wonderland").decode()
    bad = base64.b64encode(b"alice:looking-glass").decode()
    status, _, body = fx.get("/auth/a.bin", {"Authorization": "Basic " + good})
    expect_eq((status, body), (200, A_BIN), "basic auth")
    expect_eq(fx.get("/auth/a.bin", {"Authorization": "Basic " + bad})[0], 401,
              "wrong password")
    expect_eq(fx.get("/auth/a.bin", {"X-Api-Key": "wrong"})[0], 401,
              "wrong key")
    status, _, _ = fx.get("/auth/a.bin", {"X-Api-Key": "sekret-key-123",
                                          "If-None-Match": A_SHA1})
    expect_eq(status, 304, "conditional once authorized")
    expect("sekret-key-123" not in fx.log_text(), "key redacted in the log")


def t_echo_headers(fx):
    status, headers, body = fx.get("/echo-headers?a=1&b=two",
                                   {"X-Test-Header": "Hello", "Accept": "*/*"})
    expect_eq(status, 200, "status")
    echoed = json.loads(body)
    expect_eq(echoed.get("x-test-header"), "Hello", "lower-cased header name")
    expect_eq(echoed.get("_query"), "a=1&b=two", "raw query")
    expect_eq(echoed.get("host"), "127.0.0.1:%d" % fx.port, "host")


def t_gzip(fx):
    status, headers, body = fx.get("/gzip/a.bin",
                                   {"Accept-Encoding": "deflate, gzip, br"})
    expect_eq(status, 200, "status")
    expect_eq(headers["Content-Encoding"], "gzip", "Content-Encoding")
    expect_eq(headers["Content-Length"], str(len(body)), "Content-Length")
    expect_eq(gzip.decompress(body), A_BIN, "decompressed body")
    for accept in (None, "identity", "gzip;q=0"):
        status, headers, body = fx.get(
            "/gzip/a.bin", {"Accept-Encoding": accept} if accept else {})
        expect("Content-Encoding" not in headers, "plain for %r" % accept)
        expect_eq(body, A_BIN, "plain body for %r" % accept)


def t_big(fx):
    status, headers, body = fx.get("/big/200000")
    expect_eq((status, headers["Content-Length"]), (200, "200000"), "headers")
    expect_eq(body, bytes(200000), "zeros")
    status, headers, body = fx.get("/big/0")
    expect_eq((status, headers["Content-Length"], body), (200, "0", b""),
              "empty")


def t_big_chunked(fx):
    status, headers, body = fx.get("/big-chunked/200000")
    expect_eq(status, 200, "status")
    expect_eq(headers["Transfer-Encoding"], "chunked", "chunked")
    expect("Content-Length" not in headers, "no Content-Length")
    expect_eq(body, bytes(200000), "zeros")
    data, _ = fx.raw_get("/big-chunked/3", b"Connection: close\r\n")
    expect(data.endswith(b"\r\n\r\n3\r\n\x00\x00\x00\r\n0\r\n\r\n"),
           "chunk framing")


def t_stats(fx):
    status, _, body = fx.get("/stats/reset")
    expect_eq((status, body), (200, b"ok"), "reset answers ok")
    status, _, body = fx.get("/stats")
    expect_eq(json.loads(body), {}, "empty after reset")
    fx.get("/files/a.bin")
    fx.get("/files/a.bin", {"If-None-Match": A_SHA1})
    fx.get("/files/a.bin?x=1", {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    fx.get("/files/a.bin", {"If-None-Match": '"stale"'})
    fx.get("/files/a.bin", method="HEAD")
    fx.get("/status/503/a.bin")
    expect_eq(fx.stats("/files/a.bin"),
              {"requests": 5, "conditional": 3, "not_modified": 2, "full": 2},
              "/files/a.bin counters")
    expect_eq(fx.stats("/status/503/a.bin"),
              {"requests": 1, "conditional": 0, "not_modified": 0, "full": 0},
              "error counters")
    expect_eq(fx.stats("/never/seen"),
              {"requests": 0, "conditional": 0, "not_modified": 0, "full": 0},
              "zeros for unseen paths")
    everything = json.loads(fx.get("/stats")[2])
    expect_eq(sorted(everything), ["/files/a.bin", "/status/503/a.bin"],
              "stats and control not counted")
    fx.get("/stats/reset")
    expect_eq(fx.stats("/files/a.bin")["requests"], 0, "reset clears")


def t_unknown(fx):
    for path in ("/", "/nothing", "/files/", "/big/abc", "/status/999/x"):
        status, headers, _ = fx.get(path)
        expect_eq(status, 404, path)
        expect("Content-Length" in headers, "Content-Length on 404")
    status, _, _ = fx.get("/files/a.bin", method="POST")
    expect_eq(status, 405, "POST refused")


def t_sigterm(fx):
    code = fx.stop()
    expect_eq(code, 0, "exit status after SIGTERM")
    expect(not os.path.exists(fx.port_file), "port file removed")
    expect("Traceback" not in fx.log_text(), "no traceback in the log")


CHECKS = [
    t_port_file, t_files, t_files_if_none_match, t_files_if_modified_since,
    t_files_errors, t_alias, t_head, t_keep_alive, t_noetag, t_lastmod,
    t_status, t_truncate, t_slow, t_slow_does_not_block, t_slow_disconnect,
    t_stall, t_redirect, t_redirect_loop, t_redirect_other_host, t_versioned,
    t_auth, t_echo_headers, t_gzip, t_big, t_big_chunked, t_stats, t_unknown,
    t_sigterm,
]


def main():
    passed = failed = 0
    fx = Fixture()
    try:
        for check in CHECKS:
            name = check.__name__[2:]
            try:
                check(fx)
            except Exception as e:
                failed += 1
                print("FAIL %s: %s" % (name, e))
                if VERBOSE:
                    traceback.print_exc()
            else:
                passed += 1
                if VERBOSE:
                    print("ok   %s" % name)
        if failed and VERBOSE:
            print("--- server log ---\n" + fx.log_text())
    finally:
        fx.cleanup()
    print("fixture server self-test: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
