"""The ASGI application: Django's pages over HTTP and the Desk's live events over WebSockets.

Sockets are authenticated by the same session cookie as the pages (AuthMiddlewareStack) and
accepted only from the allowed hosts (the Origin check keeps other sites' pages out).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blipportal.settings")
# Under ASGI every request runs its sync code in a thread of its own, so a persistent database
# connection would be left open by each finished thread: close them after each use instead.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# Django must be set up before the consumers (and the models they import) are loaded.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from desk.live.urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
