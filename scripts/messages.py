"""Extract every translatable string into the app's (or the project's) pt_BR catalogue, then
compile. Run from the project root: `make messages`. Each app keeps its own catalogue, so work on
one app never conflicts with another's translations."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = [".venv", "tests", "bench", "scripts", "staticfiles", "media", "screenshots"]


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "blipportal.settings", "DJANGO_DEBUG": "1"}
    for app in ("bots", "desk", "campaigns", "api"):
        (ROOT / app / "locale").mkdir(exist_ok=True)
    ignores = [arg for name in IGNORE for arg in ("--ignore", name)]
    manage = [sys.executable, "manage.py"]
    for domain in ("django", "djangojs"):
        cmd = [
            *manage,
            "makemessages",
            "-l",
            "pt_BR",
            "-d",
            domain,
            "--no-obsolete",
            "--no-location",
            *ignores,
        ]
        if domain == "djangojs":
            cmd += ["-e", "js"]
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)  # noqa: S603 (fixed argv)
    subprocess.run(  # noqa: S603 (fixed argv)
        [*manage, "compilemessages", *ignores], cwd=ROOT, env=env, check=True
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
