"""Who sees and does what: visibility (a rep their customers' complaints, a head their
department's and those it investigates, customer service and quality all; others 404), the
role gate of every action (403 before the body is read), illegal transitions (409 with the
states allowed next), If-Match, Idempotency-Key, intake checks and the list's filters."""

from app.departments.models import Department
from tests.complaints.conftest import COMPLAINTS, ok, refused
from tests.factories.customers import create_customer

ACTIONS = {
    "assign": {"department_id": "east"},
    "determination": {"company_fault": True, "cause": "c", "report": "r"},
    "review": {"accepted": True, "explanation": "e"},
    "negotiation": {"reason": "r"},
    "capa": {"corrective_actions": "c", "preventive_actions": "p"},
    "tracking": {"note": "n"},
    "verification": {"effective": True, "report": "r"},
    "feedback": {"feedback": "f"},
    "close": {"satisfaction": 5},
    "remedies": {"kind": "repair", "description": "d"},
}


async def _west_customer(session) -> int:
    west = await session.get(Department, "west")
    return (await create_customer(session, department=west, owner_id="rep.west")).id


class TestVisibility:
    async def test_who_reads_a_complaint(self, helpdesk, session, headers_for):
        complaint = await helpdesk.taken()
        url = f"{COMPLAINTS}/{complaint['id']}"
        company = helpdesk.company
        for headers in (company.rep, company.head, company.vp, company.gm, company.finance,
                        helpdesk.cs, helpdesk.experts[0], helpdesk.erp,
                        headers_for("auditor", sub="audit.ma")):
            ok(await helpdesk.client.get(url, headers=headers))
        for headers in (company.other_rep,
                        headers_for("dept_head", sub="head.west", dept="west"),
                        headers_for("deputy_gm", sub="vp.west", depts=["west"])):
            refused(await helpdesk.client.get(url, headers=headers), 404,
                    "complaint.not_found")

    async def test_the_investigating_department_sees_it(self, helpdesk, session, headers_for):
        complaint = await helpdesk.assigned(await helpdesk.taken(), "west")
        west_head = headers_for("dept_head", sub="head.west", dept="west")
        read = await helpdesk.read(complaint["id"], west_head)
        assert read["allowed_actions"] == ["determination"]
        # The customer's own head sees it but does not investigate it.
        assert (await helpdesk.read(complaint["id"], helpdesk.company.head))[
            "allowed_actions"] == []
        refused(await helpdesk.act(complaint, "determination", ACTIONS["determination"],
                                   headers=helpdesk.company.head), 403, "complaint.forbidden")
        ok(await helpdesk.act(complaint, "determination", ACTIONS["determination"],
                              headers=west_head))

    async def test_the_list_is_what_one_sees(self, helpdesk, session):
        mine = await helpdesk.taken()
        theirs = await helpdesk.taken(customer_id=await _west_customer(session))

        async def ids(headers) -> list[int]:
            return [c["id"] for c in ok(await helpdesk.client.get(
                COMPLAINTS, headers=headers))["items"]]

        assert await ids(helpdesk.company.rep) == [mine["id"]]
        assert await ids(helpdesk.company.other_rep) == []
        assert await ids(helpdesk.company.head) == [mine["id"]]
        assert await ids(helpdesk.cs) == [theirs["id"], mine["id"]]
        assert await ids(helpdesk.experts[0]) == [theirs["id"], mine["id"]]


class TestIntake:
    async def test_reps_for_their_customers_and_the_erp(self, helpdesk, session):
        by_rep = ok(await helpdesk.take(headers=helpdesk.company.rep), 201)
        assert (by_rep["owner_id"], by_rep["department_id"]) == ("rep.zhang", "east")
        refused(await helpdesk.take(headers=helpdesk.company.other_rep), 422,
                "complaint.unknown_customer")
        ok(await helpdesk.take(headers=helpdesk.erp, channel="erp"), 201)
        for role in (helpdesk.experts[0], helpdesk.company.finance):
            refused(await helpdesk.take(headers=role), 403, "forbidden")

    async def test_the_order_and_delivery_are_the_customers(self, helpdesk, session):
        receivable = await helpdesk.desk.shipped_receivable()
        taken = await helpdesk.taken(delivery_id=receivable["delivery_id"])
        assert taken["order_id"] == receivable["order_id"]
        other = await _west_customer(session)
        refused(await helpdesk.take(customer_id=other, delivery_id=receivable["delivery_id"]),
                422, "complaint.unknown_document")
        refused(await helpdesk.take(customer_id=other, order_id=receivable["order_id"]), 422,
                "complaint.unknown_document")
        refused(await helpdesk.take(order_id=999999), 422, "complaint.unknown_document")
        refused(await helpdesk.take(customer_id=999999), 422, "complaint.unknown_customer")

    async def test_validation(self, helpdesk):
        for body in ({"category": "price"}, {"severity": "urgent"}, {"title": ""},
                     {"attachments": ["not a link"]}, {"unknown": 1}):
            refused(await helpdesk.take(**body), 422, "validation_error")
        taken = await helpdesk.taken(attachments=["https://files.example.com/leak.jpg"])
        assert taken["attachments"] == ["https://files.example.com/leak.jpg"]

    async def test_idempotency_key_replays_the_first_answer(self, helpdesk):
        headers = {**helpdesk.cs, "Idempotency-Key": "complaint-0001"}
        first = ok(await helpdesk.take(headers=headers), 201)
        again = ok(await helpdesk.take(headers=headers), 201)
        assert again["id"] == first["id"]
        listed = ok(await helpdesk.client.get(COMPLAINTS, headers=helpdesk.cs))["items"]
        assert [c["id"] for c in listed] == [first["id"]]


