"""A pytest plugin: every Reason is produced by at least one test, or it goes.

While the suite runs, each reason the portal produces is recorded: every `ReasonError` built
(`core.reasons`), every JSON error answered (`core.web.json_error`), every log line that
carries a `reason`, every sign-in event saved with one (`accounts.SignInEvent`), and every
refresh outcome that names one (`accounts.refresh.Outcome`). When the whole suite ran (no file or node selection, no `-k`/`-m`, nothing
deselected, not stopped early), a reason nothing produced fails the run, listed by name.
`tests/test_reasons.py` constructs every failure type with a placeholder reason: what it
builds does not count.

`--reasons-check` forces the check on any selection; `--no-reasons-check` skips it.
"""
import functools
import logging
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Building reasons on purpose to test the types themselves proves nothing about production.
NOT_COUNTED = ("tests/test_reasons.py",)

_seen = set()
_current = {"nodeid": ""}
_state = {"deselected": 0, "missing": None, "why_not": ""}


def _record(reason):
    if _current["nodeid"].startswith(NOT_COUNTED):
        return
    from core.reasons import Reason

    try:
        _seen.add(Reason(reason))
    except ValueError:
        pass


class _ReasonLogHandler(logging.Handler):
    def emit(self, record):
        reason = getattr(record, "reason", None)
        if reason:
            _record(str(reason))


def _wrap_json_error():
    import core.web

    original = core.web.json_error
    if getattr(original, "_records_reasons", False):
        return

    @functools.wraps(original)
    def json_error(reason, *args, **kwargs):
        _record(reason)
        return original(reason, *args, **kwargs)

    json_error._records_reasons = True
    # Modules that imported the name before this ran hold the original: swap it there too.
    for module in list(sys.modules.values()):
        if getattr(module, "json_error", None) is original:
            module.json_error = json_error


def pytest_addoption(parser):
    group = parser.getgroup("reasons")
    group.addoption("--reasons-check", action="store_true", help="Check that every Reason was produced, whatever the selection.")
    group.addoption("--no-reasons-check", action="store_true", help="Skip the every-Reason-produced check.")


def pytest_configure(config):
    from core.reasons import ReasonError

    original = ReasonError.__init__
    if not getattr(original, "_records_reasons", False):
        @functools.wraps(original)
        def __init__(self, *args, **kwargs):
            original(self, *args, **kwargs)
            _record(self.reason)

        __init__._records_reasons = True
        ReasonError.__init__ = __init__


def _record_event(sender, instance, **kwargs):
    if getattr(instance, "reason", ""):
        _record(instance.reason)


def _wrap_init(cls):
    """Record the `reason` of every instance of `cls` (a value type that carries one)."""
    original = cls.__init__
    if getattr(original, "_records_reasons", False):
        return

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if getattr(self, "reason", None):
            _record(self.reason)

    __init__._records_reasons = True
    cls.__init__ = __init__


def pytest_sessionstart(session):
    from django.db.models.signals import post_save

    from accounts.refresh import Outcome

    _wrap_json_error()
    _wrap_init(Outcome)
    post_save.connect(_record_event, sender="accounts.SignInEvent", weak=False)
    logging.getLogger().addHandler(_ReasonLogHandler())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current["nodeid"] = item.nodeid
    try:
        return (yield)
    finally:
        _current["nodeid"] = ""


def pytest_deselected(items):
    _state["deselected"] += len(items)


def _why_not_whole(session):
    """Why this run is not the whole suite ('' when it is)."""
    config, option = session.config, session.config.option
    if option.keyword or option.markexpr:
        return "-k or -m selects tests"
    if getattr(option, "lf", False) or getattr(option, "failedfirst", False) or getattr(option, "collectonly", False):
        return "--lf, --ff or --collect-only"
    if _state["deselected"]:
        return f"{_state['deselected']} test(s) deselected"
    root = Path(str(config.rootpath)).resolve()
    for arg in config.args:
        path = Path(str(arg).split("::", 1)[0])
        path = (Path(str(config.invocation_params.dir)) / path).resolve()
        if "::" in str(arg) or path not in (TESTS, root):
            return f"only {arg} selected"
    if session.shouldstop or session.shouldfail:
        return "the run stopped early"
    return ""


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist: a worker's reasons join the controller's."""
    _seen.update(Reason_of(code) for code in getattr(node, "workeroutput", {}).get("reasons_seen", []))


def Reason_of(code):
    from core.reasons import Reason

    return Reason(code)


def pytest_sessionfinish(session, exitstatus):
    option = session.config.option
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker: the controller decides
        session.config.workeroutput["reasons_seen"] = sorted(str(reason) for reason in _seen)
        return
    if option.no_reasons_check:
        return
    why_not = "" if option.reasons_check else _why_not_whole(session)
    if why_not or exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        _state["why_not"] = why_not or "the run did not complete"
        return
    from core.reasons import Reason

    _state["missing"] = sorted(reason.value for reason in Reason if reason not in _seen)
    if _state["missing"]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    missing = _state["missing"]
    if missing is None:
        if _state["why_not"]:
            terminalreporter.write_line(f"reasons check: not run ({_state['why_not']}; --reasons-check forces it)")
        return
    if missing:
        terminalreporter.section("reasons never produced", sep="=", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(missing)} Reason(s) in core/reasons.py were produced by no test "
            "(no ReasonError built, no JSON error answered, no log line carried them):", red=True)
        for code in missing:
            terminalreporter.write_line(f"  {code}")
        terminalreporter.write_line("Write a test that produces each, or remove the reason.")
    else:
        terminalreporter.write_line(f"reasons check: all {len(_seen)} reasons produced by at least one test")
