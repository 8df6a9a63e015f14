/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Where the server's statistics go: the screen once a second (from a second
// lcore when given, else from the forwarding loop), the /mp_server/stats
// telemetry command, and the final statistics at exit.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <mp/all.hpp>

#include "../shared/config.hpp"
#include "../shared/port_info.hpp"
#include "shared_objects.hpp"
#include "stats.hpp"

namespace client_server_mp {

// The counters to show, on the screen and through telemetry.
struct StatsSource {
    const PortInfo* info = nullptr;
    const Config* config = nullptr;
    std::vector<std::string> macs;

    StatsSnapshot snapshot() const
    {
        return take_snapshot(*info, config->clients, config->num_clients);
    }
    void show(bool clear) const
    {
        const std::string text = format_stats(snapshot(), macs);
        std::printf("%s%s", clear ? clear_screen : "", text.c_str());
        std::fflush(stdout);
    }
};

inline int telemetry_reply(const StatsSource& source, rte_tel_data* data)
{
    const StatsSnapshot snap = source.snapshot();
    rte_tel_data_start_dict(data);
    for (const PortRow& port : snap.ports) {
        const std::string base = "port_" + std::to_string(port.id) + "_";
        mp::telemetry_add(data, (base + "rx").c_str(), port.rx);
        mp::telemetry_add(data, (base + "tx").c_str(), port.tx);
        mp::telemetry_add(data, (base + "tx_drop").c_str(), port.tx_drop);
    }
    for (std::size_t c = 0; c < snap.clients.size(); ++c) {
        const std::string base = "client_" + std::to_string(c) + "_";
        mp::telemetry_add(data, (base + "rx").c_str(), snap.clients[c].rx);
        mp::telemetry_add(data, (base + "rx_drop").c_str(), snap.clients[c].rx_drop);
        mp::telemetry_add(data, (base + "returned").c_str(),
                          source.config->clients[c].returned.get());
        mp::telemetry_add(data, (base + "tx").c_str(), snap.clients[c].tx);
        mp::telemetry_add(data, (base + "tx_drop").c_str(), snap.clients[c].tx_drop);
    }
    return 0;
}

inline std::string mac_text(uint16_t port)
{
    rte_ether_addr mac{};
    char text[RTE_ETHER_ADDR_FMT_SIZE];
    rte_eth_macaddr_get(port, &mac);
    rte_ether_format_addr(text, sizeof(text), &mac);
    return text;
}

// The statistics of `shared`, registered as /mp_server/stats: read by the
// telemetry thread until exit, hence one for the life of the process.
inline const StatsSource& publish_stats(const SharedObjects& shared,
                                        const std::vector<uint16_t>& ports)
{
    static StatsSource stats;
    stats = {shared.info.get(), shared.config.get(), {}};
    for (uint16_t port : ports)
        stats.macs.push_back(mac_text(port));
    mp::register_telemetry<&telemetry_reply>("/mp_server/stats", stats,
                                             "mp_server port and client counters. Takes no "
                                             "parameters");
    return stats;
}

// A second lcore, when given, shows the statistics so that the main lcore does
// nothing but forward; stop() ends it.
class StatsDisplay {
public:
    static constexpr auto period = std::chrono::seconds(1);
    static constexpr auto poll = std::chrono::milliseconds(50); // how soon it sees stop()

    explicit StatsDisplay(const StatsSource& source) : source_(source)
    {
        const std::vector<unsigned> workers = mp::worker_lcores();
        if (workers.empty())
            return;
        lcore_ = workers.front();
        mp::check(rte_eal_remote_launch(&StatsDisplay::main_loop, this, lcore_),
                  "cannot start the statistics lcore");
    }
    StatsDisplay(const StatsDisplay&) = delete;
    StatsDisplay& operator=(const StatsDisplay&) = delete;

    // False: nobody shows the statistics but the caller.
    bool on_worker() const noexcept { return lcore_ != no_lcore; }

    void stop() noexcept
    {
        if (!on_worker())
            return;
        stop_.store(true);
        rte_eal_wait_lcore(lcore_);
    }

private:
    static constexpr unsigned no_lcore = RTE_MAX_LCORE;

    static int main_loop(void* arg)
    {
        const StatsDisplay& display = *static_cast<const StatsDisplay*>(arg);
        std::printf("Core %u displaying statistics\n", rte_lcore_id());
        auto next = std::chrono::steady_clock::now() + period;
        while (!display.stop_.load(std::memory_order_relaxed)) {
            std::this_thread::sleep_for(poll);
            if (std::chrono::steady_clock::now() >= next) {
                display.source_.show(true);
                next += period;
            }
        }
        return 0;
    }

    const StatsSource& source_;
    unsigned lcore_ = no_lcore;
    std::atomic<bool> stop_{false};
};

inline void print_final_statistics(const StatsSource& stats, const SharedObjects& shared)
{
    std::printf("\nmp_server stopping (%s); final statistics:\n",
                strsignal(mp::QuitFlag::signal_number()));
    stats.show(false);
    for (std::size_t c = 0; c < shared.rings.size(); ++c)
        std::printf("Client %zu: %u packets left in its ring\n", c, shared.rings[c].count());
    for (std::size_t c = 0; c < shared.rings.size(); ++c)
        std::printf("Return ring of client %zu: %lu mbufs handed back\n", c,
                    static_cast<unsigned long>(shared.config->clients[c].returned.get()));
}

} // namespace client_server_mp
