/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Who forwards what: ports are paired (0<->1, 2<->3 among the selected ones),
// the RX ports are dealt to the worker lcores NQ at a time as upstream l2fwd
// does, and slaves that share a port pair depend on each other: when one dies,
// the others of its group are stopped and all are restarted together. Pure
// (no DPDK), so that the unit tests drive it directly.

#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <mp/error.hpp>
#include <mp/port.hpp>

namespace l2fwd_fork {

struct SlavePlan {
    unsigned lcore = 0;             // the master's worker lcore that launches it
    std::vector<uint16_t> rx_ports; // the ports it receives on
};

struct Topology {
    std::map<uint16_t, uint16_t> dst_port; // RX port -> TX port (its pair)
    std::vector<SlavePlan> slaves;
    std::vector<unsigned> group;           // per slave: its dependency group
    std::vector<std::string> pairings;     // upstream's "lcore A and B paired" lines

    // The index of the slave that receives on `port`.
    std::size_t receiver_of(uint16_t port) const
    {
        for (std::size_t s = 0; s < slaves.size(); ++s)
            for (uint16_t p : slaves[s].rx_ports)
                if (p == port)
                    return s;
        throw mp::StartupError(mp::strprintf("no slave receives on port %u", port));
    }

    // The slaves of `slave`'s group, itself included, in order.
    std::vector<unsigned> group_of(unsigned slave) const
    {
        std::vector<unsigned> members;
        for (unsigned s = 0; s < group.size(); ++s)
            if (group[s] == group[slave])
                members.push_back(s);
        return members;
    }
};

// `ports` are the selected ports in order (an even number), `workers` the
// master's worker lcores in order, `per_lcore` the -q value.
inline Topology plan_topology(const std::vector<uint16_t>& ports,
                              const std::vector<unsigned>& workers, unsigned per_lcore)
{
    Topology topology;
    for (std::size_t i = 0; i < ports.size(); ++i)
        topology.dst_port[ports[i]] = ports[mp::paired_index(i)];

    const std::size_t needed = (ports.size() + per_lcore - 1) / per_lcore;
    if (needed > workers.size())
        throw mp::StartupError(mp::strprintf(
            "not enough lcores: %zu ports at %u per slave need %zu slave lcores, but the EAL "
            "arguments leave %zu besides the master's (add lcores or raise -q)",
            ports.size(), per_lcore, needed, workers.size()));
    for (std::size_t i = 0; i < ports.size(); ++i) {
        if (i % per_lcore == 0)
            topology.slaves.push_back({workers[i / per_lcore], {}});
        topology.slaves.back().rx_ports.push_back(ports[i]);
    }

    // Groups: connected components of "receives on the pair of a port the
    // other receives on" (union-find over the slaves).
    std::vector<unsigned> parent(topology.slaves.size());
    std::iota(parent.begin(), parent.end(), 0U);
    auto root = [&](unsigned s) {
        while (parent[s] != s)
            s = parent[s] = parent[parent[s]];
        return s;
    };
    for (std::size_t i = 0; i < ports.size(); i += 2) {
        const auto a = static_cast<unsigned>(topology.receiver_of(ports[i]));
        const auto b = static_cast<unsigned>(topology.receiver_of(ports[i + 1]));
        parent[root(a)] = root(b);
        topology.pairings.push_back(mp::strprintf("lcore %u and %u paired",
                                                  topology.slaves[a].lcore,
                                                  topology.slaves[b].lcore));
    }
    // Number the groups 0, 1, ... in the order of their first slave.
    std::map<unsigned, unsigned> numbers;
    for (unsigned s = 0; s < topology.slaves.size(); ++s)
        topology.group.push_back(
            numbers.try_emplace(root(s), static_cast<unsigned>(numbers.size())).first->second);
    return topology;
}

} // namespace l2fwd_fork
