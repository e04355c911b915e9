#!/usr/bin/env python3
"""Cross-checks `idcon sign` against the official Yoti Python SDK.

Usage: yoti_sign_crosscheck.py PATH/TO/idcon [CASES]

Generates random requests from a fixed seed (methods, endpoints, query params
and nonces full of awkward characters, bodies: none, empty, JSON with unicode,
binary, large), signs each with the SDK's SignedRequestBuilder (nonce and
timestamp fixed) and with `idcon sign --format json`, and fails loudly on any
difference in url, message or digest. Prints "N passed, 0 failed" at the end.
"""

import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

try:
    import yoti_python_sdk.http as yoti_http
    from yoti_python_sdk.crypto import Crypto
except ImportError as exc:  # the SDK imports `past` without declaring `future`
    sys.exit("cannot import the Yoti SDK (%s); pip install -r tests/contract/requirements.txt" % exc)

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED = 20240917
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
BASE_URLS = [
    "https://api.yoti.com/api/v1/attribute-registry",
    "http://127.0.0.1:4434",
    "https://gw.example.com/iam",
]
# Characters a query or path can make trouble with; no NUL (argv cannot carry it)
# and no '=' in param names (`--param NAME=VALUE` splits at the first '=').
AWKWARD = list(" +&=/~*%#?!'\"()[]{}<>@$,;:|\\^`.-_") + list("éüñ王🚀€ß\u00a0\u200b") + ["\t", "\n"]
PLAIN = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class RecordingCrypto(Crypto):
    """The SDK's own Crypto, remembering the exact message it signed."""

    def __init__(self, pem):
        super().__init__(pem)
        self.messages = []

    def sign(self, message):
        self.messages.append(message)
        return super().sign(message)


def random_text(rng, max_len, awkward_share=0.35, allow_empty=True, exclude=""):
    length = rng.randint(0 if allow_empty else 1, max_len)
    chars = []
    for _ in range(length):
        pool = AWKWARD if rng.random() < awkward_share else PLAIN
        char = rng.choice(pool)
        while char in exclude:
            char = rng.choice(PLAIN)
        chars.append(char)
    return "".join(chars)


def random_endpoint(rng):
    segments = []
    for _ in range(rng.randint(1, 4)):
        # Endpoint text is signed verbatim; control characters are refused by
        # idcon (no URL can carry them), so leave them out here.
        segments.append(random_text(rng, 12, awkward_share=0.15, allow_empty=False, exclude="\t\n?"))
    endpoint = "/" + "/".join(segments)
    if rng.random() < 0.08:
        endpoint += "?" + random_text(rng, 8, awkward_share=0.2, exclude="\t\n")
    return endpoint


def random_params(rng):
    params = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        if params and rng.random() < 0.1:
            name = rng.choice(params)[0]  # a repeated name: the SDK's dict keeps the last value
        elif rng.random() < 0.03:
            name = rng.choice(["nonce", "timestamp"])
        else:
            name = random_text(rng, 10, exclude="=", allow_empty=rng.random() < 0.05)
        params.append((name, random_text(rng, 20)))
    return params


def random_body(rng):
    kind = rng.choice(["none", "none", "empty", "json", "json", "unicode", "binary", "large"])
    if kind == "none":
        return None
    if kind == "empty":
        return b""
    if kind == "json":
        value = {"issuance_token": random_text(rng, 16), "name": "com.example.%d" % rng.randint(0, 999),
                 "value": random_text(rng, 40)}
        return json.dumps(value, ensure_ascii=rng.random() < 0.5).encode("utf-8")
    if kind == "unicode":
        return random_text(rng, 300, awkward_share=0.6).encode("utf-8")
    if kind == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    return ("Zoë 王 🚀 " * rng.randint(7000, 9000)).encode("utf-8")


def random_nonce(rng):
    if rng.random() < 0.7:
        return "%08x-%04x-4%03x-%04x-%012x" % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
            0x8000 | rng.getrandbits(14), rng.getrandbits(48))
    return random_text(rng, 20, allow_empty=False)


def sdk_sign(crypto, base_url, method, endpoint, params, body, nonce, timestamp):
    yoti_http.create_nonce = lambda: nonce
    yoti_http.create_timestamp = lambda: timestamp
    crypto.messages.clear()
    builder = (yoti_http.SignedRequestBuilder().with_pem_file(crypto).with_base_url(base_url)
               .with_endpoint(endpoint).with_http_method(method))
    for name, value in params:
        builder = builder.with_param(name, value)
    if body is not None:
        builder = builder.with_payload(body)
    request = builder.build()
    if len(crypto.messages) != 1:
        raise AssertionError("the SDK signed %d messages" % len(crypto.messages))
    return {"url": request.url, "message": crypto.messages[0],
            "digest": request.headers["X-Yoti-Auth-Digest"]}


