# SPDX-License-Identifier: BSD-3-Clause
# Sphinx configuration, for both builders:
#   sphinx-build -W -b html docs build/docs/html   (the manual; meson test docs)
#   sphinx-build -b man docs build/docs            (the man pages; built by ninja)
project = "DPDK multi-process samples in C++20"
copyright = "2026, the dpdk-multi-process-cpp authors"
author = "the dpdk-multi-process-cpp authors"
root_doc = "index"
exclude_patterns = []
html_theme = "alabaster"

# The figures are Graphviz sources (figures/*.dot) that dot renders to SVG at
# build time; the SVG files are copied into the HTML output, which so needs
# nothing from outside.
extensions = ["sphinx.ext.graphviz"]
graphviz_output_format = "svg"

# One man page per program, section 1: (source, name, description, authors, section).
man_pages = [
    ("man/simple_mp", "simple_mp",
     "two DPDK processes exchanging messages over shared rings", [author], 1),
    ("man/symmetric_mp", "symmetric_mp",
     "N identical DPDK processes, each forwarding its own RSS queue of every port", [author], 1),
    ("man/mp_server", "mp_server",
     "DPDK primary that deals received packets round-robin to client processes", [author], 1),
    ("man/mp_client", "mp_client",
     "DPDK secondary that forwards the packets mp_server deals to it", [author], 1),
    ("man/l2fwd_fork", "l2fwd_fork",
     "DPDK L2 forwarding by slave processes that a master restarts when they die", [author], 1),
]
# name.1 directly in the output folder (not man1/name.1), in every Sphinx release.
man_make_section_directory = False
