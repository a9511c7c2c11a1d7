"""Amounts in Chinese capitals (人民币大写), as contracts, invoices and cheques write them:
`壹拾万元整` for 100,000.00, `壹仟元零伍分` for 1,000.05.

The digits are the anti-forgery forms (壹贰叁…); every unit is written, 拾 included (`壹拾万`,
never `拾万`); one 零 stands for any run of zeros inside the number, and none at the end of
a section; `整` closes an amount without 分."""

from decimal import Decimal

from app.core.money import round_money

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ("", "拾", "佰", "仟")
WAN, YI = 10**4, 10**8


def _below_ten_thousand(n: int) -> str:
    out, zero_pending = "", False
    for position in (3, 2, 1, 0):
        digit = n // 10**position % 10
        if digit:
            out += ("零" if zero_pending else "") + DIGITS[digit] + UNITS[position]
            zero_pending = False
        elif out:
            zero_pending = True
    return out


def _integer(n: int) -> str:
    """A positive integer: split at 亿, then at 万; a lower section that does not fill its
    highest place is preceded by one 零 (壹亿零壹万, 壹拾万零壹佰)."""
    for base, unit in ((YI, "亿"), (WAN, "万")):
        if n >= base:
            high, low = divmod(n, base)
            words = _integer(high) + unit
            if low:
                words += ("零" if low < base // 10 else "") + _integer(low)
            return words
    return _below_ten_thousand(n)


def in_capitals(amount: Decimal) -> str:
    """The amount, rounded half-up to the 分, in capitals; a negative one starts with 负."""
    cents = int(round_money(abs(amount)) * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    sign = "负" if amount < 0 and cents else ""
    words = _integer(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        return sign + (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    return sign + words + (DIGITS[fen] + "分" if fen else "整")
