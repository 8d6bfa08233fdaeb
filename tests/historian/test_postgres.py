"""The PostgreSQL historian: the contract, plus schema migrations, URLs, several writers and
readers, and the command line against a real server.

The server comes from ``$SHOPFLOOR_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test works in a schema of its own,
created for it and dropped after it. Without a reachable server these tests are skipped,
except under CI (``$CI`` set), where PostgreSQL is part of the machine and its absence is a
failure, not a reason to skip.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from shopfloor.cli import run as run_cli
from shopfloor.historian import open_historian
from shopfloor.historian._pg_schema import LATEST_VERSION, MIGRATIONS, Migration, migrate
from shopfloor.historian._pg_sql import path_filter
from shopfloor.historian.postgres import PostgresHistorian
from shopfloor.model.batch import Sample, SampleBatch
from shopfloor.model.errors import HistorianError
from shopfloor.model.event import Event
from shopfloor.model.namespace import Pattern

from .contract import SPEED, TEMP, HistorianContract, OpenStore, rows

nan = float("nan")
PG_URL = os.environ.get("SHOPFLOOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AdminCon = psycopg.Connection[tuple[object, ...]]


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``schema=`` added to its query."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@pytest.fixture(scope="module")
def server() -> str:
    """The server's URL, once it has answered; skip (or, under CI, fail) if it does not."""
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is unreachable at $SHOPFLOOR_PG_URL or its default: {exc}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def admin(server: str) -> Iterator[AdminCon]:
    """A connection of the test's own, outside any historian."""
    with psycopg.connect(server, autocommit=True) as con:
        yield con


@pytest.fixture
def schema(admin: AdminCon) -> Iterator[str]:
    """A fresh schema name; the schema is dropped after the test, whatever it holds."""
    name = f"sf_test_{uuid.uuid4().hex[:12]}"
    yield name
    admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def url(server: str, schema: str) -> str:
    return with_schema(server, schema)


class TestContract(HistorianContract):
    @pytest.fixture
    def open_store(self, url: str) -> OpenStore:
        return lambda: PostgresHistorian(url)


class TestTinyFlushes(HistorianContract):
    """Flushing every few rows, in the middle of appends, changes nothing."""

    @pytest.fixture
    def open_store(self, url: str) -> OpenStore:
        return lambda: PostgresHistorian(url, flush_rows=2)


def in_schema(schema: str, query: str) -> sql.Composed:
    """``query`` with ``{}`` replaced by the schema's name, quoted."""
    return sql.SQL(query).format(sql.Identifier(schema))  # type: ignore[arg-type]


def versions(admin: AdminCon, schema: str) -> list[object]:
    query = in_schema(schema, "SELECT version FROM {}.schema_version ORDER BY version")
    return [v for (v,) in admin.execute(query).fetchall()]


def exists(admin: AdminCon, name: str) -> bool:
    row = admin.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()
    return bool(row and row[0])


@pytest.fixture
def historian(url: str) -> Iterator[PostgresHistorian]:
    h = PostgresHistorian(url)
    yield h
    h.close()


# -- schema and migrations ----------------------------------------------------------------


def test_opening_creates_the_schema_at_the_latest_version(
    url: str, schema: str, admin: AdminCon
) -> None:
    PostgresHistorian(url).close()

    assert versions(admin, schema) == list(range(1, LATEST_VERSION + 1))


def test_opening_an_older_schema_migrates_it_and_keeps_its_history(
    url: str, schema: str, admin: AdminCon
) -> None:
    migrate(admin, schema, target=1)
    row = admin.execute(
        in_schema(schema, "INSERT INTO {}.tags (path) VALUES (%s) RETURNING id"), [TEMP]
    ).fetchone()
    assert row is not None
    admin.execute(in_schema(schema, "INSERT INTO {}.samples VALUES (%s, 10, 11, 1.5, 0)"), [row[0]])

    with PostgresHistorian(url) as h:
        got = rows(h.raw(TEMP, 0, 100))

    assert got == [(TEMP, 10, 1.5)]
    assert versions(admin, schema) == list(range(1, LATEST_VERSION + 1))
    view = admin.execute(in_schema(schema, "SELECT path, value FROM {}.sample_history"))
    assert view.fetchall() == [(TEMP, 1.5)]


