"""gunicorn's settings file: gunicorn reads ./gunicorn.conf.py from its working directory, the
project's root for the Procfile, `make prod-local` and the benches. The Procfile's command-line
options win over anything set here."""

import gc


def post_worker_init(worker) -> None:
    """Once a worker has loaded Django: import every view (the URLconf) and freeze what exists.

    A worker holds some 150,000 objects from its imports. Python's full garbage collection walks
    all of them, 40-170 ms during which the worker's threads stand still (the GIL), and under
    load it comes round every few dozen requests: a pause on whichever pages are being served.
    Frozen objects (gc.freeze) are never walked again; they live as long as the process anyway.
    The URLconf is imported first so that the views and everything they import are frozen too
    (otherwise they arrive with the first request).
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    gc.collect()  # no garbage of the imports is kept for ever
    gc.freeze()
