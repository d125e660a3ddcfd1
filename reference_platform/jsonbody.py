"""Request bodies parsed so that no document can crash a handler later: a JSON value nested past
MAX_DEPTH, a string with a lone UTF-16 surrogate (unencodable when sent on to a provider) or a
non-finite number (unencodable when echoed) is refused with the path where it sits."""

import json
import math
import re

MAX_DEPTH = 32  # far beyond any driver or webhook body
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BadBody(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def parse(raw: bytes):
    """The JSON value of `raw`; BadBody(path, message) for a hostile one; json's ValueError when
    `raw` is not JSON at all."""
    non_finite = []

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            non_finite.append(text)
        return value

    try:
        value = json.loads(raw, parse_float=number, parse_constant=lambda text: number(text))
    except RecursionError:
        raise BadBody("", f"nested deeper than {MAX_DEPTH} levels") from None
    if non_finite or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH or _SURROGATE_ESCAPE.search(raw):
        _check(value)
    return value


def _check(value) -> None:
    stack = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            raise BadBody(path, "must be a finite number")
        if isinstance(node, str) and not _encodable(node):
            raise BadBody(path, "holds a lone UTF-16 surrogate")
        if isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise BadBody(path, f"nested deeper than {MAX_DEPTH} levels")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str) and not _encodable(key):
                    raise BadBody(path, "a key holds a lone UTF-16 surrogate")
                child_path = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)
                stack.append((child, child_path, depth + 1))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
