from __future__ import annotations

import pytest

from orchestration.tests.tiny_build import TinyBuild, tiny_build


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyBuild:
    return tiny_build(tmp_path_factory.mktemp("tiny"))
