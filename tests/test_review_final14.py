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
