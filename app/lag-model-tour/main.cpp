// Walks the provider profile's LAG rules and prints what each operation did.
#include "lag/lag.hpp"

#include <fmt/format.h>

using namespace lag::model;

namespace {
void show(const char* what, const lag::result<events>& r) {
    if (r) {
        fmt::print("  ok      {}\n", what);
        for (const auto& e : *r)
            fmt::print("            {}\n", e.to_string());
    } else {
        fmt::print("  refused {}\n            {}\n", what, r.err().to_string());
    }
}
} // namespace

int main() {
    lag_model m;
    fmt::print("profile: {} (max {} x 100G, {} x 10G, {} x 1G)\n", m.rules().name,
               m.rules().max_members[index(port_speed::g100)],
               m.rules().max_members[index(port_speed::g10)],
               m.rules().max_members[index(port_speed::g1)]);
    for (auto p : {"m0", "m1", "m2", "m3", "m4"})
        (void)m.add_port(p, port_speed::g10);
    (void)m.add_port("h0", port_speed::g100);
    (void)m.add_port("h1", port_speed::g100);
    (void)m.add_port("h2", port_speed::g100);
    show("set own key on m0", m.set_port_key("m0", "0101"));
    show("create lag0 10G members m0,m1 min-links 2 key aabb",
         m.create_lag({.name = "lag0", .speed = port_speed::g10, .members = {"m0", "m1"},
                       .min_links = 2, .key = "aabb"}));
    show("add h0 (100G) to lag0", m.add_member("lag0", "h0"));
    show("add m2, m3 to lag0", m.add_member("lag0", "m2"));
    show("", m.add_member("lag0", "m3"));
    show("add m4 (fifth member)", m.add_member("lag0", "m4"));
    show("set min-links 5", m.set_min_links("lag0", 5));
    show("m0 link up", m.set_distributable("m0", true));
    show("m1 link up", m.set_distributable("m1", true));
    show("m1 link down", m.set_distributable("m1", false));
    show("create lag1 100G h0,h1,h2",
         m.create_lag({.name = "lag1", .speed = port_speed::g100, .members = {"h0", "h1", "h2"}}));
    show("create lag1 100G h0,h1",
         m.create_lag({.name = "lag1", .speed = port_speed::g100, .members = {"h0", "h1"}}));
    show("move m3 into lag2 (new)",
         m.create_lag({.name = "lag2", .speed = port_speed::g10, .members = {"m3"}}));
    show("delete lag0", m.delete_lag("lag0"));
    for (const auto& [name, l] : m.lags())
        fmt::print("lag {} {} speed {} members {} min-links {}\n", name, to_string(l.status()),
                   to_string(l.speed), fmt::join(l.members, ","), l.min_links);
    return m.check_invariants() ? 0 : 1;
}
