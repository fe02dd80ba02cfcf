"""English normalisation in the default (readable) style, and the faithful style's known quirks."""

from __future__ import annotations

import pytest

from gpt_sovits.text.en.normalize import normalize_en


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # cardinals, ordinals, years, decimals, fractions, negatives, decades
        ("I have 3 apples and 12 oranges.", "I have three apples and twelve oranges."),
        ("Only 1,500 people.", "Only one thousand five hundred people."),
        ("She finished 1st and 22nd.", "She finished first and twenty-second."),
        ("Born in 1998, moved in 2005.", "Born in nineteen ninety-eight, moved in two thousand five."),
        ("Pi is 3.14.", "Pi is three point one four."),
        ("Add 3/4 cup.", "Add three fourths cup."),
        ("It dropped to -5 degrees.", "It dropped to negative five degrees."),
        ("In the 1990s.", "In the nineteen nineties."),
        # currency, percentages
        ("It costs $25.", "It costs twenty-five dollars."),
        ("It cost $1,250.50.", "It cost one thousand two hundred fifty dollars and fifty cents."),
        ("They earned $3.5 million.", "They earned three point five million dollars."),
        ("Pay €20 or £5.", "Pay twenty euros or five pounds."),
        ("Prices rose 12.5%.", "Prices rose twelve point five percent."),
        # times
        ("Leave at 10:30.", "Leave at ten thirty."),
        ("From 9am to 5pm.", "From nine A M to five P M."),
        ("At 7:05 p.m. sharp.", "At seven oh five P M sharp."),
        ("At 4:00.", "At four o'clock."),
        # abbreviations
        ("Dr. Smith lives on Main St.", "Doctor Smith lives on Main Street."),
        ("St. Louis and Mr. and Mrs. Brown.", "Saint Louis and Mister and Missus Brown."),
        ("Bring pens, etc.", "Bring pens, et cetera."),
        ("Apples, e.g. red ones, i.e. ripe.", "Apples, for example red ones, that is ripe."),
        ("The U.S. economy.", "The U S economy."),
        ("Room No. 5", "Room number five"),
        # units, phone numbers
        ("It weighs 3 kg and is 5 km away.", "It weighs three kilograms and is five kilometers away."),
        ("It is 20°C.", "It is twenty degrees Celsius."),
        ("Call 555-0123.", "Call five five five, oh one two three."),
        # web
        ("Mail jo.doe@example.com now", "Mail jo dot doe at example dot com now"),
        ("See https://www.example.org/a-b.", "See W W W dot example dot org slash a dash b."),
        ("Visit openai.com.", "Visit openai dot com."),
        # punctuation
        ("Yes; no: maybe.", "Yes, no, maybe."),
        ("He said “I’ll go”.", "He said I'll go."),
        ("Really?! Wow!!", "Really? Wow!"),
        ("Well — I'm not sure…", "Well, I'm not sure."),
    ],
)
def test_readable_normalisation(text, want):
    assert normalize_en(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("The temperature dropped to -5 degrees.", "The temperature dropped tonegative five degrees."),
        ("Yes; no; maybe.", "Yes no maybe."),
        ("NASA and iOS", "N A S A and i O S"),
        ("3.5.7.9", "three point five.seven point nine"),
        ("The train leaves at 10:30.", "The train leaves at ten thirty a.m."),
        ("Born in 1998. Then", "Born in one thousand, nine hundred and ninety-eighth, Then"),
    ],
)
def test_faithful_quirks_are_kept(text, want):
    assert normalize_en(text, faithful=True) == want


def test_output_alphabet():
    out = normalize_en("Ωmega ç 你好 #1 & 2 @home ½ ™ ü")
    assert set(out) <= set(" abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.,?!-")
