import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys

import pytest

from dedup.cli import main

from .conftest import SEEDS


def _feed(tmp_path, seed_texts, extra=()):
    reuters, unn = seed_texts
    rows = [
        {"id": "reuters", "text": reuters, "published": "2026-03-04T06:00:00Z"},
        {"id": "unn", "text": unn, "published": "2026-03-04T09:30:00Z"},
        {"id": "rain", "text": "Heavy rain flooded the old town overnight, the fire service said."},
        *extra,
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _lines(text):
    return [json.loads(line) for line in text.splitlines()]


def test_find_writes_one_line_per_article(tmp_path, seed_texts, capsys):
    assert main(["find", str(_feed(tmp_path, seed_texts))]) == 0
    out = _lines(capsys.readouterr().out)
    assert [r["id"] for r in out] == ["reuters", "unn", "rain"]
    assert [r["status"] for r in out] == ["representative", "duplicate", "unique"]
    assert out[1]["duplicate_of"] == "reuters" and out[1]["cluster"] == out[0]["cluster"] == 0
    assert 0 < out[1]["score"] <= 1
    assert set(out[2]) == {"id", "status", "cluster", "duplicate_of", "score", "reason", "update_of", "updated_by"}


def test_find_pairs_and_output_file(tmp_path, seed_texts, capsys):
    out_path = tmp_path / "pairs.jsonl"
    assert main(["find", str(_feed(tmp_path, seed_texts)), "--pairs", "-o", str(out_path), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    pairs = _lines(out_path.read_text(encoding="utf-8"))
    assert [(p["a"], p["b"]) for p in pairs] == [("reuters", "unn")]
    assert pairs[0]["coverage_b"] > 0.9 and "near-duplicate" in pairs[0]["reason"]


def test_malformed_record_stops_with_file_and_line(tmp_path, seed_texts, capsys):
    path = _feed(tmp_path, seed_texts)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"id": "broken", "body": "x"}\n')
    assert main(["find", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}, line 4: missing field 'text'" in err and "--text-field" in err and "--on-error skip" in err
    assert len(err.strip().splitlines()) == 1


def test_on_error_skip_keeps_every_record_in_place(tmp_path, seed_texts, capsys):
    path = tmp_path / "feed.jsonl"
    good = _feed(tmp_path, seed_texts).read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([good[0], "{oops", good[1], json.dumps({"id": "unn", "text": "again"}), good[2]]) + "\n",
        encoding="utf-8",
    )
    assert main(["find", str(path), "--on-error", "skip"]) == 0
    out = _lines(capsys.readouterr().out)
    assert [r["status"] for r in out] == ["representative", "rejected", "duplicate", "rejected", "unique"]
    assert "line 2: not valid JSON" in out[1]["reason"]
    assert out[3]["id"] == "unn" and "duplicate id 'unn'" in out[3]["reason"]


def test_folder_csv_gzip_and_stdin_inputs(tmp_path, seed_texts, capsys, monkeypatch):
    assert main(["find", str(SEEDS)]) == 0
    assert {r["status"] for r in _lines(capsys.readouterr().out)} == {"representative", "duplicate"}
    feed = _feed(tmp_path, seed_texts)
    packed = tmp_path / "feed.jsonl.gz"
    packed.write_bytes(gzip.compress(feed.read_bytes()))
    csv_path = tmp_path / "feed.csv"
    import csv

    with csv_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["guid", "body", "published"])
        for r in _lines(feed.read_text(encoding="utf-8")):
            w.writerow([r["id"], r["text"], r.get("published", "")])
    assert main(["find", str(packed)]) == 0
    gz_out = capsys.readouterr().out
    assert main(["find", str(csv_path), "--id-field", "guid", "--text-field", "body"]) == 0
    csv_out = capsys.readouterr().out
    assert [r["status"] for r in _lines(gz_out)] == [r["status"] for r in _lines(csv_out)]


@pytest.mark.parametrize("command", ["find", "stream"])
@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--threshold", "80", "between 0 and 1"),
        ("--bucket-limit", "0", "argument --bucket-limit: must be between 1 and 1048576; got 0"),
        ("--fact-agreement", "2", "argument --fact-agreement:"),
    ],
)
def test_usage_errors_exit_2_naming_the_flag(capsys, tmp_path, command, option, value, message):
    feed = tmp_path / "x.jsonl"
    feed.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([command, *([str(feed)] if command == "find" else []), option, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "bucket_limit" not in err


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--lsh-weights", "0.5,0.6", "sum to 1"),
        ("--lsh-weights", "high", "two numbers FP,FN"),
        ("--shingle-size", "0", "argument --shingle-size: must be between 1 and 64; got 0"),
        ("--num-perm", "1", "argument --num-perm: must be between 2 and 16384; got 1"),
        ("-j", "-1", "argument -j/--jobs: must be between 1 and 256; got -1"),
        ("--treshold", "0.3", "--treshold: did you mean --threshold?"),
        ("--shingle-sise=3", "", "--shingle-sise=3: did you mean --shingle-size?"),
    ],
)
def test_flag_errors_exit_2_naming_the_flag(capsys, tmp_path, option, value, message):
    """A bad flag value is a usage error (exit 2) naming the flag, never the Python setting; a typo gets a suggestion."""
    feed = tmp_path / "x.jsonl"
    feed.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["find", str(feed), option, *([value] if value else [])])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "shingle_size" not in err and "num_perm" not in err, err


