"""deploylens embedded engine: the ClickHouse engine (chDB) behind a local
ClickHouse-HTTP-compatible endpoint.

Every query runs in the real ClickHouse engine that chDB embeds; this file only
speaks enough of the ClickHouse HTTP interface for clickhouse-go's HTTP protocol
(and curl or Grafana's ClickHouse data source over HTTP) to use it:

* the query comes in the body, or in the `query` URL parameter with the body as
  INSERT data (`INSERT ... FORMAT Native` streamed in chunks, constant memory);
* results are written in `default_format` (Native for clickhouse-go) unless the
  query names its own FORMAT;
* `param_NAME` URL parameters become query parameters ({NAME:Type});
* other URL parameters are ClickHouse settings, applied to that query only;
* errors go back as HTTP 500 with `X-ClickHouse-Exception-Code` and the
  ClickHouse "Code: N. DB::Exception: ..." text.

clickhouse-go reads result blocks at the revision the server reports in its hello
query. chDB writes Native at protocol revision 0, so the hello answer is encoded at
the client's revision but reports revision() = 0; every later result is then read
at revision 0, which is exactly what chDB emits (see DESIGN.md §3).

chDB runs one statement at a time per connection, and statements on different
connections to the same data concurrently, so the engine keeps a pool of
connections (--connections) and each statement takes one for its duration;
HTTP handling itself is threaded. One more connection is kept for ingest:
INSERTs, DESCRIBE TABLE (which clickhouse-go sends before an insert) and
statements whose query_id starts with deploylens-ingest- (ingest's duplicate
and catalog lookups) run there, so acknowledging data never waits behind the
long queries that can fill the pool. A connection's database and settings are
changed only where a statement asks for other ones than that connection's
previous statement (every chDB call costs a round through the engine's thread
pool), and `DESCRIBE TABLE t`, which clickhouse-go sends before every insert,
is answered from a cache that any statement other than a read or an insert
empties.
"""

import argparse
import contextlib
import http.server
import os
import queue
import re
import shutil
import signal
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
import zlib

import chdb.state as chdb_state

RESERVED_PARAMS = {
    "query",
    "database",
    "default_format",
    "client_protocol_version",
    "query_id",
    "quota_key",
    "session_id",
    "session_timeout",
    "session_check",
    "compress",
    "decompress",
    "user",
    "password",
    "wait_end_of_query",
    "enable_http_compression",
    "http_zlib_compression_level",
    "send_progress_in_http_headers",
    "buffer_size",
    "add_http_cors_header",
}

