"""gunicorn's settings file: gunicorn reads ./gunicorn.conf.py from its working directory, the
project's root for the Procfile, `make prod-local` and the benches. The Procfile's command-line
options win over anything set here."""


def post_worker_init(worker) -> None:
    """Once a worker has loaded Django: import every view (the URLconf), then freeze what exists
    and collect less often (``blipportal.ops.memory``). The URLconf is imported first so that the
    views and everything they import are frozen too (otherwise they arrive with the first
    request)."""
    from django.urls import get_resolver

    from blipportal.ops.memory import process_settle

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    process_settle()