def test_a_schema_newer_than_this_code_is_refused_and_left_alone(
    url: str, schema: str, admin: AdminCon
) -> None:
    PostgresHistorian(url).close()
    admin.execute(
        in_schema(schema, "INSERT INTO {}.schema_version (version, summary) VALUES (99, 'later')")
    )

    with pytest.raises(HistorianError, match=r"version 99.*upgrade shopfloor"):
        PostgresHistorian(url)
    with pytest.raises(HistorianError, match="version 99"):
        PostgresHistorian(url, read_only=True)
    assert versions(admin, schema)[-1] == 99


def test_a_failing_migration_leaves_the_schema_as_it_was(schema: str, admin: AdminCon) -> None:
    migrate(admin, schema, target=1)
    broken = Migration(
        LATEST_VERSION + 1, "broken", ("CREATE TABLE extra (x integer)", "SELECT * FROM nothing")
    )

    with pytest.raises(HistorianError, match="nothing was changed"):
        migrate(admin, schema, migrations=(*MIGRATIONS, broken))

    assert versions(admin, schema) == [1]
    assert not exists(admin, f"{schema}.extra")
    assert not exists(admin, f"{schema}.sample_history")  # migration 2 was rolled back too


def test_a_later_migration_is_a_new_numbered_entry_applied_on_top(
    url: str, schema: str, admin: AdminCon
) -> None:
    PostgresHistorian(url).close()
    later = Migration(LATEST_VERSION + 1, "tag units", ("ALTER TABLE tags ADD COLUMN unit text",))

    assert migrate(admin, schema, migrations=(*MIGRATIONS, later)) == LATEST_VERSION + 1
    assert admin.execute(in_schema(schema, "SELECT unit FROM {}.tags")).fetchall() == []


def test_migrations_must_be_numbered_from_one_without_gaps(schema: str, admin: AdminCon) -> None:
    skipping = (MIGRATIONS[0], Migration(3, "skips two", ()))

    with pytest.raises(HistorianError, match="without gaps"):
        migrate(admin, schema, migrations=skipping)


def test_processes_opening_a_new_schema_at_once_migrate_it_once(
    url: str, schema: str, admin: AdminCon
) -> None:
    errors: list[BaseException] = []

    def open_close() -> None:
        try:
            PostgresHistorian(url).close()
        except BaseException as exc:  # reported below, with the test's own assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert versions(admin, schema) == list(range(1, LATEST_VERSION + 1))


# -- readers ------------------------------------------------------------------------------


def test_a_reader_refuses_appends(url: str) -> None:
    PostgresHistorian(url).close()

    with PostgresHistorian(url, read_only=True) as h, pytest.raises(HistorianError):
        h.append(SampleBatch.of(TEMP, [1], [1.0]))


def test_a_reader_of_a_schema_without_history_says_so(url: str) -> None:
    with pytest.raises(HistorianError, match="no shopfloor history"):
        PostgresHistorian(url, read_only=True)


# -- URLs and connections -----------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_open_historian_opens_the_schema_a_postgresql_url_names(
    scheme: str, server: str, schema: str
) -> None:
    url = with_schema(scheme + server.removeprefix("postgresql"), schema)

    h = open_historian(url, mode="shared")
    h.close()
    reader = open_historian(url, mode="shared", read_only=True)  # as the CLI opens it
    reader.close()

    assert isinstance(h, PostgresHistorian)
    assert (h.schema, reader.read_only) == (schema, True)


def test_a_url_and_an_argument_naming_different_schemas_are_refused(server: str) -> None:
    with pytest.raises(HistorianError, match="different schemas"):
        PostgresHistorian(with_schema(server, "one"), schema="two")


def test_a_schema_name_that_is_no_plain_identifier_is_refused(server: str) -> None:
    with pytest.raises(HistorianError, match="schema name"):
        PostgresHistorian(with_schema(server, "plant;drop"))


