// tests/support/json_fixture.hpp — reading the committed PyTorch fixtures (JSON) into engine types.
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/parameters.hpp"
#include "engine/tensor.hpp"

namespace mtf::test {

/// MTF_TEST_DATA_DIR/<relative>, parsed; throws if missing.
inline nlohmann::json load_fixture(const std::string& relative) {
  const std::string path = std::string(MTF_TEST_DATA_DIR) + "/" + relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": fixture missing");
  return nlohmann::json::parse(in);
}

/// A list of rows (JSON arrays of numbers) as a row-major float matrix.
inline MatrixR<float> to_matrix(const nlohmann::json& rows) {
  MatrixR<float> m(Index(rows.size()), Index(rows[0].size()));
  for (Index i = 0; i < m.rows(); ++i)
    for (Index j = 0; j < m.cols(); ++j) m(i, j) = rows[std::size_t(i)][std::size_t(j)].get<float>();
  return m;
}

/// A flat JSON list of rows * cols numbers as a row-major matrix of T.
template <class T>
MatrixR<T> matrix_from(const nlohmann::json& values, Index rows, Index cols) {
  const auto v = values.get<std::vector<double>>();
  if (v.size() != std::size_t(rows * cols))
    throw std::runtime_error("fixture has " + std::to_string(v.size()) + " values, expected " + std::to_string(rows * cols));
  MatrixR<T> m(rows, cols);
  for (Index i = 0; i < rows * cols; ++i) m.data()[i] = T(v[std::size_t(i)]);
  return m;
}

/// Copies a flat list of values (PyTorch's parameters() order) into a network's buffer.
inline void set_params(Parameters<float>& p, const nlohmann::json& flat) {
  if (flat.size() != p.size())
    throw std::runtime_error("fixture has " + std::to_string(flat.size()) + " parameters, network " + std::to_string(p.size()));
  for (std::size_t i = 0; i < p.size(); ++i) p.values()[i] = flat[i].get<float>();
}

}  // namespace mtf::test
