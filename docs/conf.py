# SPDX-License-Identifier: BSD-3-Clause
# Sphinx configuration: sphinx-build -b html docs build/docs
project = "DPDK multi-process samples in C++20"
copyright = "2026, the dpdk-multi-process-cpp authors"
root_doc = "index"
exclude_patterns = []
html_theme = "alabaster"
