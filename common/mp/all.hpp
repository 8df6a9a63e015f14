/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// The whole common library in one include.
#include "app.hpp"
#include "args.hpp"
#include "burst.hpp"
#include "eal.hpp"
#include "error.hpp"
#include "lcore.hpp"
#include "log.hpp"
#include "memzone.hpp"
#include "mempool.hpp"
#include "owned.hpp"
#include "port.hpp"
#include "ring.hpp"
#include "signals.hpp"
#include "telemetry.hpp"
