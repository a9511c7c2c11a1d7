"""Unknown query parameters are refused (400), so a misspelt filter (`?stauts=draft`) is not
silently ignored into a list of everything.

What a route accepts is what its declaration says: the query parameters of its endpoint and
of every dependency it uses, read from the route's `dependant` (FastAPI's public model of an
endpoint's parameters): a walk over a handful of parameters, cheaper than caching it."""

from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

from app.core.errors import AppError


class UnknownQueryParameter(AppError):
    code = "request.unknown_query_parameter"
    status = 400
    title = "Unknown query parameter"


def _names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _names(dependency)
    return frozenset(names)


def accepted_query_parameters(route: Any) -> frozenset[str]:
    dependant = getattr(route, "dependant", None)
    return _names(dependant) if dependant is not None else frozenset()


async def refuse_unknown_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if route is None:
        return
    accepted = accepted_query_parameters(route)
    unknown = sorted(set(request.query_params) - accepted)
    if unknown:
        known = ", ".join(sorted(accepted)) or "none"
        raise UnknownQueryParameter(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; this operation accepts: {known}.",
            errors=[{"loc": ["query", name], "msg": f"unknown parameter (accepted: {known})",
                     "type": "unknown_parameter"} for name in unknown])
