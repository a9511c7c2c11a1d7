"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the
last a check character over the first 17."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    return (
        len(code) == 18
        and all(ch in ALPHABET for ch in code)
        and check_character(code[:17]) == code[17]
    )
