"""Who may write what (SPEC §1): every role against every write operation of the OpenAPI
document. The expected table is written here from the SPEC, not read from the code; a new
write operation fails the suite until it has a row.

Each request aims at a record that does not exist, with an empty body: a role the gate
refuses gets 403 `forbidden` before anything else is looked at, and a role it lets through
gets the 404 or 422 that follow, so nothing is ever changed."""

import pytest

from app.core.permissions import Role

ALL = frozenset(Role)
ADMIN = frozenset({Role.admin})
# Reps, heads, deputy GMs and the GM work the sales documents they see; admin maintains data.
SALES = frozenset({Role.sales_rep, Role.dept_head, Role.deputy_gm, Role.gm, Role.admin})
# Approvers are named by the policy (any role, or a delegate); the auditor only reads and the
# ERP account is a machine.
DECIDERS = ALL - {Role.auditor, Role.integration}

EXPECTED: dict[str, frozenset[Role]] = {
    "approve_request": DECIDERS,
    "reject_request": DECIDERS,
    "preview_approval": ALL,  # a POST that only reads
    "put_approval_policy": ADMIN,
    "create_delegation": DECIDERS,
    "revoke_delegation": DECIDERS,
    **dict.fromkeys(("create_contract", "update_contract", "submit_contract", "recall_contract",
                     "sign_contract", "amend_contract", "terminate_contract",
                     "recall_termination"), SALES),
    # Orders are worked by the sales line; logistics plans their delivery dates, and closes
    # with the managers what will not be delivered.
    **dict.fromkeys(("create_order", "update_order", "submit_order", "recall_order",
                     "cancel_order"), SALES),
    "schedule_order": frozenset({Role.logistics, Role.admin}),
    **dict.fromkeys(("create_visit", "update_visit", "submit_visit", "recall_visit",
                     "cancel_visit", "report_visit"), SALES),
    "close_order": frozenset({Role.dept_head, Role.deputy_gm, Role.gm, Role.logistics,
                              Role.admin}),
    **dict.fromkeys(("create_quote", "update_quote", "submit_quote", "recall_quote",
                     "send_quote", "accept_quote", "decline_quote", "revise_quote"), SALES),
    **dict.fromkeys(("create_opportunity", "update_opportunity", "move_opportunity_stage",
                     "submit_opportunity_proposal", "recall_opportunity_proposal",
                     "win_opportunity", "lose_opportunity"), SALES),
    # Web forms and exhibitions arrive through the integration account.
    "create_lead": frozenset({Role.sales_rep, Role.dept_head, Role.gm, Role.admin,
                              Role.integration}),
    "import_leads": frozenset({Role.sales_rep, Role.dept_head, Role.gm, Role.admin,
                               Role.integration}),
    **dict.fromkeys(("update_lead", "contact_lead", "qualify_lead", "disqualify_lead",
                     "convert_lead"), SALES),
    "assign_lead": frozenset({Role.dept_head, Role.deputy_gm, Role.gm, Role.admin}),
    "create_customer": frozenset({Role.sales_rep, Role.dept_head, Role.gm, Role.admin}),
    "import_customers": frozenset({Role.sales_rep, Role.dept_head, Role.gm, Role.admin}),
    # Finance edits credit terms only; the service refuses it the other fields.
    "update_customer": frozenset({Role.sales_rep, Role.dept_head, Role.deputy_gm, Role.gm,
                                  Role.finance, Role.admin}),
    "delete_customer": ADMIN,
    **dict.fromkeys(("create_product", "update_product", "delete_product",
                     "create_department", "update_department", "delete_department",
                     "import_calendar_days", "import_official_days", "set_calendar_day",
                     "delete_calendar_day"), ADMIN),
    # The sales line plans deliveries of the orders it sees, and logistics plans them all;
    # the warehouse (logistics) and the ERP/WMS (integration) record what really moved.
    **dict.fromkeys(("create_delivery", "update_delivery", "cancel_delivery"),
                    frozenset({Role.sales_rep, Role.dept_head, Role.deputy_gm, Role.gm,
                               Role.logistics, Role.admin})),
    **dict.fromkeys(("ship_delivery", "receive_delivery"),
                    frozenset({Role.logistics, Role.integration, Role.admin})),
    # Customer service also takes goods back, as a complaint's return remedy.
    "record_delivery_return": frozenset({Role.logistics, Role.integration,
                                         Role.customer_service, Role.admin}),
    # Finance invoices milestones and asks for write-offs; money received is recorded by
    # finance or arrives from the bank/ERP (integration); the sales line and finance collect.
    "create_receivable": frozenset({Role.finance, Role.admin}),
    **dict.fromkeys(("record_receivable_payment", "create_payment"),
                    frozenset({Role.finance, Role.integration, Role.admin})),
    **dict.fromkeys(("request_receivable_write_off", "recall_receivable_write_off",
                     "credit_receivable"), frozenset({Role.finance, Role.admin})),
    "record_receivable_dunning": frozenset({Role.sales_rep, Role.dept_head, Role.deputy_gm,
                                            Role.gm, Role.finance, Role.admin}),
    # Plans are drafted by those who answer for a department (SPEC §4); their approvers
    # decide through /approvals. A target is acknowledged by its rep (a head may hold one).
    **dict.fromkeys(("create_sales_plan", "update_sales_plan", "submit_sales_plan",
                     "recall_sales_plan", "cancel_sales_plan", "revise_sales_plan",
                     "allocate_sales_plan"),
                    frozenset({Role.dept_head, Role.deputy_gm, Role.gm, Role.admin})),
    "acknowledge_sales_target": frozenset({Role.sales_rep, Role.dept_head, Role.admin}),
    # Budgets: heads for their department, finance for all; the GM decides, never drafts.
    **dict.fromkeys(("create_expense_budget", "update_expense_budget", "submit_expense_budget",
                     "recall_expense_budget", "record_expense", "request_expense_override",
                     "recall_expense_override"),
                    frozenset({Role.dept_head, Role.finance, Role.admin})),
    "set_growth_target": frozenset({Role.deputy_gm, Role.gm, Role.admin}),
    **dict.fromkeys(("create_deviation_analysis", "update_deviation_analysis",
                     "submit_deviation_analysis", "recall_deviation_analysis",
                     "complete_deviation_measure"),
                    frozenset({Role.dept_head, Role.deputy_gm, Role.admin})),
    # Complaints (SPEC §3): taken in by customer service, the sales line for the customers
    # it sees and the ERP; followed through by customer service; investigated by the
    # responsible department's head; reviewed and verified by quality; remedies by customer
    # service, and refunds by finance too.
    "create_complaint": frozenset({Role.sales_rep, Role.dept_head, Role.deputy_gm, Role.gm,
                                   Role.customer_service, Role.integration, Role.admin}),
    **dict.fromkeys(("assign_complaint", "negotiate_complaint", "give_complaint_feedback",
                     "close_complaint"), frozenset({Role.customer_service, Role.admin})),
    "determine_complaint": frozenset({Role.dept_head, Role.admin}),
    **dict.fromkeys(("submit_complaint_capa", "recall_complaint_capa", "track_complaint"),
                    frozenset({Role.dept_head, Role.customer_service, Role.admin})),
    **dict.fromkeys(("review_complaint", "verify_complaint"),
                    frozenset({Role.quality, Role.admin})),
    "record_complaint_remedy": frozenset({Role.customer_service, Role.finance, Role.admin}),
    **dict.fromkeys(("create_webhook", "update_webhook", "delete_webhook",
                     "rotate_webhook_secret", "test_webhook", "replay_webhook",
                     "retry_webhook_delivery"), ADMIN),
}

