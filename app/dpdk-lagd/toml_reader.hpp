#pragma once
// What every part of dpdk-lagd's config reader shares: errors that name the
// file and line, and the refusal of unknown keys. Not for use outside
// app/dpdk-lagd.

#include "common/result.hpp"

#include <fmt/format.h>
#include <initializer_list>
#include <string>
#include <string_view>
#include <toml++/toml.h>

namespace lag::lagd {

struct toml_reader {
    const std::string& source;

    error fail(const char* code, unsigned line, const std::string& what) const {
        return make_error(code, fmt::format("{}:{}: {}", source, line, what));
    }
    static unsigned line_of(const toml::node& n) { return static_cast<unsigned>(n.source().begin.line); }

    // Refuses keys not in `allowed`, naming the ones that are.
    result<void> only(const toml::table& t, std::initializer_list<std::string_view> allowed,
                      std::string_view where) const {
        for (const auto& [k, v] : t) {
            bool known = false;
            for (auto a : allowed)
                known = known || a == k.str();
            if (!known) {
                std::string list;
                for (auto a : allowed)
                    list += (list.empty() ? "" : ", ") + std::string(a);
                return fail("unknown-key", line_of(v),
                            fmt::format("unknown key '{}' in {} (known: {})", k.str(), where, list));
            }
        }
        return ok_v;
    }

    // A string value; a missing key is an error when `required`, else `def`.
    result<std::string> string(const toml::table& t, std::string_view key, std::string_view where,
                               bool required, unsigned table_line, std::string def = {}) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required)
                return fail("missing-key", table_line, fmt::format("{} needs '{}'", where, key));
            return def;
        }
        if (!n->is_string())
            return fail("type", line_of(*n), fmt::format("'{}' in {} must be a string", key, where));
        return std::string(*n->value<std::string>());
    }

    result<int64_t> integer(const toml::table& t, std::string_view key, std::string_view where, int64_t def,
                            int64_t lo, int64_t hi) const {
        const toml::node* n = t.get(key);
        if (n == nullptr)
            return def;
        if (!n->is_integer())
            return fail("type", line_of(*n), fmt::format("'{}' in {} must be an integer", key, where));
        int64_t v = *n->value<int64_t>();
        if (v < lo || v > hi)
            return fail("value", line_of(*n), fmt::format("'{}' in {} is {}; it must be {} to {}", key, where, v, lo, hi));
        return v;
    }
};

} // namespace lag::lagd
