"""Every response a test receives through the `client` fixture is held to the OpenAPI
document: its status is declared for the operation, a refusal is problem+json, and the
headers the document promises (ETag, Location, WWW-Authenticate, Retry-After) are there.
So the whole suite checks that the contract is true, not only the fuzzer."""

import re
from typing import Any

import httpx

# Statuses no operation declares because any request may meet them: a header block over
# the limit, a fault (tests that inject one).
UNDECLARED = frozenset({"431", "500"})


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.routes: list[tuple[str, re.Pattern[str], dict[str, Any]]] = []
        for path, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$")
            for method, operation in item.items():
                self.routes.append((method.upper(), pattern, operation))

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        # Literal segments win over parameters, as in the router (/approvals/preview).
        matches = [(p.pattern.count("[^/]+"), op) for m, p, op in self.routes
                   if m == method and p.match(path)]
        return min(matches, key=lambda match: match[0])[1] if matches else None

    def check(self, response: httpx.Response) -> None:
        operation = self.operation(response.request.method, response.request.url.path)
        status = str(response.status_code)
        if operation is None or status in UNDECLARED:
            return
        where = f"{response.request.method} {response.request.url.path} → {status}"
        declared = operation["responses"].get(status)
        assert declared is not None, (
            f"{where}: status not declared for {operation['operationId']} "
            f"({response.text[:300]})")
        if status[0] in "45":
            assert response.headers.get("content-type") == "application/problem+json", where
        for name, header in declared.get("headers", {}).items():
            if header.get("required"):
                assert name in response.headers, f"{where}: no {name} header"
