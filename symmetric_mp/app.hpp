/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once

namespace symmetric_mp {

// The whole program: EAL, shared objects, ports, forwarding until SIGINT/SIGTERM,
// then the counters. Throws mp::StartupError for anything that stops it starting.
int run(int argc, char** argv);

} // namespace symmetric_mp
