"""The audit log as a file (`GET /audit-log?format=csv|xlsx`)."""

import json
from collections.abc import Callable
from typing import Any

from app.core.export import Column, Export
from app.core.messages import DOCUMENT_TYPES


def _json(attribute: str) -> Callable[[Any], str | None]:
    """A record's state before or after, as the JSON the entry holds (Chinese kept as it is)."""
    def get(entry: Any) -> str | None:
        value = getattr(entry, attribute)
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return get


AUDIT_LOG = Export("audit-log", "审计日志", [
    Column("id", "Entry", "序号", "integer"),
    Column("occurred_at", "Time", "时间", "datetime"),
    Column("actor_name", "Actor", "操作人"),
    Column("actor_id", "Actor ID", "操作人账号"),
    Column("on_behalf_of_id", "On behalf of", "代理对象账号"),
    Column("action", "Action", "操作"),
    Column("entity_type", "Record type", "对象类型", "label", labels=DOCUMENT_TYPES),
    Column("entity_id", "Record ID", "对象ID"),
    Column("before", "Before", "变更前", get=_json("before")),
    Column("after", "After", "变更后", get=_json("after")),
    Column("request_id", "Request ID", "请求ID"),
])
