"""assets/DEMO.md quotes what `glimpse analyze assets/demo.mp4` really gives now."""

from bench.accuracy import demo_doc


def test_demo_page_is_what_the_spotter_gives_now():
    doc = demo_doc.DOC.read_text()
    assert demo_doc.render(doc, demo_doc.current_section()) == doc, "run python -m bench.accuracy.demo_doc"


def test_section_counts_prompts_and_misses():
    moments = [{"start_s": 1.0, "end_s": 1.2, "regions": ["brows"], "prompted": True, "prompt": "What else?"},
               {"start_s": 3.0, "end_s": 3.1, "regions": ["mouth"], "prompted": False, "prompt": None}]
    score = {"micro_events": 2, "false_alarms": 1,
             "events": [{"hit": True, "type": "brow_raise", "onset_s": 0.9},
                        {"hit": False, "type": "lip_press", "onset_s": 5.0}]}
    text = demo_doc.section(moments, score, 20.0)
    assert "finds 2 moments and prompts 1 times" in text and "at 1.0 s" in text
    assert "1 of the 2 added expressions" in text and "lip press at 5.0 s" in text
    assert "(quiet time)" in text
