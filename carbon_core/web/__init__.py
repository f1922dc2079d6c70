"""The register's web interface: ``carbon serve`` (FastAPI), pages and a JSON API.

>>> from carbon_core.web import WebConfig, create_app   # doctest: +SKIP
>>> app = create_app(WebConfig(database_url="sqlite:///register.sqlite"))   # doctest: +SKIP

See ``docs/web.md``.
"""

from .app import create_app
from .config import WebConfig

__all__ = ["create_app", "WebConfig"]
