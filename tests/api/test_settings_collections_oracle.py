"""OAuth2 providers, collection bodies of the wrong JSON types, duplicate field names,
dry-run-view samples and the Apple client secret answer what PocketBase 0.40.6 answers
(``pocketbase_040/settings_collections.json``, made by
tests/fixtures/capture_settings_collections.py): every status and body, in order, on one App."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.testclient import TestClient

from tests.oracle import CAPTURES, load, mismatches, send

ENTRIES = load("settings_collections.json")
# the raw error text comes from the key parser (Go's asn1 there, pyca/cryptography here); the
# status, the message up to it and the empty data are the same (docs/compatibility.md)
RAW_KEY_ERROR = "Failed to generate client secret. Raw error: \n"


def _expected(entry: dict[str, Any]) -> Any:
    response = entry["response"]
    if isinstance(response, dict) and str(response.get("message", "")).startswith(RAW_KEY_ERROR):
        return {**response, "message": RAW_KEY_ERROR + "<volatile>"}
    return response


def test_settings_and_collections_match_pocketbase(client: TestClient, su_token: str) -> None:
    failures: list[str] = []
    for entry in ENTRIES:
        r = send(client, entry, {"superuser": su_token})
        body = r.json() if r.content else None
        problems = [f"status {entry['status']} != {r.status_code}"] if r.status_code != entry["status"] else []
        problems += mismatches(_expected(entry), body)
        if problems:
            failures.append(f"{entry['name']}:\n    " + "\n    ".join(problems[:8]))
    assert not failures, f"{len(failures)} exchanges differ:\n" + "\n".join(failures)


def test_apple_client_secret_is_a_valid_es256_jwt(client: TestClient, su_token: str) -> None:
    entry = next(e for e in ENTRIES if e["name"] == "apple: valid")
    r = client.post(entry["path"], json=entry["body"], headers={"Authorization": su_token})
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    key = serialization.load_pem_private_key((CAPTURES / "apple_test_key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    header = jwt.get_unverified_header(secret)
    assert header["alg"] == "ES256" and header["kid"] == entry["body"]["keyId"]
    claims = jwt.decode(secret, key.public_key(), algorithms=["ES256"], audience="https://appleid.apple.com")
    assert claims["iss"] == entry["body"]["teamId"] and claims["sub"] == entry["body"]["clientId"]
    assert claims["exp"] - claims["iat"] == entry["body"]["duration"]


def test_oauth2_provider_keys_in_pocketbase_order(client: TestClient, su_token: str) -> None:
    entry = next(e for e in ENTRIES if e["name"] == "oauth2: PATCH two providers, some keys")
    for e in ENTRIES[: ENTRIES.index(entry) + 1]:
        send(client, e, {"superuser": su_token})
    r = client.get("/api/collections/users", headers={"Authorization": su_token})
    expected = [list(p) for p in entry["response"]["oauth2"]["providers"]]
    assert expected[0] == ["pkce", "name", "clientId", "authURL", "tokenURL", "userInfoURL", "displayName", "extra"]
    assert [list(p) for p in r.json()["oauth2"]["providers"]] == expected
