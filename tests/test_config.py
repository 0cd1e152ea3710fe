import dataclasses

import pytest

from dedup import ConfigError, DedupConfig
from dedup.config import resolve_config


def test_defaults_are_valid_and_frozen():
    cfg = DedupConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.threshold = 0.9  # type: ignore[misc]


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\]"),
        ({"threshold": 50}, "fractions, not percentages"),
        ({"threshold": "0.5"}, "must be a number"),
        ({"num_perm": 1}, "num_perm must be between"),
        ({"shingle_unit": "token"}, "shingle_unit must be one of"),
        ({"shingle_size": 0}, "shingle_size must be between"),
        ({"keep": "newest"}, "keep must be one of"),
        ({"coverage": "yes"}, "coverage must be True or False"),
    ],
)
def test_invalid_values_are_refused(overrides, match):
    with pytest.raises(ConfigError, match=match):
        resolve_config(**overrides)


def test_unknown_option_names_the_closest_one():
    with pytest.raises(ConfigError, match="unknown option 'treshold'; did you mean 'threshold'"):
        resolve_config(treshold=0.5)
    with pytest.raises(ValueError):  # ConfigError is a ValueError too
        resolve_config(num_perms=64)


def test_overrides_merge_into_a_config():
    base = DedupConfig(num_perm=64)
    cfg = resolve_config(base, threshold=0.6)
    assert (cfg.num_perm, cfg.threshold) == (64, 0.6)
    assert base.threshold == DedupConfig().threshold


def test_signature_settings_name_everything_that_changes_signatures():
    settings = DedupConfig(shingle_size=3, seed=7).signature_settings()
    assert settings["shingle_size"] == 3 and settings["seed"] == 7
    assert {"num_perm", "shingle_unit", "scheme"} <= settings.keys()
