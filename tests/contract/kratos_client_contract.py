#!/usr/bin/env python3
"""Contract check: the demo server against the official Ory Kratos Python client.

Usage: kratos_client_contract.py PATH_TO_IDCON_BINARY

Starts `idcon serve-demo --listen 127.0.0.1:0` (reading the admin and public
addresses from the first two lines it prints), then drives it with
`ory-kratos-client`: lists two pages following the `Link` header's page_token,
gets one identity, PUTs a change and reads it back, PUTs invalid traits and
expects Kratos's 400 envelope, and reads identity schemas both through the
admin URL (the client follows Kratos's 307) and on the public URL. Every
request is signed by the official Yoti Python SDK (`yoti_python_sdk.http`),
hooked into the Kratos client's transport. Stops only the process it started.
Prints "N passed, M failed"; exits non-zero if anything failed.
"""

import json
import os
import re
import select
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import ory_kratos_client
from ory_kratos_client import rest
from ory_kratos_client.api.identity_api import IdentityApi
from ory_kratos_client.exceptions import ApiException
from ory_kratos_client.models.update_identity_body import UpdateIdentityBody
from yoti_python_sdk.http import SignedRequest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_KEY = os.path.join(REPO, "assets", "demo", "demo-private-key.pem")
DEMO_SDK_ID = "6a8f1c3e-2b7d-4e59-9c41-d0e5f7a2b813"
STARTUP_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 30

RESULTS = []
# The raw Link fields of the last answer, as sent. Kratos sends one field with
# `first` and `next` joined by "," (ory/x keysetpagination.Header).
LAST_RAW_HEADERS = {}


def check(name, condition, detail=""):
    RESULTS.append((name, bool(condition)))
    status = "ok  " if condition else "FAIL"
    print(f"{status} {name}" + ("" if condition else f": {detail}"), flush=True)
    return bool(condition)


