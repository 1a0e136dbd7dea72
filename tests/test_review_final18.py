"""Final review 18: defects between today's areas (overnight, newuser, store, cost, verdicts, report)."""
from __future__ import annotations

import logging


def _failed_grid(tmp_path):
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    cfgs = [RunConfig(task="denoise", loss=loss, seed=0, train_fingerprint="x", test_fingerprint="y")
            for loss in ("l1", "l2")]
    store.write_meta(run_id(cfgs[1]), {"run_id": run_id(cfgs[1]), "status": "failed", "config": cfgs[1].to_dict(),
                                       "error": "ValueError: a bug", "failed_in": "training", "failed_at": 3})
    return store, cfgs


def test_api_run_s_last_lines_tell_its_caller_to_call_it_again_not_to_run_a_command(tmp_path, monkeypatch, caplog):
    """overnight gave api.run `plbench run`'s last lines (cli.say_outcome, say_interrupted), and newuser's rule is that
    api.run() speaks of its own call, not of flags or a command (config.profile(api=True)): a night script's log ended
    'fix the cause … and run the same command: it retries it', where the script has no command, and README says
    'the same call retries it'. api.run says its call; `plbench run` keeps its command."""
    from benchmark import api, cli, executors
    from benchmark.config import GridSpec
    from benchmark.runner import GridSummary

    store, cfgs = _failed_grid(tmp_path)
    s = GridSpec(out=str(store.root), executor="local").resolved()
    monkeypatch.setattr(cli, "planned", lambda spec, **kw: (s, cfgs, ("psnr",), "cpu", None))
    monkeypatch.setattr(executors, "execute", lambda *a, **kw: GridSummary(trained=1, failed=1))
    with caplog.at_level(logging.INFO, logger="benchmark"):
        api.run(out=str(store.root), report=False)
    said = [r.getMessage() for r in caplog.records]
    last = said[-1]
    assert "retries it" in last and "command" not in last and "api.run()" in last, said

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark"):
        cli.say_outcome(store, cfgs, GridSummary(trained=1, failed=1), None, 1.0)
    assert "run the same command: it retries it" in caplog.records[-1].getMessage()


def test_api_run_stopped_says_its_call_resumes_the_grid(tmp_path, monkeypatch, caplog):
    """Stopped (SIGTERM, Ctrl-C), api.run said 'the same command resumes them' before its KeyboardInterrupt."""
    import pytest

    from benchmark import api, cli, executors
    from benchmark.config import GridSpec

    store, cfgs = _failed_grid(tmp_path)
    s = GridSpec(out=str(store.root), executor="local").resolved()
    monkeypatch.setattr(cli, "planned", lambda spec, **kw: (s, cfgs, ("psnr",), "cpu", None))

    def stopped(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(executors, "execute", stopped)
    with caplog.at_level(logging.INFO, logger="benchmark"), pytest.raises(KeyboardInterrupt):
        api.run(out=str(store.root), report=False)
    (line,) = [r.getMessage() for r in caplog.records if "the grid stands at" in r.getMessage()]
    assert "the same api.run() call retries the failed and resumes the rest" in line, line
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark"):
        cli.say_interrupted(store, cfgs)
    assert "the same command retries the failed" in caplog.records[0].getMessage()


def test_an_encoder_pretrained_on_a_hub_id_typed_with_a_slash_after_it_is_the_one_csr_looks_for():
    """data made a hub id typed with a slash after it (`me/photos/`, as a shell completes a folder) the same source
    as `me/photos` (DataSpec.parse), and methods named csr(selftrain_data=X)'s encoder and `plbench pretrain --data X`
    by X: the encoder's file hashed the data as typed, so `plbench pretrain --data me/photos/` made a file that
    csr(selftrain_data='me/photos') did not find (refused: 'no self-trained encoder'), and the other way round. One
    source, one encoder file; a folder that exists keeps its slash as typed, its token unchanged."""
    from benchmark.pretrain import PretrainConfig, output_path

    def path(data):
        return output_path(PretrainConfig(recipe="simclr", data=data))

    assert path("me/photos/") == path("me/photos")
    assert path("me/photos/:train") == path("me/photos:train")
    assert path("me/photos//@main:train#img") == path("me/photos@main:train#img")
    assert path("skimage:train") != path("me/photos")


def test_a_data_source_argument_whose_quotes_the_shell_took_is_said_quoted():
    """methods' README names an encoder's images as csr(selftrain_data='skimage-medical:train'); written on a command
    line inside single quotes, the shell takes the inner ones: csr(selftrain_data=skimage-medical:train), which is no
    Python expression (a '-' and a ':'), so newuser's hint for a bare word (layers=(relu1_2, …): 'text is quoted')
    never came — 'cannot parse loss spec …: expected e.g. 'l1''. It gets the same hint."""
    import pytest

    from benchmark.errors import UserError
    from benchmark.lossfn import parse_loss_spec

    with pytest.raises(UserError) as e:
        parse_loss_spec("csr(selftrain_data=skimage-medical:train)")
    said = str(e.value)
    assert "\n" not in said and "selftrain_data=skimage-medical:train is not one; text is quoted, " \
        "selftrain_data='skimage-medical:train'" in said, said
    assert "\"csr(selftrain_data='skimage-medical:train')\"" in said, said
    with pytest.raises(UserError, match="cannot parse loss spec"):
        parse_loss_spec("l1 +* l2")
    with pytest.raises(UserError, match=r"text is quoted, selftrain_data='me/photos:train' .*"
                                        r"\"l1 \+ 0.1\*csr\(selftrain_data='me/photos:train', encoder='auto'\)\""):
        parse_loss_spec("l1 + 0.1*csr(selftrain_data=me/photos:train, encoder=auto)")
