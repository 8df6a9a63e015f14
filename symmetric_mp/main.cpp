/* SPDX-License-Identifier: BSD-3-Clause */
#include <mp/app.hpp>

#include "app.hpp"

int main(int argc, char** argv)
{
    return mp::run_app("symmetric_mp", [&] { return symmetric_mp::run(argc, argv); });
}
