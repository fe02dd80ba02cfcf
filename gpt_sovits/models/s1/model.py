"""Text2Semantic: the S1 "GPT" of GPT-SoVITS v2 (phones + BERT features -> 25 Hz semantic tokens).

Sequence layout: ``[text | audio]`` where text = phone embedding + ``bert_proj(bert)`` + scaled
sinusoid, audio = semantic-token embedding + scaled sinusoid, each stream with positions starting
at 0. Prefix-LM attention: text rows see all (valid) text and no audio; audio rows see all valid
text and the audio up to themselves.

``state_dict()`` keys equal the official checkpoint keys without the ``model.`` prefix.
"""

from __future__ import annotations

import torch
from torch import nn

from gpt_sovits.models.s1.compiled_step import CompiledStep, compile_supported
from gpt_sovits.models.s1.config import S1Config
from gpt_sovits.models.s1.decode_step import DecodePlan, build_plan, decode_step
from gpt_sovits.models.s1.embeddings import SinePositionalEmbedding, TokenEmbedding
from gpt_sovits.models.s1.kvcache import KVCache
from gpt_sovits.models.s1.pointer import PointerEmbedding
from gpt_sovits.models.s1.transformer import Transformer


def prefix_lm_mask(text_valid: torch.Tensor, audio_len: int) -> torch.Tensor:
    """Boolean attention mask (True = may attend) for ``[text | audio]`` sequences.

    ``text_valid`` [B, X] marks real (non-padding) text positions. Returns [B, 1, X+Y, X+Y].
    Every row can see at least one valid text key, so no row is fully masked.
    """
    batch, text_len = text_valid.shape
    total = text_len + audio_len
    device = text_valid.device
    is_text_key = torch.arange(total, device=device) < text_len
    causal = torch.ones(total, total, dtype=torch.bool, device=device).tril()
    # text rows: text keys only; audio rows: all text keys + causal audio keys
    structure = torch.where(is_text_key.unsqueeze(1), is_text_key.unsqueeze(0), causal | is_text_key)
    key_valid = torch.cat([text_valid, torch.ones(batch, audio_len, dtype=torch.bool, device=device)], 1)
    return (structure.unsqueeze(0) & key_valid.unsqueeze(1)).unsqueeze(1)


