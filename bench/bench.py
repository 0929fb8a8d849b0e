#!/usr/bin/env python3
"""Time cfssl-rs against a reference cfssl on the same inputs.

Driven by bench/run.sh (`make bench`).  Every comparison is run in
interleaved rounds (ours, theirs, theirs, ours, ...) with hyperfine, and
the median over all rounds is reported, so that load from other processes
on the machine hits both sides alike.

Environment:
  CFSSL_OURS, CFSSLJSON_OURS  our binaries (default target/release/...)
  CFSSL_REF, CFSSLJSON_REF    reference cfssl (default: the ones on PATH)
  BENCH_ROUNDS                interleaved rounds (default 6)
  BENCH_RUNS                  runs per command per round (default 3)
  BENCH_OUT                   keep hyperfine JSON exports here (default: temp, removed)
  BENCH_ONLY                  comma-separated row-name prefixes to run (`gencrl` runs
                              gencrl-* and rss-gencrl-*, `serve` the serve-* rows);
                              default: every row
  BENCH_SERVE_SECONDS         wrk run per server and round (default 10)
  BENCH_SERVE_ROUNDS          interleaved rounds of the server rows (default 3)
  CFSSL_MIGRATE_OURS          cfssl-migrate, which creates the schema of the server rows'
                              databases (default: beside CFSSL_OURS)
"""

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import server

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Targets from the performance issue: ours/theirs ratio must not exceed these.
TARGETS = {
    "flow-ecdsa384": 0.40,
    "flow-rsa2048": 0.90,
    "rss-initca-ecdsa384": 0.30,
    "rss-initca-rsa2048": 0.30,
    "rss-leaf-ecdsa384": 0.30,
    "gencrl-1m": 0.30,
    "rss-gencrl-1m": 0.30,
    "serve-sign-p99": 0.25,
    "rss-serve-sign": 0.50,
    "serve-sign-sqlite-p99": 0.33,
    "serve-sign-pg-p99": 0.33,
}
# Rows where higher is better (requests per second): ours/theirs must reach these.
MIN_TARGETS = {
    "serve-sign-rps": 4.0,
    "serve-sign-sqlite-rps": 3.0,
    "serve-sign-pg-rps": 3.0,
    "ocspserve-db-rps": 3.0,
}
# Rows with no reference (ours alone): the median must stay under this, in the row's unit.
ABSOLUTE_TARGETS = {
    "check-1000": 1000.0,
}


def env_path(var, default):
    value = os.environ.get(var) or default
    return os.path.abspath(value) if value else None


def which(name):
    path = shutil.which(name)
    return os.path.realpath(path) if path else None


