"""Glimpse's benchmarks: run from the checkout (`python -m bench`, or `make bench`), never installed.

* __main__.py -- `python -m bench [PART] [ARGS]`: one part, or all in turn (`python -m bench --help`);
* personwise.py and personwise_*.py -- docs/BENCH_PERSONWISE.md: seven people, leave-one-person-out (the
  headline): tracking cache, injected brief and held events, natural false alarms split by talking, labels in
  labels/, strips, the pooled operating curve;
* realme/ -- docs/BENCH_REAL_ME.md and docs/BENCH_FLOW.md: six real micro-expressions in a call-like context
  (`python -m bench real_me`), which rule drops each, their amplitudes, pixel motion against landmarks,
  spotter variants side by side (`python -m bench.realme.variants`);
* spotter_cost.py -- features and spotting, ms a frame, online and batch, against an older commit;
* analyze_speed.py -- docs/BENCH_ANALYZE.md: analyze in 1 and N processes against raw MediaPipe;
* screen_capture.py -- docs/BENCH_SCREEN.md: the CPU cost of watching a screen region;
* paths.py -- the checkout's folders and the clips the benchmarks read;
* dataset.py -- the injected dataset: splits, event timelines, building and loading the videos;
* spotters.py -- Glimpse's spotter and a naive reference, over cached evidence;
* scoring.py -- pooled recall and false alarms against the truth, sweeps, operating points;
* tables.py -- text and Markdown tables, the one-screen `--quick` summary;
* accuracy.py -- the accuracy command (`--quick`, or the full report);
* machine.py -- CPU, cores, load and library versions;
* speed.py -- throughput, re-spot speed and peak memory;
* report.py -- BENCHMARKS.md and docs/operating_curve.png;
* replay.py -- docs/BENCH_REPLAY.md: re-spot + redraw, time to first frame, analysis speed;
* live.py -- docs/BENCH_LIVE.md: prompt latency, preview frame rate, CPU share;
* live_cpu.py -- docs/BENCH_LIVE.md: the whole live session's CPU against raw MediaPipe, same frames;
* live_60.py -- docs/BENCH_LIVE.md: what live keeps of a real-time 60 frames/s source, drops, the notice;
* live_clips.py, live_timed.py, live_doc.py -- their 640x480 clips and raw baseline, the timed headless
  session, and the file's sections;
* reliability.py -- the reliability figures for RELIABILITY.md, and its child processes' entry points;
* bundle.py -- docs/BENCH_BUNDLE.md: the bundle's size, start and memory against the source install;
* faults.py, fuzz.py, crash.py, privacy.py, long_run.py, child.py -- its parts, and their children;
* demo_doc.py -- assets/DEMO.md's figures, rewritten from a real run over the demo (`--check`);
* recording_kill.py -- video lost per SIGKILL while recording, and the recorder's CPU cost (RELIABILITY.md).
"""
