/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// mp_server's own arguments: -p PORTMASK -n NUM_CLIENTS. Pure parsing; whether
// the ports exist is checked once EAL has probed them.

#include <cstdint>
#include <span>
#include <vector>

#include <mp/args.hpp>

#include "../shared/port_info.hpp"

namespace client_server_mp {

struct ServerOptions {
    uint64_t portmask = 0;
    unsigned num_clients = 0;
};

inline constexpr const char* server_usage =
    "usage: mp_server [EAL options] -- -p PORTMASK -n NUM_CLIENTS\n"
    "  -p PORTMASK     hexadecimal mask of the ports to read (an even number)\n"
    "  -n NUM_CLIENTS  number of client processes, 1 to 16\n";

inline ServerOptions parse_server_options(std::span<char* const> args)
{
    static constexpr mp::OptionSpec specs[] = {{"p", true}, {"n", true}};
    ServerOptions options;
    const std::vector<mp::Option> given = mp::parse_options(args, specs);
    for (const mp::Option& option : given) {
        if (option.name == "p")
            options.portmask = mp::parse_portmask(option.value);
        else
            options.num_clients = mp::parse_number<unsigned>("n", option.value, 1, max_clients);
    }
    mp::require_option(given, "p", "the hexadecimal mask of the ports to use");
    mp::require_option(given, "n", "the number of clients, 1 to 16");
    return options;
}

} // namespace client_server_mp