def test_lsh_weights_option(tmp_path, seed_texts, capsys):
    assert main(["find", str(_feed(tmp_path, seed_texts)), "--lsh-weights", "0.2,0.8", "--pairs"]) == 0
    assert len(_lines(capsys.readouterr().out)) == 1


def test_installed_command_and_module_run(tmp_path, seed_texts):
    feed = _feed(tmp_path, seed_texts)
    exe = shutil.which("dedup")
    commands = [[sys.executable, "-m", "dedup", "find", str(feed)]] + ([[exe, "find", str(feed)]] if exe else [])
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        assert [r["status"] for r in _lines(done.stdout)] == ["representative", "duplicate", "unique"]
        # not a terminal: no progress bar, only the summary line that ends every run
        assert done.stderr.startswith("dedup find: 3 records: ") and done.stderr.count("\n") == 1
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "find", "-"],
        input=feed.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(done.stdout.splitlines()) == 3


def test_output_that_is_an_input_is_refused(tmp_path, seed_texts, capsys):
    feed = _feed(tmp_path, seed_texts)
    before = feed.read_bytes()
    assert main(["find", str(feed), "-o", str(feed)]) == 1
    assert "is also an input" in capsys.readouterr().err and feed.read_bytes() == before


def test_output_checked_before_the_work_and_replaced_only_on_success(tmp_path, seed_texts, capsys):
    """-o is written beside the target and renamed over it when the run succeeds: a failed run leaves the old file."""
    feed = _feed(tmp_path, seed_texts)
    out = tmp_path / "verdicts.jsonl"
    for bad, message in (
        (tmp_path / "missing" / "v.jsonl", "does not exist; create it first"),
        (tmp_path, "is a folder"),
        (feed, "is also an input"),
    ):
        assert main(["find", str(feed), "-o", str(bad), "-q"]) == 1
        assert message in capsys.readouterr().err
    link = tmp_path / "link.jsonl"
    link.symlink_to(feed)
    assert main(["find", str(feed), "-o", str(link), "-q"]) == 1  # the input through a symlink
    assert "is also an input" in capsys.readouterr().err and feed.read_text(encoding="utf-8").startswith("{")
    out.write_text("the results of yesterday\n", encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(feed.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    assert main(["find", str(broken), "-o", str(out), "-q"]) == 1  # stops at the bad line
    assert out.read_text(encoding="utf-8") == "the results of yesterday\n"  # untouched
    assert main(["find", str(feed), "-o", str(out), "-q"]) == 0
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        "reuters",
        "unn",
        "rain",
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []  # no temporary left


def test_output_is_utf8_json_lines_whatever_the_ids_and_the_locale(tmp_path):
    """A lone surrogate (valid JSON), U+2028/U+2029/U+0085 in ids and texts: one valid UTF-8 line per record, even
    with an ASCII stdout; json.loads gives each id back."""
    ids = ["lone-\ud800-surrogate", "line\u2028separator", "para\u2029graph", "next\x85line", "Καλημέρα-國際"]
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "".join(json.dumps({"id": i, "text": f"story {k} about {i}"}) + "\n" for k, i in enumerate(ids)),
        encoding="ascii",
    )
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "find", str(feed), "-q"],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    text = done.stdout.decode("utf-8")  # strict: valid UTF-8
    assert [json.loads(line)["id"] for line in text.splitlines()] == ids
    out = tmp_path / "out.jsonl"
    assert main(["find", str(feed), "-o", str(out), "-q"]) == 0
    assert [json.loads(line)["id"] for line in out.read_bytes().decode("utf-8").splitlines()] == ids


