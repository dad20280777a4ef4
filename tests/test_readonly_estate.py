"""The session's shared estate stays whole whatever the other tests do to their own moto."""

from __future__ import annotations

from sandbox.aws.server import MotoHandle, sandbox_client
from tests.readonly_estate import SeededEstate


def test_the_shared_estate_survives_the_reset_of_the_per_test_moto(
    moto: MotoHandle, seeded_estate_readonly: SeededEstate
) -> None:
    moto.reset()

    shared = seeded_estate_readonly
    functions = sandbox_client(shared.endpoint, "lambda").list_functions()["Functions"]
    assert sorted(f["FunctionName"] for f in functions) == sorted(f.name for f in shared.estate.functions)
    assert sandbox_client(moto.endpoint, "lambda").list_functions()["Functions"] == []
