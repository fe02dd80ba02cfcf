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


def test_recommended_settings_are_validated_and_name_where() -> None:
    from gpt_sovits.infer.options import recommended_settings

    assert recommended_settings(None, "profile.json") == {}
    good = {"top_k": 3, "temperature": 0.5, "repetition_penalty": 1.0}
    assert recommended_settings(good, "profile.json") == good
    with pytest.raises(ValueError, match=r"voice\.json.*seed"):
        recommended_settings({"seed": 3}, "voice.json")  # only decoding settings, never a seed
    with pytest.raises(ValueError, match=r"profile\.json.*top_k"):
        recommended_settings({"top_k": 0}, "profile.json")
    with pytest.raises(ValueError, match="object"):
        recommended_settings([3], "profile.json")


def test_explicit_options_beat_the_recommendation_which_beats_the_defaults() -> None:
    from gpt_sovits.infer.options import options_for

    recommended = {"top_k": 3, "temperature": 0.5}
    opts = options_for(recommended, temperature=0.8, top_p=None, seed=4)
    assert (opts.top_k, opts.temperature, opts.top_p, opts.seed) == (3, 0.8, 1.0, 4)
    assert options_for() == SynthesisOptions()
    with pytest.raises(ValueError, match="top_k"):
        options_for(recommended, top_k=-1)
