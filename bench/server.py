"""The server rows of `make bench`: `cfssl serve` and `cfssl ocspserve` under load.

Each row starts one side's server on a free loopback port (a fresh certificate
database where the row has one), checks that one request gets a real answer,
drives it with wrk for BENCH_SERVE_SECONDS, reads the server's peak RSS
(VmHWM), and stops it. Sides alternate (ours, theirs, theirs, ours, ...) over
BENCH_SERVE_ROUNDS rounds and the medians are reported, like the other rows.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SECONDS = int(os.environ.get("BENCH_SERVE_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_SERVE_ROUNDS", "3"))
CONNECTIONS = 16
WRK = shutil.which("wrk")
# The rows, each selectable by a BENCH_ONLY prefix.
ROWS = ("serve-sign", "serve-sign-ceiling", "serve-sign-sqlite", "serve-sign-pg", "ocspserve-db", "gencert-remote-8")


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    if r.returncode != 0:
        raise BenchError("%s failed (exit %d): %s" % (" ".join(cmd), r.returncode,
                                                      (r.stderr or r.stdout).strip()[-500:]))
    return r.stdout


class Server:
    """One server process on a free port, stopped by its own PID."""

    def __init__(self, argv, ready):
        self.port = free_port()
        argv = [a.replace("PORT", str(self.port)) for a in argv]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise BenchError("%s exited (%d) at start: %s"
                                 % (argv[0], self.proc.returncode, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise BenchError("%s did not listen within 30 s" % argv[0])
                time.sleep(0.05)
        try:
            ready(self)
        except Exception:
            self.stop()
            raise

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def log_tail(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()[-500:]

    def peak_rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            m = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
        return int(m.group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def post_json(url, body):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def expect_certificate(path, body):
    """A readiness check: one sign request must give a certificate."""
    def ready(server):
        status, answer = post_json(server.url(path), body)
        doc = json.loads(answer or b"{}")
        cert = (doc.get("result") or {}).get("certificate", "")
        if status != 200 or not doc.get("success") or "BEGIN CERTIFICATE" not in cert:
            raise BenchError("sign on %s answered %d: %s" % (server.url(path), status,
                                                           answer[:300]))
    return ready


def expect_ok(path, body):
    """A readiness check for the ceiling server: one request must be answered 200."""
    def ready(server):
        status, answer = post_json(server.url(path), body)
        if status != 200:
            raise BenchError("%s answered %d: %s" % (server.url(path), status, answer[:300]))
    return ready


def build_ceiling(root):
    """bench/ceiling's release binary (built here: it is outside the workspace)."""
    cargo = shutil.which("cargo")
    if not cargo:
        raise BenchError("serve-sign-ceiling needs cargo to build bench/ceiling")
    target = os.path.join(root, "target", "ceiling")
    run([cargo, "build", "--release", "--quiet", "--manifest-path",
         os.path.join(root, "bench", "ceiling", "Cargo.toml"), "--target-dir", target])
    return os.path.join(target, "release", "sign-ceiling")


def expect_ocsp(path, want):
    """A readiness check: the OCSP GET must answer with the stored response."""
    def ready(server):
        with urllib.request.urlopen(server.url(path), timeout=30) as r:
            got = r.read()
        if r.status != 200 or got != want:
            raise BenchError("ocspserve GET answered %d with %d bytes, not the stored "
                             "response (%d bytes)" % (r.status, len(got), len(want)))
    return ready


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk_seconds(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise BenchError("cannot read wrk latency %r" % text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, script, work, seconds):
    argv = [WRK, "-t2", "-c%d" % CONNECTIONS, "-d%ds" % seconds, "--timeout", "30s", "--latency"]
    if script:
        argv += ["-s", script]
    return run(argv + [url], cwd=work)


def load(server, path, script, work, tolerate_failures=False):
    """wrk at CONNECTIONS connections for SECONDS, after a one-second warm-up (the
    servers' pools and caches fill): requests/s, p50 and p99 in seconds, and the
    server's CPU time per request (the figure the rest of the machine's load does not
    move). Any non-2xx answer or socket error fails the row: it would not be fair."""
    url = server.url(path)
    wrk(url, script, work, 1)
    cpu0 = cpu_seconds(server.proc.pid)
    out = wrk(url, script, work, SECONDS)
    cpu = cpu_seconds(server.proc.pid) - cpu0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if errors or (bad and not tolerate_failures):
        raise BenchError("wrk against %s saw failures:\n%s" % (url, out))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    dist = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M))
    if not rps or not count or "50" not in dist or "99" not in dist:
        raise BenchError("cannot read wrk's figures against %s:\n%s" % (url, out))
    return {"rps": float(rps.group(1)), "p50": wrk_seconds(dist["50"]),
            "p99": wrk_seconds(dist["99"]), "cpu": cpu / max(1, int(count.group(1))),
            "failed": int(bad.group(1)) if bad else 0}