class TestRoleGate:
    """Each action, by a role that may not do it: 403 before anything else."""

    async def test_roles_without_the_capability_are_refused(self, helpdesk, headers_for):
        complaint = await helpdesk.taken()
        rep, expert, cs = helpdesk.company.rep, helpdesk.experts[0], helpdesk.cs
        auditor = headers_for("auditor", sub="audit.ma")
        refusals = {
            "assign": (rep, expert, helpdesk.erp, auditor),
            "determination": (rep, expert, cs, auditor),
            "review": (rep, cs, helpdesk.company.head, auditor),
            "negotiation": (rep, expert, auditor),
            "capa": (rep, expert, auditor),
            "tracking": (rep, expert, auditor),
            "verification": (rep, cs, auditor),
            "feedback": (rep, expert, auditor),
            "close": (rep, expert, helpdesk.company.head, auditor),
            "remedies": (rep, expert, helpdesk.company.head, auditor),
        }
        for action, roles in refusals.items():
            for headers in roles:
                refused(await helpdesk.act(complaint, action, ACTIONS[action],
                                           headers=headers), 403, "forbidden")
        assert (await helpdesk.read(complaint["id"]))["version"] == complaint["version"]


class TestTransitions:
    async def test_every_action_out_of_turn_is_409_with_what_may_follow(self, helpdesk):
        received = await helpdesk.taken()
        people = {"determination": helpdesk.company.head, "review": helpdesk.experts[0],
                  "verification": helpdesk.experts[0]}
        allowed_now = {"assign"}
        for action, body in ACTIONS.items():
            if action in allowed_now or action == "remedies":
                continue
            response = await helpdesk.act(received, action, body,
                                          headers=people.get(action, helpdesk.cs))
            if action == "determination":
                # Not yet assigned: no department investigates it yet.
                refused(response, 403, "complaint.forbidden")
                continue
            problem = refused(response, 409, "state.invalid_transition")
            assert (problem["current_status"], problem["allowed_next"]) == (
                "received", ["investigating"])

    async def test_a_closed_complaint_is_final(self, helpdesk):
        complaint = await helpdesk.explained()
        ok(await helpdesk.act(complaint, "close", {"satisfaction": 1}))
        problem = refused(await helpdesk.act(complaint, "assign", ACTIONS["assign"]), 409,
                          "state.invalid_transition")
        assert problem["allowed_next"] == []
        refused(await helpdesk.act(complaint, "close", {"satisfaction": 2}), 409,
                "state.invalid_transition")

    async def test_satisfaction_is_one_to_five(self, helpdesk):
        complaint = await helpdesk.explained()
        for score in (0, 6):
            refused(await helpdesk.act(complaint, "close", {"satisfaction": score}), 422,
                    "validation_error")
        assert ok(await helpdesk.act(complaint, "close", {"satisfaction": 1}))[
            "satisfaction"] == 1

    async def test_stale_if_match_is_412(self, helpdesk):
        complaint = await helpdesk.taken()
        response = await helpdesk.get(complaint["id"])
        assert response.headers["ETag"] == f'"{complaint["version"]}"'
        refused(await helpdesk.act(complaint, "assign", ACTIONS["assign"],
                                   if_match=complaint["version"] + 1), 412, "precondition_failed")
        ok(await helpdesk.act(complaint, "assign", ACTIONS["assign"],
                              if_match=complaint["version"]))

    async def test_unknown_department(self, helpdesk):
        complaint = await helpdesk.taken()
        refused(await helpdesk.act(complaint, "assign", {"department_id": "nowhere"}), 422,
                "complaint.unknown_department")


class TestList:
    async def test_filters_and_cursor_pages(self, helpdesk, session):
        quality = await helpdesk.taken()
        billing = await helpdesk.taken(category="billing", severity="low")
        other = await helpdesk.taken(customer_id=await _west_customer(session))
        await helpdesk.assigned(quality)

        async def ids(**params) -> list[int]:
            return [c["id"] for c in ok(await helpdesk.client.get(
                COMPLAINTS, headers=helpdesk.cs, params=params))["items"]]

        assert await ids(status="investigating") == [quality["id"]]
        assert await ids(category="billing") == [billing["id"]]
        assert await ids(severity="high") == [other["id"], quality["id"]]
        assert await ids(customer_id=helpdesk.company.customer_id) == [billing["id"],
                                                                        quality["id"]]
        refused(await helpdesk.client.get(COMPLAINTS, headers=helpdesk.cs,
                                          params={"colour": "red"}), 400,
                "request.unknown_query_parameter")
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = ok(await helpdesk.client.get(COMPLAINTS, headers=helpdesk.cs, params=params))
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [other["id"], billing["id"], quality["id"]]
