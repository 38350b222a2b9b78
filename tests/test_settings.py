"""`.env.example` documents every setting the code reads."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def names_read():
    found = set()
    for path in ["cxone_portal/settings.py"]:
        found |= set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', (ROOT / path).read_text()))
    for path in ["gunicorn.conf.py", "simulator/management/commands/setup_demo.py"]:
        found |= set(re.findall(r'environ\.get\(\s*"([A-Z_]+)"', (ROOT / path).read_text()))
    return found


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = names_read()
    assert len(read) > 30
    assert read - documented == set()
    assert documented - read == set()
