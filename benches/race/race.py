#!/usr/bin/env python3
"""The race: idcon against the script a support engineer would write instead.

Usage: race.py PATH_TO_IDCON [--quick]

Both sides talk to the same signed `idcon serve-demo` on 127.0.0.1, in one run
on one machine, so absolute times (noise on a shared machine) matter less than
the ratios printed at the end.

The script side is what the official peers make easy: the Ory Kratos Python
client (`ory-kratos-client`), every request signed by the official Yoti
Python SDK (`yoti_python_sdk.http.SignedRequest`), and a thread pool of the
same concurrency as idcon's `--jobs` for the bulk case. It does what a careful
script does: read each identity, build the full update body from it (Kratos's
PUT replaces), PUT it. It does not re-read right before the PUT, keep an audit
trail, or resume: idcon does all three and is still measured whole
(`plan` + `apply`, every write with its fresh read, lost-update check, signed
PUT and fsync'ed audit intent).

Work (the targets of issue 15):
1. list all 20,000 identities as JSON lines;
2. set 500 identities inactive, 4 at a time;
3. the same for 200 identities with 20 ms added to every answer.

Prints one line per measurement, then "ratio" lines (script time / idcon
time). `--quick` uses smaller numbers (a smoke test; its ratios mean little).
Stops only the servers it started.
"""

import concurrent.futures
import json
import os
import re
import resource
import select
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qsl, urlsplit

import ory_kratos_client
from ory_kratos_client import rest
from ory_kratos_client.api.identity_api import IdentityApi
from ory_kratos_client.models.update_identity_body import UpdateIdentityBody
from yoti_python_sdk.crypto import Crypto
from yoti_python_sdk.http import SignedRequest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_KEY = os.path.join(REPO, "assets", "demo", "demo-private-key.pem")
DEMO_SDK_ID = "6a8f1c3e-2b7d-4e59-9c41-d0e5f7a2b813"
STARTUP_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 60
JOBS = 4


