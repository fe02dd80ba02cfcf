"""S1 with a phone pointer: warm start, cached decoding = the full forward, the pointer's walk."""

from __future__ import annotations

import pytest
import torch

from gpt_sovits.config import ConfigError
from gpt_sovits.features.token_align import pronounced_positions
from gpt_sovits.models.s1.config import S1Config
from gpt_sovits.models.s1.generate import DecodeOptions, generate
from gpt_sovits.models.s1.model import Text2Semantic
from gpt_sovits.models.s1.pointer import (
    END,
    MAX_TOKENS_PER_PHONE,
    PointerPrompt,
    advance_loss,
    advance_targets,
    collate_pointer,
    pointer_inputs,
)
from gpt_sovits.text.symbols import phones_to_ids

PLAIN = S1Config(d_model=32, n_heads=4, n_layers=2)
POINTED = PLAIN.replace(phone_pointer=True)


def _model(seed: int = 0) -> Text2Semantic:
    torch.manual_seed(seed)
    model = Text2Semantic(POINTED).eval()
    with torch.no_grad():  # a pointer that matters, as after training
        model.ar_pointer_embedding.word_embeddings.weight.normal_(0, 0.5)
        model.ar_pointer_embedding.alpha.fill_(0.8)
    return model


def _phones(text: str) -> torch.Tensor:
    return torch.tensor(phones_to_ids(text.split()), dtype=torch.long)


def test_pointer_starts_as_the_plain_model():
    torch.manual_seed(3)
    plain = Text2Semantic(PLAIN).eval()
    pointed = Text2Semantic(POINTED).eval()
    missing, unexpected = pointed.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and all(k.startswith(("ar_pointer", "ar_advance")) for k in missing)
    phones, bert = _phones("n i2 h ao3 , sh ir4 j ie4 ."), torch.randn(1, 1024, 10)
    semantic = torch.randint(0, 1024, (1, 7))
    pointer, _ = collate_pointer([[0, 0, 1, 2, 3, 3, 5]], 7)
    args = (phones[None], torch.tensor([10]), bert, semantic, torch.tensor([7]))
    with torch.no_grad():
        expected = plain(*args)
        got = pointed(*args, pointer=pointer)
    assert got.shape[-1] == expected.shape[-1] + 1
    torch.testing.assert_close(got[..., :-1], expected)


def test_pointer_model_needs_the_pointer_and_has_no_official_form():
    model = _model()
    phones = _phones("n i2 h ao3")
    with pytest.raises(ValueError, match="phone pointer"):
        model(phones[None], torch.tensor([4]), torch.zeros(1, 1024, 4), torch.zeros(1, 3, dtype=torch.long),
              torch.tensor([3]))
    with pytest.raises(ConfigError, match="official"):
        POINTED.to_official()


def test_pointer_inputs_and_advance_targets():
    alignment = [0, 0, 1, 3, 3]
    assert pointer_inputs(alignment) == [0, 1, 3, 3, END]
    assert advance_targets(alignment) == [0.0, 1.0, 1.0, 0.0, 1.0]
    pointer, advance = collate_pointer([alignment, [2]], 5)
    assert pointer[1].tolist() == [END] * 5
    assert advance[1, 0] == 1.0 and torch.isnan(advance[1, 1:]).all()
    loss, count = advance_loss(torch.zeros(2, 6), advance)
    assert int(count) == 6 and float(loss) == pytest.approx(6 * 0.6931, rel=1e-3)


@pytest.mark.parametrize("prompted", [False, True])
def test_cached_decoding_equals_the_full_forward(prompted):
    model = _model(1)
    ref, target = _phones("n i2 h ao3 ."), _phones("w o3 sh ir4 , l ao3 sh ir1 .")
    phones = torch.cat([ref, target]) if prompted else target
    bert = torch.randn(1024, len(phones)) * 0.3
    prompt = torch.randint(0, 1024, (6,)) if prompted else None
    pointer = PointerPrompt([0, 0, 1, 2, 3, 3], len(ref)) if prompted else None
    result = generate(model, phones, bert, prompt, options=DecodeOptions(top_k=5, max_new_tokens=40),
                      generator=torch.Generator().manual_seed(0), return_logits=True, pointer=pointer)
    n = len(result.tokens)
    assert result.alignment is not None and len(result.alignment) == n
    spoken = result.alignment.tolist()
    assert spoken == sorted(spoken) and set(spoken) <= set(pronounced_positions(phones.tolist()))
    alignment = (list(pointer.alignment) if prompted else []) + spoken
    semantic = torch.cat([prompt, result.tokens]) if prompted else result.tokens
    inputs, _ = collate_pointer([alignment], len(alignment))
    with torch.no_grad():
        full = model(phones[None], torch.tensor([len(phones)]), bert[None], semantic[None],
                     torch.tensor([len(semantic)]), pointer=inputs)
    first = len(prompt) if prompted else 0
    torch.testing.assert_close(result.step_logits, full[0, first : first + n], atol=1e-4, rtol=1e-4)


def _forced(advance: float) -> Text2Semantic:
    model = _model(2)
    with torch.no_grad():  # the advance logit becomes a constant
        model.ar_advance_layer.weight.zero_()
        model.h.layers[-1].norm2.bias.fill_(1.0)
        model.ar_advance_layer.weight.fill_(advance / model.config.d_model)
    return model


def test_the_pointer_reads_every_phone_once_and_ends_the_speech():
    phones = _phones("w o3 sh ir4 , l ao3 sh ir1 .")
    spoken = pronounced_positions(phones.tolist())
    fast = generate(_forced(30.0), phones, torch.zeros(1024, len(phones)), None,
                    options=DecodeOptions(max_new_tokens=500), generator=torch.Generator().manual_seed(0))
    assert fast.alignment.tolist() == spoken and fast.eos  # one token per phone, then the end
    slow = generate(_forced(-30.0), phones, torch.zeros(1024, len(phones)), None,
                    options=DecodeOptions(max_new_tokens=500), generator=torch.Generator().manual_seed(0))
    assert len(slow.tokens) == MAX_TOKENS_PER_PHONE * len(spoken) and slow.eos


def test_a_prompted_pointer_model_needs_the_prompt_alignment():
    model = _model()
    phones = _phones("n i2 h ao3 w o3")
    with pytest.raises(ValueError, match="alignment"):
        generate(model, phones, torch.zeros(1024, 6), torch.tensor([1, 2, 3]), pointer=None)
    with pytest.raises(ValueError, match="alignment"):
        generate(model, phones, torch.zeros(1024, 6), torch.tensor([1, 2, 3]), pointer=PointerPrompt([0, 1], 4))
