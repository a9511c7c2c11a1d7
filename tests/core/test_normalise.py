"""Normalised phone numbers, e-mails and company names: the keys duplicates are found by."""

import pytest

from app.core.normalise import InvalidPhone, company_key, normalise_email, normalise_phone


@pytest.mark.parametrize(("raw", "e164", "extension"), [
    ("13812345678", "+8613812345678", None),
    ("138 1234 5678", "+8613812345678", None),
    ("138-1234-5678", "+8613812345678", None),
    ("+86 138 1234 5678", "+8613812345678", None),
    ("+86-13812345678", "+8613812345678", None),
    ("(+86) 138 1234 5678", "+8613812345678", None),
    ("0086 13812345678", "+8613812345678", None),
    ("8613812345678", "+8613812345678", None),
    ("１３８１２３４５６７８", "+8613812345678", None),  # full-width digits
    ("＋８６ １３８ １２３４ ５６７８", "+8613812345678", None),
    ("021-5555 0000", "+862155550000", None),
    ("(021) 55550000", "+862155550000", None),
    ("+86 21 5555 0000", "+862155550000", None),
    ("+86 (0)21 5555 0000", "+862155550000", None),
    ("010-62345678", "+861062345678", None),
    ("0571-88886666", "+8657188886666", None),
    ("0755 8601 3388", "+8675586013388", None),
    ("0913-2345678", "+869132345678", None),  # three-digit area code, seven-digit number
    ("021-55550000 转 8021", "+862155550000", "8021"),
    ("021-55550000转8021", "+862155550000", "8021"),
    ("021 5555 0000 ext. 12", "+862155550000", "12"),
    ("021 5555 0000 x12", "+862155550000", "12"),
    ("400-820-8820", "+864008208820", None),
    ("+86 400 820 8820", "+864008208820", None),
    ("800 810 8888", "+868008108888", None),
    ("+1 415 555 0100", "+14155550100", None),
    ("0049 30 1234567", "+49301234567", None),
])
def test_accepted_forms(raw, e164, extension):
    phone = normalise_phone(raw)
    assert (phone.e164, phone.extension) == (e164, extension)


@pytest.mark.parametrize(("raw", "reason"), [
    ("5555 0000", "no area code"),
    ("12812345678", "neither a Chinese mobile"),  # 12x is not a mobile prefix
    ("1381234567", "neither a Chinese mobile"),  # ten digits
    ("138123456789", "neither a Chinese mobile"),
    ("021-1555 0000", "not a Chinese landline"),  # local numbers never start with 1
    ("010-5555000", "not a Chinese landline"),  # Beijing numbers have eight digits
    ("+1 555", "not an international number"),
    ("+", "digits, spaces"),
    ("call me", "digits, spaces"),
    ("138 1234 5678; 139 0000 0000", "digits, spaces"),
])
def test_refused_forms_say_why(raw, reason):
    with pytest.raises(InvalidPhone, match=reason):
        normalise_phone(raw)


def test_email_is_compared_without_case():
    assert normalise_email("  Wang.Li@Example.COM ") == "wang.li@example.com"


@pytest.mark.parametrize(("a", "b"), [
    ("杭州恒远化工有限公司", "杭州恒远化工"),
    ("杭州恒远化工有限公司", "杭州恒远化工 有限公司"),
    ("杭州恒远化工股份有限公司", "杭州恒远化工有限责任公司"),
    ("恒远（杭州）化工有限公司", "恒远(杭州)化工"),
    ("ＡＣＭＥ Ｐｕｍｐｓ", "acme pumps"),
    ("Acme Pumps Co., Ltd.", "ACME PUMPS"),
    ("Acme Pumps Limited", "acme-pumps inc"),
])
def test_same_company_in_other_spellings(a, b):
    assert company_key(a) == company_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("杭州恒远化工有限公司", "宁波恒远化工有限公司"),
    ("Costco", "Cost"),  # "co" is a legal word only on its own
    ("Acme Pumps", "Acme Valves"),
])
def test_different_companies_stay_apart(a, b):
    assert company_key(a) != company_key(b)


def test_a_name_that_is_only_a_legal_form_keeps_a_key():
    assert company_key("有限公司") == "有限公司"
    assert company_key("Ltd") == "ltd"
