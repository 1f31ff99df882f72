#pragma once
// lib/lag public header: the LAG model, its profile of rules, and (with the
// data plane) the bucket table builder.

#include "lag/buckets.hpp" // IWYU pragma: export
#include "lag/model.hpp"   // IWYU pragma: export
#include "lag/profile.hpp" // IWYU pragma: export
