"""Scoring moments against ground truth, and reading annotated long-video CSVs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli.research import main_evaluate
from app.errors import GlimpseError
from app.research.evaluate import (
    AnnotationsInvalid,
    au_regions,
    evaluate,
    format_report,
    iou,
    load_truth,
    megc2020_iou,
    megc2020_score,
    megc_matches,
    read_annotations_csv,
)


def ev(onset, offset, type="brow_raise", kind="micro", amp=0.05):
    return {"onset_s": onset, "apex_s": (onset + offset) / 2, "offset_s": offset, "type": type, "kind": kind,
            "amplitude_iod": amp, "regions": ["brows"]}


def mo(start, end):
    return {"start_s": start, "peak_s": (start + end) / 2, "end_s": end, "regions": ["brows"], "strength": 1.0,
            "prompted": False, "prompt": None}


TRUTH = {"events": [
    ev(10.0, 10.2, "brow_raise", amp=0.03),      # 200 ms, hit with IoU 0.75
    ev(20.0, 20.08, "lip_press", amp=0.05),      # 80 ms, hit only thanks to the tolerance
    ev(30.0, 30.4, "nose_wrinkle", amp=0.07),    # 400 ms, missed
    ev(40.0, 42.0, "brow_raise", kind="macro"),  # held: a moment on it is a false alarm
]}
MOMENTS = [mo(10.0, 10.15), mo(19.85, 19.95), mo(41.0, 41.2), mo(60.0, 60.1)]


def test_scores_of_a_hand_made_case():
    r = evaluate(TRUTH, MOMENTS, duration_s=120.0, tolerance_s=0.1)
    assert (r["micro_events"], r["macro_events"], r["moments"]) == (3, 1, 4)
    assert r["hits"] == 2 and r["recall"] == pytest.approx(2 / 3)
    assert r["recall_by_duration"]["<100 ms"] == {"events": 1, "hits": 1, "recall": 1.0}
    assert r["recall_by_duration"]["100-250 ms"] == {"events": 1, "hits": 1, "recall": 1.0}
    assert r["recall_by_duration"]["250-500 ms"] == {"events": 1, "hits": 0, "recall": 0.0}
    assert r["recall_by_type"]["nose_wrinkle"]["recall"] == 0.0
    assert r["recall_by_type"]["brow_raise"] == {"events": 1, "hits": 1, "recall": 1.0}
    assert r["recall_by_amplitude"]["<0.04 IOD"]["hits"] == 1
    assert r["recall_by_amplitude"][">=0.06 IOD"]["hits"] == 0
    assert r["true_moments"] == 2 and r["precision"] == 0.5
    assert r["false_alarms"] == 2 and r["false_alarms_per_min"] == pytest.approx(1.0)
    assert r["moments_on_macro"] == 1
    assert r["macro_overlapped"] == 1.0
    assert r["megc_one_to_one"]["tp"] == 1 and r["megc_one_to_one"]["fp"] == 3 and r["megc_one_to_one"]["fn"] == 2
    assert r["megc_one_to_one"]["f1"] == pytest.approx(2 / 7)
    assert r["megc_one_to_one"]["precision"] == pytest.approx(0.25) and r["megc_one_to_one"]["recall"] == pytest.approx(1 / 3)
    assert [e["hit"] for e in r["events"]] == [True, True, False]
    assert [m["on_macro"] for m in r["false_alarm_moments"]] == [True, False]


@pytest.mark.parametrize("tolerance, hit", [(0.1, False), (0.2, True)])
def test_tolerance_decides_a_near_miss(tolerance, hit):
    r = evaluate({"events": [ev(5.0, 5.1)]}, [mo(4.7, 4.89)], 60.0, tolerance)
    assert r["hits"] == int(hit)
    assert r["false_alarms"] == int(not hit)


def test_megc_matches_each_event_once():
    events = [ev(1.0, 1.2)]
    moments = [mo(1.0, 1.2), mo(1.02, 1.2), mo(5.0, 5.1)]
    matches = megc_matches(events, moments)
    assert matches == [(0, 0, 1.0)]
    r = evaluate({"events": events}, moments, 60.0)
    assert r["megc_one_to_one"]["tp"] == 1 and r["megc_one_to_one"]["fp"] == 2
    assert r["megc_one_to_one"]["f1"] == pytest.approx(2 * 1 / (3 + 1))
    assert r["precision"] == pytest.approx(2 / 3)  # overlap counts both the duplicates


def test_megc_matching_finds_the_most_pairs():
    # the first moment fits both events; greedy best-IoU-first would give it to event 0 and leave event 1 alone
    events = [ev(0.0, 1.0), ev(0.3, 1.3)]
    moments = [mo(0.1, 1.1), mo(0.0, 0.6)]  # IoU 0.82 and 0.67 with the first; 0.6 and 0.23 with the second
    assert [(i, j) for i, j, _ in megc_matches(events, moments)] == [(0, 1), (1, 0)]


def test_iou():
    assert iou(0, 1, 0.5, 1.5) == pytest.approx(1 / 3)
    assert iou(0, 1, 2, 3) == 0.0
    assert iou(1, 1, 1, 1) == 0.0


def test_empty_cases_give_none_not_errors():
    r = evaluate({"events": [ev(1.0, 1.1)]}, [], 30.0)
    assert r["recall"] == 0.0 and r["precision"] is None and r["false_alarms_per_min"] == 0.0
    assert r["megc_one_to_one"]["f1"] == 0.0
    r = evaluate({"events": []}, [], 30.0)
    assert r["recall"] is None and r["megc_one_to_one"]["f1"] is None and r["macro_overlapped"] is None
    assert "Recall" in format_report(r)


def test_bad_inputs_are_named():
    with pytest.raises(AnnotationsInvalid, match="moment 0: end_s"):
        evaluate({"events": []}, [mo(2.0, 1.0)], 10.0)
    with pytest.raises(AnnotationsInvalid, match="truth event 0: onset_s"):
        evaluate({"events": [{"offset_s": 1.0}]}, [], 10.0)
    assert issubclass(AnnotationsInvalid, GlimpseError)


SAMM_LIKE = """Subject,Filename,Inducement Code,Onset,Apex,Offset,Duration,Type,Action Units,Notes
006,006_1_1,1,101,111,131,31,Micro - 1/2,AU4+AU7,
006,006_1_2,1,301,0,400,100,Macro,R12,
006,006_1_3,1,501,520,0,20,Micro - 1/2,AU1+2,offset unknown
006,006_1_4,1,abc,520,530,20,Micro - 1/2,AU9,bad row
006,006_10_1,1,901,910,920,20,Micro - 1/2,AU15,other clip
006,006_1_5,1,601,605,611,11,Posed,AU12,not an expression type
"""


def test_csv_reader_samm_like(tmp_path):
    path = tmp_path / "samm.csv"
    path.write_text(SAMM_LIKE)
    truth = read_annotations_csv(path, fps=200.0, clip="006_1")
    events = truth["events"]
    assert [e["kind"] for e in events] == ["micro", "macro", "micro"]
    first = events[0]
    assert [first["onset_s"], first["apex_s"], first["offset_s"]] == pytest.approx([0.5, 0.55, 0.65])  # frame 1: 0 s
    assert first["regions"] == ["brows", "lids"] and first["type"] == "AU AU4+AU7"
    assert events[1]["apex_s"] == pytest.approx((350.5 - 1) / 200)  # apex 0: the midpoint
    assert events[1]["regions"] == ["mouth"]
    assert events[2]["offset_s"] == events[2]["apex_s"] == pytest.approx(519 / 200)  # offset 0: the apex
    assert [s["line"] for s in truth["skipped"]] == [5, 7]
    assert all(e["amplitude_iod"] is None for e in events)
    everything = read_annotations_csv(path, fps=200.0)
    assert len(everything["events"]) == 4  # the 006_10 clip too


def test_csv_reader_other_column_names(tmp_path):
    path = tmp_path / "casme.csv"
    path.write_text("onset_frame;ApexFrame;Offset Frame\n31;35;40\n11;13;15\n")
    truth = load_truth(path, fps=30.0, first_frame=0)
    assert [e["onset_s"] for e in truth["events"]] == [pytest.approx(11 / 30), pytest.approx(31 / 30)]
    assert all(e["kind"] == "micro" for e in truth["events"])
    with pytest.raises(AnnotationsInvalid, match="frame rate"):
        load_truth(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("start_time,stop_time\n1,2\n")
    with pytest.raises(AnnotationsInvalid, match="onset and offset"):
        read_annotations_csv(bad, fps=30.0)


def test_au_regions():
    assert au_regions("AU1+AU2+AU5") == ["brows", "lids"]
    assert au_regions("L9, R10") == ["nose", "mouth"]
    assert au_regions("") == []


def test_command_prints_table_and_json(tmp_path, capsys):
    truth_path, moments_path = tmp_path / "truth.json", tmp_path / "moments.json"
    truth_path.write_text(json.dumps({**TRUTH, "fps": 30.0, "duration_s": 120.0}))
    moments_path.write_text(json.dumps({"source": "x.mp4", "fps": 30.0, "frames": 3600, "duration_s": 120.0,
                                        "face_frames": 3600, "settings": {}, "moments": MOMENTS}))
    assert main_evaluate([str(truth_path), str(moments_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recall"] == pytest.approx(2 / 3) and result["false_alarms_per_min"] == pytest.approx(1.0)
    assert main_evaluate([str(truth_path), str(moments_path)]) == 0
    table = capsys.readouterr().out
    assert "Recall" in table and "MEGC" in table and "nose_wrinkle" in table


def test_command_reads_csv_truth_with_the_moments_frame_rate(tmp_path, capsys):
    csv_path, moments_path = tmp_path / "truth.csv", tmp_path / "moments.json"
    csv_path.write_text("Onset,Apex,Offset,Type\n301,304,307,micro\n")  # 10.0-10.2 s at 30 fps
    moments_path.write_text(json.dumps({"fps": 30.0, "duration_s": 60.0, "moments": [mo(10.05, 10.1)]}))
    assert main_evaluate([str(csv_path), str(moments_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["recall"] == 1.0
    assert "30 fps" in captured.err


def test_command_reports_missing_files(tmp_path):
    with pytest.raises(AnnotationsInvalid, match="does not exist"):
        main_evaluate([str(tmp_path / "no.json"), str(tmp_path / "none.json")])


# times on a 1/64 s grid and shifts of whole quarter seconds add exactly in binary floating point
_interval = st.tuples(st.integers(0, 64 * 100), st.integers(1, 32)).map(lambda t: (t[0] / 64, (t[0] + t[1]) / 64))


@settings(max_examples=60, deadline=None)
@given(st.lists(_interval, max_size=6), st.lists(_interval, max_size=8), st.integers(-200, 200))
def test_scores_do_not_depend_on_the_clock_origin_or_moment_order(events, moments, quarters):
    def scores(shift, reverse=False):
        truth = {"events": [ev(a + shift, b + shift) for a, b in events]}
        ms = [mo(a + shift, b + shift) for a, b in moments]
        r = evaluate(truth, ms[::-1] if reverse else ms, 120.0, tolerance_s=0.125)
        return r["hits"], r["true_moments"], r["false_alarms"], r["megc_one_to_one"]["tp"]

    base = scores(0.0)
    assert scores(quarters / 4) == base
    assert scores(0.0, reverse=True) == base
    hits, true_moments, false_alarms, tp = base
    assert tp <= min(hits, true_moments) and false_alarms == len(moments) - true_moments


def test_command_stops_quietly_when_its_reader_does(tmp_path):
    """`glimpse evaluate ... | head`: no traceback when the reader closes the pipe early."""
    import subprocess
    import sys

    truth_path, moments_path = tmp_path / "truth.json", tmp_path / "moments.json"
    truth_path.write_text(json.dumps({**TRUTH, "fps": 30.0, "duration_s": 120.0}))
    moments_path.write_text(json.dumps({"fps": 30.0, "duration_s": 120.0, "moments": MOMENTS}))
    proc = subprocess.Popen([sys.executable, "-m", "app", "evaluate", str(truth_path), str(moments_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nobody reads: the report's first write finds the pipe broken
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 0


def test_megc2020_iou_counts_frames_inclusively_with_the_baselines_quirks():
    assert megc2020_iou((11, 20), (12, 23)) == pytest.approx(9 / 13)  # 9 shared frames of 13
    assert megc2020_iou((1, 5), (5, 8)) == pytest.approx(1 / 8)  # touching: frame 5 is shared
    assert megc2020_iou((1, 5), (7, 9)) == pytest.approx(1 / 7)  # apart, yet one frame "shared", as scored
    assert megc2020_iou((4, 4), (4, 4)) == 0.0  # one-frame intervals never score


def test_megc2020_f1_differs_from_one_to_one_matching_on_a_hand_made_case():
    """At 30 fps. One moment spans two overlapping events (the baseline finds both, one-to-one
    matching pairs it with one); a moment that is 0.4 IoU in seconds is 0.5 in inclusive frames;
    a second moment on the same event finds nothing new; one moment is a false alarm."""
    events = [ev(10 / 30, 19 / 30), ev(14 / 30, 23 / 30),  # frames 11-20 and 15-24
              ev(3.0, 3.1),  # frames 91-94
              ev(6.0, 6.2)]  # frames 181-187
    moments = [mo(11 / 30, 22 / 30),  # frames 12-23: IoU 9/13 with both of the first two events
               mo(3.0 + 1 / 30, 3.0 + 5 / 30),  # frames 92-96: 3 of 6 frames; 0.4 in seconds
               mo(6.0, 6.2), mo(6.0, 6.1667),  # two on the last event
               mo(9.0, 9.2)]  # nothing there
    r = evaluate({"events": events}, moments, 60.0, fps=30.0)
    assert (r["megc"]["tp"], r["megc"]["fp"], r["megc"]["fn"]) == (4, 1, 0)
    assert r["megc"]["recall"] == 1.0 and r["megc"]["precision"] == pytest.approx(4 / 5)
    assert r["megc"]["f1"] == pytest.approx(2 * 1.0 * 0.8 / 1.8)
    assert r["megc"]["pairs"] == 5 and "1-based inclusive frame" in r["megc"]["convention"]
    one = r["megc_one_to_one"]
    assert (one["tp"], one["fp"], one["fn"]) == (2, 3, 2)  # one event per moment, seconds: 0.4 is a miss
    assert one["f1"] == pytest.approx(2 * 2 / (5 + 4))
    assert "MEGC2020" in format_report(r) and "One-to-one" in format_report(r)


def test_megc2020_pools_labels_found_over_clips():
    clips = [([(1, 10)], [(1, 10), (2, 10)]),  # one prediction finds two labels
             ([(1, 10), (50, 60)], [])]  # a clip without labels: its predictions still count
    r = megc2020_score(clips)
    assert (r["tp"], r["predictions"], r["labels"]) == (2, 3, 2)
    assert r["recall"] == 1.0 and r["precision"] == pytest.approx(2 / 3) and r["f1"] == pytest.approx(0.8)
    assert megc2020_score([([], [])])["f1"] == 0.0  # undefined scores are 0, as the baseline writes them
