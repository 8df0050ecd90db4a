"""Garbage collection for long-lived processes: gunicorn's workers and Celery's.

A process that has loaded Django holds some 150,000 objects from its imports. Python's full
collection walks all of them (40-170 ms during which the process's threads stand still, the
GIL), and under load it comes round every few dozen requests or chunks of sends. Frozen objects
(``gc.freeze``) are never walked again; they live as long as the process anyway.

The youngest generation is then collected every 5,000 new objects rather than 700. A web worker
with four threads found most objects still in use by the requests in flight at each collection,
walked them and handed them on to the older generations, which walked them again: GC took ~1.8 ms
of each request, ~0.9 ms at 5,000 (pauses of a few ms; 10,000 and more saved no more). A sending
worker's chunks (a hundred recipients, their contacts and their answers alive until recorded)
are the same story: 1,400 young collections per 10,000 messages at 700.
"""

import gc

YOUNG_GENERATION_THRESHOLD = 5000  # Python's default: 700


def process_settle() -> None:
    """Freeze what the process holds now and collect the young generation less often; called
    once a worker process has loaded what it will keep."""
    gc.collect()  # no garbage of the imports is kept for ever
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
