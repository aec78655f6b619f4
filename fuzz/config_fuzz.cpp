// fuzz/config_fuzz.cpp — every JSON config reader on arbitrary text: parse_json (depth and number
// limits), then, chosen by the first byte, BCQ's, behaviour cloning's, the estimator's, the trainer's
// and the simulator's strict readers. The expected failures are the readers' own exceptions (all
// std::runtime_error or std::invalid_argument with a message); a JSON library exception escaping, a
// crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/json_config.hpp"
#include "engine/limits.hpp"
#include "ope/fqe_config.hpp"
#include "rl/bc.hpp"
#include "rl/bcq.hpp"
#include "rl/sim/config.hpp"
#include "rl/trainer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  nlohmann::json j;
  try {
    j = mtf::parse_json(text, "fuzz.json");
  } catch (const mtf::InputError&) {
    return 0;
  }
  try {
    switch (data[0] % 5) {
      case 0: mtf::BcqConfig::from_json(j, "fuzz.json"); break;
      case 1: mtf::BcConfig::from_json(j, "fuzz.json"); break;
      case 2: mtf::FqeConfig::from_json(j, "fuzz.json"); break;
      case 3: {
        mtf::ConfigReader r(j, "fuzz.json");
        mtf::read_config<mtf::TrainSettings>(r);
        mtf::read_config<mtf::DataSettings>(r);
        r.finish();
        break;
      }
      case 4: mtf::sim::sim_config_from_json(j, "fuzz.json"); break;
    }
  } catch (const mtf::ConfigError&) {
  } catch (const std::invalid_argument&) {  // the simulator's config reports with invalid_argument
  }
  return 0;
}
