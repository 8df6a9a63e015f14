/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// rte_mempool with typed get/put, and packet-mbuf pools.
//
//   auto pool = mp::Mempool<Message>::create("MSG_POOL", 1024, 32);   // primary
//   auto pool = mp::Mempool<Message>::lookup("MSG_POOL");             // secondary
//   auto mbufs = mp::PktmbufPool::create("SMP_MBUF_POOL", 65536, 256); // packet buffers

#include <algorithm>
#include <cstdint>
#include <string>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dpdk_internals.hpp"
#include "error.hpp"
#include "owned.hpp"

namespace mp {

template <typename T>
class Mempool : public Handle<rte_mempool> {
public:
    using Owner = Owned<Mempool, &rte_mempool_free>;
    using Handle::Handle;

    // A pool of `count` objects of `element_size` bytes (sizeof(T) by default;
    // larger for variable-sized payloads such as simple_mp's message strings).
    // `ops_name` picks the mempool driver, as for PktmbufPool (nullptr: DPDK's
    // default, "ring_mp_mc").
    static Owner create(const std::string& name, unsigned count, unsigned cache_size,
                        unsigned element_size = sizeof(T), unsigned flags = 0,
                        int socket = static_cast<int>(rte_socket_id()),
                        const char* ops_name = nullptr)
    {
        rte_mempool* pool = ops_name == nullptr
                                ? rte_mempool_create(name.c_str(), count, element_size,
                                                     cache_size, 0, nullptr, nullptr, nullptr,
                                                     nullptr, socket, flags)
                                : create_by_ops(name, count, element_size, cache_size, socket,
                                                flags, ops_name);
        if (pool == nullptr)
            throw StartupError(strprintf("cannot create mempool '%s' (%u x %u bytes%s%s): %s",
                                         name.c_str(), count, element_size,
                                         ops_name ? ", driver " : "", ops_name ? ops_name : "",
                                         rte_strerror(rte_errno)));
        return Owner(Mempool(pool));
    }

    static Mempool lookup(const std::string& name)
    {
        return Mempool(found_or_throw(rte_mempool_lookup(name.c_str()), "mempool", name));
    }

    // nullptr when the pool is empty.
    T* get() noexcept
    {
        void* obj = nullptr;
        return rte_mempool_get(native_, &obj) == 0 ? static_cast<T*>(obj) : nullptr;
    }
    // All n or none.
    bool get_bulk(T** objs, unsigned n) noexcept
    {
        return rte_mempool_get_bulk(native_, reinterpret_cast<void**>(objs), n) == 0;
    }
    void put(T* obj) noexcept { rte_mempool_put(native_, obj); }
    void put_bulk(T* const* objs, unsigned n) noexcept
    {
        rte_mempool_put_bulk(native_, reinterpret_cast<void* const*>(objs), n);
    }

    unsigned size() const noexcept { return native_->size; }
    unsigned element_size() const noexcept { return native_->elt_size; }
    unsigned available() const noexcept { return rte_mempool_avail_count(native_); }
    unsigned in_use() const noexcept { return rte_mempool_in_use_count(native_); }
    const char* name() const noexcept { return native_->name; }

    // Returns to the pool whatever sits in `lcore`'s per-lcore cache. The master of
    // a crashed process calls it for the dead process's lcore id, so that the next
    // process with that id does not start from a cache it cannot trust.
    void flush_cache(unsigned lcore) noexcept
    {
        if (rte_mempool_cache* cache = rte_mempool_default_cache(native_, lcore))
            rte_mempool_cache_flush(cache, native_);
    }
    // Forgets `lcore`'s cache contents without returning them (they may be stale
    // or duplicated if the owner died inside a put: see docs/common.rst).
    void discard_cache(unsigned lcore) noexcept
    {
        if (rte_mempool_cache* cache = rte_mempool_default_cache(native_, lcore))
            internals::cache_forget(*cache);
    }

private:
    // rte_mempool_create() with the driver chosen before the pool is populated;
    // nullptr with rte_errno set on failure.
    static rte_mempool* create_by_ops(const std::string& name, unsigned count,
                                      unsigned element_size, unsigned cache_size, int socket,
                                      unsigned flags, const char* ops_name) noexcept
    {
        rte_mempool* pool = rte_mempool_create_empty(name.c_str(), count, element_size,
                                                     cache_size, 0, socket, flags);
        if (pool == nullptr)
            return nullptr;
        // Both return a negative errno.
        int rc = rte_mempool_set_ops_byname(pool, ops_name, nullptr);
        if (rc == 0)
            rc = std::min(rte_mempool_populate_default(pool), 0);
        if (rc != 0) {
            rte_mempool_free(pool);
            rte_errno = -rc;
            return nullptr;
        }
        return pool;
    }
};

// Packet buffers. The optional `ops_name` picks the mempool driver: "ring_mp_mc"
// is DPDK's default; "lf_stack" is lock-free, so a process killed in the middle of
// a put or get cannot block the pool for every other process.
class PktmbufPool : public Mempool<rte_mbuf> {
public:
    using Owner = Owned<PktmbufPool, &rte_mempool_free>;

    using Mempool::Mempool;

    static Owner create(const std::string& name, unsigned count, unsigned cache_size,
                        const char* ops_name = nullptr,
                        uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE,
                        int socket = static_cast<int>(rte_socket_id()))
    {
        rte_mempool* pool = rte_pktmbuf_pool_create_by_ops(name.c_str(), count, cache_size, 0,
                                                           data_room, socket, ops_name);
        if (pool == nullptr)
            throw StartupError(strprintf("cannot create mbuf pool '%s' (%u mbufs%s%s): %s",
                                         name.c_str(), count, ops_name ? ", driver " : "",
                                         ops_name ? ops_name : "", rte_strerror(rte_errno)));
        return Owner(PktmbufPool(pool));
    }

    static PktmbufPool lookup(const std::string& name)
    {
        return PktmbufPool(Mempool<rte_mbuf>::lookup(name).native());
    }

    // Allocates n reset mbufs, all or none.
    bool alloc_bulk(rte_mbuf** mbufs, unsigned n) noexcept
    {
        return rte_pktmbuf_alloc_bulk(native(), mbufs, n) == 0;
    }
};

} // namespace mp
