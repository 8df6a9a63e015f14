/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Lcore helpers.

#include <string>
#include <vector>

#include <rte_launch.h>
#include <rte_lcore.h>

#include "error.hpp"

namespace mp {

// Every enabled lcore of this process, the main one included, in order.
inline std::vector<unsigned> enabled_lcores()
{
    std::vector<unsigned> lcores;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH(lcore)
    {
        lcores.push_back(lcore);
    }
    return lcores;
}

// The worker lcores of this process (every enabled lcore but the main one), in order.
inline std::vector<unsigned> worker_lcores()
{
    std::vector<unsigned> lcores = enabled_lcores();
    std::erase(lcores, rte_get_main_lcore());
    return lcores;
}

// Throws a StartupError that says how many lcores the program needs and why.
inline void require_lcores(unsigned needed, const char* why)
{
    const unsigned have = rte_lcore_count();
    if (have < needed)
        throw StartupError(strprintf("need at least %u lcores (%s), but the EAL arguments "
                                     "give %u: pass e.g. -l 0-%u",
                                     needed, why, have, needed - 1));
}

} // namespace mp
