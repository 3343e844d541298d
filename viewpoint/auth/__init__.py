"""Staff sign-in, roles and the permission checks."""

from __future__ import annotations

from flask import Flask

from ..extensions import login_manager


def init_login(app: Flask) -> None:
    """Flask-Login over server-side sessions, and the app-wide deny-by-default check."""
    from .oidc import init_oidc, is_enabled
    from .permissions import can, require_sign_in
    from .sessions import load_user

    login_manager.init_app(app)
    # Sessions are checked against the database on every request (see sessions.py), which
    # is stronger than Flask-Login's address/browser fingerprint; no "remember me" cookie.
    login_manager.session_protection = None
    login_manager.user_loader(load_user)
    app.before_request(require_sign_in)
    app.jinja_env.globals["can"] = can
    init_oidc(app)
    app.jinja_env.globals["council_sign_in"] = lambda: is_enabled(app)