WRITE_METHODS = ("post", "put", "patch", "delete")


def write_operations(openapi: dict) -> dict[str, tuple[str, str, dict]]:
    """operation id → (method, path, operation) for every write in the document."""
    return {operation["operationId"]: (method, path, operation)
            for path, item in openapi["paths"].items()
            for method, operation in item.items() if method in WRITE_METHODS}


def _absent(parameter: dict) -> str:
    schema = parameter.get("schema", {})
    if schema.get("type") == "integer":
        return "987654321"
    if schema.get("format") == "date":
        return "2999-12-31"
    return "nosuch"


def _url(path: str, operation: dict) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", _absent(parameter))
    return path


def test_every_write_operation_has_a_row(app):
    operations = set(write_operations(app.openapi()))
    assert operations == set(EXPECTED), (
        f"without a row here: {sorted(operations - set(EXPECTED))}, gone from the API: "
        f"{sorted(set(EXPECTED) - operations)}; a new write operation also needs its row in "
        "OPERATION_CAPABILITIES (app/core/permissions.py), or the gate refuses it to everyone")


def test_the_gate_is_documented_where_it_refuses(app):
    for operation_id, (_method, _path, operation) in write_operations(app.openapi()).items():
        if EXPECTED[operation_id] != ALL:
            assert "`forbidden`" in operation["responses"]["403"]["description"], operation_id


@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
async def test_role_matrix(client, app, headers_for, operation_id):
    method, path, operation = write_operations(app.openapi())[operation_id]
    body = {"json": {}} if "requestBody" in operation else {}
    wrong = []
    for role in Role:
        headers = headers_for(role.value, dept="east",
                              depts=["east"] if role == Role.deputy_gm else None)
        response = await client.request(method, _url(path, operation), headers=headers, **body)
        problem = response.json() if response.content else {}
        if role in EXPECTED[operation_id]:
            if response.status_code not in (404, 422):
                wrong.append(f"{role}: {response.status_code} {problem.get('code')}")
        elif (response.status_code, problem.get("code"), problem.get("operation")) != (
                403, "forbidden", operation_id):
            wrong.append(f"{role}: {response.status_code} {problem.get('code')}, expected 403")
        else:
            assert response.headers["content-type"].startswith("application/problem+json")
    assert not wrong, f"{method.upper()} {path}: " + "; ".join(wrong)
