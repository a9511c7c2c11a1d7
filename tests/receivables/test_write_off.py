"""A write-off (坏账核销) goes through the approval kernel, finance → gm: approved, the
receivable is written off and leaves the exposure; rejected or recalled, it is owed again
as its payments left it."""

from tests.receivables.conftest import ok, refused


async def _decide(desk, receivable: dict, verdict: str, *deciders: dict) -> None:
    request_id = receivable["approval"]["id"]
    for headers in deciders:
        body = {} if verdict == "approve" else {"comment": "客户仍在经营, 继续催收"}
        ok(await desk.client.post(f"/api/v1/approvals/{request_id}/{verdict}",
                                  headers=headers, json=body))


class TestWriteOff:
    async def test_approved_by_finance_then_the_gm(self, desk):
        receivable = await desk.shipped_receivable()
        ok(await desk.pay(receivable["id"], "130.00"), 201)
        pending = ok(await desk.post(receivable["id"], "write-off", {"reason": "客户破产"}))
        assert (pending["status"], pending["write_off_reason"]) == ("pending_write_off", "客户破产")
        assert [s["steps"][0]["role"] for s in pending["approval"]["stages"]] == ["finance", "gm"]
        refused(await desk.pay(pending["id"], "1.00", "B-9"), 409, "receivable.not_payable")
        # The requester does not approve their own request; a colleague does, then the GM.
        await _decide(desk, pending, "approve", desk.company.finance2, desk.company.gm)
        done = await desk.read(receivable["id"])
        assert (done["status"], done["balance"]) == ("written_off", "1000.00")
        assert done["written_off_at"] is not None and done["allowed_actions"] == []
        assert await desk.receivables_open() == "0.00"
        types = [e.type for e in await desk.events(f"receivable:{receivable['id']}")]
        assert types == ["receivable.issued", "receivable.write_off_requested",
                         "receivable.written_off"]

    async def test_rejected_it_is_partially_paid_again(self, desk):
        receivable = await desk.shipped_receivable()
        ok(await desk.pay(receivable["id"], "130.00"), 201)
        pending = ok(await desk.post(receivable["id"], "write-off", {"reason": "无法联系"}))
        await _decide(desk, pending, "reject", desk.company.finance2)
        back = await desk.read(receivable["id"])
        assert (back["status"], back["balance"], back["rejection_reason"]) == (
            "partially_paid", "1000.00", "客户仍在经营, 继续催收")
        assert await desk.receivables_open() == "1000.00"
        ok(await desk.pay(receivable["id"], "1000.00", "B-10"), 201)

    async def test_recalled_by_the_requester_it_is_open_again(self, desk):
        receivable = await desk.shipped_receivable()
        ok(await desk.post(receivable["id"], "write-off", {"reason": "无法联系"}))
        refused(await desk.post(receivable["id"], "write-off/recall",
                                headers=desk.company.finance2), 403, "approval.not_submitter")
        back = ok(await desk.post(receivable["id"], "write-off/recall"))
        assert (back["status"], back["balance"]) == ("open", "1130.00")

    async def test_only_what_is_owed_and_only_by_finance(self, desk):
        receivable = await desk.shipped_receivable()
        refused(await desk.post(receivable["id"], "write-off", {"reason": "x"},
                                headers=desk.company.gm), 403, "forbidden")
        ok(await desk.pay(receivable["id"], "1130.00"), 201)
        refused(await desk.post(receivable["id"], "write-off", {"reason": "x"}), 409,
                "receivable.not_write_offable")


async def test_the_recall_takes_the_version_it_saw(desk):
    receivable = await desk.shipped_receivable()
    pending = ok(await desk.post(receivable["id"], "write-off", {"reason": "无法联系"}))
    stale = {**desk.company.finance, "If-Match": f'"{pending["version"] - 1}"'}
    refused(await desk.post(receivable["id"], "write-off/recall", headers=stale), 412,
            "precondition_failed")
    fresh = {**desk.company.finance, "If-Match": f'"{pending["version"]}"'}
    assert ok(await desk.post(receivable["id"], "write-off/recall",
                              headers=fresh))["status"] == "open"
