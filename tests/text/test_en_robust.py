"""Any Unicode string goes through the English front-end without errors, giving only v2 symbols."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpt_sovits.errors import UnsupportedText
from gpt_sovits.text.en.g2p import g2p_en, symbols_v2

_TRICKY = st.sampled_from(
    list("0123456789$€£¥%:;.,!?'\"-–—/+×÷=°#@&()[]…’“”")
    + [
        "1,234",
        "3.5",
        "10:30",
        "1st",
        "$1.2.3",
        "(5$",
        "$,5",
        "12/0",
        "9" * 80,
        "-7",
        "a.m.",
        "U.S.",
        "http://x.y/z?q=1",
        "a@b.co",
        "NASA",
        "iOS",
        "x's",
        "ün",
        "ß",
        "İ",
        "\n",
        "\t",
        "  ",
        "é" * 3,
    ]
)
_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(_TRICKY, st.text(max_size=4)), max_size=12).map(" ".join),
    st.lists(_TRICKY, max_size=10).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, faithful=st.booleans())
def test_any_text_gives_symbols_or_unsupported(text, faithful):
    try:
        result = g2p_en(text, faithful=faithful)
    except UnsupportedText:
        return
    assert isinstance(result.norm_text, str)
    assert len(result.phones) >= 1
    assert set(result.phones) <= symbols_v2()


def test_pathological_inputs_do_not_raise():
    cases = [
        "9" * 5000 + "$",
        "£" + "9" * 5000,
        " + ".join(["1"] * 300),
        "a" * 300,
        "1/" + "2" * 5000,
        "7" * 4400 + "th",
        "a-" * 500 + "a",
        "1," * 500,
    ]
    for text in cases:
        for faithful in (False, True):
            phones = g2p_en(text, faithful=faithful).phones
            assert phones and set(phones) <= symbols_v2()