def test_field_options_reach_nested_json_and_csv_columns(tmp_path, seed_texts, capsys):
    """--id-field/--text-field/--title-field/--source-field/--published-field, dotted paths into nested JSON,
    --csv-delimiter: the same verdicts as the flat feed."""
    reuters, unn = seed_texts
    nested = tmp_path / "nested.jsonl"
    nested.write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in [
                {
                    "guid": "reuters",
                    "body": {"text": reuters, "headline": "H1"},
                    "meta": {"site": "Reuters", "when": "Tue, 03 Mar 2026 06:00:00 GMT"},
                },
                {
                    "guid": "unn",
                    "body": {"text": unn, "headline": "H2"},
                    "meta": {"site": "UNN", "when": "2026-03-04T09:30:00Z"},
                },
            ]
        ),
        encoding="utf-8",
    )
    options = [
        "--id-field",
        "guid",
        "--text-field",
        "body.text",
        "--title-field",
        "body.headline",
        "--source-field",
        "meta.site",
        "--published-field",
        "meta.when",
    ]
    assert main(["find", str(nested), *options, "-q"]) == 0
    verdicts = {v["id"]: v for v in map(json.loads, capsys.readouterr().out.splitlines())}
    assert verdicts["unn"]["status"] == "duplicate" and verdicts["unn"]["duplicate_of"] == "reuters"
    from dedup import read_feed

    articles = [
        r.article
        for r in read_feed(
            nested,
            id_field="guid",
            text_field="body.text",
            title_field="body.headline",
            source_field="meta.site",
            published_field="meta.when",
        )
    ]
    assert [(a.title, a.source, a.published.isoformat()) for a in articles] == [
        ("H1", "Reuters", "2026-03-03T06:00:00+00:00"),
        ("H2", "UNN", "2026-03-04T09:30:00+00:00"),
    ]
    pipes = tmp_path / "feed.csv"
    with open(pipes, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="|").writerows([["id", "text"], ["reuters", reuters], ["unn", unn]])
    assert main(["find", str(pipes), "--csv-delimiter", "|", "-q"]) == 0
    assert sorted(json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()) == [
        "duplicate",
        "representative",
    ]
    with pytest.raises(SystemExit):
        main(["find", str(pipes), "--csv-delimiter", "ab"])
    assert "expected one character" in capsys.readouterr().err


