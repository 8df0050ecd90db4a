"""Issue 13: `check --deploy` with the documented production variables is clean (README)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7Gq2v-9Lk_pR4tW8zYb3nM6cF1hJ5dS0aE2uI7oP9lK3jH6gF4dS8aQ1wE5rT7y",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "DJANGO_HSTS_PRELOAD": "1",
}


def deploy_check(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_"))}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="blipportal.settings", **overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_the_production_variables():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_a_missing_variable_weakens():
    result = deploy_check(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SSL redirect
    assert "security.W004" in result.stderr + result.stdout  # HSTS
