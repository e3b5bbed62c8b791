#pragma once
// The config of health.report's probes: which keys each kind takes, how they are checked when a
// configuration is validated, and the thresholds a probe's value is held to.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace maintd::handlers {

// The rules of a `probes` list (registry::KeySpec::check_items): each problem names the probe
// (its place in the list and its name), the key and the value, but never a password.
std::vector<std::string> check_probes(const nlohmann::json& probes,
                                      const std::set<std::string>& declared_databases);

// A tcp or http probe's `timeout` when it gives none.
inline constexpr std::chrono::seconds kDefaultProbeTimeout{5};

// The timeout of a checked probe.
std::chrono::seconds probe_timeout(const nlohmann::json& probe);

enum class ProbeStatus { ok, warn, fail };
const char* to_string(ProbeStatus status);

// A checked probe's thresholds; a value is held to them in the order fail, then warn.
struct Thresholds {
  std::optional<double> fail_below, warn_below, warn_above, fail_above;

  static Thresholds of(const nlohmann::json& probe);
  bool any() const { return fail_below || warn_below || warn_above || fail_above; }

  struct Verdict {
    ProbeStatus status = ProbeStatus::ok;
    std::string reason;  // for warn and fail: "1523 is above fail_above 1000"
  };
  // `shown`: the value as the reason writes it.
  Verdict judge(double value, const std::string& shown) const;
};

}  // namespace maintd::handlers
