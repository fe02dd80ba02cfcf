"""Configuration of the S1 network (Text2Semantic "GPT"), with named presets.

The field names are ours; :meth:`S1Config.from_official` / :meth:`S1Config.to_official` translate
to and from the ``config["model"]`` dict stored in official GPT-SoVITS ``.ckpt`` files
(``embedding_dim``/``hidden_dim``, ``head``, ``n_layer``, ``EOS``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpt_sovits.config import ConfigError, StrictConfig

# Phone-symbol table sizes: v1 files declare 512 rows but use the first 322 symbols, v2 uses 732.
V2_PHONEME_VOCAB = 732


@dataclass
class S1Config(StrictConfig):
    """Hyper-parameters of :class:`~gpt_sovits.models.s1.model.Text2Semantic`.

    The feed-forward width is always ``4 * d_model`` (the original ignores its ``linear_units``
    setting), so it is a derived property rather than a field.
    """

    vocab_size: int = 1025  # semantic codes 0..1023 + EOS
    eos: int = 1024
    phoneme_vocab_size: int = V2_PHONEME_VOCAB
    d_model: int = 512
    n_heads: int = 16
    n_layers: int = 24
    bert_dim: int = 1024
    token_dropout: float = 0.0  # after the token embeddings (official "dropout", 0 in v2)
    position_dropout: float = 0.1  # after adding the scaled sinusoid (hard-coded 0.1 in the original)
    attention_dropout: float = 0.1  # on attention weights
    dropout: float = 0.1  # residual and feed-forward dropout inside each layer
    layer_norm_eps: float = 1e-5
    max_positions: int = 4000  # initial sinusoid table length per stream (extended on demand)
    # Ours, not in official files: each audio position is told its phone and the head gets an
    # "advance" column (gpt_sovits/models/s1/pointer.py).
    phone_pointer: bool = False

    def __post_init__(self) -> None:
        if self.eos != self.vocab_size - 1:
            raise ConfigError(f"S1Config: eos must be vocab_size - 1 ({self.vocab_size - 1}), got {self.eos}")
        if self.d_model % self.n_heads != 0:
            raise ConfigError(f"S1Config: d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        if self.d_model % 2 != 0:
            raise ConfigError("S1Config: d_model must be even (sinusoidal positions use sin/cos pairs)")
        for name in ("token_dropout", "position_dropout", "attention_dropout", "dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"S1Config: {name} must be in [0, 1), got {value}")

    @property
    def ffn_dim(self) -> int:
        return 4 * self.d_model

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def symbols_version(self) -> str:
        """Phone symbol table the text embedding indexes: "v2" (732 symbols) or "v1" (322 used)."""
        return "v2" if self.phoneme_vocab_size >= V2_PHONEME_VOCAB else "v1"

    @classmethod
    def from_official(cls, model_config: dict[str, Any]) -> S1Config:
        """Build from an official ckpt's ``config["model"]`` (a full config dict is accepted too)."""
        if "model" in model_config and isinstance(model_config["model"], dict):
            model_config = model_config["model"]
        required = ("vocab_size", "phoneme_vocab_size", "embedding_dim", "head", "n_layer", "EOS")
        missing = [key for key in required if key not in model_config]
        if missing:
            raise ConfigError(f"official S1 config lacks {missing}; is this a GPT-SoVITS GPT (.ckpt) file?")
        hidden = int(model_config.get("hidden_dim", model_config["embedding_dim"]))
        if hidden != int(model_config["embedding_dim"]):
            raise ConfigError(
                f"official S1 config has embedding_dim {model_config['embedding_dim']} != hidden_dim "
                f"{hidden}; the original network only works when both are equal"
            )
        return cls(
            vocab_size=int(model_config["vocab_size"]),
            eos=int(model_config["EOS"]),
            phoneme_vocab_size=int(model_config["phoneme_vocab_size"]),
            d_model=hidden,
            n_heads=int(model_config["head"]),
            n_layers=int(model_config["n_layer"]),
            token_dropout=float(model_config.get("dropout", 0.0)),
        )

    def to_official(self) -> dict[str, Any]:
        """The ``config["model"]`` dict of an official ckpt (as in ``s1longer-v2.yaml``).

        Raises:
            ConfigError: a phone-pointer S1, which the official format cannot hold.
        """
        if self.phone_pointer:
            raise ConfigError("this S1 has a phone pointer (starter-style), which official GPT-SoVITS files "
                              "cannot hold; share it in the studio's own format (voice zip) instead")
        return {
            "vocab_size": self.vocab_size,
            "phoneme_vocab_size": self.phoneme_vocab_size,
            "embedding_dim": self.d_model,
            "hidden_dim": self.d_model,
            "head": self.n_heads,
            "linear_units": self.ffn_dim,
            "n_layer": self.n_layers,
            "dropout": self.token_dropout,
            "EOS": self.eos,
            "random_bert": 0,
        }


S1_PRESETS: dict[str, S1Config] = {
    # The official v2 network (s1longer-v2.yaml): 24 x 512, 16 heads, 77.6 M parameters.
    "v2": S1Config(),
    # Same sizes as the parity fixture s1.ckpt; runs in milliseconds on CPU for tests.
    "tiny": S1Config(d_model=64, n_heads=4, n_layers=2),
    # The offline "starter" profile (pretrained/starter/MODEL_CARD.md): 6 x 256, 8 heads, 5.7 M
    # parameters; sized for CPU pretraining and fine-tuning (0.65 s per batch of 8 on one core).
    # Since session 15 with the phone pointer (models/s1/pointer.py): on a 6 h corpus it reads
    # after a prompt where the plain S1 kept drifting from the text.
    "starter": S1Config(d_model=256, n_heads=8, n_layers=6, phone_pointer=True),
}
