"""The English and Chinese string tables: the same keys and placeholders, and Markdown that renders
(CommonMark ignores ``**`` next to a space or CJK punctuation on the wrong side, leaving the stars
on screen)."""

from __future__ import annotations

import string

import pytest
from markdown_it import MarkdownIt

from gpt_sovits.asr import Transcript, check_transcript
from gpt_sovits.data.labels import LabelEntry
from ui.i18n import TABLES
from ui.labels_table import flag_of


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, zh = TABLES["en"], TABLES["zh"]
    assert sorted(set(en) ^ set(zh)) == []
    differing = [key for key in en if _fields(en[key]) != _fields(zh[key])]
    assert differing == [], f"placeholders differ between en and zh: {differing}"


@pytest.mark.parametrize("lang", sorted(TABLES))
def test_bold_markers_render(lang: str) -> None:
    md = MarkdownIt()
    left = [key for key, text in TABLES[lang].items() if "**" in text and "**" in md.render(text)]
    assert left == [], f"'**' would show as stars in {lang}: {left}"


@pytest.mark.parametrize("transcript", [
    Transcript("", "zh", -0.3, 0.01, 3.0), Transcript("好", "zh", -0.3, 0.01, 5.0),
    Transcript("哈" * 60, "zh", -0.3, 0.01, 12.0), Transcript("Theまでくい of the sea", "en", -0.3, 0.01, 3.0),
    Transcript("".join(chr(0x4E00 + 7 * i) for i in range(60)), "zh", -0.3, 0.01, 2.0),
    Transcript("今天天气很好我们去散步", "zh", -0.8, 0.9, 3.0), Transcript("今天天气很好", "zh", -0.7, 0.01, 3.0),
    Transcript("bonjour tout le monde", "fr", -0.3, 0.01, 3.0),
])
def test_label_checks_speak_chinese(transcript: Transcript) -> None:
    check = check_transcript(transcript, transcript.language)
    assert check is not None
    entry = LabelEntry("slices/a.wav", "me", transcript.language, transcript.text)
    info = {"flag": check.text, "flag_code": check.code, "flag_values": check.values, "text": transcript.text}
    shown = flag_of(entry, info, "zh")
    assert shown == TABLES["zh"][f"labels.flag.{check.code}"].format(**check.values) and shown != check.text
    assert flag_of(entry, info, "en") == TABLES["en"][f"labels.flag.{check.code}"].format(**check.values)
    # a flag saved before flags had codes keeps its words; an edited text is no longer flagged
    assert flag_of(entry, {"flag": check.text, "text": transcript.text}, "zh") == check.text
    assert flag_of(LabelEntry("slices/a.wav", "me", "zh", "改过的"), info, "zh") == ""


def test_durations_speak_the_page_language() -> None:
    """Times under a minute carry the unit of the page's language; longer ones read m:ss in both."""
    from ui.common import format_seconds, speech_guidance

    assert format_seconds(9.74) == "9.7 s" and format_seconds(9.74, "zh") == "9.7 秒"
    assert format_seconds(75.4, "zh") == format_seconds(75.4) == "1:15"
    assert " s" not in speech_guidance(20.0, "zh") and "秒" in speech_guidance(20.0, "zh")


def test_training_notes_that_ask_for_action_stay_on_screen() -> None:
    """A doubtful reference clip or a slice left out is said (in the page's language) however many
    notes came after it; other notes scroll."""
    from ui.train_tab import status_text
    from ui.training import TrainingSnapshot

    events = [{"kind": "info", "code": "reference_unsure", "values": {"reference": "clip_7", "seconds": "4.6"},
               "message": "reference clip_7 ..."}]
    events += [{"kind": "info", "code": "resumed", "values": {"step": step}, "message": f"resumed {step}"}
               for step in range(6)]
    text = status_text(TrainingSnapshot(running=False, folder="p", events=events), "zh")
    assert "clip_7" in text and "标注" in text and "⚠" in text
    assert text.count("- ") == 4 and "5" in text and "第 0 步" not in text


def test_synthesize_tab_warns_about_a_voice_with_a_doubtful_reference() -> None:
    """The warning a trained voice's reference earns (VoiceManifest.reference_doubt), in the page's
    language, says what to do; a trusted reference (or an unknown value) earns none."""
    from ui.synth_tab import REFERENCE_DOUBTS, reference_warning

    unsure = reference_warning("unsure", "zh")
    assert unsure.startswith("⚠") and "标注" in unsure and "重新训练" in unsure
    assert "Labels tab" in reference_warning("unsure", "en") and "4–8 s" in reference_warning("no_clean", "en")
    assert all(reference_warning(d, lang) for d in REFERENCE_DOUBTS for lang in ("en", "zh"))
    assert reference_warning("", "en") == reference_warning("something-new", "zh") == ""