HELLO_RE = re.compile(
    r"^\s*SELECT\s+displayName\(\)\s*,\s*version\(\)\s*,\s*revision\(\)\s*,\s*timezone\(\)\s*;?\s*$",
    re.IGNORECASE,
)
INSERT_FORMAT_RE = re.compile(
    r"^(?P<head>\s*INSERT\s+INTO\s+.+?)\s+FORMAT\s+(?P<format>\w+)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
CODE_RE = re.compile(r"Code:\s*(\d+)\.")
DESCRIBE_RE = re.compile(r"^\s*DESC(RIBE)?\s+(TABLE\s+)?[\w.`\"]+\s*;?\s*$", re.IGNORECASE)
# Statements that cannot change a table's columns: they leave cached DESCRIBE
# answers valid. Anything else (DDL, a statement after a comment, ...) empties
# the cache.
SCHEMA_SAFE_RE = re.compile(r"^\s*(SELECT|WITH|SHOW|EXISTS|DESC|DESCRIBE|EXPLAIN|INSERT)\b", re.IGNORECASE)
SESSION_RE = re.compile(r"^\s*(SET|USE)\b", re.IGNORECASE)
# Settings that cannot change what DESCRIBE answers (clickhouse-go derives
# max_execution_time from the context deadline, different on every call).
DESCRIBE_KEY_IGNORES = {"max_execution_time"}
SETTING_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MIN_REVISION_WITH_CUSTOM_SERIALIZATION = 54454
MAX_QUERY_BYTES = 64 << 20
INSERT_BUFFER_BYTES = 16 << 20
DESCRIBE_CACHE_MAX = 4096
# Queries that run at once besides ingest's own connection: enough that the
# queries of one answer, and a dashboard's panels, overlap on a small machine.
DEFAULT_CONNECTIONS = 4
# Statements whose query_id starts so run on ingest's connection (Go:
# store.IngestQueryIDPrefix).
INGEST_QUERY_ID_PREFIX = "deploylens-ingest-"


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def native_string(s):
    b = s.encode("utf-8")
    return uvarint(len(b)) + b


def hello_block(client_revision, display_name, version, timezone):
    """One Native block with the hello row, encoded at the client's revision."""
    cols = [
        ("displayName()", "String", native_string(display_name)),
        ("version()", "String", native_string(version)),
        ("revision()", "UInt32", struct.pack("<I", 0)),
        ("timezone()", "String", native_string(timezone)),
    ]
    out = bytearray()
    if client_revision > 0:
        # BlockInfo: field 1 is_overflows, field 2 bucket_num, 0 terminator.
        out += uvarint(1) + b"\x00" + uvarint(2) + struct.pack("<i", -1) + uvarint(0)
    out += uvarint(len(cols)) + uvarint(1)
    for name, typ, data in cols:
        out += native_string(name) + native_string(typ)
        if client_revision >= MIN_REVISION_WITH_CUSTOM_SERIALIZATION:
            out += b"\x00"
        out += data
    return bytes(out)


def quote_setting(value):
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class EngineError(Exception):
    def __init__(self, code, message, status=500):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Session:
    """One chDB connection and what it is known to be set to. Used by one
    statement at a time (Engine.session)."""

    def __init__(self, path):
        self.conn = chdb_state.connect(path)
        # What the connection is set to (see enter); None means unknown.
        self.cur_db = "default"
        self.cur_settings = {}

    def enter(self, settings, database):
        """Give the connection the database and exactly the settings a
        statement asks for, changing only what differs from the previous
        statement's."""
        want = database or "default"
        if self.cur_db != want:
            self.cur_db = None  # unknown until USE succeeds
            self.conn.query("USE %s" % quote_identifier(want))
            self.cur_db = want
        for name in [n for n in self.cur_settings if n not in settings]:
            del self.cur_settings[name]
            try:
                self.conn.query("SET %s = DEFAULT" % name)
            except Exception:  # an unknown setting never took effect
                pass
        for name, value in settings.items():
            if not SETTING_NAME_RE.match(name):
                raise EngineError(115, "Code: 115. DB::Exception: Unknown setting %r. (UNKNOWN_SETTING)" % name, 400)
            if self.cur_settings.get(name) != value:
                self.cur_settings[name] = None  # unknown until SET succeeds
                self.conn.query("SET %s = %s" % (name, quote_setting(value)))
                self.cur_settings[name] = value

    def forget(self):
        """The statement changed the session itself (SET, USE): the next
        statement sets it again."""
        self.cur_db = None
        self.cur_settings = {k: None for k in self.cur_settings}


class Engine:
    def __init__(self, path, connections=1):
        self.sessions = queue.LifoQueue()
        self.ingest_sessions = queue.LifoQueue()
        self.all_sessions = [Session(path) for _ in range(max(1, connections) + 1)]
        for sess in self.all_sessions[1:]:
            self.sessions.put(sess)
        self.ingest_sessions.put(self.all_sessions[0])
        row = self.all_sessions[0].conn.query("SELECT displayName(), version(), timezone()", "TSV").bytes()
        name, version, tz = row.decode().rstrip("\n").split("\t")
        self.display_name = name
        self.version = version
        # deploylens stores every time as UTC; the server time zone is UTC.
        self.timezone = "UTC"
        # DESCRIBE answers by (database, statement, format, settings); any
        # statement that may change a schema empties it and bumps schema_gen,
        # before it runs and after. meta guards both.
        self.meta = threading.Lock()
        self.describe_cache = {}
        self.schema_gen = 0

    @contextlib.contextmanager
    def session(self, ingest=False):
        """A connection for one statement, from the ingest lane or the pool:
        statements on different connections run at once, in the engine's own
        threads."""
        pool = self.ingest_sessions if ingest else self.sessions
        sess = pool.get()
        try:
            yield sess
        finally:
            pool.put(sess)

    def _schema_changed(self):
        with self.meta:
            self.schema_gen += 1
            self.describe_cache = {}

    @staticmethod
    def _error(exc):
        msg = str(exc)
        m = CODE_RE.search(msg)
        code = int(m.group(1)) if m else 1001
        status = 500
        if code in (62, 47, 60, 81, 16, 36, 43, 53, 386, 70, 6, 27, 26, 72, 117, 33):
            # syntax, unknown identifier/table/database/column, bad arguments,
            # type mismatch, cannot parse: the client's fault.
            status = 400 if code not in (60, 81) else 404
        if not msg.startswith("Code:"):
            msg = "Code: %d. DB::Exception: %s" % (code, msg)
        return EngineError(code, msg, status)

    def _describe_key(self, sql, fmt, params, settings, database):
        if params or not DESCRIBE_RE.match(sql):
            return None
        kept = tuple(sorted((k, v) for k, v in settings.items() if k not in DESCRIBE_KEY_IGNORES))
        return (database or "default", sql.strip().rstrip(";").strip(), fmt, kept)

    def run(self, sql, fmt, params, settings, database, query_id=""):
        key = self._describe_key(sql, fmt, params, settings, database)
        if key is not None:
            with self.meta:
                hit = self.describe_cache.get(key)
            if hit is not None:
                return hit
        schema_safe = SCHEMA_SAFE_RE.match(sql) is not None
        ingest = key is not None or query_id.startswith(INGEST_QUERY_ID_PREFIX)
        with self.session(ingest) as sess:
            if not schema_safe:
                self._schema_changed()
            with self.meta:
                gen = self.schema_gen
            try:
                sess.enter(settings, database)
                res = sess.conn.query(sql, fmt, params=params)
                out = res.bytes() if hasattr(res, "bytes") else bytes(res)
                if key is not None:
                    with self.meta:
                        if gen == self.schema_gen:
                            if len(self.describe_cache) >= DESCRIBE_CACHE_MAX:
                                self.describe_cache = {}
                            self.describe_cache[key] = out
                return out
            except EngineError:
                raise
            except Exception as exc:
                raise self._error(exc)
            finally:
                if not schema_safe:
                    self._schema_changed()
                if SESSION_RE.match(sql):
                    sess.forget()

    def insert(self, head, fmt, chunks, settings, database):
        # Read the body before taking a connection, up to INSERT_BUFFER_BYTES:
        # reading it from the socket while holding one made other statements
        # wait for the client's network writes. A larger body is streamed
        # while holding it (constant memory).
        buffered, size = [], 0
        chunks = iter(chunks)
        for chunk in chunks:
            if chunk:
                buffered.append(chunk)
                size += len(chunk)
                if size >= INSERT_BUFFER_BYTES:
                    break
        if len(buffered) > 1 and size < INSERT_BUFFER_BYTES:
            buffered = [b"".join(buffered)]
        with self.session(ingest=True) as sess:
            inserter = None
            try:
                sess.enter(settings, database)
                inserter = sess.conn.send_insert(head, fmt)
                for chunk in buffered:
                    inserter.append(chunk)
                buffered = None
                for chunk in chunks:
                    if chunk:
                        inserter.append(chunk)
                result = inserter.finish()
                inserter = None
                return result
            except EngineError:
                raise
            except Exception as exc:
                raise self._error(exc)
            finally:
                if inserter is not None:
                    try:
                        inserter.cancel()
                    except Exception:
                        pass

    def close(self):
        # Wait for every connection to be back, then close them.
        taken = [self.ingest_sessions.get()] + [self.sessions.get() for _ in self.all_sessions[1:]]
        for sess in taken:
            sess.conn.close()


def quote_identifier(name):
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "deploylens-engine"
    # Headers and body go out in two writes; with Nagle's algorithm the body
    # waits for the client's delayed ACK of the headers (40 ms per query).
    disable_nagle_algorithm = True
    engine = None  # set by serve()

    def log_message(self, fmt, *args):  # quiet: deploylens logs requests itself
        pass

    # -- body readers -------------------------------------------------------
    def _raw_chunks(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise EngineError(33, "Code: 33. DB::Exception: Truncated chunked body. (CANNOT_READ_ALL_DATA)", 400)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailer lines until an empty line
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return
                data = self.rfile.read(size)
                self.rfile.readline(3)
                yield data
        else:
            remaining = int(self.headers.get("Content-Length", "0") or "0")
            while remaining > 0:
                data = self.rfile.read(min(remaining, 1 << 20))
                if not data:
                    raise EngineError(33, "Code: 33. DB::Exception: Truncated body. (CANNOT_READ_ALL_DATA)", 400)
                remaining -= len(data)
                yield data

    def _chunks(self):
        enc = self.headers.get("Content-Encoding", "").lower()
        if enc in ("", "identity", "none"):
            yield from self._raw_chunks()
        elif enc in ("gzip", "deflate"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS if enc == "gzip" else zlib.MAX_WBITS)
            for c in self._raw_chunks():
                yield d.decompress(c)
            yield d.flush()
        else:
            # drain so the connection stays usable, then refuse
            for _ in self._raw_chunks():
                pass
            raise EngineError(
                36,
                "Code: 36. DB::Exception: Content-Encoding %r is not supported by the embedded engine; use none or gzip. (BAD_ARGUMENTS)" % enc,
                400,
            )

    # -- responses ------------------------------------------------------------
    def _send(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-ClickHouse-Server-Display-Name", self.engine.display_name)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_error(self, err):
        body = (err.message.rstrip("\n") + "\n").encode("utf-8", "replace")
        self._send(
            err.status,
            body,
            {
                "X-ClickHouse-Exception-Code": str(err.code),
                "Content-Type": "text/plain; charset=UTF-8",
            },
        )

    # -- handlers -------------------------------------------------------------
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path in ("/ping", "/") and "query" not in urllib.parse.parse_qs(u.query):
            self._send(200, b"Ok.\n", {"Content-Type": "text/plain; charset=UTF-8"})
            return
        if u.path == "/replicas_status":
            self._send(200, b"Ok.\n")
            return
        self._handle(u)

    do_HEAD = do_GET

    def do_POST(self):
        self._handle(urllib.parse.urlsplit(self.path))

    def _handle(self, u):
        try:
            if u.path not in ("/", ""):
                raise EngineError(
                    36, "Code: 36. DB::Exception: Unknown handler %s. (BAD_ARGUMENTS)" % u.path, 404
                )
            params = urllib.parse.parse_qs(u.query, keep_blank_values=True)
            single = {k: v[-1] for k, v in params.items()}
            fmt = single.get("default_format") or "TabSeparated"
            database = single.get("database", "")
            query_params = {k[6:]: v for k, v in single.items() if k.startswith("param_")}
            settings = {
                k: v
                for k, v in single.items()
                if k not in RESERVED_PARAMS and not k.startswith("param_")
                and not k.endswith("_format") and not k.endswith("_structure")
            }
            url_query = single.get("query", "")
            m = INSERT_FORMAT_RE.match(url_query) if url_query else None
            if m and self.command == "POST":
                result = self.engine.insert(m.group("head"), m.group("format"), self._chunks(), settings, database)
                summary = '{"written_rows":"%d","written_bytes":"%d"}' % (
                    getattr(result, "rows_written", 0),
                    getattr(result, "bytes_written", 0),
                )
                self._send(200, b"", {"X-ClickHouse-Summary": summary})
                return
            body = b"".join(self._chunks()) if self.command == "POST" else b""
            if len(body) > MAX_QUERY_BYTES:
                raise EngineError(
                    36, "Code: 36. DB::Exception: Query larger than %d bytes. (BAD_ARGUMENTS)" % MAX_QUERY_BYTES, 413
                )
            sql = url_query
            if body:
                sql = (sql + "\n" if sql else "") + body.decode("utf-8")
            if not sql.strip():
                raise EngineError(
                    62, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)", 400
                )
            if HELLO_RE.match(sql) and fmt == "Native":
                rev = int(single.get("client_protocol_version", "0") or 0)
                out = hello_block(rev, self.engine.display_name, self.engine.version, self.engine.timezone)
            else:
                out = self.engine.run(sql, fmt, query_params, settings, database, single.get("query_id", ""))
            self._send(200, out, {"X-ClickHouse-Format": fmt, "X-ClickHouse-Timezone": self.engine.timezone})
        except EngineError as err:
            self._send_error(err)
        except (ValueError, UnicodeDecodeError) as exc:
            self._send_error(EngineError(27, "Code: 27. DB::Exception: %s. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)" % exc, 400))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def watch_parent(parent_pid, shutdown):
    """Stop when the process that started us is gone (it may have been SIGKILLed)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            shutdown()
            return


def main():
    ap = argparse.ArgumentParser(description="deploylens embedded ClickHouse engine (chDB)")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--addr", default="127.0.0.1:0")
    ap.add_argument("--addr-file", default="")
    ap.add_argument("--follow-parent", action="store_true")
    ap.add_argument(
        "--remove-data-dir",
        action="store_true",
        help="delete --data-dir when the engine stops (a throwaway engine, e.g. tests')",
    )
    ap.add_argument(
        "--connections",
        type=int,
        default=DEFAULT_CONNECTIONS,
        help="chDB connections for queries, i.e. statements that run at once besides ingest's own connection (default %d)" % DEFAULT_CONNECTIONS,
    )
    args = ap.parse_args()

    os.makedirs(args.data_dir, exist_ok=True)
    host, _, port = args.addr.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    Handler.engine = Engine(os.path.join(args.data_dir, "clickhouse"), args.connections)
    httpd = Server((host, int(port or 0)), Handler)
    bound = "%s:%d" % httpd.server_address[:2]

    def shutdown(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    if args.follow_parent:
        threading.Thread(target=watch_parent, args=(os.getppid(), shutdown), daemon=True).start()

    if args.addr_file:
        tmp = args.addr_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("http://%s\n%d\n" % (bound, os.getpid()))
        os.replace(tmp, args.addr_file)
    # One line the parent waits for; everything after goes to stderr.
    sys.stdout.write("ready http://%s version %s\n" % (bound, Handler.engine.version))
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        Handler.engine.close()
        if args.addr_file:
            try:
                with open(args.addr_file) as f:
                    mine = f.read().split()[1:2] == [str(os.getpid())]
                if mine:
                    os.remove(args.addr_file)
            except OSError:
                pass
        if args.remove_data_dir:
            shutil.rmtree(args.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