def write_private(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def prepare_keys(workdir, rng_seed):
    """The committed PKCS#1 and PKCS#8 test keys, plus a fresh 3072-bit key."""
    keys = []
    for name in ["rsa_pkcs1.pem", "rsa_pkcs8.pem"]:
        with open(os.path.join(ROOT, "tests", "data", "keys", name), "rb") as handle:
            pem = handle.read()
        path = os.path.join(workdir, name)
        write_private(path, pem)
        keys.append((name, path, RecordingCrypto(pem.strip())))
    fresh = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    pem = fresh.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    path = os.path.join(workdir, "fresh_pkcs8.pem")
    write_private(path, pem)
    keys.append(("fresh_pkcs8.pem", path, RecordingCrypto(pem)))
    return keys


def idcon_sign(binary, workdir, index, key_path, base_url, method_arg, endpoint, params, body,
               nonce, timestamp, use_stdin):
    argv = [binary, "sign", "--format", "json", "--key", key_path, "--base-url", base_url,
            "--method", method_arg, "--endpoint", endpoint, "--nonce", nonce,
            "--timestamp", str(timestamp)]
    for name, value in params:
        argv += ["--param", "%s=%s" % (name, value)]
    stdin = None
    if body is not None:
        if use_stdin:
            argv += ["--body-file", "-"]
            stdin = body
        else:
            body_path = os.path.join(workdir, "body-%d" % index)
            write_private(body_path, body)
            argv += ["--body-file", body_path]
    result = subprocess.run(argv, input=stdin if stdin is not None else b"", capture_output=True,
                            timeout=60)
    if result.returncode != 0:
        raise AssertionError("idcon exited %d: %s" % (result.returncode,
                                                      result.stderr.decode("utf-8", "replace").strip()))
    lines = result.stdout.decode("utf-8").splitlines()
    if len(lines) != 1:
        raise AssertionError("expected one JSON line, got %d lines" % len(lines))
    return json.loads(lines[0])


def expected_body_field(body):
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    total = int(sys.argv[2]) if len(sys.argv) == 3 else 200
    rng = random.Random(SEED)
    workdir = tempfile.mkdtemp(prefix="idcon-crosscheck-")
    passed, failures = 0, []
    try:
        keys = prepare_keys(workdir, SEED)
        for index in range(total):
            key_name, key_path, crypto = keys[index % len(keys)]
            method = rng.choice(METHODS)
            method_arg = method.lower() if rng.random() < 0.1 else method
            base_url = rng.choice(BASE_URLS)
            endpoint = random_endpoint(rng)
            params = random_params(rng)
            body = random_body(rng)
            nonce = random_nonce(rng)
            timestamp = rng.randint(1_500_000_000_000, 2_500_000_000_000)
            use_stdin = rng.random() < 0.3
            label = "case %d (%s %s, key %s, %d params, body %s)" % (
                index, method, ascii(endpoint), key_name, len(params),
                "none" if body is None else "%d bytes" % len(body))
            try:
                sdk = sdk_sign(crypto, base_url, method, endpoint, params, body, nonce, timestamp)
                ours = idcon_sign(binary, workdir, index, key_path, base_url, method_arg, endpoint,
                                  params, body, nonce, timestamp, use_stdin)
                diffs = ["%s:\n    sdk   %s\n    idcon %s" % (field, ascii(sdk[field])[:400],
                                                              ascii(ours.get(field))[:400])
                         for field in ("url", "message") if sdk[field] != ours.get(field)]
                our_digest = ours.get("headers", {}).get("X-Yoti-Auth-Digest")
                if our_digest != sdk["digest"]:
                    diffs.append("digest:\n    sdk   %s\n    idcon %s" % (sdk["digest"], our_digest))
                if ours.get("method") != method:
                    diffs.append("method: %r != %r" % (ours.get("method"), method))
                if ours.get("body") != expected_body_field(body):
                    diffs.append("body field does not round-trip the body bytes")
                if diffs:
                    failures.append("%s\n  %s" % (label, "\n  ".join(diffs)))
                else:
                    passed += 1
            except Exception as exc:  # report every case, then fail
                failures.append("%s\n  %s: %s" % (label, type(exc).__name__, exc))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    for failure in failures[:20]:
        print("FAIL " + failure, file=sys.stderr)
    if len(failures) > 20:
        print("... and %d more failures" % (len(failures) - 20), file=sys.stderr)
    print("%d passed, %d failed" % (passed, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
