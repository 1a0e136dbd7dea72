"""Cross-area review of the fourteenth merge (a25f6a2..): defects between areas that no single area's review saw."""


def test_metric_code_tags_parse_only_files_with_the_decorator(tmp_path, monkeypatch):
    """``benchmark.metric_code`` reads every ``@code_version`` tag when imported (every table read imports it: report,
    check, ``api.load_results``). It parsed every file holding ``code_version(``, and ``config.code_version()`` is
    called across the package: ten files, 840 kB of source, ≈ 0.7-1.6 s of each report's start on a busy machine. A
    file is parsed only where the decorator is written; the tags read stay the same."""
    import ast

    from benchmark import metric_code

    (tmp_path / "calls.py").write_text("from benchmark.config import code_version\nv = code_version()\n")
    (tmp_path / "tagged.py").write_text("from benchmark import metric_code as mc\n\n"
                                        "@mc.code_version('mine', 't1')\nclass Mine:\n    pass\n")
    parsed, real = [], ast.parse
    monkeypatch.setattr(ast, "parse", lambda text, filename="<unknown>", *a, **kw:
                        parsed.append(filename) or real(text, filename, *a, **kw))
    assert metric_code.declared_code_versions(tmp_path) == {"mine": "t1"}
    assert [p.rpartition("/")[2] for p in parsed] == ["tagged.py"], parsed


def test_beat_runs_no_import_statement_per_training_step():
    """``progress.beat()`` is called on every training iteration and scored image; the per-thread heartbeat (probe-
    overnight) put ``import threading`` in its body, which runs the import machinery's lookup each call: twice
    a25f6a2's cost per step (≈ 230 vs 120 ns here). Its body takes the thread id and the clock only."""
    import dis

    from benchmark import progress

    ops = {i.opname for i in dis.get_instructions(progress.beat)}
    assert "IMPORT_NAME" not in ops, ops
    progress.beat()
    import threading

    assert threading.get_ident() in progress._beats
