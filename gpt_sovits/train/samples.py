"""Per-epoch previews: one fixed sentence synthesized with the current weights.

The preview uses the run's reference slice (prompt tokens, phones and BERT features from the
feature cache, its spectrogram for the timbre), S1 ``generate`` with a fixed seed and S2
``decode``, and writes ``runs/<id>/samples/<stage>-epochNNN.wav`` (32 kHz, 16-bit) atomically.
The target sentence gets zero BERT features (exact for profiles without BERT; for gsv-v2 this is
the original's behaviour for non-Chinese text and a small approximation for Chinese).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import nn

from gpt_sovits.fileio import atomic_open
from gpt_sovits.train.dataset import BERT_DIM, SAMPLE_RATE, TrainItem


class Previewer:
    """Renders the preview sentence.

    Args:
        reference: the reference slice (its semantic tokens are the S1 prompt).
        target_phone_ids: phone ids of the preview sentence.
        max_tokens: cap on generated semantic tokens.
        seed: sampling seed (same for every epoch, so previews are comparable).
    """

    def __init__(self, reference: TrainItem, target_phone_ids: list[int], max_tokens: int, seed: int) -> None:
        self.reference = reference
        self.target = torch.tensor(target_phone_ids, dtype=torch.long)  # [p_t]
        self.max_tokens = max_tokens
        self.seed = seed

    def token_budget(self) -> int:
        """At most ``max_tokens``, and about 2.5 tokens per target phone (+1 s): speech runs at
        ~10-15 phones and 25 tokens per second, so a model that never stops is cut off early."""
        return max(1, min(self.max_tokens, int(2.5 * self.target.shape[0]) + 25))

    @torch.no_grad()
    def synthesize(self, s1: nn.Module, s2: nn.Module) -> np.ndarray:
        """Audio ``[n]`` float32 at 32 kHz."""
        from gpt_sovits.models.s1.generate import DecodeOptions, generate

        ref = self.reference
        device = next(s1.parameters()).device
        phones = torch.cat([ref.phone_ids, self.target]).to(device)  # [p_r + p_t]
        bert = torch.cat([ref.bert, torch.zeros(BERT_DIM, self.target.shape[0])], dim=1).to(device)
        options = DecodeOptions(max_new_tokens=self.token_budget())
        result = generate(s1, phones, bert, ref.semantic.to(device), options=options,
                          generator=torch.Generator().manual_seed(self.seed), pointer=self._pointer())
        s2_device = next(s2.parameters()).device
        codes = result.semantic.view(1, 1, -1).to(s2_device)  # [n_q=1, B=1, N]
        audio = s2.decode(codes, self.target.view(1, -1).to(s2_device), ref.spec.unsqueeze(0).to(s2_device),
                          noise_scale=0.5, generator=torch.Generator(device=s2_device).manual_seed(self.seed))
        return audio.reshape(-1).float().cpu().numpy()

    def _pointer(self):
        """What a phone-pointer S1 needs about the reference: its token alignment (set by the S1
        stage; spread evenly if it was not) and where the preview sentence's phones start."""
        from gpt_sovits.features.token_align import align_tokens
        from gpt_sovits.models.s1.pointer import PointerPrompt

        ref = self.reference
        alignment = getattr(ref, "alignment", None)
        if alignment is None:
            alignment = align_tokens(None, ref.semantic, ref.phone_ids.tolist())
        return PointerPrompt(alignment, len(ref.phone_ids))

    def render(self, s1: nn.Module, s2: nn.Module, path: Path) -> bool:
        """Synthesize and write ``path``; both models must be in eval mode."""
        audio = np.clip(self.synthesize(s1, s2), -1.0, 1.0)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as handle:
            sf.write(handle, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        return True
