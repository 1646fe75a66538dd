"""Keep every cache inside the project (also when pytest is run directly, not through make)."""

import os
from pathlib import Path

CACHE = Path(__file__).resolve().parent.parent / ".cache"
for var, sub in (("MPLCONFIGDIR", "matplotlib"), ("IPYTHONDIR", "ipython"),
                 ("JUPYTER_CONFIG_DIR", "jupyter"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                 ("XDG_CACHE_HOME", ""), ("TORCHINDUCTOR_CACHE_DIR", "torchinductor")):
    os.environ.setdefault(var, str(CACHE / sub))

try:  # nengo ignores XDG_CACHE_HOME; point its decoder cache into the project explicitly
    import nengo

    nengo.rc["decoder_cache"]["path"] = str(CACHE / "nengo" / "decoders")
except ImportError:
    pass
