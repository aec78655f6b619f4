// tests/support/random.hpp — seeded random matrices for tests.
#pragma once
#include "engine/rng.hpp"
#include "engine/tensor.hpp"

namespace mtf::test {

template <class T = double>
MatrixR<T> normal_matrix(Index rows, Index cols, Rng& rng, double scale = 1.0) {
  MatrixR<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = T(scale * rng.normal());
  return m;
}

template <class T = double>
MatrixR<T> uniform_matrix(Index rows, Index cols, Rng& rng, double lo, double hi) {
  MatrixR<T> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = T(rng.uniform(lo, hi));
  return m;
}

/// Values with |x| >= margin: keeps finite differences away from kinks at 0 (relu, min/max).
inline MatrixR<double> away_from_zero(Index rows, Index cols, Rng& rng, double margin = 0.05) {
  MatrixR<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) {
    const double v = rng.normal();
    m.data()[i] = v >= 0 ? v + margin : v - margin;
  }
  return m;
}

}  // namespace mtf::test
