"""One domain error: no error class outside inspect_app/errors.py, no `abort` in a service or the lifecycle.

Read from the source (ast), so a new `class SomethingError(Exception)` anywhere in the package, or an
`abort(404)` slipped into a service, fails here before it reaches a route.
"""
import ast
import builtins
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "inspect_app"

# Exceptions that are not refusals for a user: each is caught inside its own module (or never meant to
# reach a request) and is named here with the reason, so a new one is a decision, not an accident.
NOT_DOMAIN_ERRORS = {
    ("idempotency.py", "Duplicate"): "a control-flow signal: create_once treats it as a clash and answers "
                                     "with the first request's result; never shown to anyone",
    ("media/storage.py", "InvalidKey"): "a programming guard (ValueError) on storage keys the code builds "
                                        "itself; no user input reaches it",
    ("documents/xlsx_guard.py", "RejectedWorkbook"): "a ValueError inside parsing: the importers turn it into "
                                                      "their row-error list, it never reaches a route",
    ("media/processing.py", "RejectedUpload"): "not yet converted: carries retry_after (503 busy), answered "
                                               "as JSON with a Retry-After header by the upload routes",
    ("locking.py", "EditConflict"): "not yet converted: carries the refused record for the side-by-side "
                                    "conflict view (locking.rebase), caught apart from other refusals",
}


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _exception_classes() -> dict[tuple[str, str], int]:
    """(module path under inspect_app, class name) → line of every class deriving from an exception:
    a builtin one, or one defined in the package (followed until nothing new is found)."""
    classes = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                         for b in node.bases}
                classes.append((path.relative_to(PACKAGE).as_posix(), node.name, bases, node.lineno))
    builtin = {name for name, value in vars(builtins).items()
               if isinstance(value, type) and issubclass(value, BaseException)}
    known = set(builtin)
    found: dict[tuple[str, str], int] = {}
    while True:
        new = {(module, name): line for module, name, bases, line in classes
               if bases & known and (module, name) not in found}
        if not new:
            return found
        found.update(new)
        known |= {name for _module, name in new}


def test_no_error_class_outside_errors_py():
    defined = _exception_classes()
    assert ("errors.py", "DomainError") in defined       # the walk does see exception classes
    strays = sorted(f"{module}:{line} class {name}" for (module, name), line in defined.items()
                    if module != "errors.py" and (module, name) not in NOT_DOMAIN_ERRORS)
    assert strays == [], "raise inspect_app.errors.DomainError(message, status, field) instead"


def test_every_exemption_still_exists():
    """An exemption whose class is gone is removed, so the list shows only what is really left."""
    assert set(NOT_DOMAIN_ERRORS) <= set(_exception_classes())


def _service_modules():
    return [p for p in _modules() if p.name == "service.py" or p.name == "lifecycle.py"]


@pytest.mark.parametrize("path", _service_modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_services_and_the_lifecycle_never_abort(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "abort")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "abort"))]
    imports = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and any(alias.name == "abort" for alias in node.names)]
    assert (calls, imports) == ([], []), "raise DomainError(message, status=404/403) instead of abort"


def test_the_service_modules_are_found():
    names = {p.relative_to(PACKAGE).as_posix() for p in _service_modules()}
    assert {"rectification/service.py", "visits/service.py", "jobs/service.py",
            "rectification/lifecycle.py"} <= names


def test_the_domain_error_needs_no_flask():
    """errors.py is plain Python, so the pure lifecycle may raise DomainError."""
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | \
        {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__"}
