/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// A typed struct in a named memzone: created (and zero-initialised) by the
// primary, looked up by secondaries.
//
//   auto info = mp::Memzone<port_info>::reserve("MProc_port_info");  // primary
//   auto info = mp::Memzone<port_info>::lookup("MProc_port_info");   // secondary
//   if (auto claims = mp::Memzone<Claims>::find("SMP_CLAIMS"))       // only if it exists
//   info->num_ports = 2;

#include <new>
#include <string>
#include <type_traits>

#include <rte_lcore.h>
#include <rte_memzone.h>

#include "error.hpp"
#include "owned.hpp"

namespace mp {

template <typename T>
class Memzone : public Handle<const rte_memzone> {
    // The struct is shared between processes, which may be different programs
    // (ours and upstream's): it must be plain data with no destructor to run.
    static_assert(std::is_standard_layout_v<T> && std::is_trivially_destructible_v<T>,
                  "memzone contents must be plain shared data");

    static void release(const rte_memzone* mz) noexcept { rte_memzone_free(mz); }

public:
    using Owner = Owned<Memzone, &Memzone::release>;
    using Handle::Handle;

    static Owner reserve(const std::string& name, int socket = static_cast<int>(rte_socket_id()),
                         unsigned flags = 0)
    {
        const rte_memzone* mz = rte_memzone_reserve_aligned(name.c_str(), sizeof(T), socket, flags,
                                                            alignof(T) > RTE_CACHE_LINE_SIZE
                                                                ? alignof(T)
                                                                : RTE_CACHE_LINE_SIZE);
        if (mz == nullptr)
            throw StartupError(strprintf("cannot reserve memzone '%s' (%zu bytes): %s",
                                         name.c_str(), sizeof(T), rte_strerror(rte_errno)));
        new (mz->addr) T{};
        return Owner(Memzone(mz));
    }

    static Memzone lookup(const std::string& name)
    {
        return Memzone(found_or_throw(find(name).native(), "memzone", name));
    }

    // For a memzone that only some primaries make (ours, not upstream's): an
    // empty Memzone (false) when there is none; too small is still an error.
    static Memzone find(const std::string& name)
    {
        const rte_memzone* mz = rte_memzone_lookup(name.c_str());
        if (mz != nullptr && mz->len < sizeof(T))
            throw StartupError(strprintf("memzone '%s' holds %zu bytes, expected at least %zu: "
                                         "was the primary built from another version?",
                                         name.c_str(), static_cast<std::size_t>(mz->len),
                                         sizeof(T)));
        return Memzone(mz);
    }

    T* get() const noexcept { return static_cast<T*>(native_->addr); }
    T& operator*() const noexcept { return *get(); }
    T* operator->() const noexcept { return get(); }
};

} // namespace mp
