"""The pipeline written down once: its stages in order, the plan they decide, kept apart from
the settings and from the network, and what reads it (the summary, the report, bench)."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import noisy_set, tiny_config
from noise2info import make_config, pipeline, train
from noise2info.config import Config
from noise2info.models import build_model
from noise2info.plan import Plan

SRC = Path(__file__).resolve().parents[1] / "src" / "noise2info"
PLAN_FIELDS = set(Plan.model_fields) | {"posterior", "line_noise"}
SETTINGS = ("method", "config")  # getattr on the settings (a method's own fields) is fine
NETWORKS = ("model", "net", "network")


def test_the_stages_run_in_the_documented_order_and_each_says_how_to_switch_it_off():
    assert pipeline.STAGE_NAMES == ("start", "lines", "vst", "correlation", "noise", "refine")
    rows = pipeline.describe()
    assert [r["stage"] for r in rows] == list(pipeline.STAGE_NAMES)
    assert all(r["doc"] for r in rows)
    # each on / off setting is a flat setting make_config takes (the noise stage is always on)
    for row in rows:
        make_config(**row["on"])
        if row["off"] is not None:
            make_config(**row["off"])
    assert [r["stage"] for r in rows if r["off"] is None] == ["noise"]
    with pytest.raises(ValueError, match="always on"):
        pipeline.stage_settings("off", ("noise",))
    with pytest.raises(KeyError, match="no stage 'nope'"):
        pipeline.stage("nope")


def test_switched_off_the_stages_decide_nothing_from_the_data():
    from noise2info.data.camera import real_sim_images

    camera = [x.astype(np.float32) for x in real_sim_images("camera", side=96)[2]]
    on = pipeline.make_plan(camera, tiny_config(channels=3)).plan
    assert on.mask_block == 3 and on.noise_lags  # correlated demosaiced noise, read as such
    assert len(on.noise_lags_by_channel) == 3  # and each colour channel's own correlation
    assert len(on.noise_covariance_by_channel) == 3 and on.noise_covariance  # for the second scale
    assert on.posterior_floor > 0  # the prediction carries some of it: the step keeps a share
    off = tiny_config(channels=3, **pipeline.stage_settings("off", ("start", "lines", "vst", "correlation")))
    planning = pipeline.make_plan(camera, off)
    assert planning.readings == {}  # nothing measured
    plan = planning.plan
    assert (plan.init, plan.lines, plan.vst, plan.pd_stride, plan.mask_block, plan.noise_lags) == (
        "random",
        "none",
        None,
        1,
        1,
        None,
    )
    assert plan.noise_lags_by_channel is None and plan.noise_covariance_by_channel is None
    assert plan.noise_prior is not None  # the noise stage reads the level whatever the rest
    assert plan.posterior_floor == 0.0
    sensor = [x.astype(np.float32) for x in real_sim_images("sensor", side=96)[2]]
    assert pipeline.make_plan(sensor, tiny_config()).plan.posterior_floor == 0.0  # independent noise


def test_the_trainer_trains_with_the_plan_the_stages_make_and_a_given_plan_is_not_decided_again(monkeypatch):
    _, noisy = noisy_set()
    config = tiny_config()
    planning = pipeline.make_plan(noisy, config)
    result = train(noisy, config, progress=False)
    assert result.plan.model_copy(update={"refine": None}) == planning.plan  # refine: chosen in training
    assert result.plan.refine in ("posterior", "sure")

    def no_measuring(*_args, **_kwargs):
        raise AssertionError("a stage measured the data again")

    from noise2info.training import Trainer, trainer

    for measure in ("line_noise", "fit_stabiliser", "noise_correlation", "find_pretrained"):
        monkeypatch.setattr(pipeline, measure, no_measuring)
    monkeypatch.setattr(trainer, "make_plan", no_measuring)
    resumed = Trainer(noisy, config, plan=result.plan)  # a resumed run's plan: applied, not decided
    assert resumed.plan == result.plan
    timed = Trainer(noisy, config, plan=planning)  # train --time: decided once, for both runs
    assert timed.plan == planning.plan


def test_no_pipeline_state_rides_on_a_network(tmp_path):
    from noise2info import load_run, save_run

    _, noisy = noisy_set()
    config = tiny_config()
    result = train(noisy, config, progress=False)
    fresh = build_model(result.config.model)
    # the trained and the reloaded network hold what a freshly built one does, nothing more
    assert set(vars(result.model)) == set(vars(fresh))
    save_run(result, tmp_path / "run")
    run = load_run(tmp_path / "run", "cpu")
    assert set(vars(run.model)) == set(vars(fresh))
    assert not any(hasattr(run.model, name) for name in PLAN_FIELDS)
    assert json.loads((tmp_path / "run" / "plan.json").read_text()) == json.loads(
        result.plan.model_dump_json()
    )
    # and no source file sets or reads one with setattr / getattr, or assigns one to a network
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in PLAN_FIELDS
                and not (
                    isinstance(node.args[0], ast.Attribute) and node.args[0].attr in ("method", "config")
                )
            ):
                found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    owner = t.value if isinstance(t, ast.Attribute) else None
                    named = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
                    if (
                        t.__class__ is ast.Attribute
                        and t.attr in PLAN_FIELDS
                        and named in ("model", "net", "network")
                    ):
                        found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_the_summary_the_report_and_bench_read_the_stages():
    from noise2info.bench.methods import METHODS

    camera_like = Plan(
        init="pretrained", lines="rows", vst=(0.02, 0.03), mask_block=3, noise_lags={"0,1": 0.4}
    )
    record = {
        "lines": {"rows": 0.6, "columns": 0.01, "found": ["rows"]},
        "correlation": {"max": 0.45, "correlated": True, "jpeg": False, "lags": {"0,1": 0.4}},
        "refine": {"step": 3, "gain_db": 1.2, "choice": "posterior"},
        "sigma": 0.2,
        "sigma_loss": 0.25,
    }
    lines = pipeline.explain(camera_like.model_copy(update={"refine": "posterior"}), record)
    wanted = [
        "shipped starting point",
        "line noise",
        "variance",
        "correlated",
        "sigma 0.2000",
        "chose posterior",
    ]
    positions = [next(i for i, line in enumerate(lines) if w in line) for w in wanted]
    assert positions == sorted(positions)  # in the stages' order
    assert any("--no-posterior" in line for line in lines)
    note = pipeline.notes(camera_like, record)
    assert "vst gat" in note and "masked 3 x 3 blocks" in note and "rows offsets removed" in note
    assert pipeline.explain(Plan(), {}) == []  # a network alone: nothing decided, nothing said
    jpegd = Plan(refine="posterior", mask_block=3, noise_scale=5.0, posterior_floor=0.5)
    jpeg_record = {**record, "correlation": {**record["correlation"], "jpeg": True}}
    said = " ".join(pipeline.explain(jpegd, jpeg_record))
    assert "scaled by 5.00" in said and "at least 50%" in said
    # the run's sigma says which rule gave it
    bound = " ".join(pipeline.explain(jpegd, {**jpeg_record, "noise": {"sigma_rule": "bound"}}))
    mean = " ".join(pipeline.explain(camera_like, {**record, "noise": {"sigma_rule": "mean"}}))
    assert "0.8 of sigma_loss" in bound and "geometric mean" in mean and "geometric" not in bound
    assert "geometric" not in " ".join(pipeline.explain(camera_like, record))  # a run before the rule
    # bench's rows: the default switches on what the CLI does, the rest train on images as they are
    rows = {m.name: m.settings for m in METHODS}
    default = rows["noise2info (default)"]
    assert {k: default[k] for k in ("line_noise", "vst", "correlation")} == pipeline.stage_settings(
        "on", ("lines", "vst", "correlation")
    )
    independent = rows["noise2info (default, as if independent)"]
    assert independent["line_noise"] == "none" and independent["correlation"] == "none"


def test_a_plan_round_trips_through_json_and_refuses_unknown_fields():
    plan = Plan(vst=(0.1, 0.2), noise_prior=[(1.0, 0.5), None], noise_lags={"0,1": 0.3}, refine=None)
    assert Plan.model_validate_json(plan.model_dump_json()) == plan
    with pytest.raises(ValueError):
        Plan.model_validate({"surprise": 1})
    assert Config.model_validate(json.loads(make_config().model_dump_json())).training.correlation == "auto"
