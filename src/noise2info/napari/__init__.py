"""noise2info in napari: Train, Denoise and Estimate-noise widgets and the demo's noisy
images as sample data (npe2 manifest ``napari.yaml``). Needs ``pip install
'noise2info[napari]'``; nothing here is imported by ``import noise2info``.
"""

from ..extras import require

require("the napari plugin", "napari")  # one line naming the extra, not an import traceback