def start_server(binary, seed, latency_ms=0):
    process = subprocess.Popen(
        [binary, "serve-demo", "--listen", "127.0.0.1:0", "--seed-count", str(seed),
         "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline().strip()
            match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                return process, match.group(1)
            raise RuntimeError(f"unexpected first line from serve-demo: {line!r}")
        if process.poll() is not None:
            raise RuntimeError(f"serve-demo exited early: {process.stderr.read()}")
    raise RuntimeError("serve-demo did not start in time")


def stop_server(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def signed_api(base_url):
    """The official Kratos client, its transport signing with the Yoti SDK."""
    configuration = ory_kratos_client.Configuration(host=base_url)
    configuration.connection_pool_maxsize = JOBS * 2
    api_client = ory_kratos_client.ApiClient(configuration)
    rest_client = api_client.rest_client
    # Loaded once, as a careful script does: the SDK would otherwise parse and
    # check the PEM again for every request (about 30 ms each).
    crypto = Crypto.read_pem_file(DEMO_KEY)

    def request(method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        parts = urlsplit(url)
        payload = json.dumps(body).encode() if body is not None else None
        builder = (
            SignedRequest.builder()
            .with_pem_file(crypto)
            .with_base_url(f"{parts.scheme}://{parts.netloc}")
            .with_endpoint(parts.path)
            .with_http_method(method)
            .with_header("X-Yoti-Auth-Id", DEMO_SDK_ID)
        )
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            builder = builder.with_param(name, value)
        if payload is not None:
            builder = builder.with_payload(payload)
        signed = builder.build()
        merged = dict(headers or {})
        merged.update(signed.headers)
        raw = rest_client.pool_manager.request(
            method, signed.url, body=payload, headers=merged,
            timeout=REQUEST_TIMEOUT_S, preload_content=False,
        )
        return rest.RESTResponse(raw)

    rest_client.request = request
    return api_client, IdentityApi(api_client)


def next_page_token(link_header):
    for part in (link_header or "").split(","):
        match = re.search(r'<([^>]*)>\s*;\s*rel="next"', part)
        if match:
            return dict(parse_qsl(urlsplit(match.group(1)).query)).get("page_token")
    return None


def script_list_all(base_url, out):
    _, api = signed_api(base_url)
    token, count = None, 0
    while True:
        kwargs = {"page_size": 500}
        if token:
            kwargs["page_token"] = token
        page = api.list_identities_with_http_info(**kwargs)
        for identity in page.data:
            out.write(json.dumps(identity.to_dict(), default=str) + "\n")
            count += 1
        token = next_page_token(page.headers.get("Link") or page.headers.get("link"))
        if not token:
            return count


def script_deactivate(base_url, ids):
    _, api = signed_api(base_url)

    def one(identity_id):
        current = api.get_identity(identity_id)
        body = UpdateIdentityBody(
            schema_id=current.schema_id, state="inactive", traits=current.traits,
            metadata_public=current.metadata_public, metadata_admin=current.metadata_admin,
        )
        if current.external_id:
            body.external_id = current.external_id
        api.update_identity(identity_id, update_identity_body=body)

    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        for future in [pool.submit(one, i) for i in ids]:
            future.result()


def active_ids(base_url, count, skip=0):
    _, api = signed_api(base_url)
    found, token = [], None
    while len(found) < count + skip:
        kwargs = {"page_size": 500}
        if token:
            kwargs["page_token"] = token
        page = api.list_identities_with_http_info(**kwargs)
        found += [i.id for i in page.data if i.state == "active"]
        token = next_page_token(page.headers.get("Link") or page.headers.get("link"))
        if not token:
            break
    if len(found) < count + skip:
        raise RuntimeError(f"only {len(found)} active identities")
    return found[skip:skip + count]


def run_idcon(binary, base_url, home, args, stdout=subprocess.DEVNULL):
    """Runs idcon; returns (seconds, peak RSS in MiB) of that process alone."""
    env = dict(os.environ, XDG_STATE_HOME=os.path.join(home, "state"),
               XDG_CONFIG_HOME=os.path.join(home, "config"), HOME=home, NO_COLOR="1")
    key = os.path.join(home, "demo-key.pem")
    command = [binary, "--base-url", base_url, "--key", key, "--sdk-id", DEMO_SDK_ID] + args
    # Peak RSS from GNU time: Python starts children with vfork, so their own
    # rusage would count this interpreter's memory too.
    rss_file = os.path.join(home, "rss.txt")
    measure = ["/usr/bin/time", "-f", "%M", "-o", rss_file] if os.path.exists("/usr/bin/time") else []
    started = time.perf_counter()
    process = subprocess.run(measure + command, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=home)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"idcon {' '.join(args)} failed: {process.stderr.decode(errors='replace')}")
    try:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        rss = float("nan")
    return elapsed, rss


def cpu_seconds(who):
    """User + system CPU time of this process (RUSAGE_SELF, every thread) or
    of its waited-for children and their own (RUSAGE_CHILDREN)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def prepare_home():
    home = tempfile.mkdtemp(prefix="idcon-race-")
    key = os.path.join(home, "demo-key.pem")
    with open(DEMO_KEY, "rb") as source, open(key, "wb") as target:
        target.write(source.read())
    os.chmod(key, 0o600)
    return home


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    quick = "--quick" in sys.argv[2:]
    seed, bulk, slow_bulk = (2000, 60, 24) if quick else (20000, 500, 200)
    home = prepare_home()
    ratios = []

    server, base_url = start_server(binary, seed)
    try:
        with open(os.devnull, "w") as sink:
            script_s, count = timed(lambda: script_list_all(base_url, sink))
        idcon_s, rss = run_idcon(binary, base_url, home, ["list", "--output", "jsonl", "--page-size", "500"])
        print(f"list {count} as JSON lines: script {script_s:.2f} s, idcon {idcon_s:.2f} s, idcon peak RSS {rss:.1f} MiB")
        ratios.append((f"list {count} as JSON lines", script_s / idcon_s))

        script_ids = active_ids(base_url, bulk)
        idcon_ids = active_ids(base_url, bulk, skip=bulk)
        script_cpu = cpu_seconds(resource.RUSAGE_SELF)
        script_s, _ = timed(lambda: script_deactivate(base_url, script_ids))
        script_cpu = cpu_seconds(resource.RUSAGE_SELF) - script_cpu
        ids_file = os.path.join(home, "ids.txt")
        with open(ids_file, "w") as f:
            f.write("\n".join(idcon_ids) + "\n")
        plan = os.path.join(home, "deactivate.plan.json")
        idcon_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
        plan_s, _ = run_idcon(binary, base_url, home,
                              ["plan", "--input", ids_file, "--state", "inactive", "--output", plan])
        apply_s, _ = run_idcon(binary, base_url, home, ["apply", plan, "--jobs", str(JOBS), "--yes"])
        idcon_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - idcon_cpu
        print(f"deactivate {bulk}, {JOBS} at a time: script {script_s:.2f} s, idcon {plan_s + apply_s:.2f} s "
              f"(plan {plan_s:.2f} s + apply {apply_s:.2f} s)")
        # Both sides and the server share the host's cores: CPU, more than the
        # network, bounds this case.
        print(f"  CPU used: script {script_cpu:.2f} s, idcon {idcon_cpu:.2f} s (plan + apply), "
              f"on {os.cpu_count()} cores shared with the server")
        ratios.append((f"deactivate {bulk}", script_s / (plan_s + apply_s)))
    finally:
        stop_server(server)

    server, base_url = start_server(binary, max(2000, slow_bulk * 3), latency_ms=20)
    try:
        script_ids = active_ids(base_url, slow_bulk)
        idcon_ids = active_ids(base_url, slow_bulk, skip=slow_bulk)
        script_s, _ = timed(lambda: script_deactivate(base_url, script_ids))
        ids_file = os.path.join(home, "slow-ids.txt")
        with open(ids_file, "w") as f:
            f.write("\n".join(idcon_ids) + "\n")
        plan = os.path.join(home, "slow.plan.json")
        plan_s, _ = run_idcon(binary, base_url, home,
                              ["plan", "--input", ids_file, "--state", "inactive", "--output", plan])
        apply_s, _ = run_idcon(binary, base_url, home, ["apply", plan, "--jobs", str(JOBS), "--yes"])
        print(f"deactivate {slow_bulk} with 20 ms latency: script {script_s:.2f} s, idcon {plan_s + apply_s:.2f} s "
              f"(plan {plan_s:.2f} s + apply {apply_s:.2f} s)")
        # Bounded by round trips at equal concurrency: the script waits for a
        # GET and a PUT per identity, idcon for at least a PUT (its reads are
        # batched), JOBS at a time on both sides.
        script_floor = 2 * slow_bulk * 0.020 / JOBS
        idcon_floor = slow_bulk * 0.020 / JOBS
        print(f"  round trips alone, {JOBS} in flight: script >= {script_floor:.2f} s, idcon >= {idcon_floor:.2f} s, "
              f"so at most {script_s / idcon_floor:.1f}x against this script run")
        ratios.append((f"deactivate {slow_bulk} at 20 ms", script_s / (plan_s + apply_s)))
    finally:
        stop_server(server)

    for what, ratio in ratios:
        print(f"ratio {what}: idcon is {ratio:.1f}x the script's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
