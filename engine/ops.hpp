// engine/ops.hpp — all ops of the engine, for convenience.
#pragma once
#include "engine/ops/elementwise.hpp"
#include "engine/ops/linear.hpp"
#include "engine/ops/loss.hpp"
#include "engine/ops/reduce.hpp"
#include "engine/ops/shape.hpp"
