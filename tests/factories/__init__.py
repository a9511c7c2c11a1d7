"""Plain async builders with keyword defaults; each creates missing parents."""

from app.core.permissions import Role
from app.core.security import Principal

FACTORY_ADMIN = Principal(sub="factory", roles=frozenset({Role.admin}))
