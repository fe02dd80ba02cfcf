from __future__ import annotations

import pytest

from gpt_sovits.infer.options import SynthesisOptions


def test_defaults_match_the_original() -> None:
    opts = SynthesisOptions()
    assert (opts.noise_scale, opts.length_scale, opts.top_k, opts.top_p, opts.temperature,
            opts.repetition_penalty, opts.pause) == (0.5, 1.0, 15, 1.0, 1.0, 1.35, 0.3)


@pytest.mark.parametrize("field,value", [
    ("noise_scale", -0.1), ("noise_scale", float("nan")), ("length_scale", 0.1), ("length_scale", 9),
    ("top_k", 0), ("top_k", 2.5), ("top_p", 0.0), ("top_p", 1.5), ("temperature", 0),
    ("repetition_penalty", 0.5), ("pause", -1), ("seed", -5), ("seed", "7"), ("language", "fr"),
    ("max_retries", 99), ("top_k", True), ("segmentation", "cut9"), ("segmentation", ""),
])
def test_out_of_range_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        SynthesisOptions(**{field: value})


def test_dict_round_trip_and_unknown_key() -> None:
    opts = SynthesisOptions(seed=7, language="zh")
    assert SynthesisOptions.from_dict(opts.to_dict()) == opts
    with pytest.raises(ValueError, match="speeed"):
        SynthesisOptions.from_dict({"speeed": 1.0})
