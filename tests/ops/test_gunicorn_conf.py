"""gunicorn.conf.py and the Procfile's web line: what the production web process is started with."""

import re
import subprocess
import sys
from pathlib import Path

from tests.ops.processes import run_django_child

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: freezing the test run's objects would outlive the test.
WORKER = """
import gc, runpy, sys
import django
django.setup()
hooks = runpy.run_path("gunicorn.conf.py")
assert "desk.views" not in sys.modules
hooks["post_worker_init"](None)
print(gc.get_freeze_count(), "desk.views" in sys.modules, "campaigns.wizard" in sys.modules,
      gc.get_threshold()[0])
"""


def test_a_worker_imports_every_view_then_freezes_what_it_loaded():
    frozen, desk_views, wizard, young = run_django_child(WORKER).split()
    # The imports' objects (some 150,000) are out of every later full collection.
    assert int(frozen) > 50_000
    assert desk_views == wizard == "True"
    assert int(young) == 5000


def test_gunicorn_reads_the_settings_file_from_the_working_directory():
    done = subprocess.run(  # noqa: S603 - the gunicorn installed beside this interpreter
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config", "blipportal.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert re.search(r"^post_worker_init\s+= <post_worker_init\(\)>", done.stdout, re.M)
    assert re.search(r"^config\s+= \./gunicorn\.conf\.py", done.stdout, re.M)


def test_the_web_process_keeps_idle_connections_longer_than_a_proxy_does():
    """Behind the TLS proxy the proxy must be the one that closes an idle connection (nginx's
    upstream and AWS ALB's idle timeouts are 60 s): a connection gunicorn closes while the
    proxy sends a request on it answers 502."""
    web = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    keep_alive = re.search(r"--keep-alive \$\{WEB_KEEP_ALIVE:-(\d+)\}", web)
    assert keep_alive and int(keep_alive.group(1)) > 60