def start_server(binary):
    process = subprocess.Popen(
        [binary, "serve-demo", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    patterns = [
        r"listening on (http://127\.0\.0\.1:\d+)",
        r"public API on (http://127\.0\.0\.1:\d+) \(GET /schemas, no authentication\)",
    ]
    urls = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and len(urls) < len(patterns):
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            # The banner comes in one write: once the first line is there, the
            # rest is already in the pipe (or in Python's buffer, which select
            # cannot see), so read the lines straight on.
            while len(urls) < len(patterns):
                line = process.stdout.readline().strip()
                match = re.fullmatch(patterns[len(urls)], line)
                if not match:
                    raise RuntimeError(f"unexpected line {len(urls) + 1} from serve-demo: {line!r}")
                urls.append(match.group(1))
        elif process.poll() is not None:
            raise RuntimeError(f"serve-demo exited early: {process.stderr.read()}")
    if len(urls) < len(patterns):
        raise RuntimeError("serve-demo did not print its addresses in time")
    return process, urls[0], urls[1]


def stop_server(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def install_yoti_signing(api_client, sign=True):
    """Routes the Kratos client's requests through the Yoti SDK's signer.

    The Kratos client builds the URL and the JSON body; the Yoti SDK appends
    nonce and timestamp to the query and signs METHOD&path?query&base64(body).
    """
    rest_client = api_client.rest_client

    def request(method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        parts = urlsplit(url)
        payload = json.dumps(body).encode() if body is not None else None
        headers = dict(headers or {})
        target = url
        if sign:
            builder = (
                SignedRequest.builder()
                .with_pem_file(DEMO_KEY)
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
            headers.update(signed.headers)
            target = signed.url
        raw = rest_client.pool_manager.request(
            method,
            target,
            body=payload,
            headers=headers,
            timeout=REQUEST_TIMEOUT_S,
            preload_content=False,
        )
        LAST_RAW_HEADERS["link"] = raw.headers.getlist("Link")
        return rest.RESTResponse(raw)

    rest_client.request = request


def next_page_token(link_header):
    for part in (link_header or "").split(","):
        match = re.search(r'<([^>]*)>\s*;\s*rel="next"', part)
        if match:
            query = dict(parse_qsl(urlsplit(match.group(1)).query))
            return query.get("page_token")
    return None


def error_envelope(exception):
    try:
        return json.loads(exception.body)["error"]
    except (TypeError, ValueError, KeyError):
        return {}


def run(base_url, public_url):
    configuration = ory_kratos_client.Configuration(host=base_url)
    with ory_kratos_client.ApiClient(configuration) as api_client:
        install_yoti_signing(api_client)
        api = IdentityApi(api_client)

        # Two pages, following the Link header as Kratos clients do.
        first = api.list_identities_with_http_info(page_size=2)
        check("list: first page answers 200", first.status_code == 200, first.status_code)
        check("list: first page has 2 identities", len(first.data) == 2, len(first.data))
        links = LAST_RAW_HEADERS.get("link", [])
        link = ", ".join(links)
        check("list: Link has rel=\"first\" and rel=\"next\"",
              'rel="first"' in link and 'rel="next"' in link, links)
        token = next_page_token(first.headers.get("Link") or first.headers.get("link"))
        check("list: Link has a next page_token", bool(token), link)
        check("list: no X-Total-Count", "X-Total-Count" not in (first.headers or {}), first.headers)
        second = api.list_identities_with_http_info(page_size=2, page_token=token)
        check("list: second page has 2 identities", len(second.data) == 2, len(second.data))
        ids = [i.id for i in first.data] + [i.id for i in second.data]
        check("list: pages are ordered by id without overlap",
              ids == sorted(set(ids)) and len(set(ids)) == 4, ids)
        check("list: items carry no credentials", all(i.credentials is None for i in first.data),
              [i.credentials for i in first.data])

        # One identity, in full.
        target = first.data[0]
        got = api.get_identity(target.id)
        check("get: same identity as listed", got.id == target.id and got.traits == target.traits)
        configs = [c.config for c in (got.credentials or {}).values()]
        check("get: credentials without config", got.credentials and all(c is None for c in configs),
              got.credentials)

        # A change, read back.
        traits = dict(got.traits)
        traits["email"] = "contract.check@example.com"
        body = UpdateIdentityBody(
            schema_id=got.schema_id,
            state=got.state,
            traits=traits,
            metadata_public=got.metadata_public,
            metadata_admin=got.metadata_admin,
        )
        if got.external_id:
            body.external_id = got.external_id
        updated = api.update_identity(got.id, update_identity_body=body)
        check("put: answer carries the new traits", updated.traits.get("email") == "contract.check@example.com",
              updated.traits)
        reread = api.get_identity(got.id)
        check("put: GET reads the change back", reread.traits == traits, reread.traits)
        identifiers = (reread.credentials or {}).get("password")
        check("put: password identifier follows the e-mail",
              identifiers is not None and "contract.check@example.com" in (identifiers.identifiers or []),
              identifiers)
        found = api.list_identities(credentials_identifier="Contract.Check@Example.com")
        check("list: credentials_identifier finds it, case-folded",
              [i.id for i in found] == [got.id], [i.id for i in found])

        # Invalid traits: Kratos's 400 envelope.
        bad = dict(traits)
        bad["email"] = "not-an-email"
        try:
            api.update_identity(got.id, update_identity_body=UpdateIdentityBody(
                schema_id=got.schema_id, state=got.state, traits=bad))
            check("put invalid traits: refused", False, "answered 2xx")
        except ApiException as e:
            error = error_envelope(e)
            check("put invalid traits: 400", e.status == 400, e.status)
            check("put invalid traits: envelope code/status/message",
                  error.get("code") == 400 and error.get("status") == "Bad Request"
                  and error.get("message"), error)
            check("put invalid traits: reason names the trait",
                  str(error.get("reason", "")).startswith("I[#/traits/email]"), error)
        unchanged = api.get_identity(got.id)
        check("put invalid traits: identity unchanged", unchanged.traits == traits, unchanged.traits)

        # Identity schemas: the admin port answers 307 to the public port,
        # which the official client follows; identities link to the public URL.
        through_admin = api.get_identity_schema("email-password")
        check("schemas: readable through the admin URL (307 followed)",
              isinstance(through_admin, dict) and "traits" in through_admin.get("properties", {}),
              through_admin)
        check("schemas: schema_url points at the public URL",
              str(got.schema_url).startswith(public_url + "/schemas/"), got.schema_url)

        # Unknown identity: 404 envelope.
        try:
            api.get_identity("00000000-0000-4000-8000-000000000000")
            check("get unknown: 404", False, "answered 2xx")
        except ApiException as e:
            check("get unknown: 404", e.status == 404 and error_envelope(e).get("code") == 404, e.body)

    # The public URL serves schemas to anyone, unsigned.
    with ory_kratos_client.ApiClient(ory_kratos_client.Configuration(host=public_url)) as public_client:
        install_yoti_signing(public_client, sign=False)
        public_api = IdentityApi(public_client)
        schemas = public_api.list_identity_schemas()
        check("schemas: the public URL lists them unsigned",
              [s.id for s in schemas] == ["email-password", "phone-password"], [s.id for s in schemas])
        raw = public_api.get_identity_schema("email-password")
        check("schemas: the public URL serves the same document",
              raw == through_admin, raw)

    # Unsigned requests are refused.
    with ory_kratos_client.ApiClient(ory_kratos_client.Configuration(host=base_url)) as unsigned_client:
        install_yoti_signing(unsigned_client, sign=False)
        try:
            IdentityApi(unsigned_client).list_identities(page_size=1)
            check("unsigned: 401", False, "answered 2xx")
        except ApiException as e:
            check("unsigned: 401", e.status == 401 and error_envelope(e).get("code") == 401, e.body)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    process, base_url, public_url = start_server(sys.argv[1])
    try:
        run(base_url, public_url)
    except Exception as e:  # noqa: BLE001 - report any crash as a failed check
        check("contract run completed", False, repr(e))
    finally:
        stop_server(process)
    passed = sum(1 for _, ok in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
