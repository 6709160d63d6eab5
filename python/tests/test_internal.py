"""A fault inside the engine never crashes the interpreter: a Rust panic, on the calling
thread or on a worker thread, reaches Python as ``bylaw.InternalError``, and the
package keeps working after it."""

import pyarrow as pa
import pytest

import bylaw
from bylaw import _bylaw


@pytest.mark.parametrize("on_worker", [False, True])
def test_a_panic_becomes_an_internal_error(on_worker: bool) -> None:
    with pytest.raises(bylaw.InternalError, match="deliberate panic"):
        _bylaw._panic_for_tests(on_worker)
    # The interpreter and the package are still usable.
    policy = bylaw.from_text(
        "entity household { id: text key\n income: money per month }\n"
        'rule poor "收入低" = income < 1000 元\n'
    )
    result = policy.evaluate(pa.table({"id": ["a"], "income": ["999.99"]}), date="2024-01-01")
    assert result.column("poor").to_pylist() == [True]


def test_an_internal_error_is_a_bylaw_error_not_a_base_exception() -> None:
    assert issubclass(bylaw.InternalError, bylaw.BylawError)
    assert issubclass(bylaw.InternalError, Exception)
