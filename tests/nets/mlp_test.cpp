#include "nets/mlp.hpp"
#include <catch2/catch.hpp>
TEST_CASE("placeholder", "[mlp]") { REQUIRE(true); }
