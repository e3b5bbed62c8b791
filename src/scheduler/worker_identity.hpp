#pragma once
#include "store/run_store.hpp"

namespace maintd::scheduler {

// Who executes runs from this process: the host name, the pid, and an instance id that is
// unique per process start (a restarted daemon on the same host and pid is a new instance).
store::Worker this_process_worker();

}  // namespace maintd::scheduler
