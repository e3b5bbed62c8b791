#include "scheduler/worker_identity.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <random>

namespace maintd::scheduler {

store::Worker this_process_worker() {
  std::array<char, 256> name{};
  std::string host = ::gethostname(name.data(), name.size() - 1) == 0 ? name.data() : "unknown";
  const long long pid = ::getpid();
  std::random_device random;
  const std::string instance = fmt::format("{}-{}-{:08x}", host, pid, random());
  return {instance, host, pid};
}

}  // namespace maintd::scheduler
