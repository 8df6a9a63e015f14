/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The client's claims and recovery: its client id and lcore id, claimed in our
// server's "MProc_config" for the life of the process (see
// <mp/process_claims.hpp>), and its two rings as a killed client with the same
// id left them, put right. Under an upstream server nothing is claimed and
// there is no return ring.

#include <string>

#include <rte_mbuf.h>

#include <mp/all.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"
#include "../shared/return_rings.hpp"

namespace client_server_mp {

using Claims = mp::ProcessClaims<rte_mbuf>;

// Why this client cannot have its id or its lcore id.
inline std::string refusal(const Config& config, unsigned client,
                           const mp::ClaimConflict& conflict)
{
    const auto id_taken = [client](int pid) {
        return mp::strprintf("client id %u is already in use by process %d: each client needs "
                             "its own id",
                             client, pid);
    };
    // A client on one of the server's lcore ids is told so.
    const auto lcore_taken = [&config](unsigned lcore, int pid) {
        return mp::strprintf("lcore %u is already in use by process %d%s: give each process its "
                             "own lcore ids (e.g. --lcores=%u@1 with another id)",
                             lcore, pid, pid == config.server_pid ? " (mp_server)" : "",
                             lcore + 1);
    };
    return mp::claim_refusal(conflict, id_taken, lcore_taken);
}

inline Claims claim_client(unsigned client, unsigned lcore, mp::PktmbufPool pool)
{
    const unsigned lcores[] = {lcore};
    const auto config = mp::Memzone<Config>::find(config_name);
    if (!config) {
        mp::log(RTE_LOG_WARNING, "no memzone '%s': the server is not this suite's mp_server, so "
                                 "the client id and lcore are not checked against other clients",
                config_name);
        return Claims::unclaimed(pool, lcores);
    }
    if (config->magic != config_magic)
        throw mp::StartupError("memzone 'MProc_config' has an unknown layout: is mp_server "
                               "from another version of this suite?");
    if (client >= config->num_clients)
        throw mp::UsageError(mp::strprintf(
            "client id %u is out of range: mp_server runs %u client%s (ids 0 to %u)", client,
            config->num_clients, config->num_clients == 1 ? "" : "s", config->num_clients - 1));
    return Claims(&config->client_owner[client], config->lcore_owner, lcores, pool, "mbufs",
                  [&](const mp::ClaimConflict& c) { return refusal(*config, client, c); });
}

struct ClientRings {
    mp::Ring<rte_mbuf> packets; // from the server
    mp::Ring<rte_mbuf> returns; // the mbufs our TX frees, back to the server (ours only)
};

// Our rings, with what a killed client left half done in them finished
// (nothing is done without our claims: an upstream server has no return ring,
// the mbufs go back through the pool as upstream's do).
inline ClientRings attach_rings(unsigned client, const Claims& claims)
{
    ClientRings rings{mp::Ring<rte_mbuf>::lookup(client_ring_name(client)), {}};
    if (!claims.claimed())
        return rings;
    if (const unsigned n = rings.packets.take_back_claimed_entries())
        mp::log(RTE_LOG_INFO, "client %u: taking back %u packets a killed client had "
                              "dequeued but not handled", client, n);
    rings.returns = mp::Ring<rte_mbuf>::lookup(return_ring_name(client));
    if (const unsigned n = rings.returns.forget_unpublished_entries())
        mp::log(RTE_LOG_INFO, "client %u: forgetting %u mbufs a killed client was handing "
                              "back", client, n);
    return rings;
}

} // namespace client_server_mp
