"""gunicorn's settings file: gunicorn reads ./gunicorn.conf.py from its working directory, the
project's root for the Procfile, `make prod-local` and the benches. The Procfile's command-line
options win over anything set here."""

import gc

YOUNG_GENERATION_THRESHOLD = 5000  # Python's default: 700 (see post_worker_init)


def post_worker_init(worker) -> None:
    """Once a worker has loaded Django: import every view (the URLconf) and freeze what exists.

    A worker holds some 150,000 objects from its imports. Python's full garbage collection walks
    all of them, 40-170 ms during which the worker's threads stand still (the GIL), and under
    load it comes round every few dozen requests: a pause on whichever pages are being served.
    Frozen objects (gc.freeze) are never walked again; they live as long as the process anyway.
    The URLconf is imported first so that the views and everything they import are frozen too
    (otherwise they arrive with the first request).

    The youngest generation is then collected every 5,000 new objects rather than 700: with four
    threads, a collection every 700 found most objects still in use by the requests in flight,
    walked them and handed them on to the older generations, which walked them again; GC took
    ~1.8 ms of each request, ~0.9 ms at 5,000 (pauses of a few ms; 10,000 and more saved no more).
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    gc.collect()  # no garbage of the imports is kept for ever
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