def post_script(work, body_file):
    path = os.path.join(work, "post.lua")
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                'local f = assert(io.open(%s, "rb"))\n'
                'wrk.body = f:read("*a")\n'
                'f:close()\n' % json.dumps(body_file))
    return path


class Postgres:
    """A throwaway PostgreSQL cluster in a temp dir on a free port (spec
    test-databases.md): run as the `postgres` user when we are root."""

    def __init__(self, work):
        bins = sorted(d for d in (os.path.join("/usr/lib/postgresql", v, "bin")
                                  for v in (os.listdir("/usr/lib/postgresql")
                                            if os.path.isdir("/usr/lib/postgresql") else []))
                      if os.access(os.path.join(d, "initdb"), os.X_OK))
        pgbin = os.environ.get("PGBIN") or (bins[-1] if bins else None)
        if not pgbin:
            raise BenchError("PostgreSQL not installed (initdb not found)")
        self.bin = pgbin
        # Not under `work` (mode 0700): the postgres user must reach its data dir.
        self.dir = tempfile.mkdtemp(prefix="cfssl-bench-pg.")
        os.chmod(self.dir, 0o755)
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.data = os.path.join(self.dir, "data")
        run(self.as_user + [os.path.join(pgbin, "initdb"), "-D", self.data, "-U", "postgres",
                            "-A", "trust", "-E", "UTF8", "--no-sync"])
        self.port = free_port()
        self.log = open(os.path.join(work, "postgres.log"), "w")
        self.proc = subprocess.Popen(
            self.as_user + [os.path.join(pgbin, "postgres"), "-D", self.data, "-p",
                            str(self.port), "-k", self.dir, "-c", "listen_addresses=127.0.0.1"],
            stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while subprocess.run([os.path.join(pgbin, "pg_isready"), "-q", "-h", "127.0.0.1",
                              "-p", str(self.port)]).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError("PostgreSQL did not come up (log: %s)" % self.log.name)
            time.sleep(0.2)
        self.count = 0

    def new_db(self):
        """A fresh database; its cfssl data source."""
        self.count += 1
        name = "bench%d" % self.count
        run([os.path.join(self.bin, "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", name])
        return ("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable"
                % (self.port, name))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def db_config(work, tag, driver, source):
    path = os.path.join(work, "db-%s.json" % tag)
    with open(path, "w") as f:
        json.dump({"driver": driver, "data_source": source}, f)
    return path


def sqlite_db(work, tag, migrate):
    path = db_config(work, tag, "sqlite3", os.path.join(work, "%s.db" % tag))
    run([migrate, "-db-config", path])
    return path


def ocsp_fixture(work, ours, ours_json, migrate, ca, count=1000):
    """A SQLite certificate database of `count` certificates with an OCSP response each
    (signed and refreshed by ours), and the GET path of one certificate's OCSP request.
    Each side's ocspserve gets its own copy of the file."""
    cfg = sqlite_db(work, "ocsp-fixture", migrate)
    src = json.load(open(cfg))["data_source"]
    csr = os.path.join(work, "ocsp-leaf.json")
    with open(csr, "w") as f:
        json.dump({"CN": "ocsp.example", "hosts": ["ocsp.example"],
                   "key": {"algo": "ecdsa", "size": 256}}, f)
    run(["sh", "-c", "%s genkey %s | %s -bare %s/ocsp-leaf" % (ours, csr, ours_json, work)])
    for _ in range(count):
        run([ours, "sign", "-ca", ca + ".pem", "-ca-key", ca + "-key.pem",
             "-db-config", cfg, os.path.join(work, "ocsp-leaf.csr")])
    run([ours, "ocsprefresh", "-db-config", cfg, "-ca", ca + ".pem",
         "-responder", ca + ".pem", "-responder-key", ca + "-key.pem"])
    with sqlite3.connect(src) as db:
        # The response body is DER in a text column (as Go's driver stores it).
        db.text_factory = bytes
        (n,) = db.execute("select count(*) from ocsp_responses").fetchone()
        if n != count:
            raise BenchError("ocsprefresh stored %d responses, not %d" % (n, count))
        certs = db.execute("select pem, serial_number from certificates "
                           "order by serial_number").fetchall()
    # The probe: the first certificate from the middle on whose GET path has no "//".
    # Go's ServeMux redirects such a path (decoded, so "%2F%2F" too) to a cleaned one,
    # which no longer decodes: cfssl's ocspserve cannot answer those GETs at all.
    leaf = os.path.join(work, "ocsp-probe.pem")
    req = os.path.join(work, "ocsp-probe.req")
    for pem, serial in certs[count // 2:] + certs[:count // 2]:
        with open(leaf, "wb") as f:
            f.write(pem)
        run(["openssl", "ocsp", "-issuer", ca + ".pem", "-cert", leaf, "-no_nonce",
             "-reqout", req])
        with open(req, "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        if "//" not in "/" + b64:
            break
    else:
        raise BenchError("every OCSP request's base64 has a \"//\" (it depends on the "
                         "fresh CA's key hash): run again")
    with sqlite3.connect(src) as db:
        db.text_factory = bytes
        (want,) = db.execute("select body from ocsp_responses where serial_number = ?",
                             (serial.decode(),)).fetchone()
    path = "/" + urllib.parse.quote(b64, safe="")
    return src, path, bytes(want)


def sides_in_rounds(ref_present):
    """[(round, side)...]: ours, theirs, theirs, ours, ..."""
    order = []
    for rnd in range(ROUNDS):
        pair = ["ours", "ref"] if ref_present else ["ours"]
        order += [(rnd, s) for s in (pair if rnd % 2 == 0 else reversed(pair))]
    return order


def server_rows(ctx):
    """Runs the wanted server rows; returns (name, description, unit, ours, ref) tuples
    like bench.py's rows (latency in seconds, shown in ms)."""
    if not WRK:
        raise BenchError("wrk not found (apt-get install wrk)")
    work, wanted = ctx["work"], ctx["wanted"]
    bins = {"ours": ctx["ours"], "ref": ctx["ref"]}
    ref_present = bool(ctx["ref"])
    migrate = ctx["migrate"]
    ca = ctx["ca_p256"]
    rows = []

    # The CSR every sign request carries: P-256, as the issue asks.
    csr_json = os.path.join(work, "serve-leaf.json")
    with open(csr_json, "w") as f:
        json.dump({"CN": "bench.example", "hosts": ["bench.example", "127.0.0.1"],
                   "key": {"algo": "ecdsa", "size": 256}}, f)
    run(["sh", "-c", "%s genkey %s | %s -bare %s/serve-leaf"
         % (ctx["ours"], csr_json, ctx["ours_json"], work)])
    with open(os.path.join(work, "serve-leaf.csr")) as f:
        body = json.dumps({"certificate_request": f.read()}).encode()
    body_file = os.path.join(work, "sign-body.json")
    with open(body_file, "wb") as f:
        f.write(body)
    script = post_script(work, body_file)
    sign_path = "/api/v1/cfssl/sign"

    def serve_argv(side, db_cfg):
        argv = [bins[side], "serve", "-address", "127.0.0.1", "-port", "PORT",
                "-ca", ca + ".pem", "-ca-key", ca + "-key.pem"]
        return argv + (["-db-config", db_cfg] if db_cfg else [])

    def load_row(name, desc, start, path, script, stored=None, rss=False, latency=("p99",)):
        """Interleaved rounds of one row; `start(side)` gives a running Server and
        `stored(side)` (optional) checks afterwards what the database holds."""
        print("  running %-22s %s" % (name, desc), flush=True)
        got = {s: {"rps": [], "p50": [], "p99": [], "cpu": [], "rss": [], "failed": []}
               for s in ("ours", "ref")}
        for _, side in sides_in_rounds(ref_present):
            server = start(side)
            try:
                # cfssl with SQLite answers some requests with 500 "database is
                # locked" under this load (its 5 s busy timeout): counted and shown.
                result = load(server, path, script, work, tolerate_failures=side == "ref")
                result["rss"] = server.peak_rss_kib() / 1024
            finally:
                server.stop()
            if stored:
                stored(side, result)
            for k, v in result.items():
                got[side][k].append(v)
        ref = (lambda k: got["ref"][k]) if ref_present else (lambda k: None)
        if ref_present and sum(got["ref"]["failed"]):
            print("  %s: the reference failed %d requests (non-2xx) over %d rounds"
                  % (name, sum(got["ref"]["failed"]), ROUNDS), flush=True)
        rows.append((name + "-rps", desc + ", requests/s", "rps", got["ours"]["rps"], ref("rps")))
        for q in latency:
            rows.append((name + "-" + q, desc + ", " + q + " latency", "ms",
                         got["ours"][q], ref(q)))
        rows.append((name + "-cpu", desc + ", server CPU per request", "us",
                     got["ours"]["cpu"], ref("cpu")))
        if rss:
            rows.append(("rss-" + name, desc + ", server peak RSS", "MiB",
                         got["ours"]["rss"], ref("rss")))

    def sign_server(db_cfg_for):
        def start(side):
            cfg = db_cfg_for(side) if db_cfg_for else None
            return Server(serve_argv(side, cfg), expect_certificate(sign_path, body))
        return start

    if wanted("serve-sign"):
        load_row("serve-sign", "serve /sign, P-256, no db, %d conns" % CONNECTIONS,
                 sign_server(None), sign_path, script, rss=True, latency=("p50", "p99"))

    # The machine's limit for the row above: a server that does only a /sign's
    # unavoidable work (bench/ceiling), against the same cfssl. Its ratio is the most
    # serve-sign-rps could reach on this machine.
    if wanted("serve-sign-ceiling"):
        ceiling = build_ceiling(ctx["root"])

        def ceiling_start(side):
            if side == "ours":
                return Server([ceiling, "PORT"], expect_ok(sign_path, body))
            return sign_server(None)(side)
        load_row("serve-sign-ceiling", "least /sign work (bench/ceiling) vs cfssl serve",
                 ceiling_start, sign_path, script)

    def counted(table_count):
        """After a db row: the database holds a row per answered request (at least)."""
        def stored(side, result):
            n = table_count()
            if n < result["rps"] * SECONDS * 0.95:
                raise BenchError("%s stored only %d certificates for %.0f requests/s"
                                 % (side, n, result["rps"]))
        return stored

    if wanted("serve-sign-sqlite"):
        last = {}
        def sqlite_cfg(side):
            last["cfg"] = sqlite_db(tempfile.mkdtemp(dir=work), side, migrate)
            return last["cfg"]
        def sqlite_count():
            src = json.load(open(last["cfg"]))["data_source"]
            with sqlite3.connect(src) as db:
                return db.execute("select count(*) from certificates").fetchone()[0]
        load_row("serve-sign-sqlite", "serve /sign, P-256, SQLite db", sign_server(sqlite_cfg),
                 sign_path, script, stored=counted(sqlite_count))

    if wanted("serve-sign-pg"):
        pg = Postgres(work)
        try:
            last = {}
            def pg_cfg(side):
                last["source"] = pg.new_db()
                last["cfg"] = db_config(work, side + "-pg", "postgres", last["source"])
                run([migrate, "-db-config", last["cfg"]])
                return last["cfg"]
            def pg_count():
                dbname = re.search(r"dbname=(\S+)", last["source"]).group(1)
                out = run([os.path.join(pg.bin, "psql"), "-h", "127.0.0.1", "-p", str(pg.port),
                           "-U", "postgres", "-d", dbname, "-tAc",
                           "select count(*) from certificates"])
                return int(out.strip())
            load_row("serve-sign-pg", "serve /sign, P-256, PostgreSQL db",
                     sign_server(pg_cfg), sign_path, script, stored=counted(pg_count))
        finally:
            pg.stop()

    if wanted("ocspserve-db"):
        print("  preparing ocspserve-db: 1,000 certificates and OCSP responses", flush=True)
        src, path, want = ocsp_fixture(work, ctx["ours"], ctx["ours_json"], migrate, ca)
        def ocsp_start(side):
            d = tempfile.mkdtemp(dir=work)
            shutil.copy(src, os.path.join(d, "ocsp.db"))
            cfg = db_config(d, side, "sqlite3", os.path.join(d, "ocsp.db"))
            return Server([bins[side], "ocspserve", "-address", "127.0.0.1", "-port", "PORT",
                           "-db-config", cfg], expect_ocsp(path, want))
        load_row("ocspserve-db", "ocspserve GET, SQLite db, 1,000 responses",
                 ocsp_start, path, None)

    if wanted("gencert-remote-8"):
        rows.append(remote_flow(ctx, serve_argv, csr_json, body))
    return rows


def remote_flow(ctx, serve_argv, csr_json, body):
    """8 sequential `gencert -remote` client runs (key generation here, signing on
    the server) against each side's running server, timed with hyperfine."""
    name = "gencert-remote-8"
    desc = "8 x gencert -remote against a running serve, P-256"
    print("  running %-22s %s" % (name, desc), flush=True)
    work = ctx["work"]
    servers, cmds = [], {}
    try:
        for side in ("ours", "ref") if ctx["ref"] else ("ours",):
            server = Server(serve_argv(side, None),
                            expect_certificate("/api/v1/cfssl/sign", body))
            servers.append(server)
            out = os.path.join(work, "remote-" + side)
            os.makedirs(out)
            script = os.path.join(out, "flow.sh")
            with open(script, "w") as f:
                f.write("set -e\nfor i in 1 2 3 4 5 6 7 8; do\n"
                        "  %s gencert -remote http://127.0.0.1:%d %s > %s/c$i.json 2>/dev/null\n"
                        "done\ngrep -q '\"cert\"' %s/c8.json\n"
                        % (ctx[side], server.port, csr_json, out, out))
            cmds[side] = "sh " + script
        t = ctx["time_pair"](name, cmds["ours"], cmds.get("ref"))
    finally:
        for s in servers:
            s.stop()
    return (name, desc, "ms", t["ours"], t["ref"])
