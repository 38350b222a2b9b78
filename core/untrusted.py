"""Reading what an OpenID Provider or CXone's APIs send: bounded, then parsed.

Plain Python (no Django): the protocol layers call these on responses requested with
`stream=True`. A body is read in chunks up to a size limit and a wall-clock deadline, so a
300 MB answer or a slow drip costs at most `limit` bytes and `deadline` seconds; JSON that
is not plain data (NaN, Infinity, nesting deep enough to exhaust the stack) is refused.
"""
import json
import time

MAX_BODY = 256 * 1024


class UntrustedBodyError(ValueError):
    """The body is too large, too slow, or not the JSON it claims to be."""


def read_body(response, *, limit=MAX_BODY, timeout=None, clock=time.monotonic):
    """The body, at most `limit` bytes and `timeout` seconds of `clock` (the caller's own, so a
    read and the deadline it is part of agree: tests inject one)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        response.close()
        raise UntrustedBodyError("too large")
    deadline = clock() + timeout if timeout else None
    chunks, size = [], 0
    try:
        while True:
            # read1: whatever one receive brings (a slow drip cannot hold a read open for
            # long); the deadline bounds the whole body, not each receive.
            chunk = response.raw.read1(16384, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise UntrustedBodyError("too large")
            if deadline is not None and clock() > deadline:
                raise UntrustedBodyError("too slow")
            chunks.append(chunk)
    except UntrustedBodyError:
        response.close()
        raise
    except Exception as exc:  # urllib3's read errors: timeouts, resets, bad chunking, bad gzip
        response.close()
        raise UntrustedBodyError(f"read failed ({type(exc).__name__})") from exc
    return b"".join(chunks)


def _refuse_constant(name):
    raise UntrustedBodyError(f"{name} is not a JSON number")


def parse_json(body):
    """JSON as data: no NaN or Infinity, no nesting that would exhaust the stack."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise UntrustedBodyError("nested too deeply")
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UntrustedBodyError("not JSON") from exc


def read_json(response, *, limit=MAX_BODY, timeout=None):
    return parse_json(read_body(response, limit=limit, timeout=timeout))
