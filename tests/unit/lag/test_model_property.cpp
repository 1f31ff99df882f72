// Property test: random operation sequences never break an invariant, and a
// refused operation changes nothing.
#include "lag/lag.hpp"

#include <gtest/gtest.h>
#include <random>

namespace lag::model {
namespace {

struct counts {
    unsigned accepted = 0;
    unsigned refused = 0;
};

counts run_sequence(uint32_t seed, const profile& prof, int steps) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    const char* lags[] = {"a", "b", "c"};
    const char* keys[] = {"aa", "bb01", "cc0203"};
    const port_speed speeds[] = {port_speed::g1, port_speed::g10, port_speed::g100};
    partner_id partners[] = {{1, *mac_addr::parse("02:00:00:00:00:01"), 1},
                             {1, *mac_addr::parse("02:00:00:00:00:02"), 1},
                             {1, *mac_addr::parse("02:00:00:00:00:01"), 2}};
    auto port = [&] { return "p" + std::to_string(pick(10)); };

    lag_model m{prof};
    counts c;
    for (int i = 0; i < steps; ++i) {
        lag_model before = m;
        result<events> r = events{};
        int op = pick(13);
        switch (op) {
        case 0: r = m.add_port(port(), speeds[pick(3)]); break;
        case 1: r = m.remove_port(port()); break;
        case 2: {
            lag_create cr{.name = lags[pick(3)], .speed = speeds[pick(3)]};
            int n = pick(5);
            for (int k = 0; k < n; ++k)
                cr.members.push_back(port());
            cr.min_links = static_cast<unsigned>(pick(4));
            if (pick(2))
                cr.key = keys[pick(3)];
            r = m.create_lag(cr);
            break;
        }
        case 3: r = m.delete_lag(lags[pick(3)]); break;
        case 4: r = m.add_member(lags[pick(3)], port()); break;
        case 5: r = m.remove_member(lags[pick(3)], port()); break;
        case 6: r = m.set_min_links(lags[pick(3)], static_cast<unsigned>(pick(6))); break;
        case 7: r = m.set_distributable(port(), pick(2) == 0); break;
        case 8: r = m.associate_key(lags[pick(3)], keys[pick(3)]); break;
        case 9: r = m.disassociate_key(lags[pick(3)]); break;
        case 10:
            r = m.set_port_key(port(), pick(3) ? std::optional<std::string>(keys[pick(3)])
                                               : std::nullopt);
            break;
        case 11:
            r = m.set_partner(port(), pick(4) ? std::optional<partner_id>(partners[pick(3)])
                                              : std::nullopt);
            break;
        case 12: r = m.set_distributable(port(), true); break;
        }
        auto inv = m.check_invariants();
        EXPECT_TRUE(inv) << "seed " << seed << " step " << i << " op " << op << ": "
                         << inv.err().to_string();
        if (!inv)
            return c;
        if (!r) {
            ++c.refused;
            EXPECT_TRUE(m == before) << "seed " << seed << " step " << i << " op " << op
                                     << " was refused (" << r.err().to_string()
                                     << ") but changed the model";
            EXPECT_FALSE(r.err().code.empty());
        } else {
            ++c.accepted;
            // Events say what happened: LAG up/down events agree with state.
            for (const auto& e : *r) {
                if (e.kind == event_kind::lag_up) {
                    EXPECT_TRUE(m.lag(e.lag) && m.lag(e.lag)->up);
                }
                if (e.kind == event_kind::lag_down && m.lag(e.lag)) {
                    EXPECT_FALSE(m.lag(e.lag)->up);
                }
            }
        }
        // Operational state agrees with min-links, computed independently.
        for (const auto& [name, l] : m.lags()) {
            unsigned op_members = 0;
            for (const auto& p : l.members) {
                const auto* ps = m.port(p);
                bool mismatch = ps->partner && l.partner && *ps->partner != *l.partner;
                if (ps->distributable && !mismatch)
                    ++op_members;
            }
            EXPECT_EQ(l.up, !l.members.empty() && op_members >= std::max(1u, l.min_links));
        }
    }
    return c;
}

TEST(lag_model_property, random_sequences_keep_invariants_provider) {
    counts total;
    for (uint32_t seed = 1; seed <= 2000; ++seed) {
        auto c = run_sequence(seed, provider_profile(), 60);
        total.accepted += c.accepted;
        total.refused += c.refused;
        if (::testing::Test::HasFailure())
            break;
    }
    // Both paths were exercised a lot: the property is not vacuous.
    EXPECT_GT(total.accepted, 10000u);
    EXPECT_GT(total.refused, 20000u);
}

TEST(lag_model_property, random_sequences_keep_invariants_ieee) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        run_sequence(seed * 7919, ieee_profile(), 60);
        if (::testing::Test::HasFailure())
            break;
    }
}

} // namespace
} // namespace lag::model
