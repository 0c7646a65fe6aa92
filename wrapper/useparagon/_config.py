"""Client settings: explicit arguments first, then the environment (read at construction, never at import)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs
import httpx

from ._constants import (
    DEFAULT_ACTIONKIT_URL,
    DEFAULT_API_URL,
    DEFAULT_HERMES_URL,
    DEFAULT_PROXY_URL,
    DEFAULT_SYNC_URL,
    DEFAULT_TIMEOUT,
    ENV_ACTIONKIT_URL,
    ENV_API_KEY,
    ENV_API_URL,
    ENV_HERMES_URL,
    ENV_HOST,
    ENV_PROJECT_ID,
    ENV_PROXY_URL,
    ENV_SIGNING_KEY,
    ENV_SIGNING_KEY_PATH,
    ENV_SYNC_URL,
    ON_PREM_ACTIONKIT_PREFIX,
    ON_PREM_API_PREFIX,
    ON_PREM_HERMES_PREFIX,
    ON_PREM_PROXY_PREFIX,
    ON_PREM_SYNC_PREFIX,
)
from ._errors import ConfigurationError
from ._patterns import lazy_pattern
from ._secret import Secret
from ._types import NOT_GIVEN, NotGiven, safe_attrs_repr
from ._validation import show_input

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

# A DNS name or IP literal with an optional port: no scheme, path, userinfo or whitespace.
HOST_NAME = lazy_pattern(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?::[0-9]{1,5})?$"
)


@attrs.frozen(repr=False)
class ServiceURLs:
    """Where each Paragon service lives. Cloud by default; derived from ``host`` for self-hosted Paragon."""

    __repr__ = safe_attrs_repr

    api: str
    proxy: str
    actionkit: str
    # No call is sent here: it is the host of the custom-webhook URLs a session builds for your users' systems.
    hermes: str = DEFAULT_HERMES_URL
    # Managed Sync's Sync API and Permissions API.
    sync: str = DEFAULT_SYNC_URL


def resolve_project_id(project_id: str | None, environ: Mapping[str, str]) -> str:
    value = project_id if project_id is not None else environ.get(ENV_PROJECT_ID)
    if value is None or not value.strip():
        raise ConfigurationError(f"no Paragon project id: pass project_id= or set {ENV_PROJECT_ID}")
    checked = value.strip()
    if not _PROJECT_UUID().fullmatch(checked):
        # Caught here, not as Paragon's "Project not found." on the first call; the value is not a secret.
        raise ConfigurationError(
            f"project_id must be your Paragon project's UUID (e.g. 38b1f170-0c43-4eae-9a04-ab85325d99f7; the"
            f" dashboard's 'Copy Project ID', under the environment switcher), got {show_input(checked)}"
        )
    return checked


_PROJECT_UUID = lazy_pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def resolve_signing_key_source(
    signing_key: Secret[str | bytes] | RSAPrivateKey | None,
    signing_key_path: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
) -> tuple[str, Secret[str | bytes] | str | RSAPrivateKey] | None:
    """Which key to load, as ("pem", wrapped text) or ("path", path); None when no key is configured at all."""
    if signing_key is not None and signing_key_path is not None:
        raise ConfigurationError("pass either signing_key= or signing_key_path=, not both")
    if signing_key is not None:
        return ("pem", signing_key)
    if signing_key_path is not None:
        return ("path", os.fspath(signing_key_path))
    if environ.get(ENV_SIGNING_KEY, "").strip():
        return ("pem", Secret(environ[ENV_SIGNING_KEY]))
    if environ.get(ENV_SIGNING_KEY_PATH, "").strip():
        return ("path", environ[ENV_SIGNING_KEY_PATH].strip())
    return None


def resolve_api_key(api_key: Secret[str] | None, environ: Mapping[str, str]) -> Secret[str] | None:
    """The project API key (the Task History API's credential), wrapped; None when none is configured. Checked to be
    one header-safe word, and never shown in a message."""
    if api_key is None:
        text = environ.get(ENV_API_KEY, "").strip()
        if not text:
            return None
        api_key, source = Secret(text), ENV_API_KEY
    else:
        source = "api_key"
        if not isinstance(api_key.reveal(), str):
            raise ConfigurationError(f"api_key must be a str, got {type(api_key.reveal()).__name__}")
        # A key read from a file or a secret store often ends with a newline; it must not reach a header.
        api_key = Secret(api_key.reveal().strip())
    # A header value: one printable word (a key pasted with its newline, or "Bearer …", would break the header).
    if not len(api_key) or not _API_KEY().fullmatch(api_key.reveal()):
        raise ConfigurationError(
            f"{source} must be the project's API key as the dashboard shows it (Settings > API Keys): one word of"
            " printable characters, without spaces or a 'Bearer ' prefix"
        )
    return api_key


_API_KEY = lazy_pattern(r"[!-~]{1,4096}")


def resolve_service_urls(
    host: str | None,
    api_url: str | None,
    proxy_url: str | None,
    actionkit_url: str | None,
    environ: Mapping[str, str],
    hermes_url: str | None = None,
    sync_url: str | None = None,
) -> ServiceURLs:
    """Each service's URL: the argument for it, else one derived from ``host=``, else its environment variable
    (``PARAGON_API_URL``, ``PARAGON_SYNC_URL``…), else one derived from ``PARAGON_HOST``, else Paragon's cloud.
    Arguments win over the environment, and within each the URL of one service wins over the host of all."""
    given = {"api": api_url, "proxy": proxy_url, "actionkit": actionkit_url, "hermes": hermes_url, "sync": sync_url}
    checked = {service: _service_url(value, f"{service}_url") for service, value in given.items()}
    if host is not None:
        derived = _derived_urls(host)
        return ServiceURLs(**{service: checked[service] or getattr(derived, service) for service in given})
    for service, variable in _SERVICE_ENVIRONMENT.items():
        if checked[service] is None:
            checked[service] = _service_url(environ.get(variable, "").strip() or None, variable)
    base_host = environ.get(ENV_HOST, "").strip() or None
    fallback = _CLOUD if base_host is None else _derived_urls(base_host)
    return ServiceURLs(**{service: checked[service] or getattr(fallback, service) for service in given})


_SERVICE_ENVIRONMENT = {
    "api": ENV_API_URL,
    "proxy": ENV_PROXY_URL,
    "actionkit": ENV_ACTIONKIT_URL,
    "hermes": ENV_HERMES_URL,
    "sync": ENV_SYNC_URL,
}
_CLOUD = ServiceURLs(
    api=DEFAULT_API_URL,
    proxy=DEFAULT_PROXY_URL,
    actionkit=DEFAULT_ACTIONKIT_URL,
    hermes=DEFAULT_HERMES_URL,
    sync=DEFAULT_SYNC_URL,
)


def _derived_urls(base_host: str) -> ServiceURLs:
    """A self-hosted installation's services, named from its base host as the JS SDK's configureGlobal names them."""
    base_host = base_host.strip()
    port = base_host.rpartition(":")[2] if ":" in base_host else ""
    if not HOST_NAME().fullmatch(base_host) or (port and not _valid_port(int(port))):
        raise ConfigurationError(
            f"host must be a bare host name such as 'mycompany.paragon.so' (no scheme or path), got {base_host!r};"
            f" pass host= or set {ENV_HOST}"
        )
    return ServiceURLs(
        api=f"https://{ON_PREM_API_PREFIX}.{base_host}",
        proxy=f"https://{ON_PREM_PROXY_PREFIX}.{base_host}",
        actionkit=f"https://{ON_PREM_ACTIONKIT_PREFIX}.{base_host}",
        hermes=f"https://{ON_PREM_HERMES_PREFIX}.{base_host}",
        sync=f"https://{ON_PREM_SYNC_PREFIX}.{base_host}",
    )


# The userinfo of a URL ("https://user:password@host"): what an error message must not repeat.
_USERINFO = lazy_pattern(r"(?<=//)[^/?#@\s]*@")


def _service_url(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    shown = _USERINFO().sub("***@", value) if isinstance(value, str) else value
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError(f"{name} is not a valid URL: {shown!r}") from None
    if url.port is not None and not _valid_port(url.port):
        raise ConfigurationError(f"{name} has a port outside 1-65535: {shown!r}")
    if url.scheme not in ("https", "http") or not url.host or url.query or url.fragment or url.userinfo:
        raise ConfigurationError(f"{name} must be an http(s) URL without credentials, query or fragment, got {shown!r}")
    return str(url).rstrip("/")


def _valid_port(port: int) -> bool:
    # The host pattern and httpx both accept any digits; an impossible port would only fail at connect time.
    return 0 < port <= 65535


def resolve_timeout(timeout: float | httpx.Timeout | NotGiven | None) -> httpx.Timeout:
    if timeout is NOT_GIVEN:
        return DEFAULT_TIMEOUT
    if timeout is None:  # the caller asked for no timeout, on purpose
        return httpx.Timeout(None)
    if isinstance(timeout, httpx.Timeout):
        return timeout
    # NaN, infinity and ints beyond any float pass "> 0" but fail in the socket layer (None means "no timeout").
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= sys.float_info.max:
        raise ConfigurationError(
            f"timeout must be a positive number of seconds, an httpx.Timeout or None, got {timeout!r}"
        )
    return httpx.Timeout(float(timeout))
