"""The compiled part of suigeo: the raster engine's grid Dijkstra (geo/access/_gridsearch.pyx),
built with Cython when suigeo is installed. Everything else is in pyproject.toml.

The extension is optional: where no C compiler is found the install still succeeds, and the
raster engine searches with scipy's Dijkstra instead (the same times, about half the speed on
large windows; it says so in its log).
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# no fused multiply-adds: the search's sums are rounded as scipy's are (gcc and clang)
flags = [] if sys.platform == "win32" else ["-ffp-contract=off"]
search = Extension(
    "suigeo.geo.access._gridsearch",
    ["suigeo/geo/access/_gridsearch.pyx"],
    extra_compile_args=flags,
)
extensions = cythonize([search], quiet=True)
for ext in extensions:  # (cythonize's copies drop the flag: set it on them)
    ext.optional = True  # no compiler: the install goes on without it
setup(ext_modules=extensions)
