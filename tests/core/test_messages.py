"""The message catalogue is complete: every problem code any AppError subclass (of any
domain, present or future) can answer has its title in both languages, every action,
state, role, condition and approval rule the service emits has its label or template.

Adding an error class without its line in app/core/messages.py PROBLEMS fails here."""

import ast
import re
import sys
from enum import StrEnum
from pathlib import Path
from string import Formatter
from typing import get_args

import pytest

from app.approvals.policy import Condition
from app.core.errors import _HTTP_CODES, AppError, Problem
from app.core.messages import (
    ACTIONS,
    BOUNDS,
    CONDITIONS,
    PROBLEMS,
    ROLES,
    RULES,
    STATES,
    VALIDATION,
)
from app.core.permissions import Role

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def error_classes() -> list[type[AppError]]:
    import app.main  # noqa: F401 - every router, so every error class is defined

    found, pending = [], [AppError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def names(template: str) -> set[str]:
    return {field for _text, field, _spec, _conv in Formatter().parse(template) if field}


ERRORS = error_classes()
CODES = sorted({cls.code for cls in ERRORS})


@pytest.mark.parametrize("code", CODES)
def test_every_problem_code_is_catalogued_in_both_languages(code):
    assert code in PROBLEMS, (
        f"{code!r} has no entry in app/core/messages.py PROBLEMS: add "
        f'"{code}": _p("<the class title>", "<中文标题>")')
    entry = PROBLEMS[code]
    assert entry.title.en.strip() and CJK.search(entry.title.zh), code
    titles = {cls.title for cls in ERRORS if cls.code == code}
    assert entry.title.en in titles, f"{code}: the English title is the class's, one of {titles}"


def test_the_codes_answered_outside_error_classes_are_catalogued():
    others = {code for code, _title in _HTTP_CODES.values()}
    others |= {"http_error", "internal_error", "not_ready"}
    assert others <= set(PROBLEMS)


def test_details_name_only_members_a_problem_has():
    members = set(Problem.__annotations__)
    for code, entry in PROBLEMS.items():
        for template in entry.zh_details:
            assert names(template) <= members, (code, template)
            assert CJK.search(template), (code, template)


def test_no_entry_is_left_for_a_code_nothing_answers():
    others = {code for code, _title in _HTTP_CODES.values()}
    others |= {"http_error", "internal_error", "not_ready"}
    assert set(PROBLEMS) - set(CODES) - others == set()


def _string_constants(function: ast.FunctionDef) -> set[str]:
    body = function.body[1:] if ast.get_docstring(function) else function.body
    return {node.value for statement in body for node in ast.walk(statement)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_every_allowed_action_has_a_label():
    actions: set[str] = set()
    for file in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "allowed_actions":
                actions |= _string_constants(node)
            # A router may set them itself (`read.allowed_actions = ["acknowledge"]`).
            if isinstance(node, ast.Assign) and any(
                    getattr(target, "attr", getattr(target, "id", None)) == "allowed_actions"
                    for target in node.targets) and isinstance(node.value, ast.List):
                actions |= {item.value for item in node.value.elts
                            if isinstance(item, ast.Constant) and isinstance(item.value, str)}
    assert len(actions) > 20  # the walk found the functions
    missing = sorted(actions - set(ACTIONS))
    assert not missing, f"add labels to ACTIONS in app/core/messages.py: {missing}"


def test_every_state_has_a_label():
    import app.models  # noqa: F401 - every domain's models

    values = {member.value for module in list(sys.modules.values())
              if getattr(module, "__name__", "").startswith("app.")
              for name, obj in vars(module).items()
              if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
              and name.endswith(("Status", "Stage")) for member in obj}
    assert {"pending_approval", "won", "written_off"} <= values
    missing = sorted(values - set(STATES))
    assert not missing, f"add labels to STATES in app/core/messages.py: {missing}"


def test_every_role_and_condition_has_a_label():
    assert {role.value for role in Role} <= set(ROLES)
    assert set(get_args(Condition)) | {"always"} <= set(CONDITIONS)


def test_every_rule_the_policy_fires_has_a_template():
    source = ast.parse((ROOT / "app/approvals/policy.py").read_text(encoding="utf-8"))
    fired = {node.args[0].value for node in ast.walk(source)
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "FiredRule"
             and node.args and isinstance(node.args[0], ast.Constant)}
    assert {"tier.selected", "band.selected", "stage.skipped"} <= fired
    assert fired <= set(RULES)
    for code, text in RULES.items():
        assert names(text.en) == names(text.zh), code
    for text in BOUNDS.values():
        assert names(text.en) == names(text.zh)


def test_validation_templates_are_chinese():
    assert all(CJK.search(message) for message in VALIDATION.values())
