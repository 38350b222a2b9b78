"""`.env.example` documents every setting the code reads; every model change has its migration."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def names_read():
    found = set()
    for path in ["cxone_portal/settings.py"]:
        found |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', (ROOT / path).read_text()))
    for path in ["gunicorn.conf.py", "simulator/management/commands/setup_demo.py"]:
        found |= set(re.findall(r'environ\.get\(\s*"([A-Z_]+)"', (ROOT / path).read_text()))
    found |= set(re.findall(r'os\.getenv\(\s*"([A-Z_]+)"', (ROOT / "simulator/api.py").read_text()))
    return found


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = names_read()
    assert len(read) > 30
    assert read - documented == set()
    assert documented - read == set()


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits non-zero when one is missing