@pytest.mark.parametrize("indexed", [False, True], ids=["batch", "index"])
@pytest.mark.parametrize("from_stdin", [False, True])
def test_emit_kept_writes_the_deduplicated_feed_every_field_as_it_came(
    tmp_path, seed_texts, from_stdin, indexed, capsys, monkeypatch
):
    """--emit kept is the whole job: the kept input records themselves (fields the tool does not read included);
    --emit duplicates the others; together with the rejected ones, every record accounted for."""
    reuters, unn = seed_texts
    rows = [
        {"id": "reuters", "text": reuters, "extra": {"desk": "wire", "n": 1}, "published": "2026-03-04T06:00:00Z"},
        {"id": "unn", "text": unn, "extra": [1, 2], "published": "2026-03-04T09:30:00Z"},
        {"id": "bad", "title": "no text"},
        {"id": "other", "text": "The weather in Valdoria stayed dry all week, forecasters said on Friday."},
    ]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    source = "-" if from_stdin else str(feed)
    outputs = {}
    for emit in ("kept", "duplicates"):
        if from_stdin:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(feed.read_bytes()), encoding="utf-8"))
        out = tmp_path / f"{emit}.jsonl"
        index = ["--index", str(tmp_path / f"{emit}.db")] if indexed else []
        assert main(["find", source, "--emit", emit, "--on-error", "skip", "-o", str(out), "-q", *index]) == 0
        outputs[emit] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert outputs["kept"] == [rows[0], rows[3]]  # as they came, in input order
    assert outputs["duplicates"] == [rows[1]]
    with pytest.raises(SystemExit):
        main(["find", str(feed), "--emit", "kept", "--pairs"])
    assert "not allowed with --emit kept" in capsys.readouterr().err


def test_on_error_skip_accounts_for_every_csv_record_in_its_place(tmp_path, capsys):
    path = tmp_path / "feed.csv"
    path.write_bytes(b"id,text\n" + b'a,"ab"c\n' + b"b,ok then\n" + b"c,caf\xe9\n" + b"d,fine\n")
    assert main(["find", str(path), "--on-error", "skip", "-q"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(v["id"], v["status"]) for v in lines] == [
        (None, "rejected"),
        ("b", "unique"),
        ("c", "rejected"),
        ("d", "unique"),
    ]
    assert "line 2" in lines[0]["reason"] and "line 4" in lines[2]["reason"]
    assert main(["find", str(path), "-q"]) == 1  # --on-error stop: the first bad record stops the run
    assert "line 2: malformed CSV" in capsys.readouterr().err


def test_version_names_the_text_stage(capsys):
    from dedup import __version__
    from dedup.text import TEXT_STAGE_VERSION

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip().startswith(f"dedup {__version__} (text stage {TEXT_STAGE_VERSION};")


def test_a_truncated_gzip_keeps_what_was_read_and_says_where_it_broke(tmp_path, capsys):
    rows = [{"id": str(k), "text": f"article number {k} about item {k * 7} of the list"} for k in range(3000)]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
    path = tmp_path / "feed.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    assert main(["find", str(path), "--on-error", "skip", "-q"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[-1]["status"] == "rejected" and "truncated or corrupt gzip file" in out[-1]["reason"]
    assert [v["id"] for v in out if v["status"] != "rejected"] == [r["id"] for r in rows[: len(out) - 2]] or [
        v["id"] for v in out if v["status"] != "rejected"
    ] == [r["id"] for r in rows[: len(out) - 1]]
    assert main(["find", str(path), "-q"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "gzip" in err


def test_output_errors_are_one_line_naming_the_output(tmp_path):
    """A full disk (/dev/full) and a closed stdout: exit 1, one line naming the output, no traceback."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "one two three four"}\n', encoding="utf-8")
    full = subprocess.run(
        [sys.executable, "-m", "dedup", "find", str(feed), "-o", "/dev/full", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (
        full.returncode == 1
        and full.stderr.strip() == "dedup find: error: cannot write -o /dev/full: No space left on device"
    )
    closed = subprocess.run(
        f'"{sys.executable}" -m dedup find "{feed}" -q >&-',
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert closed.returncode == 1 and "cannot write stdout: it is closed" in closed.stderr
    assert "Traceback" not in full.stderr + closed.stderr


@pytest.mark.parametrize("command", ["find", "stream", "diff"])
def test_help_documents_every_flag(command, capsys):
    """Every option of every subcommand has a help text in --help."""
    from dedup.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and a.choices and command in a.choices).choices[
        command
    ]
    bare = [a.option_strings for a in sub._actions if a.option_strings and not a.help and "-h" not in a.option_strings]
    assert bare == [], bare