OURS = env_path("CFSSL_OURS", os.path.join(ROOT, "target/release/cfssl"))
OURS_JSON = env_path("CFSSLJSON_OURS", os.path.join(ROOT, "target/release/cfssljson"))
OURS_MIGRATE = env_path("CFSSL_MIGRATE_OURS", os.path.join(os.path.dirname(OURS), "cfssl-migrate"))
REF = env_path("CFSSL_REF", which("cfssl"))
REF_JSON = env_path("CFSSLJSON_REF", which("cfssljson"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "6"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ONLY = [p for p in os.environ.get("BENCH_ONLY", "").split(",") if p]
HYPERFINE = shutil.which("hyperfine")
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(2)


def version(binary):
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=10)
        m = re.search(r"Version:\s*(\S+)", out.stdout + out.stderr)
        return m.group(1) if m else "?"
    except OSError:
        return "?"


def with_key(src, dst, algo, size):
    """Copy a cfssl CSR JSON, replacing its key request."""
    with open(src) as f:
        doc = json.load(f)
    doc["key"] = {"algo": algo, "size": size} if size else {"algo": algo}
    with open(dst, "w") as f:
        json.dump(doc, f, indent=2)


def flow_copy(work, tag, algo, size):
    """A copy of tls-setup/ whose CSRs all ask for the given key type."""
    dst = os.path.join(work, "tls-setup-" + tag)
    shutil.copytree(os.path.join(ROOT, "tls-setup"), dst,
                    ignore=shutil.ignore_patterns("certs"))
    cfg = os.path.join(dst, "config")
    for name in os.listdir(cfg):
        if name.endswith(".json") and name != "ca-config.json":
            with_key(os.path.join(cfg, name), os.path.join(cfg, name), algo, size)
    return dst


def wanted(name):
    bare = name[len("rss-"):] if name.startswith("rss-") else name
    return not ONLY or any(n.startswith(p) for p in ONLY for n in (name, bare))


def write_serials(path, count):
    """A serial list of `count` random 20-byte serials (as cfssl issues them), one per line."""
    rng = random.Random(count)
    with open(path, "w") as f:
        for _ in range(count):
            f.write("%d\n" % rng.getrandbits(159))


def check_tree(work, n_clients):
    """A tls-setup-like tree for `cfssl check`: the ecdsa384 CA, 3 members, n clients.
    Returns the argument list of a check that covers all of it."""
    d = os.path.join(work, "check-tree")
    os.makedirs(d)
    ca = os.path.join(work, "inputs", "ca-ecdsa384")
    ca_config = os.path.join(ROOT, "tls-setup/config/ca-config.json")
    req = os.path.join(ROOT, "tls-setup/config/req-csr.json")
    def mint(name, cn):
        # The files are written here rather than by cfssljson, whose fsyncs would make
        # minting 1,000 certificates take minutes on a busy disk.
        r = subprocess.run([OURS, "gencert", "-ca", ca + ".pem", "-ca-key", ca + "-key.pem",
                            "-config", ca_config, "-cn", cn, req],
                           capture_output=True, text=True)
        if r.returncode != 0:
            die("could not mint %s for the check tree: %s" % (name, r.stderr.strip()[-300:]))
        out = json.loads(r.stdout)
        with open(os.path.join(d, name + ".pem"), "w") as f:
            f.write(out["cert"])
        fd = os.open(os.path.join(d, name + "-key.pem"), os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(out["key"])
    peers = ",".join("m%d=https://127.0.0.1:%d" % (i, 2380 + 10 * i) for i in range(3))
    args = []
    for i in range(3):
        mint("m%d" % i, "etcd")
        conf = os.path.join(d, "m%d.yml" % i)
        with open(conf, "w") as f:
            sides = "".join("%s:\n  cert-file: m%d.pem\n  key-file: m%d-key.pem\n"
                            "  trusted-ca-file: %s.pem\n  client-cert-auth: true\n"
                            % (k, i, i, ca) for k in ("client-transport-security",
                                                       "peer-transport-security"))
            f.write("name: m%d\nlisten-client-urls: https://127.0.0.1:%d\n"
                    "advertise-client-urls: https://127.0.0.1:%d\n"
                    "listen-peer-urls: https://127.0.0.1:%d\n"
                    "initial-advertise-peer-urls: https://127.0.0.1:%d\n"
                    "initial-cluster: %s\n%s"
                    % (i, 2379 + 10 * i, 2379 + 10 * i, 2380 + 10 * i, 2380 + 10 * i, peers, sides))
        args.append("-etcd-config=" + conf)
    for i in range(n_clients):
        mint("c%d" % i, "client%d" % i)
        args.append("-client=%s/c%d.pem,%s/c%d-key.pem,%s.pem" % (d, i, d, i, ca))
    return args


def check(cmd):
    """True when the command runs successfully (the reference may lack a feature)."""
    r = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def hyperfine_round(name, cmds, prepare, export, warmup):
    args = [HYPERFINE, "-N", "--style", "none", "--runs", str(RUNS),
            "--warmup", str(warmup), "--export-json", export]
    for label, cmd in cmds:
        if prepare:
            args += ["--prepare", prepare]
        args += ["-n", label, cmd]
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        die("hyperfine failed for %s:\n%s" % (name, r.stderr))
    with open(export) as f:
        return {res["command"]: res["times"] for res in json.load(f)["results"]}


def time_pair(out, name, ours, ref, prepare=None):
    """Interleaved rounds; returns {'ours': [s...], 'ref': [s...] or None}."""
    sides = [("ours", ours)] + ([("ref", ref)] if ref else [])
    times = {label: [] for label, _ in sides}
    for rnd in range(ROUNDS):
        order = sides if rnd % 2 == 0 else list(reversed(sides))
        export = os.path.join(out, "%s.round%d.json" % (name, rnd))
        got = hyperfine_round(name, order, prepare, export, 1 if rnd == 0 else 0)
        for label in times:
            times[label] += got[label]
    return {"ours": times["ours"], "ref": times.get("ref")}


def peak_rss_kib(cmd, cwd):
    """Peak resident set size of one run, in KiB."""
    if GNU_TIME:
        r = subprocess.run([GNU_TIME, "-f", "%M"] + cmd, cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return int(r.stderr.strip().splitlines()[-1])
    # Fallback without GNU time: wait4() gives the child's own ru_maxrss (KiB on Linux).
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(p.pid, 0)
    return usage.ru_maxrss


def rss_pair(ours, ref, cwd, runs):
    res = {"ours": [], "ref": [] if ref else None}
    for i in range(runs):
        order = [("ours", ours), ("ref", ref)] if i % 2 == 0 else [("ref", ref), ("ours", ours)]
        for label, cmd in order:
            if cmd:
                res[label].append(peak_rss_kib(cmd, cwd))
    return res


def main():
    if not HYPERFINE:
        die("hyperfine not found (apt-get install hyperfine)")
    for b in (OURS, OURS_JSON):
        if not os.access(b, os.X_OK):
            die("%s missing: run `cargo build --release` (or `make bench`)" % b)

    ref, ref_json = REF, REF_JSON
    why_no_ref = None
    if not ref or not os.access(ref, os.X_OK):
        why_no_ref = "no reference cfssl on PATH and CFSSL_REF unset"
    elif os.path.realpath(ref) == os.path.realpath(OURS):
        why_no_ref = "the cfssl on PATH is ours (%s)" % ref
    elif not ref_json or not os.access(ref_json, os.X_OK):
        why_no_ref = "no reference cfssljson (set CFSSLJSON_REF)"
    if why_no_ref:
        ref = ref_json = None

    keep = os.environ.get("BENCH_OUT")
    work = tempfile.mkdtemp(prefix="cfssl-bench.")
    out = os.path.abspath(keep) if keep else os.path.join(work, "results")
    os.makedirs(out, exist_ok=True)

    print("cfssl-rs benchmark")
    print("  ours:      %s (version %s), %s" % (OURS, version(OURS), OURS_JSON))
    if ref:
        print("  reference: %s (version %s), %s" % (ref, version(ref), ref_json))
    else:
        print("  reference: none -- %s; reporting ours alone" % why_no_ref)
    print("  %d interleaved rounds x %d runs per command (medians over %d runs), %d CPUs"
          % (ROUNDS, RUNS, ROUNDS * RUNS, os.cpu_count() or 0))
    print("  peak RSS via %s" % ("GNU time (%M)" if GNU_TIME
                                 else "wait4() ru_maxrss (GNU time not installed)"))
    print(flush=True)

    ca_csr = os.path.join(ROOT, "tls-setup/config/ca-csr.json")
    leaf_csr = os.path.join(ROOT, "tls-setup/config/req-csr.json")
    ca_config = os.path.join(ROOT, "tls-setup/config/ca-config.json")
    inputs = os.path.join(work, "inputs")
    os.makedirs(inputs)
    keytypes = [("rsa2048", "rsa", 2048), ("ecdsa256", "ecdsa", 256),
                ("ecdsa384", "ecdsa", 384), ("ecdsa521", "ecdsa", 521),
                ("ed25519", "ed25519", 0)]
    for tag, algo, size in keytypes:
        with_key(ca_csr, os.path.join(inputs, "ca-%s.json" % tag), algo, size)
        with_key(leaf_csr, os.path.join(inputs, "leaf-%s.json" % tag), algo, size)
    # One CA per key type for leaf signing, minted by ours, used by both sides.
    for tag in ("ecdsa384", "rsa2048", "ecdsa256"):
        r = subprocess.run("%s gencert -initca %s/ca-%s.json | %s -bare %s/ca-%s"
                           % (OURS, inputs, tag, OURS_JSON, inputs, tag),
                           shell=True, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            die("could not mint the %s CA with our binaries" % tag)

    rows = []   # (name, description, unit, ours list, ref list or None)

    def bench(name, desc, ours_cmd, ref_cmd, prepare=None, ref_prepare_ok=True):
        if not wanted(name):
            return
        if ref_cmd and not check(ref_cmd):
            ref_cmd = None
            desc += " (reference cannot)"
        print("  running %-22s %s" % (name, desc), flush=True)
        t = time_pair(out, name, ours_cmd, ref_cmd, prepare)
        rows.append((name, desc, "ms", t["ours"], t["ref"]))

    # (a), (b) the tls-setup flow: 1 CA + 7 leaves, 16 process starts via make.
    for tag, algo, size in (("ecdsa384", "ecdsa", 384), ("rsa2048", "rsa", 2048)):
        d_ours = flow_copy(work, tag + "-ours", algo, size)
        d_ref = flow_copy(work, tag + "-ref", algo, size)
        ours_cmd = "make -s -C %s CFSSL=%s JSON=%s" % (d_ours, OURS, OURS_JSON)
        ref_cmd = "make -s -C %s CFSSL=%s JSON=%s" % (d_ref, ref, ref_json) if ref else None
        # hyperfine's --prepare applies to every command; cleaning both copies is harmless.
        prepare = "rm -rf %s/certs %s/certs" % (d_ours, d_ref)
        bench("flow-" + tag, "tls-setup flow, 1 CA + 7 leaves, %s %s" % (algo, size or ""),
              ours_cmd, ref_cmd, prepare)

    # (c) single gencert -initca per key type.
    for tag, algo, size in keytypes:
        csr = os.path.join(inputs, "ca-%s.json" % tag)
        bench("initca-" + tag, "gencert -initca, %s %s" % (algo, size or ""),
              "%s gencert -initca %s" % (OURS, csr),
              "%s gencert -initca %s" % (ref, csr) if ref else None)

    # (d) single leaf gencert -ca, same key type as its CA.
    for tag in ("ecdsa384", "rsa2048"):
        ca = os.path.join(inputs, "ca-" + tag)
        args = "gencert -ca %s.pem -ca-key %s-key.pem -config %s %s/leaf-%s.json" % (
            ca, ca, ca_config, inputs, tag)
        bench("leaf-" + tag, "gencert -ca (leaf), %s" % tag,
              "%s %s" % (OURS, args), "%s %s" % (ref, args) if ref else None)

    # (e) cfssljson -bare on a fixed gencert output.
    fixed = os.path.join(HERE, "inputs/gencert-ecdsa384.json")
    bench("cfssljson-bare", "cfssljson -f <fixed gencert output> -bare",
          "%s -f %s -bare %s/json-ours" % (OURS_JSON, fixed, work),
          "%s -f %s -bare %s/json-ref" % (ref_json, fixed, work) if ref else None)

    # (f) cfssl check (ours only) of a 1,000-certificate tree: 3 members, 997 clients,
    # 2,997 client connections and 6 peer connections judged.
    if wanted("check-1000"):
        check_args = check_tree(work, 997)
        argfile = os.path.join(work, "check-tree", "check.sh")
        with open(argfile, "w") as f:
            f.write("exec %s check %s >/dev/null\n" % (OURS, " ".join(check_args)))
        bench("check-1000", "cfssl check, 3 members + 997 clients (1,000 certificates)",
              "sh %s" % argfile, None)

    # (g) peak RSS of one gencert.
    rss_runs = max(5, ROUNDS)
    print("  measuring peak RSS (%d runs each)" % rss_runs, flush=True)
    def rss_row(name, desc, args):
        if not wanted(name):
            return
        r = rss_pair([OURS] + args, [ref] + args if ref else None, work, rss_runs)
        rows.append((name, desc, "MiB", [k / 1024 for k in r["ours"]],
                     [k / 1024 for k in r["ref"]] if r["ref"] else None))

    for name, args in (
            ("rss-initca-ecdsa384", ["gencert", "-initca", inputs + "/ca-ecdsa384.json"]),
            ("rss-initca-rsa2048", ["gencert", "-initca", inputs + "/ca-rsa2048.json"]),
            ("rss-leaf-ecdsa384", ["gencert", "-ca", inputs + "/ca-ecdsa384.pem",
                                   "-ca-key", inputs + "/ca-ecdsa384-key.pem",
                                   "-config", ca_config, inputs + "/leaf-ecdsa384.json"])):
        rss_row(name, "peak RSS, " + " ".join(args[:2]) + " " + name.split("-")[-1], args)

    # (g) gencrl with 10k, 100k and 1M serials (the CA-scale issue): time and peak RSS.
    ca = os.path.join(inputs, "ca-rsa2048")
    for tag, count in (("10k", 10000), ("100k", 100000), ("1m", 1000000)):
        if not (wanted("gencrl-" + tag) or wanted("rss-gencrl-" + tag)):
            continue
        serials = os.path.join(inputs, "serials-%s.txt" % tag)
        write_serials(serials, count)
        args = "gencrl %s %s.pem %s-key.pem" % (serials, ca, ca)
        bench("gencrl-" + tag, "gencrl, %d serials, RSA 2048 CA" % count,
              "%s %s" % (OURS, args), "%s %s" % (ref, args) if ref else None)
        rss_row("rss-gencrl-" + tag, "peak RSS, gencrl %d serials" % count, args.split())

    # (h) the servers: serve /sign (no db, SQLite, PostgreSQL), ocspserve GET from the
    # database, and a gencert -remote flow.
    if any(wanted(n) for n in server.ROWS):
        if not os.access(OURS_MIGRATE, os.X_OK):
            die("%s missing: run `make build`" % OURS_MIGRATE)
        ctx = {"work": work, "wanted": wanted, "ours": OURS, "ours_json": OURS_JSON, "root": ROOT,
               "ref": ref, "migrate": OURS_MIGRATE, "ca_p256": os.path.join(inputs, "ca-ecdsa256"),
               "time_pair": lambda name, o, r: time_pair(out, name, o, r)}
        try:
            rows += server.server_rows(ctx)
        except server.BenchError as e:
            die(str(e))

    # Table.
    print()
    hdr = "%-21s %13s %13s %8s %8s" % ("benchmark", "ours", "cfssl " + (version(ref) if ref else "-"),
                                       "ratio", "target")
    print(hdr)
    print("-" * len(hdr))
    verdicts = []
    summary = {}
    for name, desc, unit, ours, theirs in rows:
        scale = {"ms": 1e3, "us": 1e6}.get(unit, 1.0)
        mo = statistics.median(ours) * scale
        line = "%-21s %9.1f %-3s" % (name, mo, unit)
        entry = {"unit": unit, "ours_median": mo, "ours_samples": len(ours)}
        if theirs:
            mt = statistics.median(theirs) * scale
            ratio = mo / mt
            line += " %9.1f %-3s %7.2fx" % (mt, unit, ratio)
            entry.update(ref_median=mt, ratio=ratio)
            for op, target in (("<=", TARGETS.get(name)), (">=", MIN_TARGETS.get(name))):
                if target is None:
                    continue
                ok = ratio <= target if op == "<=" else ratio >= target
                line += " %7s" % ("%s%.2f" % (op, target))
                verdicts.append("%s: %.2fx vs target %s %.2fx -- %s"
                                % (name, ratio, op, target, "met" if ok else "NOT met"))
        else:
            line += " %13s %8s" % ("n/a", "")
            target = ABSOLUTE_TARGETS.get(name)
            if target is not None:
                line += " %7s" % ("<%g" % target)
                verdicts.append("%s: %.1f %s vs target < %g %s -- %s"
                                % (name, mo, unit, target, unit,
                                   "met" if mo < target else "NOT met"))
        summary[name] = entry
        print(line)
    print()
    if verdicts:
        print("targets (ratio = ours / reference, medians):")
        for v in verdicts:
            print("  " + v)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if keep:
        print("hyperfine exports and summary.json in %s" % out)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
