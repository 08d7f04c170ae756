"""Issue 10: the grammar-based fuzzer, bounded to seconds (``make fuzz`` runs it for minutes)."""

from __future__ import annotations

import json
from typing import Any

from fuzz_specs import COMMANDS, Case, check_mutant, check_valid, mutate, valid_cases, yaml_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BOUNDED = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@BOUNDED
@given(valid_cases())
def test_valid_specs_give_the_oracles_gradients_and_hold_the_contract(case: Case) -> None:
    check_valid(case)


@BOUNDED
@given(valid_cases(), st.data(), st.sampled_from(COMMANDS))
def test_mutated_specs_hold_the_contract(case: Case, data: Any, command: list[str]) -> None:
    raw = (yaml_text(case.spec) if case.yaml else json.dumps(case.spec)).encode()
    check_mutant(mutate(data.draw, raw), command)


@settings(max_examples=3, deadline=None, database=None)
@given(valid_cases())
def test_svg_is_well_formed_for_any_label(case: Case) -> None:
    check_valid(case, render_svg=True)
