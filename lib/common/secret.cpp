#include "common/secret.hpp"

#include <cstring>

namespace lag {

void secure_wipe(void* p, size_t n) noexcept {
    // explicit_bzero is in glibc >= 2.25 and is not optimised away.
    explicit_bzero(p, n);
}

} // namespace lag