def test_an_unreachable_server_raises_historian_error_without_the_password() -> None:
    with pytest.raises(HistorianError, match="cannot connect") as caught:
        PostgresHistorian("postgresql://al:s3cret@127.0.0.1:1/plant", connect_timeout_s=1)

    assert "s3cret" not in str(caught.value)
    assert "al:***@127.0.0.1:1" in str(caught.value)


def test_a_connection_the_server_dropped_is_reopened_and_the_flush_still_lands(
    server: str, schema: str, admin: AdminCon
) -> None:
    name = f"sf-test-{uuid.uuid4().hex[:8]}"
    h = PostgresHistorian(f"{with_schema(server, schema)}&application_name={name}")
    h.append(SampleBatch.of(TEMP, [1], [1.0]))
    h.flush()
    h.append(SampleBatch.of(TEMP, [2], [2.0]))

    dropped = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        [name],
    ).fetchall()
    h.flush()
    got = rows(h.raw(TEMP, 0, 10))
    h.close()

    assert dropped == [(True,)]
    assert got == [(TEMP, 1, 1.0), (TEMP, 2, 2.0)]


# -- several writers and readers ----------------------------------------------------------


def test_a_writer_whose_marks_are_stale_still_keeps_the_last_write(url: str) -> None:
    a = PostgresHistorian(url)
    b = PostgresHistorian(url)
    b.append(SampleBatch.of(TEMP, [1], [0.0]))
    b.flush()  # b now believes TEMP's newest time is 1
    a.append(SampleBatch.of(TEMP, [2, 3, 4], [1.0, 1.0, 1.0]))
    a.flush()

    b.append(SampleBatch.of(TEMP, [3, 5], [2.0, 2.0]))  # 3 collides with a's row
    b.flush()
    got = rows(a.raw(TEMP, 0, 10))
    a.close()
    b.close()

    assert got == [(TEMP, 1, 0.0), (TEMP, 2, 1.0), (TEMP, 3, 2.0), (TEMP, 4, 1.0), (TEMP, 5, 2.0)]


def test_writers_adding_the_same_new_paths_at_once_share_one_id_per_path(
    url: str, schema: str, admin: AdminCon
) -> None:
    PostgresHistorian(url).close()
    paths = [f"acme/site/m{i:02d}/temp" for i in range(40)]

    def write(offset: int) -> None:
        with PostgresHistorian(url) as h:
            order = paths if offset % 2 else paths[::-1]
            h.append(SampleBatch.from_samples(Sample(p, offset, 1.0) for p in order))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert admin.execute(in_schema(schema, "SELECT count(*) FROM {}.tags")).fetchone() == (40,)
    with PostgresHistorian(url, read_only=True) as h:
        assert len(h.raw("#", 0, 10)) == 4 * 40


WRITER = """
import sys, time
from shopfloor.historian.postgres import PostgresHistorian
from shopfloor.model.batch import SampleBatch
url, tag, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
with PostgresHistorian(url) as h:
    print("ready", flush=True)
    for i in range(batches):
        h.append(SampleBatch.of(tag, range(10 * i, 10 * i + 10), [float(i)] * 10))
        h.flush()
        time.sleep(0.01)
"""


def test_a_reader_sees_a_writer_process_progress(url: str) -> None:
    batches = 30
    PostgresHistorian(url).close()
    reader = PostgresHistorian(url, read_only=True)
    seen: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, url, TEMP, str(batches)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        while proc.poll() is None:
            seen.append(len(reader.raw(TEMP, 0, 10**6)))
            time.sleep(0.005)
    seen.append(len(reader.raw(TEMP, 0, 10**6)))
    reader.close()

    assert proc.returncode == 0
    assert seen == sorted(seen)
    assert any(0 < n < 10 * batches for n in seen)
    assert seen[-1] == 10 * batches


# -- what PostgreSQL stores ---------------------------------------------------------------


def test_an_event_payload_that_json_allows_but_postgresql_json_would_not_round_trips(
    historian: PostgresHistorian,
) -> None:
    historian.append_events([Event("e1", 1, "acme/site", "anomaly.score", payload={"z": nan})])

    (got,) = historian.events()

    assert math.isnan(got.payload["z"])


