"""FakeParagon checks user tokens as Paragon does: RS256 signature, ``exp``, ``sub``, and ``aud`` when present."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from useparagon.testing import FakeParagon

from tests.testing.support import Api

# A second key, so a token can be signed by the wrong project.
OTHER = FakeParagon(default_project=False)


def _token(fake: FakeParagon, key: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "u1", "aud": f"useparagon.com/{fake.project_id}", "iat": now, "exp": now + 600, **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key or fake.signing_key_pem, algorithm="RS256")


def test_a_valid_token_reaches_the_user(api: Api) -> None:
    """A token signed with the project's key, for the right audience, gets the user behind ``sub``."""
    response = api.call("GET", "/sdk/me", user="alice")
    assert response.status_code == 200
    assert response.json()["userId"] == "alice"
    assert response.json()["authenticated"] is True


@pytest.mark.parametrize(
    ("case", "claims", "message"),
    [
        ("expired", {"exp": int(time.time()) - 5}, "Unauthorized: the user token has expired."),
        ("wrong aud", {"aud": "useparagon.com/another-project"}, "Unauthorized: the user token's aud is not {aud!r}."),
        ("wrong aud in list", {"aud": ["x", "y"]}, "Unauthorized: the user token's aud is not {aud!r}."),
        ("missing sub", {"sub": None}, "Unauthorized: the user token has no sub claim."),
        ("empty sub", {"sub": ""}, "Unauthorized: the user token has no sub claim."),
        ("non-string sub", {"sub": 42}, "Unauthorized: the user token is not a well-formed RS256 JWT."),
        ("missing exp", {"exp": None}, "Unauthorized: the user token has no exp claim."),
        ("iat in the future", {"iat": int(time.time()) + 3600}, "Unauthorized: the user token is not valid yet"),
    ],
)
def test_bad_claims_get_401(api: Api, case: str, claims: dict[str, Any], message: str) -> None:
    """Each broken claim gets 401 with Paragon's error body and a message naming the problem."""
    token = _token(api.fake, **claims)
    response = api.client.get(f"{api.root}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    expected = message.format(aud=f"useparagon.com/{api.fake.project_id}")
    assert body["message"].startswith(expected), case
    assert set(body) == {"message", "status"}


def test_a_token_without_aud_is_accepted(api: Api) -> None:
    """``aud`` is checked only when present, as Paragon's docs make it optional."""
    token = _token(api.fake, aud=None)
    response = api.client.get(f"{api.root}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_an_aud_list_containing_the_project_is_accepted(api: Api) -> None:
    """A list-valued ``aud`` passes when it contains ``useparagon.com/{projectId}``."""
    token = _token(api.fake, aud=["other", f"useparagon.com/{api.fake.project_id}"])
    response = api.client.get(f"{api.root}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Unauthorized: no Authorization header."),
        ("", "Unauthorized: no Authorization header."),
        ("Basic dXNlcjpwYXNz", "Unauthorized: the Authorization header is not a Bearer token."),
        ("Bearer", "Unauthorized: the Authorization header is not a Bearer token."),
        ("Bearer not-a-jwt", "Unauthorized: the user token is not a well-formed RS256 JWT."),
        ("Bearer a.b.c", "Unauthorized: the user token is not a well-formed RS256 JWT."),
    ],
)
def test_missing_or_malformed_authorization_gets_401(api: Api, authorization: str | None, message: str) -> None:
    """No header, another scheme, or something that is not a JWT: 401 with Paragon's error body."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = api.client.get(f"{api.root}/sdk/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": message, "status": 401}


def test_a_token_signed_with_another_key_gets_401(api: Api) -> None:
    """A token signed by another project's key fails the signature check."""
    token = _token(api.fake, key=OTHER.signing_key_pem)
    response = api.client.get(f"{api.root}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {
        "message": "Unauthorized: the user token's signature does not match the project's key.",
        "status": 401,
    }


def test_an_hs256_token_using_the_public_key_as_secret_gets_401(api: Api) -> None:
    """The classic algorithm-confusion attack: only RS256 is accepted."""
    secret = "an-hmac-secret-long-enough-for-pyjwt"
    token = jwt.encode({"sub": "u1", "exp": int(time.time()) + 60}, secret, algorithm="HS256")
    response = api.client.get(f"{api.root}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_another_project_id_in_the_path_gets_404(api: Api) -> None:
    """The fake holds one project; any other project id is not found (checked before the token)."""
    response = api.client.get("/projects/not-this-one/sdk/me", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404
    assert response.json() == {"message": "Project not found.", "status": 404}


def test_a_public_key_only_fake_verifies_but_cannot_sign() -> None:
    """Given only a public key, the fake accepts tokens signed with its private half and refuses to sign."""
    owner = FakeParagon(default_project=False)
    fake = FakeParagon(public_key_pem=owner.public_key_pem, project_id=owner.project_id)
    with httpx.Client(transport=fake.transport(), base_url="http://x") as client:
        token = owner.sign_user_token("u1")
        response = client.get(f"/projects/{fake.project_id}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with pytest.raises(RuntimeError, match="only a public key"):
        fake.sign_user_token("u1")
    with pytest.raises(RuntimeError, match="only a public key"):
        _ = fake.signing_key_pem


def test_a_given_signing_key_is_used() -> None:
    """``signing_key_pem`` makes the fake use that key: tokens signed by its owner are accepted."""
    owner = FakeParagon(default_project=False)
    fake = FakeParagon(signing_key_pem=owner.signing_key_pem, project_id=owner.project_id, default_project=False)
    assert fake.public_key_pem == owner.public_key_pem
    with httpx.Client(transport=fake.transport(), base_url="http://x") as client:
        token = owner.sign_user_token("u1")
        response = client.get(f"/projects/{fake.project_id}/sdk/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signing_key_pem": "not a key"}, "signing_key_pem is not an unencrypted PEM private key"),
        ({"public_key_pem": "not a key"}, "public_key_pem is not a PEM public key"),
        ({"signing_key_pem": OTHER.signing_key_pem, "public_key_pem": OTHER.public_key_pem}, "not both"),
        ({"project_id": ""}, "project_id must be a non-empty id"),
        ({"project_id": "a/b"}, "project_id must be a non-empty id"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    """Unusable keys or project ids raise ValueError at construction, without echoing the key."""
    with pytest.raises(ValueError, match=message) as info:
        FakeParagon(**kwargs)
    assert "BEGIN" not in str(info.value)


def test_sign_user_token_claims(fake: FakeParagon) -> None:
    """``sign_user_token`` sets sub, aud, iat, exp = iat + ttl, adds extra claims, and drops ``None`` ones."""
    token = fake.sign_user_token("bob", ttl=120, role="admin", aud=None)
    claims = jwt.decode(token, fake.public_key_pem, algorithms=["RS256"])
    assert claims["sub"] == "bob"
    assert claims["role"] == "admin"
    assert "aud" not in claims
    assert claims["exp"] - claims["iat"] == 120
    default = jwt.decode(
        fake.sign_user_token("bob"), fake.public_key_pem, algorithms=["RS256"], options={"verify_aud": False}
    )
    assert default["aud"] == f"useparagon.com/{fake.project_id}"
    assert default["exp"] - default["iat"] == 3600


def test_no_key_material_in_repr(fake: FakeParagon) -> None:
    """The fake's repr names the project and integrations, never the key."""
    text = repr(fake)
    assert fake.project_id in text
    assert "BEGIN" not in text
    assert fake.signing_key_pem.splitlines()[1] not in text
