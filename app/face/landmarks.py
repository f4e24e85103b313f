"""MediaPipe Face Mesh landmark indices (478-point topology with irises), named once.

"Right" and "left" are the subject's own. Features, the injector and the replay
overlay read their points from here.
"""

from __future__ import annotations

import numpy as np

# Points that expressions and blinks barely move: nose bridge, nose tip, temples.
STABLE_POINTS = np.array([168, 6, 197, 195, 5, 4, 1, 127, 356, 234, 454])

RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS = (33, 133), (263, 362)  # outer, inner
RIGHT_EYE_OPENING, LEFT_EYE_OPENING = (159, 145), (386, 374)  # upper lid, lower lid (middle)
RIGHT_IRIS, LEFT_IRIS = 468, 473  # iris centres; each is followed by four points on its rim
IRIS_POINTS = 5

RIGHT_BROW = np.array([70, 63, 105, 66, 107])  # upper edge, outer -> inner
LEFT_BROW = np.array([300, 293, 334, 296, 336])
BROW_INNER = (107, 336)  # right, left: their distance is the knit

NOSE_WINGS = (98, 327)  # right, left
MOUTH_CORNERS = (61, 291)  # right, left
UPPER_LIP, LOWER_LIP = (0, 13), (14, 17)  # each (outer edge, lip line)

# Outlines drawn around a region in replay.
REGION_OUTLINES: dict[str, tuple[np.ndarray, ...]] = {
    "brows": (np.r_[RIGHT_BROW, [46, 53, 52, 65, 55]], np.r_[LEFT_BROW, [276, 283, 282, 295, 285]]),
    "lids": (np.array([33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]),
             np.array([263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466])),
    "nose": (np.array([98, 327, 129, 358, 64, 294, 4, 5]),),
    "mouth": (np.array([61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40,
                        185]),),
    "gaze": (np.arange(RIGHT_IRIS, RIGHT_IRIS + IRIS_POINTS), np.arange(LEFT_IRIS, LEFT_IRIS + IRIS_POINTS)),
}