def test_paths_sort_byte_by_byte_whatever_the_database_collation(
    historian: PostgresHistorian,
) -> None:
    for path in ("a/x/t", "a/x/sub/t", "a/X/t", "a/x-y/t", "a/x_y/t", "a/x.y/t"):
        historian.append(SampleBatch.of(path, [1], [1.0]))

    assert historian.paths() == sorted(historian.paths())
    assert historian.raw("#", 0, 10).paths == tuple(sorted(historian.paths()))


def test_the_sql_tool_views_show_paths_times_and_quality(
    historian: PostgresHistorian, schema: str, admin: AdminCon
) -> None:
    t = 1_767_225_600_123_456_789  # 2026-01-01T00:00:00.123456789Z
    historian.append(SampleBatch.of(SPEED, [t, t + 1000], [1.0, 2.0], [0, 0x808A0000]))
    historian.append_events([Event("e1", t, "acme/site", "alarm.active")])
    historian.flush()

    history = admin.execute(
        in_schema(schema, "SELECT path, time::text, quality FROM {}.sample_history ORDER BY ts")
    ).fetchall()
    latest = admin.execute(in_schema(schema, "SELECT path, value FROM {}.latest_samples"))
    family = admin.execute(in_schema(schema, "SELECT family FROM {}.event_log"))

    assert [(p, q) for p, _, q in history] == [(SPEED, "good"), (SPEED, "bad")]
    assert history[0][1].startswith("2026-01-01 00:00:00.123456")
    assert latest.fetchall() == [(SPEED, 2.0)]
    assert family.fetchall() == [("alarm",)]


# -- the command line ---------------------------------------------------------------------

CSV = """timestamp,path,value,quality
2026-11-26T08:00:00Z,acme/l1/press/temp,20.5,good
2026-11-26T08:00:01Z,acme/l1/press/temp,21.5,uncertain
2026-11-26T08:00:03Z,acme/l1/press/recipe,R-17,good
"""


def test_the_command_line_imports_into_and_reads_from_postgresql(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "samples.csv").write_text(CSV)
    window = ["--start", "2026-11-26T07:00", "--end", "2026-11-26T09:00"]

    imported = run_cli(["import", "samples.csv", "--db", url])
    history = run_cli(["history", "acme/#", *window, "--db", url, "--out", "-"])
    out = capsys.readouterr().out

    assert (imported, history) == (0, 0)
    assert out.splitlines()[-3:] == [
        "2026-11-26T08:00:00Z,acme/l1/press/temp,20.5,good",
        "2026-11-26T08:00:01Z,acme/l1/press/temp,21.5,uncertain",
        "2026-11-26T08:00:03Z,acme/l1/press/recipe,R-17,good",
    ]


# -- selectors in SQL ---------------------------------------------------------------------

_segment = st.sampled_from(["a", "b", "a.b", "a-b", "a_b", "ab"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.lists(_segment, min_size=1, max_size=4).map("/".join),
    selector=st.lists(_segment | st.just("+"), min_size=1, max_size=4)
    .flatmap(lambda s: st.sampled_from([s, [*s, "#"]]))
    .map("/".join),
)
def test_the_sql_path_filter_selects_exactly_what_the_pattern_matches(
    admin: AdminCon, path: str, selector: str
) -> None:
    pat = Pattern(selector)
    predicate, params = path_filter("path", pat)
    query = sql.SQL(
        'SELECT EXISTS (SELECT FROM (SELECT %(candidate)s::text COLLATE "C" AS path) v WHERE {})'
    ).format(predicate)

    row = admin.execute(query, {**params, "candidate": path}).fetchone()

    assert row == (pat.matches(path),)


# -- the benchmark ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_postgresql_benchmark_prints_a_report_for_docs(server: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.historian.postgres", "--quick", "--url", server],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.count("### PostgreSQL") == 1
    assert "| append, points/s |" in run.stdout
    assert "| query p95 after VACUUM (ANALYZE) (ms) |" in run.stdout
