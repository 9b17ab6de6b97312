"""Which user a gateway call may act for, and the key its rate limits count under.

With authentication off every call is allowed as before. With it on, a token acts for the user
its `sub` names (an empty user_id means that user) and only on that user's sessions; scope
`admin` acts for any user, or none, exactly as without authentication."""

from __future__ import annotations

from convrec_kit.auth import Principal, current_principal
from convrec_kit.errors import permission_denied


def _limited(principal: Principal | None) -> bool:
    return principal is not None and not principal.is_admin


def check_user(user_id: str) -> None:
    """PERMISSION_DENIED when the caller names a user other than its own."""
    principal = current_principal()
    if _limited(principal) and user_id and user_id != principal.subject:
        raise permission_denied("this token may act only for its own user (its sub claim); scope admin may "
                                "act for any user", {"field": "user_id"})


def acting_user(user_id: str) -> str:
    """The user a call acts for: `user_id`, or the token's own user when it is empty."""
    check_user(user_id)
    principal = current_principal()
    return principal.subject if _limited(principal) and not user_id else user_id


def check_owner(owner: str, what: str = "session") -> None:
    """PERMISSION_DENIED when the caller does not own the session (anonymous ones included)."""
    principal = current_principal()
    if _limited(principal) and owner != principal.subject:
        raise permission_denied(f"this {what} belongs to another user", {"resource": what})


def limit_key(user_id: str, context) -> str:
    """Whom a rate limit counts: the token's subject (per user acted for, for admin tokens);
    without authentication the user id, or the caller's address when there is none."""
    principal = current_principal()
    if principal is not None:
        return f"sub\0{principal.subject}" + (f"\0{user_id}" if principal.is_admin else "")
    if user_id:
        return f"user\0{user_id}"
    peer = context.peer() or ""
    return "peer\0" + (peer.rsplit(":", 1)[0] if peer.startswith(("ipv4:", "ipv6:")) else peer)
