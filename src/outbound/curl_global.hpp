#pragma once
// libcurl's process-wide state, initialised once: curl_global_init is called by the first user
// of this library whichever thread it is on (std::call_once), and never torn down (maintd's
// threads may still hold easy handles while the process exits).
namespace maintd::outbound {

void ensure_curl_initialised();

}  // namespace maintd::outbound
