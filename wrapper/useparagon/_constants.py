"""Every default useparagon uses, in one place (each is pinned by a test)."""

from __future__ import annotations

from typing import Final, Literal, TypeAlias, get_args

import httpx

# Cloud hosts. Paragon's docs name api.useparagon.com; the JS SDK calls zeus.useparagon.com, the same service.
DEFAULT_API_URL = "https://api.useparagon.com"
DEFAULT_PROXY_URL = "https://proxy.useparagon.com"
DEFAULT_ACTIONKIT_URL = "https://actionkit.useparagon.com"
# Workflow triggers ("Hermes"): the host of the custom-webhook URLs the JS SDK builds (getCustomWebhookUserManualUrl).
DEFAULT_HERMES_URL = "https://hermes.useparagon.com"
# Managed Sync (the Sync API and the Permissions API) has a host of its own (docs.useparagon.com/managed-sync/sync-api).
DEFAULT_SYNC_URL = "https://sync.useparagon.com"

# Self-hosted installations derive each service's host from their base host, as the JS SDK's configureGlobal does.
ON_PREM_API_PREFIX = "zeus"
ON_PREM_PROXY_PREFIX = "worker-proxy"
ON_PREM_HERMES_PREFIX = "hermes"
ON_PREM_SYNC_PREFIX = "ms-sync"
# Paragon's docs (actionkit/api-reference) name worker-actionkit.{host}; the JS SDK's trigger-kit prefix is actionkit.
# The docs win; an installation that serves ActionKit under the SDK's name passes actionkit_url= instead.
ON_PREM_ACTIONKIT_PREFIX = "worker-actionkit"

ENV_PROJECT_ID = "PARAGON_PROJECT_ID"
ENV_SIGNING_KEY = "PARAGON_SIGNING_KEY"
ENV_SIGNING_KEY_PATH = "PARAGON_SIGNING_KEY_PATH"
ENV_HOST = "PARAGON_HOST"
# Each service's base URL, read by the library and the CLI alike (`paragon fake-server --print-env` prints them).
ENV_API_URL = "PARAGON_API_URL"
ENV_PROXY_URL = "PARAGON_PROXY_URL"
ENV_ACTIONKIT_URL = "PARAGON_ACTIONKIT_URL"
ENV_HERMES_URL = "PARAGON_HERMES_URL"
ENV_SYNC_URL = "PARAGON_SYNC_URL"
# The project API key (dashboard: Settings > API Keys): Task History's credential, a secret like the signing key.
ENV_API_KEY = "PARAGON_API_KEY"
ENV_LOG = "PARAGON_LOG"

# Proxy calls reach third-party APIs, so httpx's 5 s read timeout is too tight; connecting should still be quick.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# Keep-alive up to the connection limit: httpcore 1.0 compares max_keepalive_connections with ALL open connections
# (encode/httpcore#1000), so with 20 a burst past 20 concurrent calls closes every connection it frees and opens a
# new one (new TCP+TLS) per queued call: 150 concurrent calls opened 150 connections instead of 100.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)

DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A Retry-After longer than this means "not soon": the call fails instead of sleeping that long.
MAX_RETRY_AFTER = 60.0
# The whole call, every attempt and sleep included, gives up after this long.
DEFAULT_TOTAL_DEADLINE = 300.0

# Response bodies are read as a stream against this cap, counted after decompression: API JSON is kilobytes, and a
# proxied list of CRM records a few megabytes; a gigabyte (or a gzip bomb) must fail, not take the process down.
# Large downloads go through stream(), which has no cap.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# An error body only feeds a message and ``error.body``: past this it is cut, not read on.
MAX_ERROR_BODY_BYTES = 1024 * 1024
# Only these are asked for, because only these are decoded under the cap (httpx would also offer br and zstd when
# their packages happen to be installed, and decode them unbounded).
ACCEPT_ENCODING = "gzip, deflate"

# User tokens: Paragon's docs use one hour; iat is back-dated so a server clock slightly behind ours accepts it.
DEFAULT_TOKEN_TTL = 3600
MAX_TOKEN_TTL = 24 * 3600
TOKEN_CLOCK_SKEW = 30
# A cached user token is replaced this long before it expires, so no request leaves with a nearly dead token.
TOKEN_REFRESH_MARGIN = 60
MIN_RSA_KEY_BITS = 2048
TOKEN_AUDIENCE_TEMPLATE = "useparagon.com/{project_id}"
PERMISSIONS_CLAIM = "urn:useparagon:connect:permissions"

MAX_PROXY_PATH_LENGTH = 2048
MAX_ID_LENGTH = 256
# Servers commonly cap a whole header block at 8 KiB, so a longer single value can only fail later and less clearly.
MAX_HEADER_VALUE_LENGTH = 8192
MAX_HEADER_NAME_LENGTH = 256
# Real JSON is shallow; the bound turns a reference cycle or pathological nesting into a clear error,
# not a RecursionError.
MAX_JSON_DEPTH = 256
# A proxy-path segment still changing after this many percent-decoding rounds is rejected rather than decoded further.
MAX_PERCENT_DECODE_ROUNDS = 8
ERROR_BODY_PREVIEW_CHARS = 500

USER_AGENT_PREFIX = "useparagon-python"

# The web page that connects a user (connect_page) and the events it relays back.
# Paragon's documented <script> install (docs.useparagon.com, "Installing the Connect SDK"); it defines
# window.paragon. Pass sdk_url= to pin a version or serve the npm build yourself.
DEFAULT_SDK_URL = "https://cdn.useparagon.com/latest/sdk/index.js"
# configureGlobal() needs a base host even when every service URL is overridden; the SDK derives the others from it.
DEFAULT_SDK_HOST = "useparagon.com"
# The service URLs configureGlobal(options, overrideEnvs) reads from overrideEnvs (@useparagon/connect 2.4.0).
SDK_SERVICE_URL_NAMES: tuple[str, ...] = (
    "API_TRIGGER_KIT_PUBLIC_URL",
    "CDN_PUBLIC_URL",
    "CONNECT_PUBLIC_URL",
    "DASHBOARD_PUBLIC_URL",
    "HERMES_PUBLIC_URL",
    "PASSPORT_PRODUCTION_URL",
    "PASSPORT_PUBLIC_URL",
    "WORKER_PROXY_PUBLIC_URL",
    "ZEUS_PUBLIC_URL",
)
DEFAULT_PAGE_TITLE = "Connect an integration"
# An SDK event is well under a few kilobytes, even with the credential an install event may carry.
MAX_RELAYED_EVENT_BYTES = 256 * 1024
MAX_PAGE_URL_LENGTH = 2048

HTTPMethod: TypeAlias = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
"""The methods the Proxy API takes: the spec's catch-all operations (tests/test_contract.py holds the two together)."""
PROXY_METHODS: Final = get_args(HTTPMethod)
