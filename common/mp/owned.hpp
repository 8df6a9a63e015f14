/* SPDX-License-Identifier: BSD-3-Clause */
#pragma once
// Ownership of shared DPDK objects, expressed in the type.
//
// A *view* (Ring<T>, Mempool<T>, Memzone<T>) is a copyable handle that only
// borrows: it is what a secondary gets from a lookup. Owned<View, Release> is
// what the creator (the primary) gets: the same interface, move-only, and it
// releases the object when it goes out of scope. Every view is a Handle of its
// DPDK object.

#include <utility>

namespace mp {

// The DPDK object a view borrows (nullptr: none). A view derives from it and
// adds the typed operations.
template <typename Native>
class Handle {
public:
    Handle() = default;
    explicit Handle(Native* native) noexcept : native_(native) {}

    Native* native() const noexcept { return native_; }
    explicit operator bool() const noexcept { return native_ != nullptr; }

protected:
    Native* native_ = nullptr;
};

template <class View, auto Release>
class Owned : public View {
public:
    Owned() = default;
    explicit Owned(View view) noexcept : View(view) {}
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
    Owned(Owned&& other) noexcept : View(other.release()) {}
    Owned& operator=(Owned&& other) noexcept
    {
        if (this != &other) {
            destroy();
            static_cast<View&>(*this) = other.release();
        }
        return *this;
    }
    ~Owned() { destroy(); }

    // Frees the object now.
    void destroy() noexcept
    {
        if (this->native() != nullptr)
            Release(this->native());
        static_cast<View&>(*this) = View{};
    }

    // Gives up ownership and returns a plain view (the object lives on).
    [[nodiscard]] View release() noexcept { return std::exchange(static_cast<View&>(*this), View{}); }
};

} // namespace mp
