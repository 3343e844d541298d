"""viewpoint: children's own views, gathered before the review of their plan.

Importing the package only defines ``create_app``; nothing connects to a database
until a request or a command needs it.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask

from .config import Config, resource_dir

try:
    __version__ = version("viewpoint")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"


def create_app(config: Config | None = None) -> Flask:
    """Build the app. Raises ``UnsafeConfiguration`` if production settings are unsafe,
    and ``DefinitionError`` if a questionnaire definition has mistakes."""
    config = config or Config.from_env()
    config.check_safe_for_production()
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=str(config.instance_path()),
    )
    app.config.from_mapping(config.flask_settings())
    app.config["VIEWPOINT_CONFIG"] = config
    if config.PROXY_COUNT:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.PROXY_COUNT,  # type: ignore[method-assign]
                                x_proto=config.PROXY_COUNT)
    logging.getLogger("viewpoint").setLevel(config.LOG_LEVEL)
    register_input_checks(app)
    register_extensions(app)
    register_questionnaires(app)
    register_security_headers(app)
    register_compression(app)
    register_page_helpers(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def register_input_checks(app: Flask) -> None:
    """First, so that input no page sends is refused before anything reads it (the CSRF
    check, the views, the database), and so that every ``<int:...>`` in the blueprints'
    addresses is bounded to what an id column holds."""
    from .security import register_input_checks as register

    register(app)


def register_compression(app: Flask) -> None:
    from .compression import register_compression as register

    register(app)


def register_extensions(app: Flask) -> None:
    from .auth import init_login
    from .extensions import csrf, db
    from .i18n import init_babel
    from .operations.totals import watch

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    csrf.init_app(app)
    init_babel(app)
    init_login(app)
    watch(db.session.session_factory.class_)


def register_questionnaires(app: Flask) -> None:
    """The shipped definitions (checked now: a mistake stops the app starting) under the
    council's own versions in the database."""
    from .questionnaires.library import load_library

    directory = app.config.get("QUESTIONNAIRE_DIR")
    library = load_library(Path(directory) if directory else None,
                           static_dir=Path(app.static_folder or ""))
    app.extensions["viewpoint.library"] = library
    #: The shipped catalogue alone (what a database with no stored versions serves).
    app.extensions["viewpoint.questionnaires"] = library.shipped


def register_security_headers(app: Flask) -> None:
    from .security import add_security_headers

    app.after_request(add_security_headers)


def register_page_helpers(app: Flask) -> None:
    """What the two base templates need on every page, whichever blueprint (or none, for an
    error page) renders it: the child's page chrome and read-aloud links, and the open
    alerts count in the staff navigation."""
    from flask_login import current_user

    from .extensions import db
    from .models import Role
    from .operations.alerts import count_open_alerts
    from .respond.rendering import can_hear, page_controls, page_messages, spoken

    def open_alert_count() -> int:
        if not current_user.is_authenticated or current_user.role not in (
                Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.REVIEWING_OFFICER):
            return 0
        return count_open_alerts(db.session, current_user)

    app.add_template_global(spoken)
    app.add_template_global(can_hear)
    app.add_template_global(page_messages)
    app.add_template_global(page_controls)
    app.add_template_global(open_alert_count)


def register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .api import bp as api_bp
    from .auth.views import bp as auth_bp
    from .authoring import bp as authoring_bp
    from .casework import bp as casework_bp
    from .dashboards import bp as dashboards_bp
    from .health.views import bp as health_bp
    from .preview.views import bp as preview_bp
    from .respond.views import bp as respond_bp
    from .statements import bp as statements_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(preview_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(casework_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(respond_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(statements_bp)


def register_error_handlers(app: Flask) -> None:
    from .errors import register_error_handlers as register

    register(app)


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
