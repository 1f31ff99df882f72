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
};

} // namespace lag::lagd
