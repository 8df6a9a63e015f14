/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// mp_client's own argument: -n CLIENT_ID. Whether the running server has that
// many clients is checked once the shared memory is attached.

#include <span>
#include <vector>

#include <mp/args.hpp>

#include "../shared/port_info.hpp"

namespace client_server_mp {

struct ClientOptions {
    unsigned client_id = 0;
};

inline constexpr const char* client_usage =
    "usage: mp_client [EAL options] --proc-type=auto -- -n CLIENT_ID\n"
    "  -n CLIENT_ID  which of the server's clients this is, 0 to NUM_CLIENTS-1\n";

inline ClientOptions parse_client_options(std::span<char* const> args)
{
    static constexpr mp::OptionSpec specs[] = {{"n", true}};
    ClientOptions options;
    const std::vector<mp::Option> given = mp::parse_options(args, specs);
    for (const mp::Option& option : given)
        options.client_id = mp::parse_number<unsigned>("n", option.value, 0, max_clients - 1);
    mp::require_option(given, "n", "the client id, 0 to NUM_CLIENTS-1");
    return options;
}

} // namespace client_server_mp
