"""The reading check: a voice whose base ships a token readout keeps the S1 take that spells the text."""

from __future__ import annotations

import shutil

import pytest
import torch

from gpt_sovits.infer import pipeline
from gpt_sovits.infer.options import SynthesisOptions
from gpt_sovits.infer.reading_check import READING_TAKES, readout_beside
from gpt_sovits.models.s1.generate import GenerateResult
from gpt_sovits.pretrain.token_readout import TokenReadout, fit_token_readout, save_readout
from gpt_sovits.text import to_phones
from gpt_sovits.text.symbols import SILENT_SYMBOLS, phones_to_ids, symbols
from tests.infer.conftest import FakeEncoder

TEXT = "今天天气很好。"
CODES = 1024  # the tiny S2's codebook


def _inventory(voice) -> list[int]:
    """Phone ids of TEXT (and of the reference transcript), pronounced ones only."""
    spoken = [p for text in (TEXT, voice.prompt_text)
              for p in to_phones(text, "zh", voice.symbols_version).phones if p not in SILENT_SYMBOLS]
    return phones_to_ids(sorted(set(spoken)))


def _say(phone_ids: list[int], inventory: list[int], gen: torch.Generator) -> torch.Tensor:
    """Tokens that say ``phone_ids``: 3 tokens per phone from its own 8 codes."""
    out = []
    for p in phone_ids:
        if p in inventory:
            out += (8 * inventory.index(p) + torch.randint(0, 8, (3,), generator=gen)).tolist()
    return torch.tensor(out)


def _trained_readout(inventory: list[int]) -> TokenReadout:
    gen = torch.Generator().manual_seed(0)
    data = []
    for _ in range(200):
        picks = [inventory[int(i)] for i in torch.randint(0, len(inventory), (6,), generator=gen)]
        picks = [p for i, p in enumerate(picks) if i == 0 or p != picks[i - 1]]
        data.append((_say(picks, inventory, gen), picks))
    return fit_token_readout(data, CODES, epochs=12, generator=torch.Generator().manual_seed(1))


@pytest.fixture
def reading_voice(tiny_models, caches, tmp_path):
    """The tiny voice with a readout beside its S2 that knows TEXT's phones."""
    from gpt_sovits.infer.voice import load_voice

    folder = tmp_path / "voice"
    shutil.copytree(tiny_models.voice_dir, folder)
    plain = load_voice(folder, encoder=FakeEncoder(), caches=caches)
    inventory = _inventory(plain)
    save_readout(_trained_readout(inventory), readout_beside(folder / "s2g.safetensors"))
    return load_voice(folder, encoder=FakeEncoder(), caches=caches), inventory


def scripted_takes(voice, inventory: list[int], good: int, calls: list[int], good_without_end: bool = False):
    """S1 stand-in: within each attempt, take ``good`` says the target text, the others say it
    reversed (same length, so the stability guard accepts them all)."""

    def fake(model, phones, bert, prompt=None, *, options=None, generator=None, **kwargs):
        calls.append(generator.initial_seed())
        target = phones[len(voice.prompt_ids):].tolist()
        take = (len(calls) - 1) % READING_TAKES
        said = target if take == good else target[::-1]
        tokens = _say(said, inventory, torch.Generator().manual_seed(len(calls)))
        ended = not (good_without_end and take == good)
        if not ended:
            tokens = torch.cat([tokens, tokens[:3].repeat(200)])[: options.max_new_tokens]
        return GenerateResult(tokens=tokens, idx=len(tokens), eos=ended, prompt_len=0)

    return fake


def test_the_take_that_spells_the_text_is_kept(reading_voice, monkeypatch) -> None:
    voice, inventory = reading_voice
    assert voice.readout is not None and not voice.notes
    calls: list[int] = []
    monkeypatch.setattr(pipeline, "generate", scripted_takes(voice, inventory, good=2, calls=calls))
    chunks = list(pipeline.synthesize(voice, TEXT, SynthesisOptions(seed=5)))
    assert len(chunks) == 1 and len(calls) == READING_TAKES and len(set(calls)) == READING_TAKES
    chunk = chunks[0]
    assert chunk.reading_error is not None and chunk.reading_error < 0.2  # the reversed takes score far worse
    assert chunk.retries == 0 and chunk.seed == calls[0]  # S2 keeps the attempt's seed: same seed, same audio
    from gpt_sovits.infer.results import collect

    result = collect(iter(chunks))
    assert result.reading_error == chunk.reading_error  # what eval-clone reports per text
    assert result.summary()["reading_error"] == round(chunk.reading_error, 4)  # and the CLI prints


def test_a_take_the_guard_rejects_is_not_kept_however_well_it_reads(reading_voice, monkeypatch) -> None:
    voice, inventory = reading_voice
    calls: list[int] = []
    monkeypatch.setattr(pipeline, "generate", scripted_takes(voice, inventory, good=1, calls=calls,
                                                             good_without_end=True))
    chunk = next(pipeline.synthesize(voice, TEXT, SynthesisOptions(seed=5)))
    assert chunk.retries == 0 and chunk.reading_error is not None and chunk.reading_error > 0.4


def test_a_voice_without_readout_samples_once_per_attempt(tiny_voice, monkeypatch) -> None:
    calls: list[int] = []

    def fake(model, phones, bert, prompt=None, *, options=None, generator=None, **kwargs):
        calls.append(generator.initial_seed())
        return GenerateResult(tokens=torch.randint(0, CODES, (3 * phones.shape[-1],), generator=generator),
                              idx=0, eos=True, prompt_len=0)

    monkeypatch.setattr(pipeline, "generate", fake)
    chunk = next(pipeline.synthesize(tiny_voice, TEXT, SynthesisOptions(seed=5)))
    assert tiny_voice.readout is None and len(calls) == 1 and chunk.reading_error is None


def test_an_unusable_readout_is_reported_and_synthesis_goes_on_without_it(tiny_models, caches, tmp_path) -> None:
    from gpt_sovits.infer.voice import load_voice

    folder = tmp_path / "voice"
    shutil.copytree(tiny_models.voice_dir, folder)
    readout_beside(folder / "s2g.safetensors").write_bytes(b"not a readout")
    voice = load_voice(folder, encoder=FakeEncoder(), caches=caches)
    assert voice.readout is None and any("reading check off" in note for note in voice.notes)
    save_readout(TokenReadout(512, len(symbols()) + 1), readout_beside(folder / "s2g.safetensors"))
    other = load_voice(folder, encoder=FakeEncoder(), caches=caches)
    assert other.readout is None and any("512-entry codebook" in note for note in other.notes)
    assert next(pipeline.synthesize(other, TEXT, SynthesisOptions(seed=1))).audio.size > 0


def test_the_reading_error_ignores_ids_outside_the_codebook() -> None:
    from gpt_sovits.infer.reading_check import reading_error

    readout = TokenReadout(16, len(symbols()) + 1)
    phones = phones_to_ids(["AA1", "B"])
    plain = reading_error(readout, torch.tensor([1, 2, 3]), phones)
    assert reading_error(readout, torch.tensor([1, 2, 3, 16, -1]), phones) == plain  # an EOS id never crashes synthesis
