#!/usr/bin/env python3
"""Writes tests/data/yoti/vectors.json: signed-request test vectors made by the
official Yoti Python SDK (`yoti_python_sdk.http.SignedRequestBuilder`), with the
nonce and timestamp fixed so that the digests are deterministic.

Run from the repository root with the contract venv:
    .venv/bin/python tests/contract/gen_yoti_vectors.py
tests/signing.rs then proves that idcon's url, message and digest are
byte-identical for every case.
"""

import base64
import json
import os
import sys

import yoti_python_sdk
import yoti_python_sdk.http as yoti_http
from yoti_python_sdk.crypto import Crypto

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
KEYS = {"pkcs1": "keys/rsa_pkcs1.pem", "pkcs8": "keys/rsa_pkcs8.pem"}
LARGE_BODY_FILE = "yoti/large_unicode_body.json"
BASE_URL = "https://api.yoti.com/api/v1/attribute-registry"


class RecordingCrypto(Crypto):
    """The SDK's own Crypto, remembering the exact message it was asked to sign."""

    def __init__(self, pem):
        super().__init__(pem)
        self.messages = []

    def sign(self, message):
        self.messages.append(message)
        return super().sign(message)


def sdk_sign(crypto, method, endpoint, params, body, nonce, timestamp):
    """Signs one request with the SDK, nonce and timestamp fixed."""
    yoti_http.create_nonce = lambda: nonce
    yoti_http.create_timestamp = lambda: timestamp
    crypto.messages.clear()
    builder = (
        yoti_http.SignedRequestBuilder()
        .with_pem_file(crypto)
        .with_base_url(BASE_URL)
        .with_endpoint(endpoint)
        .with_http_method(method)
    )
    for name, value in params:
        builder = builder.with_param(name, value)
    if body is not None:
        builder = builder.with_payload(body)
    request = builder.build()
    assert len(crypto.messages) == 1, "the SDK signs exactly one message per request"
    return request, crypto.messages[0]


def large_unicode_body():
    """A JSON body over 64 KiB with multi-byte characters of every UTF-8 length."""
    items = []
    i = 0
    while len(json.dumps(items, ensure_ascii=False).encode("utf-8")) < 70 * 1024:
        items.append(
            {
                "i": i,
                "name": "Zoë Ñúñez-Łukasiewicz 王小明 🚀🧪",
                "note": "quotes \" and \\ slashes / tabs\t+&=?#%",
            }
        )
        i += 1
    return json.dumps({"issuance_token": "tok", "name": "com.example.bulk", "value": items},
                      ensure_ascii=False).encode("utf-8")


def cases(large_body):
    """(name, method, endpoint, params, body) for every shape the scheme has."""
    update = json.dumps(
        {"issuance_token": "abc123", "name": "com.thirdparty.id", "value": "some-value"}
    ).encode("utf-8")
    awkward = [
        ("q", "hello world"),
        ("plus", "a+b"),
        ("amp", "x&y"),
        ("eq", "k=v"),
        ("slash", "/path/to"),
        ("tilde", "~home"),
        ("star", "wild*card"),
        ("unicode", "Zoë 王 🚀"),
        ("empty", ""),
        ("sp ace&name=", "v"),
        ("pct", "100%"),
        ("reserved", "!'()*,;:@$[]"),
    ]
    yield "get_no_params_no_body", "GET", "/attribute/update", [], None
    yield "get_with_params", "GET", "/identities", [("page_size", "250"), ("page_token", "abc")], None
    yield "get_awkward_params", "GET", "/identities", awkward, None
    yield "get_repeated_param_name", "GET", "/identities", [("a", "1"), ("b", "2"), ("a", "3")], None
    yield "get_param_named_nonce", "GET", "/identities", [("nonce", "mine"), ("x", "1")], None
    yield "get_endpoint_already_has_query", "GET", "/identities?page_size=5", [("page_token", "t")], None
    yield "get_unicode_endpoint", "GET", "/attribute/ünïcode/王", [], None
    yield "put_json_body", "PUT", "/attribute/update", [], update
    yield "put_empty_body", "PUT", "/attribute/update", [], b""
    yield "put_no_body", "PUT", "/attribute/update", [], None
    yield "put_large_unicode_body", "PUT", "/attribute/update", [], large_body
    yield "put_params_and_body", "PUT", "/admin/identities/9f4e", awkward[:5], update
    yield "post_body", "POST", "/sessions", [("sdkId", "abc-123")], b'{"a":1}'
    yield "post_empty_body", "POST", "/sessions", [], b""
    yield "patch_body", "PATCH", "/admin/identities/1", [], b'[{"op":"replace","path":"/state","value":"inactive"}]'
    yield "patch_binary_body", "PATCH", "/blob", [], bytes(range(256))
    yield "delete_no_body", "DELETE", "/admin/identities/1", [], None
    yield "delete_with_params", "DELETE", "/sessions/9", [("reason", "logged out / expired")], None


def main():
    large_body = large_unicode_body()
    with open(os.path.join(DATA, LARGE_BODY_FILE), "wb") as handle:
        handle.write(large_body)

    vectors = []
    for key_name, key_path in KEYS.items():
        with open(os.path.join(DATA, key_path), "rb") as handle:
            crypto = RecordingCrypto(handle.read().strip())
        for index, (name, method, endpoint, params, body) in enumerate(cases(large_body)):
            nonce = "0b0f2f6e-5a4c-4d3e-9f21-%012d" % (index * 7919)
            timestamp = 1700000000000 + index * 1001
            request, message = sdk_sign(crypto, method, endpoint, params, body, nonce, timestamp)
            case = {
                "name": "%s_%s" % (key_name, name),
                "key": key_name,
                "method": method,
                "base_url": BASE_URL,
                "endpoint": endpoint,
                "params": [[n, v] for n, v in params],
                "nonce": nonce,
                "timestamp": timestamp,
                "url": request.url,
                "message": message,
                "digest": request.headers["X-Yoti-Auth-Digest"],
            }
            if body is large_body:
                case["body_file"] = LARGE_BODY_FILE
            elif body is not None:
                case["body_base64"] = base64.b64encode(body).decode("ascii")
            vectors.append(case)

    out = {
        "generator": "tests/contract/gen_yoti_vectors.py with yoti==%s (SignedRequestBuilder)"
        % yoti_python_sdk.__version__,
        "keys": KEYS,
        "body": "no body_base64/body_file means no body; body_base64 \"\" is an empty body",
        "cases": vectors,
    }
    with open(os.path.join(DATA, "yoti", "vectors.json"), "w", encoding="utf-8") as handle:
        json.dump(out, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    print("wrote %d vectors" % len(vectors), file=sys.stderr)


if __name__ == "__main__":
    main()
