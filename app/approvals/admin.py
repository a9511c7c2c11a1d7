"""Editing the approval policy (admin): each save is a new, audited version."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.models import ApprovalPolicyVersion
from app.approvals.policy import PolicyDocument
from app.approvals.requests import current_policy
from app.core.db import commit_or_raise, utcnow
from app.core.errors import Conflict
from app.core.permissions import Capability, require
from app.core.security import Principal
from app.core.versioning import ensure_version
from app.events.changes import record_change


class PolicyChanged(Conflict):
    code = "approval.policy_changed"
    title = "Another policy version was saved at the same time; reload and retry"


async def save_policy(
    session: AsyncSession, principal: Principal, *, document: PolicyDocument,
    expected_version: int | None,
) -> tuple[int, PolicyDocument]:
    require(principal, Capability.approval_policy_write)
    version, previous = await current_policy(session)
    ensure_version(version, expected_version)
    new_version = version + 1
    session.add(ApprovalPolicyVersion(version=new_version, document=document.model_dump(mode="json"),
                                      created_at=utcnow(), created_by=principal.sub))
    record_change(session, principal, event_type="approval_policy.updated",
                  entity_type="approval_policy", entity_id=new_version,
                  before={"version": version, "policy": previous.model_dump(mode="json")},
                  after={"version": new_version, "policy": document.model_dump(mode="json")})
    # Two admins saving at once both computed the same next version: the primary key
    # lets one win and the other learn it lost.
    await commit_or_raise(session, PolicyChanged())
    return new_version, document
