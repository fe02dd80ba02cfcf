"""Phone-level BERT features with a tiny random BERT and a tiny tokenizer saved to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpt_sovits.errors import ModelMissingError
from gpt_sovits.features.bert import BertFeaturizer, bert_features
from gpt_sovits.text import Phonemized, Segment
from tests.features.conftest import BERT_DIM as DIM


@pytest.fixture(scope="module")
def featurizer(tiny_bert_dir: Path) -> BertFeaturizer:
    return BertFeaturizer.from_dir(tiny_bert_dir)


def test_char_features_are_layer_minus_3_without_cls_sep(featurizer: BertFeaturizer) -> None:
    text = "你好，世界。"
    feats = featurizer.char_features(text)
    assert feats.shape == (len(text), DIM)
    encoded = featurizer.tokenizer(text, return_tensors="pt")  # plain tokenisation, like the original
    assert encoded["input_ids"].shape[1] == len(text) + 2  # one token per character + CLS/SEP
    with torch.no_grad():
        hidden = featurizer.model(**encoded, output_hidden_states=True).hidden_states[-3][0]
    assert torch.allclose(feats, hidden[1:-1], atol=1e-6)


def test_phone_features_repeat_each_char_word2ph_times(featurizer: BertFeaturizer) -> None:
    text, word2ph = "我是中国人。", [2, 2, 2, 2, 2, 1]
    chars = featurizer.char_features(text)
    phones = featurizer.phone_features(text, word2ph)
    assert phones.shape == (DIM, sum(word2ph))
    assert torch.equal(phones[:, 0], chars[0]) and torch.equal(phones[:, 1], chars[0])
    assert torch.equal(phones[:, 10], chars[5])
    with pytest.raises(ValueError, match="one entry per normalised character"):
        featurizer.phone_features(text, word2ph[:-1])


def test_long_text_is_encoded_in_chunks(featurizer: BertFeaturizer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gpt_sovits.features.bert.MAX_CHARS", 4)
    text = "你好世界今天"
    feats = featurizer.char_features(text)
    assert feats.shape == (6, DIM)
    assert torch.allclose(feats[4:], featurizer.char_features("今天"), atol=1e-6)


def _mixed() -> Phonemized:
    zh1 = Segment("zh", "你好", "你好", ["n", "i3", "h", "ao3"], [2, 2])
    en = Segment("en", "OK", "OK", ["OW2", "K", "EY1"], [3, 0])
    zh2 = Segment("zh", "世界。", "世界。", ["sh", "ir4", "j", "ie4", "."], [2, 2, 1])
    phones = zh1.phones + en.phones + zh2.phones
    return Phonemized(phones=phones, word2ph=zh1.word2ph + en.word2ph + zh2.word2ph,
                      norm_text="你好OK世界。", ids=list(range(len(phones))),
                      runs=[("zh", "你好"), ("en", "OK"), ("zh", "世界。")], segments=[zh1, en, zh2])


def test_mixed_runs_zh_gets_bert_en_gets_zeros(featurizer: BertFeaturizer) -> None:
    ph = _mixed()
    feats = bert_features(ph, featurizer, dim=DIM)
    assert feats.shape == (DIM, 12)
    assert torch.equal(feats[:, :4], featurizer.phone_features("你好", [2, 2]))
    assert torch.count_nonzero(feats[:, 4:7]) == 0
    assert torch.equal(feats[:, 7:], featurizer.phone_features("世界。", [2, 2, 1]))
    assert torch.count_nonzero(bert_features(ph, None, dim=DIM)) == 0  # profiles without BERT
    assert bert_features(ph, None).shape == (1024, 12)


def test_with_the_real_text_front_end(featurizer: BertFeaturizer) -> None:
    from gpt_sovits.text import to_phones

    ph = to_phones("你好，我是中国人。", "zh")
    feats = bert_features(ph, featurizer, dim=DIM)
    assert feats.shape == (DIM, len(ph.phones))
    assert torch.count_nonzero(feats.abs().sum(0)) == len(ph.phones)  # every zh phone has features


def test_loading_stays_offline(tiny_bert_dir: Path, no_network: None) -> None:
    assert BertFeaturizer.from_dir(tiny_bert_dir).char_features("你好").shape == (2, DIM)


def test_missing_roberta_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="download gsv-v2"):
        BertFeaturizer.from_dir(tmp_path / "chinese-roberta-wwm-ext-large")
