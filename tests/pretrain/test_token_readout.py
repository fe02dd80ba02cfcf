"""The token phone readout: S1's tokens scored on the phones they say, without S2 or Whisper."""

from __future__ import annotations

import pytest
import torch

from gpt_sovits.pretrain.token_readout import fit_token_readout, phone_errors
from gpt_sovits.text.symbols import phones_to_ids

PHONES = phones_to_ids(["AA1", "B", "K", "S", "IY1", "M", "a1", "i4"])
CODES = 64


def _utterance(gen: torch.Generator) -> tuple[torch.Tensor, list[int]]:
    """Tokens of a random phone string: each phone is 2-4 tokens drawn from its own 8 of the 64 codes
    (several codes per phone, as in a real codebook), a pause symbol at the start."""
    count = int(torch.randint(4, 9, (1,), generator=gen))
    picks = [int(torch.randint(0, len(PHONES), (1,), generator=gen))]
    while len(picks) < count:  # no phone twice in a row: its tokens would run together
        picks += [p for p in torch.randint(0, len(PHONES), (1,), generator=gen).tolist() if p != picks[-1]]
    tokens = []
    for p in picks:
        hold = int(torch.randint(2, 5, (1,), generator=gen))
        tokens += (8 * p + torch.randint(0, 8, (hold,), generator=gen)).tolist()
    return torch.tensor(tokens), phones_to_ids(["SP"]) + [PHONES[p] for p in picks]


def test_the_readout_hears_the_phones_the_tokens_say_and_not_others() -> None:
    gen = torch.Generator().manual_seed(3)
    train = [_utterance(gen) for _ in range(150)]
    readout = fit_token_readout(train, CODES, epochs=10, generator=torch.Generator().manual_seed(0))
    test = [_utterance(gen) for _ in range(30)]

    def rate(pairs) -> float:
        counts = [phone_errors(readout, tokens, phones) for tokens, phones in pairs]
        return sum(e for e, _ in counts) / sum(u for _, u in counts)

    assert rate(test) < 0.1  # unseen utterances of the same code-to-phone mapping
    assert rate([(tokens, other[1]) for (tokens, _), other in zip(test, test[1:] + test[:1], strict=True)]) > 0.5
    assert phone_errors(readout, torch.tensor([], dtype=torch.long), test[0][1]) == (len(test[0][1]) - 1,) * 2
    with pytest.raises(ValueError, match="EOS"):
        readout.read(torch.tensor([1, 2, CODES]))
    first, again = (fit_token_readout(train[:20], CODES, epochs=1, generator=torch.Generator().manual_seed(0))
                    for _ in range(2))
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values(),
                                                  strict=True))  # seeded: the same run probes alike


def test_unusable_training_data_is_refused_with_the_reason() -> None:
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="no utterance"):
        fit_token_readout([(torch.tensor([1]), PHONES[:3])], CODES, epochs=1, generator=gen)  # 3 phones, 1 token
    with pytest.raises(ValueError, match="0..63"):
        fit_token_readout([(torch.tensor([1, 64, 2]), PHONES[:2])], CODES, epochs=1, generator=gen)


def test_a_saved_readout_reads_as_before_and_a_foreign_file_is_refused_with_the_fix(tmp_path) -> None:
    from gpt_sovits.errors import CheckpointError
    from gpt_sovits.pretrain.token_readout import TokenReadout, load_readout, save_readout

    gen = torch.Generator().manual_seed(5)
    train = [_utterance(gen) for _ in range(60)]
    readout = fit_token_readout(train, CODES, epochs=3, generator=torch.Generator().manual_seed(0))
    readout.trained_on = "abc123"
    save_readout(readout, tmp_path / "r.safetensors")
    again = load_readout(tmp_path / "r.safetensors")
    assert again.trained_on == "abc123" and not again.training
    assert all(again.read(tokens) == readout.read(tokens) for tokens, _ in train[:10])
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(CheckpointError, match="not a token readout"):
        load_readout(tmp_path / "bad.safetensors")
    save_readout(TokenReadout(CODES, 7), tmp_path / "old.safetensors")  # another symbol table
    with pytest.raises(CheckpointError, match="export the profile again"):
        load_readout(tmp_path / "old.safetensors")
