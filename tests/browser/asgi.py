"""The project's ASGI application served by daphne in a thread of the test process.

pytest-django's ``live_server`` speaks WSGI, so it cannot carry the Desk's WebSockets. This
server runs the real ASGI stack (daphne, session auth, origin check) on a port the OS picks, in
this process, so it shares the test database and the in-memory channel layer with the tests.
Twisted's reactor starts once per process: the server lives for the whole test session.
"""

import threading
import time

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler


class ASGITestServer:
    def __init__(self) -> None:
        from daphne.server import Server  # installs Twisted's asyncio reactor on import

        from blipportal.asgi import application, django_application

        routes = dict(application.application_mapping)
        # Tests collect no static files: Django's finders serve them, as the live server does.
        routes["http"] = ASGIStaticFilesHandler(django_application)
        self.application = type(application)(routes)
        self.server = Server(
            application=self.application,
            endpoints=["tcp:port=0:interface=127.0.0.1"],
            signal_handlers=False,
            verbosity=0,
        )
        self.thread = threading.Thread(target=self.server.run, name="daphne", daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.listening_addresses:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("daphne did not start listening")
            time.sleep(0.02)
        host, port = self.server.listening_addresses[0]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.server.stop)
        self.thread.join(timeout=10)
