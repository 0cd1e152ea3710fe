from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def seed_texts() -> tuple[str, str]:
    """(Reuters original, UNN rewrite)."""
    return (
        (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8"),
        (SEEDS / "unn_openai_nato.txt").read_text(encoding="utf-8"),
    )


def shared_data(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here: the research corpora live in ../shared/data beside the repo")
    return path
