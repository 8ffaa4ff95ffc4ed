"""Job specs: validated by pydantic and against the plugins, every error naming its line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from aigc.core.engine import Engine
from aigc.core.jobs.inputs import read_inputs
from aigc.core.jobs.planner import plan
from aigc.core.jobs.spec import InputSource
from aigc.core.jobs.specfile import JobSpecError, load_spec
from tests.jobs.conftest import DIGITS_SPEC, WriteSpec


def only_error(error: pytest.ExceptionInfo[JobSpecError]) -> dict[str, object]:
    assert len(error.value.errors) == 1
    return error.value.errors[0]


def test_a_valid_spec_loads_with_its_defaults(write_spec: WriteSpec) -> None:
    spec = load_spec(write_spec(DIGITS_SPEC)).spec
    assert (spec.generator, spec.n, spec.seed.policy) == ("image-gan", 3, "distinct")
    assert [ref.name for ref in spec.evaluators] == ["image-class-match"]


def test_samples_is_still_read_as_n_with_a_warning(write_spec: WriteSpec) -> None:
    with pytest.warns(FutureWarning, match="'samples' is now 'n'"):
        spec = load_spec(write_spec(DIGITS_SPEC.replace("n: 3", "samples: 4"))).spec
    assert spec.n == 4 and spec.model_dump()["n"] == 4
    with pytest.warns(FutureWarning), pytest.raises(JobSpecError) as error:
        load_spec(write_spec(DIGITS_SPEC.replace("n: 3", "samples: 0")))
    assert (only_error(error)["field"], only_error(error)["line"]) == ("samples", 7)


@pytest.mark.parametrize(
    ("replace", "by", "field", "line"),
    [
        ("n: 3", "n: 0", "n", 7),
        ("  batch_size: 2", "  batch_size: 5000", "concurrency.batch_size", 13),
        ("n: 3", "n: 3\ncolour: red", "colour", 8),
        (
            "    class_match: {min: 0.5}",
            "    class_match: {min: 2, max: 1}",
            "policy.thresholds.class_match",
            11,
        ),
    ],
)
def test_schema_errors_name_the_field_and_its_line(
    write_spec: WriteSpec, replace: str, by: str, field: str, line: int
) -> None:
    path = write_spec(DIGITS_SPEC.replace(replace, by))
    with pytest.raises(JobSpecError) as error:
        load_spec(path)
    entry = only_error(error)
    assert (entry["field"], entry["line"]) == (field, line)
    assert f"{path}:{line}: {field}" in str(error.value)


def test_yaml_syntax_errors_name_their_line(write_spec: WriteSpec) -> None:
    with pytest.raises(JobSpecError) as error:
        load_spec(write_spec(DIGITS_SPEC.replace("    - {label: 7}", "    - {label: 7")))
    assert only_error(error)["line"] == 7


def test_an_invalid_cron_expression_is_refused(write_spec: WriteSpec) -> None:
    with pytest.raises(JobSpecError) as error:
        load_spec(write_spec(DIGITS_SPEC + "schedule:\n  cron: '61 * * * *'\n"))
    assert (only_error(error)["field"], only_error(error)["line"]) == ("schedule", 16)


def test_inputs_need_exactly_one_source(write_spec: WriteSpec) -> None:
    with pytest.raises(JobSpecError) as error:
        load_spec(write_spec(DIGITS_SPEC.replace("inputs:\n", "inputs:\n  csv: rows.csv\n")))
    assert only_error(error)["field"] == "inputs"
    assert "exactly one" in str(error.value)


def test_an_option_out_of_range_in_one_input_names_that_input(engine: Engine, write_spec: WriteSpec) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC.replace("{label: 7}", "{label: 12}")))
    with pytest.raises(JobSpecError) as error:
        plan(engine, loaded)
    entry = only_error(error)
    assert (entry["field"], entry["line"], entry["value"]) == ("inputs.items[1].label", 6, 12)


def test_an_unknown_generator_is_refused_at_its_line(engine: Engine, write_spec: WriteSpec) -> None:
    loaded = load_spec(write_spec(DIGITS_SPEC.replace("generator: image-gan", "generator: nope")))
    with pytest.raises(JobSpecError) as error:
        plan(engine, loaded)
    assert (only_error(error)["field"], only_error(error)["line"]) == ("generator", 2)


def test_plan_has_one_item_per_input_and_sample_with_distinct_seeds_and_keys(
    engine: Engine, write_spec: WriteSpec
) -> None:
    items = plan(engine, load_spec(write_spec(DIGITS_SPEC)))
    assert [(i.input_index, i.sample_index) for i in items] == [(i, s) for i in range(2) for s in range(3)]
    assert [i.seed for i in items] == list(range(6))
    assert len({i.idempotency_key for i in items}) == 6
    assert plan(engine, load_spec(write_spec(DIGITS_SPEC))) == items  # deterministic


def test_fixed_seeds_repeat_across_inputs(engine: Engine, write_spec: WriteSpec) -> None:
    spec = DIGITS_SPEC.replace("n: 3", "n: 3\nseed: {policy: fixed, base: 10}")
    items = plan(engine, load_spec(write_spec(spec)))
    assert [i.seed for i in items] == [10, 11, 12, 10, 11, 12]
    assert len({i.idempotency_key for i in items}) == 6  # the inputs differ


def test_inputs_from_csv_jsonl_and_sql(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("label,prompt\n3,a\n7,b\n", encoding="utf-8")
    (tmp_path / "rows.jsonl").write_text('{"label": 3, "prompt": "a"}\n\n{"label": 7, "prompt": "b"}\n')
    database = tmp_path / "catalogue.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE items (label INTEGER, prompt TEXT)")
        connection.exec_driver_sql("INSERT INTO items VALUES (3, 'a'), (7, 'b')")
    engine.dispose()
    csv_rows = read_inputs(InputSource(csv="rows.csv"), tmp_path)
    jsonl_rows = read_inputs(InputSource(jsonl="rows.jsonl"), tmp_path)
    sql_rows = read_inputs(
        InputSource.model_validate(
            {
                "sql": {
                    "url": f"sqlite:///{database}",
                    "query": "SELECT label, prompt FROM items ORDER BY label",
                }
            }
        ),
        tmp_path,
    )
    assert csv_rows == [{"label": "3", "prompt": "a"}, {"label": "7", "prompt": "b"}]
    assert jsonl_rows == sql_rows == [{"label": 3, "prompt": "a"}, {"label": 7, "prompt": "b"}]


def test_a_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text(json.dumps({"label": 3}) + "\n[1, 2]\n")
    with pytest.raises(ValueError, match="line 2"):
        read_inputs(InputSource(jsonl="rows.jsonl"), tmp_path)
