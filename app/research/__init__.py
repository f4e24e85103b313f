"""Research tools kept in the product (`glimpse inject`, `glimpse evaluate`): ground truth from real faces, and scoring.

* events.py -- the injected action types and one `Event` with its envelope;
* warp.py -- handles per action and the smooth displacement that warps a frame;
* inject.py -- track a video, plan events, warp and write it with its truth JSON (`glimpse inject`);
* evaluate.py -- score moments against truth or an annotation CSV (`glimpse evaluate`).
"""
