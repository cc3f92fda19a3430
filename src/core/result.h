// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "error.h"

#include <utility>
#include <variant>

namespace Elevate::Core {

/**
 * Either a value or an Error (std::expected is C++23). Accessing the wrong side is a programming
 * error and asserts.
 */
template<typename T> class [[nodiscard]] Result
{
public:
    /// An empty result (an Internal error); exists so results can travel in queued signals.
    Result()
        : m_data(std::in_place_index<1>, Error::make(Error::Kind::Internal, QStringLiteral("empty result")))
    { }
    Result(T value)
        : m_data(std::in_place_index<0>, std::move(value))
    { }
    Result(Error error)
        : m_data(std::in_place_index<1>, std::move(error))
    { }

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const T *operator->() const { return &std::get<0>(m_data); }
    const T &operator*() const & { return std::get<0>(m_data); }

    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template<> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
        , m_ok(false)
    { }

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error &error() const { return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

} // namespace Elevate::Core
