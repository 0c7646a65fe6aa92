"""What ``UserSession`` and ``AsyncUserSession`` share: who the session acts as, and what it was given to act with.

A session receives what it uses (the project id, the sender, the user's token, the event hubs and the client's
set of watchers), never the client itself, so sessions do not depend on the client module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import weakref

    from ._events import EventHub
    from ._tokens import TokenSource


class SessionBase:
    __slots__ = ("_events", "_hubs", "_project_id", "_sender", "_token", "_watchers")

    def __init__(
        self,
        *,
        project_id: str,
        sender: Any,
        token: TokenSource,
        events: EventHub,
        client_events: EventHub,
        watchers: weakref.WeakSet[Any],
    ) -> None:
        self._project_id = project_id
        self._sender = sender
        self._token = token
        self._events = events
        # This session's subscribers first, then the client's: the order the JS SDK calls them in.
        self._hubs = (events, client_events)
        # Watchers this session starts; the client stops them when it closes.
        self._watchers = watchers

    @property
    def user_id(self) -> str:
        """The Connected User's id: the ``sub`` of the user token."""
        return self._token.user_id

    @property
    def project_id(self) -> str:
        return self._project_id

    def __repr__(self) -> str:
        # getattr: a repr must work on an object whose __init__ failed half-way (a traceback renders it).
        token = getattr(self, "_token", None)
        user_id = getattr(token, "user_id", None)
        return f"{type(self).__name__}(user_id={user_id!r}, project_id={getattr(self, '_project_id', None)!r})"