def lengths_to_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """[B] lengths -> [B, max_len] bool, True at positions ``< length`` (right padding)."""
    return torch.arange(max_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


class Text2Semantic(nn.Module):
    """Autoregressive text-to-semantic transformer (weight-compatible with official S1 files)."""

    def __init__(self, config: S1Config) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.bert_proj = nn.Linear(config.bert_dim, d)
        self.ar_text_embedding = TokenEmbedding(config.phoneme_vocab_size, d, config.token_dropout)
        self.ar_text_position = SinePositionalEmbedding(d, config.position_dropout, config.max_positions)
        self.ar_audio_embedding = TokenEmbedding(config.vocab_size, d, config.token_dropout)
        self.ar_audio_position = SinePositionalEmbedding(d, config.position_dropout, config.max_positions)
        self.h = Transformer(config)
        self.ar_predict_layer = nn.Linear(d, config.vocab_size, bias=False)
        if config.phone_pointer:  # ours (models/s1/pointer.py); official files never have these
            self.ar_pointer_embedding = PointerEmbedding(config.phoneme_vocab_size, d, config.max_positions)
            self.ar_advance_layer = nn.Linear(d, 1, bias=False)
        self._prepared_plan: DecodePlan | None = None  # see prepare_for_inference
        self._step_plan: DecodePlan | None = None  # plan of the current decoding run
        self._compiled_step: CompiledStep | None = None  # see prepare_for_inference(compile=True)

    # ----------------------------------------------------------------- embeddings
    def embed_text(self, phones: torch.Tensor, bert: torch.Tensor) -> torch.Tensor:
        """phones [B, X] int, bert [B, bert_dim, X] -> [B, X, D]."""
        x = self.ar_text_embedding(phones) + self.bert_proj(bert.transpose(1, 2))
        return self.ar_text_position(x)

    def embed_audio(self, tokens: torch.Tensor, offset: int = 0, phones: torch.Tensor | None = None,
                    pointer: torch.Tensor | None = None) -> torch.Tensor:
        """tokens [B, Y] int at audio positions ``offset..offset+Y-1`` -> [B, Y, D].

        A phone-pointer model also needs ``phones`` [B, X] and ``pointer`` [B, Y] (the phone of the
        token each position predicts, :mod:`~gpt_sovits.models.s1.pointer`).
        """
        x = self.ar_audio_position(self.ar_audio_embedding(tokens), offset)
        if not self.config.phone_pointer:
            return x
        if phones is None or pointer is None:
            raise ValueError("this S1 has a phone pointer: pass the phones and the pointer of every audio position")
        return x + self.ar_pointer_embedding(phones, pointer)

    def head_weight(self) -> torch.Tensor:
        """[V, D] output matrix; [V + 1, D] with a phone pointer (last row: the advance logit)."""
        if not self.config.phone_pointer:
            return self.ar_predict_layer.weight
        return torch.cat([self.ar_predict_layer.weight, self.ar_advance_layer.weight])

    def head(self, hidden: torch.Tensor) -> torch.Tensor:
        """Hidden rows [..., D] -> logits [..., V] (+ the advance column with a phone pointer)."""
        return torch.nn.functional.linear(hidden, self.head_weight())

    # ----------------------------------------------------------------- training forward
    def forward(
        self,
        phones: torch.Tensor,
        phone_lens: torch.Tensor,
        bert: torch.Tensor,
        semantic: torch.Tensor,
        semantic_lens: torch.Tensor,
        pointer: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Teacher-forced logits ``[B, Y+1, vocab]``; row ``t`` predicts ``targets[t]``.

        A phone-pointer model takes ``pointer`` [B, Y] (see :meth:`embed_audio`) and returns one
        more column, the advance logit of each row.

        Inputs are right-padded: phones [B, X], bert [B, bert_dim, X], semantic [B, Y] with
        lengths [B]. ``targets = semantic + [EOS]`` (see :func:`~gpt_sovits.models.s1.loss.make_targets`).
        Row 0 comes from each item's last real phone, rows ``1..Y`` from the audio positions.
        Rows past an item's ``semantic_len + 1`` are padding.
        """
        text_len, audio_len = phones.shape[1], semantic.shape[1]
        text_valid = lengths_to_mask(phone_lens, text_len)
        audio_valid = lengths_to_mask(semantic_lens, audio_len)
        semantic = torch.where(audio_valid, semantic, torch.full_like(semantic, self.config.eos))
        xy = torch.cat([self.embed_text(phones, bert), self.embed_audio(semantic, 0, phones, pointer)], dim=1)
        hidden = self.h(xy, prefix_lm_mask(text_valid, audio_len))
        batch_index = torch.arange(phones.shape[0], device=phones.device)
        last_text = hidden[batch_index, phone_lens - 1].unsqueeze(1)  # [B, 1, D]
        rows = torch.cat([last_text, hidden[:, text_len:]], dim=1)  # [B, Y+1, D]
        return self.head(rows)

    # ----------------------------------------------------------------- cached inference
    def setup_caches(
        self,
        batch: int,
        max_len: int,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        """Attach a fresh preallocated :class:`KVCache` of ``max_len`` positions to every layer.

        The cache is float32 unless ``dtype`` says otherwise: with bfloat16/float16 weights the
        attention then still runs in float32 (more accurate, and much faster on CPU).
        """
        dtype = dtype or torch.float32
        device = device or self.ar_predict_layer.weight.device
        cfg = self.config
        for layer in self.h.layers:
            layer.self_attn.kv_cache = KVCache(batch, cfg.n_heads, max_len, cfg.head_dim, dtype, device)
        self.ar_audio_position.reserve(max_len)
        self.ar_text_position.reserve(max_len)
        self._step_plan = self.inference_plan()

    def clear_caches(self) -> None:
        """Detach the KV caches (frees their memory)."""
        for layer in self.h.layers:
            layer.self_attn.kv_cache = None
        self._step_plan = None

    def prepare_for_inference(self, compile: bool = False) -> Text2Semantic:
        """Switch to eval mode and gather the single-token decoding weights once (returns self).

        Optional: ``generate`` gathers them per call anyway; preparing saves that and, for
        bfloat16 weights on CPUs with native bf16, pre-packs the matrices for oneDNN (about 2x
        faster decoding for a second copy of the weights). Parameters and ``state_dict`` are
        untouched; the preparation is ignored (not stale) once any parameter is replaced or
        modified in place (``.to()``, ``load_state_dict``, optimizer steps).

        ``compile=True`` (float32 CPU weights only, else ignored) decodes single tokens with a
        ``torch.compile``-d step (:mod:`~gpt_sovits.models.s1.compiled_step`): ~25% faster,
        compiled once per model during the first two decoding steps (~30 s on 2 cores).
        """
        self.eval()
        plan = build_plan(self, pack=True)
        self._prepared_plan = plan
        self._compiled_step = CompiledStep(plan) if compile and compile_supported(plan) else None
        return self

    def __getstate__(self) -> dict:
        # Decoding plans are caches (packed oneDNN tensors cannot be copied): deepcopy/pickle
        # drop them; the copy gathers its own on first use.
        state = self.__dict__.copy()
        state["_prepared_plan"] = state["_step_plan"] = state["_compiled_step"] = None
        return state

    def inference_plan(self) -> DecodePlan:
        """The prepared decoding plan if it is still valid, else a freshly gathered one."""
        prepared = self._prepared_plan
        if prepared is not None and prepared.matches(self):
            return prepared
        self._prepared_plan = None
        return build_plan(self)

    @property
    def caches(self) -> list[KVCache]:
        return [layer.self_attn.kv_cache for layer in self.h.layers if layer.self_attn.kv_cache is not None]

    def step(self, x: torch.Tensor, mask: torch.Tensor | None, pos: int) -> torch.Tensor:
        """Run embeddings ``x`` [B, T, D] at sequence positions ``pos..pos+T-1`` through the cached
        stack and return the logits of the last position, [B, vocab] (+ the advance column).

        A single new position in eval mode without autograd takes the fused path of
        :func:`~gpt_sovits.models.s1.decode_step.decode_step` (same result up to rounding).
        """
        plan = self._step_plan
        if x.shape[1] == 1 and plan is not None and not self.training and not torch.is_grad_enabled():
            compiled = self._compiled_step
            if mask is None and compiled is not None and compiled.plan is plan:
                logits = compiled(x[:, 0], pos)
                if logits is not None:
                    return logits
            step_mask = None if mask is None else mask[:, :, -1:, : pos + 1]
            return decode_step(plan, x[:, 0], step_mask, pos)
        hidden = self.h(x, mask, pos)
        return self.head(hidden[:, -1])
