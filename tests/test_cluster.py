"""`glimpse analyze --scheduler`: the same outputs on a Dask cluster as locally, a broken video
reported after its retries, a summary CSV. The cluster is started here, on loopback only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.cli.main import main

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed "
                                                         "(pip install 'glimpse[cluster]')")

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path / "cache"))  # workers inherit it
    monkeypatch.setenv("DASK_TEMPORARY_DIRECTORY", str(tmp_path / "dask"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, worker_dashboard_address=None) as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        yield c


def test_cluster_run_matches_local_run_and_reports_the_broken_video(tmp_path, capsys, cluster):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes((DATA / "single_face.mp4").read_bytes()[:3000])
    videos = [str(DATA / "single_face.mp4"), str(broken), str(DATA / "injected_short.mp4")]
    summary = tmp_path / "summary.csv"
    code = main(["analyze", *videos, "--out-dir", str(tmp_path / "cluster"), "--scheduler",
                 cluster.scheduler_address, "--retries", "1", "--summary", str(summary), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2, err  # one video failed, the others are done
    assert "2 of 3 videos analysed, 1 failed" in err and err.count("[3/3]") == 1
    rows = {r["video"]: r for r in csv.DictReader(io.StringIO(summary.read_text()))}
    assert [rows[v]["status"] for v in videos] == ["done", "failed", "done"]
    assert rows[str(broken)]["attempts"] == "2" and "not a readable video" in rows[str(broken)]["error"]
    assert rows[videos[2]]["moments"] == "2" and rows[videos[2]]["frames_read"] == "244"
    with distributed.Client(cluster) as client:  # the scheduler's own log: how often each video's task ran
        log = client.run_on_scheduler(lambda dask_scheduler: [(str(t[0]), t[2]) for t in dask_scheduler.transition_log])
    runs = {i: sum(1 for key, to in log if key.startswith("glimpse-analyze-") and key.endswith(f"-{i}")
                   and to == "processing") for i in range(3)}
    assert runs == {0: 1, 1: 2, 2: 1}  # the broken video was tried again once (--retries 1), the others ran once

    assert main(["analyze", *videos, "--out-dir", str(tmp_path / "local"), "--jobs", "1", "--no-cache"]) == 2
    capsys.readouterr()
    names = sorted(p.name for p in (tmp_path / "cluster").iterdir())
    assert names == ["injected_short.json", "single_face.json"]
    assert names == sorted(p.name for p in (tmp_path / "local").iterdir())
    for name in names:
        assert (json.loads((tmp_path / "cluster" / name).read_text())
                == json.loads((tmp_path / "local" / name).read_text()))


def test_an_unreachable_scheduler_is_one_line(capsys, monkeypatch):
    import app.run.cluster

    monkeypatch.setattr(app.run.cluster, "CONNECT_TIMEOUT_S", 1.0)
    code = main(["analyze", str(DATA / "single_face.mp4"), "--out-dir", "/tmp/never-written",
                 "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot reach the Dask scheduler" in err
